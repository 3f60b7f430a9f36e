"""The key hierarchy: master key (provider) -> keyring key (one per workspace) -> subject key.

Only wrapped keys are stored. Unwrapped keyring keys are memoised per process by keyring id: a
keyring key never changes (rotation re-wraps it, it does not replace it). Subject keys are
unwrapped on each use from the row just read, so a destroyed subject key is gone everywhere at once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from strongroom.crypto import primitives
from strongroom.crypto.errors import DecryptionFailed, MasterKeyError, SubjectErased
from strongroom.crypto.models import Keyring, SubjectKey
from strongroom.crypto.providers import get_provider

if TYPE_CHECKING:
    from strongroom.accounts.models import Workspace

_keyring_keys: dict[UUID, bytes] = {}
_derived: dict[str, bytes] = {}
_lock = threading.Lock()


def _keyring_aad(keyring_id: UUID) -> bytes:
    return f"strongroom:keyring:{keyring_id}".encode()


def _subject_aad(subject_id: UUID, keyring_id: UUID) -> bytes:
    return f"strongroom:subject:{subject_id}:{keyring_id}".encode()


def forget_cached_keys() -> None:
    """Drop every unwrapped key this process holds (after a key is destroyed, and in tests)."""
    with _lock:
        _keyring_keys.clear()
        _derived.clear()


def ensure_master_key() -> str:
    """The current master key id, creating the first master key on a brand-new installation.

    A missing key is only created when no keyring exists yet: if wrapped keys are stored, the
    master key that opens them must be restored, never replaced.
    """
    provider = get_provider()
    current = provider.current_key_id()
    if current:
        return current
    if Keyring.objects.exists():
        raise MasterKeyError(
            f"no master key found ({provider.describe()}) but the database holds workspace keys "
            "wrapped by one. Restore the master key from your key backup; a new key would not open them"
        )
    key_id = provider.create_master_key()
    from strongroom.audit.actions import record
    from strongroom.audit.actors import SYSTEM

    with transaction.atomic():
        record(SYSTEM, "key.master_created", None, master_key_id=key_id, first=True)
    return key_id


def _current_master_key_id() -> str:
    current = get_provider().current_key_id()
    if current is None:
        raise MasterKeyError(
            "there is no master key yet; start Strongroom once or run `python -m strongroom keys init`"
        )
    return current


def create_keyring(workspace: Workspace | None = None) -> Keyring:
    """A new keyring with a fresh random key, wrapped under the current master key."""
    key = primitives.random_key()
    master_id = _current_master_key_id()
    keyring = Keyring(workspace=workspace, is_installation=workspace is None, master_key_id=master_id)
    keyring.wrapped_key = get_provider().wrap(master_id, key, _keyring_aad(keyring.id))
    keyring.save()
    with _lock:
        _keyring_keys[keyring.id] = key
    return keyring


def installation_keyring() -> Keyring:
    """The keyring of staff accounts, created on first use."""
    existing = Keyring.objects.filter(is_installation=True).first()
    return existing or create_keyring(None)


def audit_chain_key() -> bytes:
    """The key of the audit log's hash chains, derived from the installation's keyring key."""
    with _lock:
        cached = _derived.get("audit-chain")
    if cached is not None:
        return cached
    key = primitives.derive_key(keyring_key(installation_keyring().id), "strongroom:audit-chain")
    with _lock:
        _derived["audit-chain"] = key
    return key


def keyring_key(keyring_id: UUID) -> bytes:
    with _lock:
        cached = _keyring_keys.get(keyring_id)
    if cached is not None:
        return cached
    keyring = Keyring.objects.get(pk=keyring_id)
    if keyring.wrapped_key is None:
        raise SubjectErased(f"the workspace key of {keyring} was destroyed; its data is erased")
    key = get_provider().unwrap(keyring.master_key_id, bytes(keyring.wrapped_key), _keyring_aad(keyring.id))
    with _lock:
        _keyring_keys[keyring_id] = key
    return key


def create_subject(keyring: Keyring, kind: str) -> SubjectKey:
    """A new data subject with a fresh random key, wrapped under the keyring key."""
    subject = SubjectKey(keyring=keyring, kind=kind)
    subject.wrapped_key = primitives.seal(
        keyring_key(keyring.id), primitives.random_key(), _subject_aad(subject.id, keyring.id)
    )
    subject.save()
    return subject


def subject_key(subject: SubjectKey) -> bytes:
    """The subject's key; SubjectErased once it has been destroyed."""
    if subject.wrapped_key is None:
        when = subject.destroyed_at.date().isoformat() if subject.destroyed_at else "an earlier date"
        raise SubjectErased(f"the personal data of {subject} was erased on {when} and cannot be read")
    aad = _subject_aad(subject.id, subject.keyring_id)
    return primitives.unseal(keyring_key(subject.keyring_id), bytes(subject.wrapped_key), aad)


def destroy_subject_key(subject: SubjectKey, actor: object, *, reason: str = "") -> None:
    """Crypto-shredding: forget the subject's key, so all their sealed data is unreadable for good."""
    from strongroom.audit.actions import record

    with transaction.atomic():
        locked = SubjectKey.objects.select_for_update().get(pk=subject.pk)
        if locked.wrapped_key is None:
            return
        locked.wrapped_key = None
        locked.destroyed_at = timezone.now()
        locked.save(update_fields=["wrapped_key", "destroyed_at"])
        workspace = locked.keyring.workspace
        record(actor, "key.subject_destroyed", locked, subject=locked, workspace=workspace, reason=reason)
    subject.wrapped_key, subject.destroyed_at = None, locked.destroyed_at


@dataclass(frozen=True)
class RotationReport:
    new_key_id: str
    rewrapped: int
    remaining: int


def rotate_master_key(actor: object) -> RotationReport:
    """Create a new master key and re-wrap every keyring under it. Nothing else is re-encrypted."""
    from strongroom.audit.actions import record

    new_id = get_provider().create_master_key()
    with transaction.atomic():
        record(actor, "key.master_created", None, master_key_id=new_id)
    return rewrap_keyrings(actor)


def rewrap_keyrings(actor: object, batch_size: int = 100) -> RotationReport:
    """Re-wrap keyrings not yet under the current master key, each in its own transaction.

    Safe to stop at any point and run again: each keyring records which master key wraps it.
    """
    from strongroom.audit.actions import record

    provider, current, done = get_provider(), _current_master_key_id(), 0
    while True:
        ids = list(
            Keyring.objects.exclude(master_key_id=current)
            .exclude(wrapped_key=None)
            .values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            break
        for keyring_id in ids:
            with transaction.atomic():
                keyring = Keyring.objects.select_for_update().get(pk=keyring_id)
                if keyring.master_key_id == current or keyring.wrapped_key is None:
                    continue
                aad = _keyring_aad(keyring.id)
                key = provider.unwrap(keyring.master_key_id, bytes(keyring.wrapped_key), aad)
                old_id = keyring.master_key_id
                keyring.wrapped_key = provider.wrap(current, key, aad)
                keyring.master_key_id, keyring.rewrapped_at = current, timezone.now()
                keyring.save(update_fields=["wrapped_key", "master_key_id", "rewrapped_at"])
                record(actor, "key.keyring_rewrapped", keyring, workspace=keyring.workspace,
                       from_master_key_id=old_id, to_master_key_id=current)
                done += 1
    remaining = Keyring.objects.exclude(master_key_id=current).exclude(wrapped_key=None).count()
    return RotationReport(new_key_id=current, rewrapped=done, remaining=remaining)


def retire_master_key(key_id: str, actor: object) -> None:
    """Destroy an old master key once no keyring depends on it."""
    from strongroom.audit.actions import record

    still_used = Keyring.objects.filter(master_key_id=key_id).exclude(wrapped_key=None).count()
    if still_used:
        raise MasterKeyError(
            f"master key {key_id} still wraps {still_used} workspace key(s); "
            "run `keys rotate --resume` until none remain"
        )
    get_provider().destroy_master_key(key_id)
    with transaction.atomic():
        record(actor, "key.master_retired", None, master_key_id=key_id)


def verify_keyrings() -> list[str]:
    """Try every keyring with the master key it names; problems as sentences (for `keys status`)."""
    problems = []
    for keyring in Keyring.objects.exclude(wrapped_key=None):
        wrapped = bytes(keyring.wrapped_key or b"")
        try:
            get_provider().unwrap(keyring.master_key_id, wrapped, _keyring_aad(keyring.id))
        except (MasterKeyError, DecryptionFailed) as exc:
            problems.append(str(exc))
    return problems
