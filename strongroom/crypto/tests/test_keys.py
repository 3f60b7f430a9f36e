"""The key hierarchy: rotation, crypto-shredding, and clear errors for missing, wrong or exposed keys."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from strongroom.accounts.models import User, Workspace
from strongroom.audit.actors import operator
from strongroom.audit.models import Event
from strongroom.crypto import keys
from strongroom.crypto.errors import KeyProviderError, MasterKeyError, SubjectErased
from strongroom.crypto.models import Keyring, SubjectKey
from strongroom.crypto.providers import FileKeyProvider, get_provider
from strongroom.vault.actions import do_store_blob, read_blob

pytestmark = pytest.mark.django_db
ACTOR = operator("test")


@pytest.fixture
def key_dir(settings: Any, tmp_path: Path) -> Path:
    """A key folder of this test's own, with a fresh master key."""
    settings.KEY_DIR = tmp_path / "keys"
    get_provider.cache_clear()
    keys.forget_cached_keys()
    keys.ensure_master_key()
    return settings.KEY_DIR  # type: ignore[no-any-return]


def fresh(user: User) -> User:
    """The user as another process would see it: read again, with no key held in memory."""
    keys.forget_cached_keys()
    get_provider.cache_clear()
    return User.objects.select_related("subject").get(pk=user.pk)


def raw_column(table: str, column: str, pk: Any) -> bytes:
    value = pk.hex if connection.vendor == "sqlite" else pk
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [value])
        return bytes(cursor.fetchone()[0])


def test_key_folder_is_private(key_dir: Path) -> None:
    assert key_dir.stat().st_mode & 0o777 == 0o700
    for path in key_dir.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600


def test_only_wrapped_keys_are_stored(key_dir: Path, workspace: Workspace) -> None:
    keyring = Keyring.objects.get(workspace=workspace)
    plain = keys.keyring_key(keyring.id)

    assert plain not in bytes(keyring.wrapped_key or b"")
    assert all(plain not in bytes(s.wrapped_key or b"") for s in SubjectKey.objects.all())
    assert not any(plain.hex() in p.read_text() for p in key_dir.rglob("*") if p.is_file())


def test_rotation_rewraps_workspace_keys_only(key_dir: Path, workspace: Workspace, owner: User) -> None:
    old_master = get_provider().current_key_id()
    name_before = raw_column("accounts_user", "name", owner.pk)
    subject_before = bytes(SubjectKey.objects.get(pk=owner.subject_id).wrapped_key or b"")

    report = keys.rotate_master_key(ACTOR)

    assert report.new_key_id != old_master and report.remaining == 0
    assert report.rewrapped == Keyring.objects.count() == 2  # the installation's and Firm A's
    assert set(Keyring.objects.values_list("master_key_id", flat=True)) == {report.new_key_id}
    assert raw_column("accounts_user", "name", owner.pk) == name_before
    assert bytes(SubjectKey.objects.get(pk=owner.subject_id).wrapped_key or b"") == subject_before
    assert Event.objects.filter(action="key.keyring_rewrapped").count() == 2

    keys.retire_master_key(old_master or "", ACTOR)
    assert fresh(owner).name == "Olive Owner"
    assert not (key_dir / f"master-{old_master}.key").exists()


def test_interrupted_rotation_resumes(key_dir: Path, workspace: Workspace, owner: User,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    provider = get_provider()
    real_wrap, calls = provider.wrap, []

    def failing_wrap(key_id: str, key: bytes, aad: bytes) -> bytes:
        calls.append(key_id)
        if len(calls) == 2:
            raise KeyProviderError("the machine went down")
        return real_wrap(key_id, key, aad)

    monkeypatch.setattr(provider, "wrap", failing_wrap)
    with pytest.raises(KeyProviderError):
        keys.rotate_master_key(ACTOR)
    monkeypatch.undo()
    current = provider.current_key_id()
    assert Keyring.objects.exclude(master_key_id=current).count() == 1
    assert fresh(owner).name == "Olive Owner"  # half-rotated: both master keys still open their keyrings

    out = io.StringIO()
    call_command("keys", "rotate", "--resume", stdout=out)

    assert "re-wrapped 1 workspace key(s), 0 left" in out.getvalue()
    assert set(Keyring.objects.values_list("master_key_id", flat=True)) == {current}


def test_a_master_key_in_use_cannot_be_retired(key_dir: Path, workspace: Workspace) -> None:
    current = get_provider().current_key_id() or ""
    keys.rotate_master_key(ACTOR)
    Keyring.objects.filter(workspace=workspace).update(master_key_id=current)

    with pytest.raises(MasterKeyError, match="still wraps 1 workspace key"):
        keys.retire_master_key(current, ACTOR)
    assert (key_dir / f"master-{current}.key").exists()


def test_crypto_shredding_erases_one_subject_and_spares_the_other(
    key_dir: Path, workspace: Workspace, owner: User, member: User
) -> None:
    owner_file = do_store_blob(owner.subject, io.BytesIO(b"owner payslip"), name="payslip.pdf",
                               content_type="application/pdf", actor=ACTOR, workspace=workspace)
    member_file = do_store_blob(member.subject, io.BytesIO(b"member passport"), name="passport.jpg",
                                content_type="image/jpeg", actor=ACTOR, workspace=workspace)

    call_command("keys", "destroy-subject", str(owner.subject_id), "--reason", "erasure request",
                 stdout=io.StringIO())

    erased = fresh(owner)
    with pytest.raises(SubjectErased, match="erased"):
        _ = erased.name
    with pytest.raises(SubjectErased, match="erased"):
        b"".join(read_blob(type(owner_file).objects.get(pk=owner_file.pk)))
    spared = fresh(member)
    assert spared.name == "Mark Member" and spared.email == "member@firm-a.example"
    assert b"".join(read_blob(type(member_file).objects.get(pk=member_file.pk))) == b"member passport"
    event = Event.objects.get(action="key.subject_destroyed")
    assert event.subject == owner.subject_id and event.extra == {"reason": "erasure request"}


def test_missing_master_key_is_named_and_never_replaced(key_dir: Path, workspace: Workspace,
                                                        owner: User) -> None:
    master = get_provider().current_key_id()
    (key_dir / f"master-{master}.key").unlink()
    files_before = sorted(p.name for p in key_dir.iterdir())

    with pytest.raises(MasterKeyError, match=f"current master key {master} is missing"):
        keys.ensure_master_key()
    with pytest.raises(MasterKeyError, match="missing"):
        _ = fresh(owner).name
    assert sorted(p.name for p in key_dir.iterdir()) == files_before


def test_no_master_key_at_all_is_refused_once_data_exists(key_dir: Path, workspace: Workspace) -> None:
    for path in key_dir.iterdir():
        if path.is_file():  # the master keys and CURRENT; subjects/ holds subject secrets
            path.unlink()

    with pytest.raises(MasterKeyError, match="Restore the master key"):
        keys.ensure_master_key()
    assert [p for p in key_dir.iterdir() if p.is_file()] == []


def test_wrong_master_key_is_named(key_dir: Path, workspace: Workspace, owner: User) -> None:
    master = get_provider().current_key_id()
    key_file = key_dir / f"master-{master}.key"
    key_file.write_text(bytes(32).hex() + "\n")

    with pytest.raises(MasterKeyError, match="does not open"):
        _ = fresh(owner).name
    with pytest.raises(CommandError, match="cannot be opened"):
        call_command("keys", "status", stdout=io.StringIO())
    assert key_file.read_text() == bytes(32).hex() + "\n"


def test_damaged_key_file_is_named(key_dir: Path, workspace: Workspace, owner: User) -> None:
    master = get_provider().current_key_id()
    (key_dir / f"master-{master}.key").write_text("not a key\n")

    with pytest.raises(MasterKeyError, match="damaged"):
        _ = fresh(owner).name


@pytest.mark.parametrize("target", ["file", "folder"])
def test_loose_permissions_are_refused(key_dir: Path, workspace: Workspace, owner: User, target: str) -> None:
    master = get_provider().current_key_id()
    key_file = key_dir / f"master-{master}.key"
    content = key_file.read_text()
    (key_file if target == "file" else key_dir).chmod(0o644 if target == "file" else 0o755)

    with pytest.raises(KeyProviderError, match="chmod"):
        _ = fresh(owner).name
    assert key_file.read_text() == content


def test_keys_status_lists_keys_and_subjects(key_dir: Path, workspace: Workspace) -> None:
    out = io.StringIO()
    call_command("keys", "status", stdout=out)
    text = out.getvalue()
    assert f"master key {get_provider().current_key_id()} (current): wraps 2 workspace key(s)" in text
    assert "subjects: 2 (0 erased)" in text


def test_provider_never_overwrites_an_existing_key(tmp_path: Path) -> None:
    provider = FileKeyProvider(tmp_path / "k")
    first = provider.create_master_key()
    content = (tmp_path / "k" / f"master-{first}.key").read_text()
    second = provider.create_master_key()

    assert provider.key_ids() == sorted([first, second])
    assert provider.current_key_id() == second
    assert (tmp_path / "k" / f"master-{first}.key").read_text() == content
    with pytest.raises(MasterKeyError, match="is current"):
        provider.destroy_master_key(second)
