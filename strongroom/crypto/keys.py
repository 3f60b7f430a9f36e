"""The key hierarchy: master key (provider) -> keyring key (one per workspace) -> subject key.

Only wrapped keys are stored. Unwrapped keyring keys are memoised per process by keyring id: a
keyring key never changes (rotation re-wraps it, it does not replace it). A subject key is wrapped
under a key derived from its keyring key and its subject secret (subject_secrets.py, outside the
database). Subject keys are unwrapped on each use from the row just read and the secret file just
read, never cached, so a destroyed subject key is gone everywhere at once.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from strongroom.crypto import primitives
from strongroom.crypto.errors import DecryptionFailed, MasterKeyError, SubjectErased, SubjectSecretMissing
from strongroom.crypto.models import Keyring, SubjectKey
from strongroom.crypto.providers import get_provider
from strongroom.crypto.subject_secrets import FOLDER, secret_store

if TYPE_CHECKING:
    from strongroom.accounts.models import Workspace

log = logging.getLogger(__name__)

_keyring_keys: dict[UUID, bytes] = {}
_derived: dict[str, bytes] = {}
_lock = threading.Lock()


def _keyring_aad(keyring_id: UUID) -> bytes:
    return f"strongroom:keyring:{keyring_id}".encode()


def _subject_aad(subject_id: UUID | str, keyring_id: UUID | str) -> bytes:
    return f"strongroom:subject:{subject_id}:{keyring_id}".encode()


def _subject_wrapping_key(keyring_key: bytes, secret: bytes, subject_id: UUID | str,
                          keyring_id: UUID | str) -> bytes:
    """The key a bound subject key is wrapped under: useless without either the keyring key or the secret."""
    # Both inputs are 32 random bytes, so their concatenation is unambiguous input keying material.
    return primitives.derive_key(keyring_key + secret, f"strongroom:subject-wrap:{subject_id}:{keyring_id}")


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
    """A new data subject with a fresh random key, wrapped under the keyring key and a new secret.

    The secret is on disk before the row is saved, so no committed subject ever lacks its secret;
    if the caller's transaction rolls back, the secret is an orphan that `sweep_subject_secrets`
    removes.
    """
    subject = SubjectKey(keyring=keyring, kind=kind, secret_held=True)
    ring_key = keyring_key(keyring.id)  # fails before anything is written if the master key is missing
    secret = secret_store().create(subject.id)
    wrapping = _subject_wrapping_key(ring_key, secret, subject.id, keyring.id)
    aad = _subject_aad(subject.id, keyring.id)
    subject.wrapped_key = primitives.seal(wrapping, primitives.random_key(), aad)
    subject.save()
    return subject


def _erased(subject: SubjectKey) -> SubjectErased:
    when = subject.destroyed_at.date().isoformat() if subject.destroyed_at else "an earlier date"
    return SubjectErased(f"the personal data of {subject} was erased on {when} and cannot be read")


def subject_key(subject: SubjectKey) -> bytes:
    """The subject's key; SubjectErased once it has been destroyed.

    SubjectSecretMissing if the subject is live but its secret is not in the key folder.
    """
    if subject.wrapped_key is None:
        raise _erased(subject)
    subject_id, keyring_id = str(subject.id), str(subject.keyring_id)  # once: a page opens dozens
    aad = _subject_aad(subject_id, keyring_id)
    wrapping = keyring_key(subject.keyring_id)
    if subject.secret_held:
        secret = secret_store().read(subject_id)
        if secret is None:
            raise _missing_secret(subject)
        wrapping = _subject_wrapping_key(wrapping, secret, subject_id, keyring_id)
    try:
        return primitives.unseal(wrapping, bytes(subject.wrapped_key), aad)
    except DecryptionFailed:
        if not subject.secret_held:
            bound = SubjectKey.objects.filter(pk=subject.pk, secret_held=True).first()
            if bound is not None:  # `keys bind-subjects` re-wrapped it since `subject` was read
                return subject_key(bound)
            raise
        raise DecryptionFailed(
            f"the key of {subject} does not open: its wrapped key was altered, or its secret "
            f"{secret_store().path(subject.id)} is not the one it was made with (a file from another "
            "installation, or from a key backup of another time)"
        ) from None


def _missing_secret(subject: SubjectKey) -> SubjectErased | SubjectSecretMissing:
    """Why a subject has no secret: erased meanwhile (SubjectErased) or a damaged key folder."""
    current = SubjectKey.objects.filter(pk=subject.pk).first()
    if current is None or current.wrapped_key is None:
        return _erased(current or subject)  # destroyed since `subject` was read
    store = secret_store()
    where = str(store.path(subject.id)) if store.root.is_dir() else f"the folder {store.root}"
    return SubjectSecretMissing(
        f"{subject} has not been erased but its secret is missing ({where} does not exist): the "
        f"{FOLDER}/ folder of the key folder is incomplete. Restore it from your key-folder backup "
        "(the newest one), or point STRONGROOM_KEY_DIR at the folder that holds it"
    )


def destroy_subject_key(subject: SubjectKey, actor: object, *, reason: str = "") -> None:
    """Crypto-shredding: forget the subject's key, so all their sealed data is unreadable for good.

    The row is nulled (with its audit event) in the caller's transaction; the secret file is deleted
    only once that transaction has committed. Deleting it earlier could leave a live subject without
    its secret if the transaction rolled back; deleting it later leaves, at worst (a crash in
    between), the secret of an erased subject, which opens nothing in the live database and which
    `sweep_subject_secrets` deletes. Calling this again for an erased subject deletes it too.
    """
    from strongroom.audit.actions import record

    with transaction.atomic():
        locked = SubjectKey.objects.select_for_update().get(pk=subject.pk)
        transaction.on_commit(functools.partial(_delete_secret, locked.pk))
        if locked.wrapped_key is None:
            return
        locked.wrapped_key = None
        locked.destroyed_at = timezone.now()
        locked.save(update_fields=["wrapped_key", "destroyed_at"])
        workspace = locked.keyring.workspace
        record(actor, "key.subject_destroyed", locked, subject=locked, workspace=workspace, reason=reason)
    subject.wrapped_key, subject.destroyed_at = None, locked.destroyed_at


def _delete_secret(subject_id: UUID) -> None:
    try:
        secret_store().delete(subject_id)
    except OSError:
        # The erasure is committed: the live database cannot open the subject any more. Only old
        # database backups could, with this file; the sweep deletes it (and `keys status` counts it).
        log.exception("could not delete the secret of erased subject %s; run `keys sweep-secrets`",
                      subject_id)


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


@dataclass(frozen=True)
class BindReport:
    bound: int
    remaining: int


def bind_subject_secrets(actor: object, batch_size: int = 100) -> BindReport:
    """Bind subjects made before subject secrets existed to a new secret: re-wrap their key under it.

    One transaction per subject, each audited; safe to stop at any point and run again. The subject
    key itself does not change (nothing else is re-encrypted), so a database backup taken before
    the binding still opens the subject with the keyring key alone until that backup ages out.
    """
    done = 0
    while True:
        ids = list(
            SubjectKey.objects.filter(secret_held=False).exclude(wrapped_key=None)
            .order_by("pk").values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            break
        done += sum(_bind_subject(subject_id, actor) for subject_id in ids)
    remaining = SubjectKey.objects.filter(secret_held=False).exclude(wrapped_key=None).count()
    return BindReport(bound=done, remaining=remaining)


def _bind_subject(subject_id: UUID, actor: object) -> int:
    from strongroom.audit.actions import record

    store = secret_store()
    with transaction.atomic():
        subject = SubjectKey.objects.select_for_update().select_related("keyring").get(pk=subject_id)
        if subject.secret_held or subject.wrapped_key is None:
            return 0
        aad = _subject_aad(subject.id, subject.keyring_id)
        ring_key = keyring_key(subject.keyring_id)
        key = primitives.unseal(ring_key, bytes(subject.wrapped_key), aad)
        # An interrupted run may have left this subject a secret already: it is complete (secrets
        # appear whole or not at all) and never replaced, so it is used, not made again.
        secret = store.read(subject.id) or store.create(subject.id)
        wrapping = _subject_wrapping_key(ring_key, secret, subject.id, subject.keyring_id)
        subject.wrapped_key, subject.secret_held = primitives.seal(wrapping, key, aad), True
        subject.save(update_fields=["wrapped_key", "secret_held"])
        record(actor, "key.subject_bound", subject, subject=subject, workspace=subject.keyring.workspace)
    return 1


@dataclass(frozen=True)
class SecretCensus:
    """What `keys status` says of the subject secret store."""

    held: int  # live subjects bound to a secret that is there
    missing: list[UUID]  # live subjects bound to a secret that is not there: a damaged key folder
    unbound: int  # live subjects made before subject secrets (`keys bind-subjects`)
    orphaned: int  # secrets whose subject is erased or absent (`keys sweep-secrets`)
    temporary: int  # temporary files a crash left behind (`keys sweep-secrets`)


def subject_secret_census() -> SecretCensus:
    store = secret_store()
    store.check_permissions()
    found = list(store.scan())
    stored = {item.subject_id for item in found if item.subject_id is not None}
    live = dict(SubjectKey.objects.exclude(wrapped_key=None).values_list("id", "secret_held"))
    bound = {subject_id for subject_id, held in live.items() if held}
    return SecretCensus(
        held=len(bound & stored),
        missing=sorted(bound - stored),
        unbound=len(live) - len(bound),
        orphaned=len(stored - live.keys()),
        temporary=len(found) - len(stored),
    )


@dataclass(frozen=True)
class SweepReport:
    erased: int  # secrets of erased subjects deleted
    abandoned: int  # secrets of subjects never committed, and temporary files, deleted
    kept_recent: int  # secrets without a subject row, kept because they are younger than the grace


def sweep_subject_secrets(actor: object, grace: timedelta = timedelta(hours=24)) -> SweepReport:
    """Delete the secrets no live subject needs. Never a live subject's; safe to run at any time.

    - the subject is erased: deleted at once (its destruction committed; the secret could only open
      old database backups);
    - no subject row: deleted once older than `grace`. A transaction that rolled back leaves such a
      secret, but so does one still running (the secret is written before the row), hence the grace;
    - temporary files a crash left behind: deleted once older than `grace`.
    """
    from strongroom.audit.actions import record

    store, cutoff = secret_store(), time.time() - grace.total_seconds()
    found = list(store.scan())
    erased = abandoned = kept = 0
    for start in range(0, len(found), 500):
        batch = found[start : start + 500]
        ids = [item.subject_id for item in batch if item.subject_id is not None]
        rows = SubjectKey.objects.filter(pk__in=ids)
        present = set(rows.values_list("id", flat=True))
        live = set(rows.exclude(wrapped_key=None).values_list("id", flat=True))
        for item in batch:
            if item.subject_id in live:
                continue
            if item.subject_id in present:
                erased += store.remove(item)
            elif item.modified < cutoff:
                abandoned += store.remove(item)
            else:
                kept += 1
    if erased or abandoned:
        with transaction.atomic():
            record(actor, "key.subject_secrets_swept", None, erased=erased, abandoned=abandoned)
    return SweepReport(erased=erased, abandoned=abandoned, kept_recent=kept)
