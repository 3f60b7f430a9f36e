"""Subject secrets: an erased subject stays erased in database backups taken before the erasure."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from strongroom.accounts.models import User, Workspace
from strongroom.audit.actors import operator
from strongroom.audit.models import Event
from strongroom.collection.clients import do_create_client
from strongroom.collection.models import Client
from strongroom.crypto import keys, primitives
from strongroom.crypto.errors import DecryptionFailed, KeyProviderError, SubjectErased, SubjectSecretMissing
from strongroom.crypto.fields import field_aad
from strongroom.crypto.models import Keyring, SubjectKey
from strongroom.crypto.providers import get_provider
from strongroom.crypto.subject_secrets import SubjectSecretStore, secret_store

pytestmark = pytest.mark.django_db
ACTOR = operator("test")
type Capture = Callable[..., Any]


@pytest.fixture
def key_dir(settings: Any, tmp_path: Path) -> Path:
    """A key folder of this test's own, with a fresh master key."""
    settings.KEY_DIR = tmp_path / "keys"
    get_provider.cache_clear()
    keys.forget_cached_keys()
    keys.ensure_master_key()
    return settings.KEY_DIR  # type: ignore[no-any-return]


def fresh_client(client: Client) -> Client:
    """The client as another process would see it: read again, with no key held in memory."""
    keys.forget_cached_keys()
    get_provider.cache_clear()
    return Client.objects.select_related("subject").get(pk=client.pk)


def fresh_user(user: User) -> User:
    keys.forget_cached_keys()
    get_provider.cache_clear()
    return User.objects.select_related("subject").get(pk=user.pk)


def secret_file(subject_id: UUID) -> Path:
    return secret_store().path(subject_id)


def make_old_style(subject: SubjectKey) -> None:
    """Wrap the subject's key as before subject secrets existed: under the keyring key alone."""
    key = keys.subject_key(subject)
    aad = f"strongroom:subject:{subject.id}:{subject.keyring_id}".encode()
    wrapped = primitives.seal(keys.keyring_key(subject.keyring_id), key, aad)
    SubjectKey.objects.filter(pk=subject.pk).update(wrapped_key=wrapped, secret_held=False)
    secret_file(subject.id).unlink()


def test_a_new_subject_is_bound_to_a_private_secret_kept_outside_the_database(
    key_dir: Path, workspace: Workspace, owner: User
) -> None:
    # given a client created the usual way
    client = do_create_client(workspace, owner, name="Clara Client", email="clara@example.org")

    # then its subject holds a secret in <key folder>/subjects/<2 hex>/<id>.secret, private to us
    subject = SubjectKey.objects.get(pk=client.subject_id)
    path = key_dir / "subjects" / str(subject.id)[:2] / f"{subject.id}.secret"
    assert subject.secret_held and path.is_file()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert (key_dir / "subjects").stat().st_mode & 0o777 == 0o700
    secret = bytes.fromhex(path.read_text())
    assert len(secret) == 32 and secret not in bytes(subject.wrapped_key or b"")
    # and its data round-trips, though the keyring key alone no longer opens the wrapped key
    assert fresh_client(client).name == "Clara Client"
    aad = f"strongroom:subject:{subject.id}:{subject.keyring_id}".encode()
    with pytest.raises(DecryptionFailed):
        primitives.unseal(keys.keyring_key(subject.keyring_id), bytes(subject.wrapped_key or b""), aad)


def test_the_key_folder_stays_private(key_dir: Path, workspace: Workspace) -> None:
    for path in [key_dir, *key_dir.rglob("*")]:
        assert path.stat().st_mode & 0o777 == (0o700 if path.is_dir() else 0o600), path


def backed_up(client: Client) -> tuple[bytes, bytes]:
    """What a database backup holds of `client`: the wrapped subject key and the sealed name, as stored
    (read with SQL, so on SQLite and PostgreSQL alike; tests/test_erasure_backups.py restores real
    backups, a file copy and a pg_dump, in fresh processes)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT wrapped_key FROM crypto_subjectkey WHERE id = %s",
                       [client.subject_id.hex if connection.vendor == "sqlite" else client.subject_id])
        wrapped = cursor.fetchone()[0]
        cursor.execute("SELECT name FROM collection_client WHERE id = %s",
                       [client.pk.hex if connection.vendor == "sqlite" else client.pk])
        name = cursor.fetchone()[0]
    return bytes(wrapped), bytes(name)


def test_an_earlier_database_backup_cannot_open_an_erased_client(
    key_dir: Path, workspace: Workspace, owner: User, tmp_path: Path,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    # given two clients of one workspace, and a database backup taken while both were live
    erased = do_create_client(workspace, owner, name="Erin Erased", email="erin@example.org")
    kept = do_create_client(workspace, owner, name="Kim Kept", email="kim@example.org")
    erased_wrapped, erased_name = backed_up(erased)
    kept_wrapped, kept_name = backed_up(kept)

    # when one of them is erased (the erasure commits, then its secret is deleted)
    with django_capture_on_commit_callbacks(execute=True):
        keys.destroy_subject_key(erased.subject, ACTOR, reason="erasure request")

    # then the backup holds both wrapped keys and both sealed names
    assert erased_wrapped and erased_name
    # and the live key material still opens the workspace key...
    ring = Keyring.objects.get(workspace=workspace)
    keys.forget_cached_keys()
    ring_key = keys.keyring_key(ring.id)
    # ...but the erased client's secret is gone, and the workspace key alone opens nothing
    assert secret_store().read(erased.subject_id) is None
    assert not secret_file(erased.subject_id).exists()
    aad = f"strongroom:subject:{erased.subject_id}:{ring.id}".encode()
    with pytest.raises(DecryptionFailed):
        primitives.unseal(ring_key, erased_wrapped, aad)
    # and a restored row (the backup's live wrapped key) cannot be opened either: a named error
    SubjectKey.objects.filter(pk=erased.subject_id).update(wrapped_key=erased_wrapped, destroyed_at=None)
    with pytest.raises(SubjectSecretMissing):
        _ = fresh_client(erased).name
    # while the other client's wrapped key and sealed name, from the same backup, still open
    kept_secret = secret_store().read(kept.subject_id)
    assert kept_secret is not None
    wrapping = keys._subject_wrapping_key(ring_key, kept_secret, kept.subject_id, ring.id)
    kept_aad = f"strongroom:subject:{kept.subject_id}:{ring.id}".encode()
    kept_key = primitives.unseal(wrapping, kept_wrapped, kept_aad)
    name_aad = field_aad(Client._meta.get_field("name"), kept, kept.subject_id)
    assert primitives.unseal(kept_key, kept_name, name_aad).decode() == "Kim Kept"
    assert fresh_client(kept).name == "Kim Kept"


def test_destroying_deletes_the_secret_only_once_the_erasure_commits(
    key_dir: Path, workspace: Workspace, owner: User, django_capture_on_commit_callbacks: Capture
) -> None:
    client = do_create_client(workspace, owner, name="Rolf Rollback", email="rolf@example.org")
    path = secret_file(client.subject_id)

    # when an erasure rolls back, the subject is live and keeps its secret
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), \
            transaction.atomic():
        keys.destroy_subject_key(client.subject, ACTOR, reason="erasure request")
        raise RuntimeError("the erasure failed half-way")
    assert path.exists() and fresh_client(client).name == "Rolf Rollback"

    # when it commits, the secret is gone and the data reads as erased
    read_before = SubjectKey.objects.get(pk=client.subject_id)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        keys.destroy_subject_key(client.subject, ACTOR, reason="erasure request")
    assert len(callbacks) == 1 and not path.exists()
    with pytest.raises(SubjectErased, match="erased on"):
        _ = fresh_client(client).name
    with pytest.raises(SubjectErased):  # even through a row read before the erasure
        keys.subject_key(read_before)
    # and a second call (a retried erasure) changes nothing and fails on nothing
    with django_capture_on_commit_callbacks(execute=True):
        keys.destroy_subject_key(client.subject, ACTOR, reason="erasure request")
    assert Event.objects.filter(action="key.subject_destroyed", subject=client.subject_id).count() == 1


def test_a_live_subject_without_its_secret_is_a_named_error_not_an_erasure(
    key_dir: Path, workspace: Workspace, owner: User
) -> None:
    client = do_create_client(workspace, owner, name="Mia Missing", email="mia@example.org")
    secret_file(client.subject_id).unlink()

    incomplete = "subjects/ folder of the key folder is incomplete"
    with pytest.raises(SubjectSecretMissing, match=incomplete) as caught:
        _ = fresh_client(client).name
    assert not isinstance(caught.value, DecryptionFailed)  # so nothing shows it as "erased"
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 subject secret"):
        call_command("keys", "status", stdout=out)
    assert f"PROBLEM: subject {client.subject_id} is live but its secret is missing" in out.getvalue()


def test_a_key_folder_without_its_subjects_folder_is_named(key_dir: Path, workspace: Workspace,
                                                          owner: User) -> None:
    for path in sorted((key_dir / "subjects").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (key_dir / "subjects").rmdir()

    with pytest.raises(SubjectSecretMissing, match=f"the folder {key_dir / 'subjects'} does not exist"):
        _ = fresh_user(owner).name


def test_a_damaged_or_exposed_secret_is_refused(key_dir: Path, workspace: Workspace, owner: User) -> None:
    path = secret_file(owner.subject_id)
    content = path.read_text()

    path.chmod(0o644)
    with pytest.raises(KeyProviderError, match="chmod"):
        _ = fresh_user(owner).name
    path.chmod(0o600)
    path.write_text("not a secret\n")
    with pytest.raises(SubjectSecretMissing, match="damaged"):
        _ = fresh_user(owner).name
    path.write_text(bytes(32).hex() + "\n")
    with pytest.raises(DecryptionFailed, match="not the one it was made with"):
        _ = fresh_user(owner).name
    path.write_text(content)
    assert fresh_user(owner).name == "Olive Owner"


def test_a_secret_is_never_replaced(tmp_path: Path) -> None:
    store = SubjectSecretStore(tmp_path / "keys")
    subject_id = UUID("3f2a41c0-0000-4000-8000-000000000001")
    first = store.create(subject_id)

    with pytest.raises(FileExistsError):
        store.create(subject_id)
    assert store.read(subject_id) == first
    assert [p.name for p in store.path(subject_id).parent.iterdir()] == [f"{subject_id}.secret"]


def test_old_subjects_stay_readable_and_are_bound_by_a_resumable_command(
    key_dir: Path, workspace: Workspace, owner: User, member: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two subjects made before subject secrets existed
    for user in (owner, member):
        make_old_style(user.subject)
    assert fresh_user(owner).name == "Olive Owner"
    assert not SubjectKey.objects.get(pk=owner.subject_id).secret_held

    # when binding fails on the second subject, after its secret was written
    real, calls = keys._subject_wrapping_key, []

    def failing(*args: Any) -> bytes:
        calls.append(args)
        if len(calls) == 2:
            raise OSError("the machine went down")
        return real(*args)

    monkeypatch.setattr(keys, "_subject_wrapping_key", failing)
    with pytest.raises(OSError, match="went down"):
        keys.bind_subject_secrets(ACTOR, batch_size=1)
    monkeypatch.undo()

    # then one is bound, the other is untouched (its leftover secret is used by the next run)
    unbound = SubjectKey.objects.get(secret_held=False)
    leftover = secret_store().read(unbound.id)
    assert leftover is not None
    assert fresh_user(owner).name == "Olive Owner" and fresh_user(member).name == "Mark Member"
    out = io.StringIO()
    call_command("keys", "status", stdout=out)
    assert "subjects not yet bound to a secret: 1 (run `keys bind-subjects`)" in out.getvalue()

    read_before = SubjectKey.objects.get(pk=unbound.pk)
    out = io.StringIO()
    call_command("keys", "bind-subjects", stdout=out)

    assert "bound 1 subject(s) to a secret, 0 left" in out.getvalue()
    assert not SubjectKey.objects.filter(secret_held=False).exists()
    assert secret_store().read(unbound.id) == leftover
    assert keys.subject_key(read_before) == keys.subject_key(SubjectKey.objects.get(pk=unbound.pk))
    assert fresh_user(owner).name == "Olive Owner" and fresh_user(member).name == "Mark Member"
    assert Event.objects.filter(action="key.subject_bound").count() == 2


def test_sweep_deletes_orphaned_secrets_but_never_a_live_subjects(
    key_dir: Path, workspace: Workspace, owner: User
) -> None:
    # given a live client, an erased one whose secret outlived a crash, and two rolled-back creations
    live = do_create_client(workspace, owner, name="Liv Live", email="liv@example.org")
    erased = do_create_client(workspace, owner, name="Ed Erased", email="ed@example.org")
    keys.destroy_subject_key(erased.subject, ACTOR)  # the test's transaction never commits: no deletion
    ring = Keyring.objects.get(workspace=workspace)
    rolled_back = []
    for _ in range(2):
        with pytest.raises(RuntimeError), transaction.atomic():
            rolled_back.append(keys.create_subject(ring, SubjectKey.Kind.CLIENT).id)
            raise RuntimeError("the request failed")
    old, recent = rolled_back
    day_ago = time.time() - 86400 - 60
    os.utime(secret_file(old), (day_ago, day_ago))
    temporary = secret_file(live.subject_id).parent / f".tmp-{live.subject_id}.secret.0000"
    temporary.write_text("half a secret")
    os.utime(temporary, (day_ago, day_ago))
    out = io.StringIO()
    call_command("keys", "status", stdout=out)
    assert "3 orphaned, 1 temporary (`keys sweep-secrets` deletes orphans)" in out.getvalue()

    # when the secrets are swept
    out = io.StringIO()
    call_command("keys", "sweep-secrets", stdout=out)

    # then the erased subject's, the old orphan's and the temporary file are gone
    assert "deleted 1 secret(s) of erased subjects and 2 abandoned file(s); kept 1 recent" in out.getvalue()
    assert not secret_file(erased.subject_id).exists() and not secret_file(old).exists()
    assert not temporary.exists()
    # but the recent orphan may belong to a transaction still running, and the live secrets stay
    assert secret_file(recent).exists()
    assert fresh_client(live).name == "Liv Live" and fresh_user(owner).name == "Olive Owner"
    event = Event.objects.get(action="key.subject_secrets_swept")
    assert event.extra == {"erased": 1, "abandoned": 2}
    # and with no grace at all, a live subject's secret is still never touched
    keys.sweep_subject_secrets(ACTOR, grace=timedelta(0))
    assert not secret_file(recent).exists()
    assert secret_file(live.subject_id).exists() and secret_file(owner.subject_id).exists()


def test_keys_status_counts_secrets(key_dir: Path, workspace: Workspace) -> None:
    out = io.StringIO()
    call_command("keys", "status", stdout=out)
    text = out.getvalue()
    assert f"subject secrets in {key_dir / 'subjects'}: 2 held, 0 missing, 0 orphaned\n" in text
    assert "subjects not yet bound to a secret: 0\n" in text


@pytest.mark.parametrize("provider", ["file", "pkcs11"])
def test_production_keeps_subject_secrets_apart_from_the_data(tmp_path: Path, provider: str) -> None:
    from strongroom.config import production_problems

    (tmp_path / "data" / "keys" / "subjects").mkdir(parents=True, mode=0o755)
    (tmp_path / "data" / "keys").chmod(0o700)
    problems = production_problems(secret_key_given=True, debug=False, data_dir=tmp_path / "data",
                                   key_dir=tmp_path / "data" / "keys", key_provider=provider,
                                   allowed_hosts=["portal.example.com"])

    assert any("is inside the data folder" in problem for problem in problems)
    subjects = tmp_path / "data" / "keys" / "subjects"
    assert f"{subjects} can be read by users other than its owner (run chmod go-rwx on it)" in problems
