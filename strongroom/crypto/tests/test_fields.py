"""Encrypted fields: values round-trip, are stored only as ciphertext, and cannot be moved."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from conftest import make_user
from strongroom.accounts.models import User
from strongroom.crypto import primitives
from strongroom.crypto.errors import DecryptionFailed
from strongroom.vault.models import Blob

pytestmark = pytest.mark.django_db


def stored_bytes(table: str, column: str, pk: Any) -> bytes:
    with connection.cursor() as cursor:
        value = pk.hex if connection.vendor == "sqlite" else pk
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [value])
        return bytes(cursor.fetchone()[0])


def test_values_round_trip_and_are_stored_as_ciphertext() -> None:
    user = make_user("Ada.Lovelace@example.org", "Ada Lovelace")

    reloaded = User.objects.get(pk=user.pk)

    assert reloaded.email == "Ada.Lovelace@example.org"
    assert reloaded.name == "Ada Lovelace"
    raw = stored_bytes("accounts_user", "name", user.pk)
    assert b"Ada" not in raw and b"Lovelace" not in raw
    assert raw[:1] == primitives.FORMAT_V1


def test_each_write_uses_a_fresh_nonce() -> None:
    user = make_user("nonce@example.org", "Same Name")
    first = stored_bytes("accounts_user", "name", user.pk)

    user.name = "Same Name"
    user.save(update_fields=["name"])

    second = stored_bytes("accounts_user", "name", user.pk)
    assert first != second
    assert first[1:13] != second[1:13]


def test_ciphertext_copied_to_another_row_fails_to_open() -> None:
    alice = make_user("alice@example.org", "Alice")
    bob = make_user("bob@example.org", "Bob")
    alice_name = stored_bytes("accounts_user", "name", alice.pk)
    User.objects.filter(pk=bob.pk).update(name=alice_name)

    with pytest.raises(DecryptionFailed, match="altered, moved"):
        _ = User.objects.get(pk=bob.pk).name


def test_ciphertext_copied_to_another_field_fails_to_open() -> None:
    alice = make_user("alice@example.org", "Alice")
    User.objects.filter(pk=alice.pk).update(name=stored_bytes("accounts_user", "email", alice.pk))

    with pytest.raises(DecryptionFailed):
        _ = User.objects.get(pk=alice.pk).name
    assert User.objects.get(pk=alice.pk).email == "alice@example.org"


def test_json_and_date_values_round_trip(workspace: object) -> None:
    user = make_user("json@example.org")
    blob = Blob(subject=user.subject, storage_name="x" * 40, wrapped_file_key=b"k", size=1, sealed_size=1)
    blob.meta = {"name": "passport.pdf", "pages": [1, 2], "scan": {"dpi": 300}}
    blob.save()
    expected = {"name": "passport.pdf", "pages": [1, 2], "scan": {"dpi": 300}}
    assert Blob.objects.get(pk=blob.pk).meta == expected

    from strongroom.crypto.fields import EncryptedDateField

    field = EncryptedDateField(category="user.demographic.date_of_birth")
    assert field.decode(field.encode(datetime.date(1815, 12, 10))) == datetime.date(1815, 12, 10)
    with pytest.raises(TypeError, match="takes a date"):
        field.encode("1815-12-10")


def test_encrypted_fields_cannot_be_searched() -> None:
    with pytest.raises(TypeError, match="blind index"):
        list(User.objects.filter(name="Ada"))


def test_known_answer_for_the_field_format() -> None:
    key, nonce = bytes(range(32)), bytes(range(12))

    sealed = primitives.seal(key, b"Strongroom", b"aad", nonce=nonce)

    assert sealed.hex() == KNOWN_FIELD_CIPHERTEXT
    assert primitives.unseal(key, sealed, b"aad") == b"Strongroom"


KNOWN_FIELD_CIPHERTEXT = (
    # version 01, the nonce, then AES-256-GCM(key, nonce, "Strongroom", aad="aad") with its tag
    "01" "000102030405060708090a0b" "1476a474ab82b074e22c4ced043bb68341a63ac232715d5b4221"
)


@given(st.binary(max_size=300), st.binary(max_size=40))
def test_seal_round_trips(plaintext: bytes, aad: bytes) -> None:
    key = bytes(32)
    assert primitives.unseal(key, primitives.seal(key, plaintext, aad), aad) == plaintext


@given(st.binary(min_size=0, max_size=64), st.data())
def test_every_single_bit_flip_is_detected(plaintext: bytes, data: st.DataObject) -> None:
    key = bytes(range(32))
    sealed = bytearray(primitives.seal(key, plaintext, b"row-1"))
    bit = data.draw(st.integers(min_value=0, max_value=len(sealed) * 8 - 1))
    sealed[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(DecryptionFailed):
        primitives.unseal(key, bytes(sealed), b"row-1")


def test_bulk_update_cannot_store_an_unsealed_value() -> None:
    user = make_user("bulk@example.org", "Before")

    with pytest.raises(TypeError, match="would store it unsealed"), transaction.atomic():
        User.objects.filter(pk=user.pk).update(name="After")

    assert User.objects.get(pk=user.pk).name == "Before"
