"""Blind indexes find an encrypted e-mail by exact match, and reveal nothing across workspaces or fields."""

from __future__ import annotations

import pytest

from conftest import make_user
from strongroom.accounts.models import User, Workspace
from strongroom.crypto import keys
from strongroom.crypto.blind import blind_index, lookup
from strongroom.crypto.models import Keyring

pytestmark = pytest.mark.django_db


def test_lookup_matches_normalised_email() -> None:
    user = make_user("Grace.Hopper@Navy.example")

    assert User.objects.with_email("  grace.hopper@navy.EXAMPLE ").get() == user
    assert not User.objects.with_email("grace.hopper@navy.example.org").exists()
    assert "grace" not in (user.email_index or "")


def test_index_follows_a_changed_email() -> None:
    user = make_user("old@example.org")
    user.email = "new@example.org"
    user.save(update_fields=["email", "email_index"])

    assert User.objects.with_email("new@example.org").get() == user
    assert not User.objects.with_email("old@example.org").exists()


def test_indexes_differ_per_workspace_and_per_field(workspace: Workspace, other_workspace: Workspace) -> None:
    ring_a = Keyring.objects.get(workspace=workspace).id
    ring_b = Keyring.objects.get(workspace=other_workspace).id

    in_a = blind_index(ring_a, "accounts.User", "email", "same@example.org")
    in_b = blind_index(ring_b, "accounts.User", "email", "same@example.org")
    other_field = blind_index(ring_a, "accounts.User", "name", "same@example.org")

    assert len({in_a, in_b, other_field}) == 3
    assert in_a == blind_index(ring_a, "accounts.User", "email", "SAME@example.org ")


def test_index_is_keyed_hmac_sha256(workspace: Workspace) -> None:
    import hashlib
    import hmac

    from strongroom.crypto.primitives import derive_key

    ring = Keyring.objects.get(workspace=workspace).id
    key = derive_key(keys.keyring_key(ring), "strongroom:blind-index:accounts.user.email")
    expected = hmac.new(key, b"ann@example.org", hashlib.sha256).hexdigest()

    assert lookup(User, "email", ring, "Ann@Example.org") == expected


def test_fields_without_an_index_say_so() -> None:
    with pytest.raises(LookupError, match="no blind index"):
        lookup(User, "name", keys.installation_keyring().id, "x")
