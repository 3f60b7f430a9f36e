"""Writing audit events. `record` is the one way in."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from strongroom.audit.actors import actor_of
from strongroom.audit.chain import event_hash
from strongroom.audit.context import current_ip
from strongroom.audit.models import INSTALLATION_CHAIN, ChainHead, Event

MAX_EXTRA_BYTES = 2048
# No floats: PostgreSQL's jsonb rewrites some of them (1e20, -0.0), which would break the hash.
_SCALARS = (str, int, bool, type(None))


def _target(target: Any) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, Model):
        return target._meta.label_lower, str(target.pk)
    if isinstance(target, tuple) and len(target) == 2:
        return str(target[0]), str(target[1])
    raise TypeError(f"an audit target is a model instance or a (type, id) pair, not {target!r}")


def _workspace_of(target: Any, workspace: Any) -> UUID | None:
    if workspace is not None:
        return workspace if isinstance(workspace, UUID) else workspace.pk
    if isinstance(target, Model):
        if target._meta.label_lower == "accounts.workspace":
            return target.pk  # type: ignore[no-any-return]
        return getattr(target, "workspace_id", None)
    return None


def _check_extra(extra: dict[str, Any]) -> dict[str, Any]:
    """Extras are flat codes and ids: anything richer is where personal data would slip in."""
    clean = {k: (str(v) if isinstance(v, UUID) else v) for k, v in extra.items()}
    for key, value in clean.items():
        if not isinstance(value, _SCALARS) and not (
            isinstance(value, list | tuple) and all(isinstance(v, _SCALARS) for v in value)
        ):
            raise TypeError(f"audit extra {key!r} must be a plain value or a list of them")
    if len(repr(clean)) > MAX_EXTRA_BYTES:
        raise ValueError("audit extras are limited to short codes and ids")
    return clean


def _locked_head(chain: str) -> ChainHead:
    ChainHead.objects.bulk_create([ChainHead(chain=chain)], ignore_conflicts=True)
    return ChainHead.objects.select_for_update().get(chain=chain)


def _seal_ip(ip: str | None, workspace: UUID | None, chain: str, seq: int) -> bytes | None:
    if not ip:
        return None
    from strongroom.crypto import keys, primitives
    from strongroom.crypto.models import Keyring

    keyring = (
        Keyring.objects.filter(workspace_id=workspace).first()
        if workspace else Keyring.objects.filter(is_installation=True).first()
    )
    if keyring is None:
        return None
    aad = f"strongroom:audit-ip:{chain}:{seq}".encode()
    return primitives.seal(keys.keyring_key(keyring.id), ip.encode("ascii"), aad)


def record(
    actor: Any,
    action: str,
    target: Any,
    subject: Any = None,
    workspace: Any = None,
    ip: str | None = None,
    **extra: Any,
) -> Event:
    """Append one event to the workspace's chain, inside the caller's transaction.

    MUST be called inside `transaction.atomic()`, so the event commits or rolls back with the change
    it describes. `extra` holds codes and ids only, never personal data.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the change it records")
    who = actor_of(actor)
    target_type, target_id = _target(target)
    workspace_id = _workspace_of(target, workspace)
    chain = str(workspace_id) if workspace_id else INSTALLATION_CHAIN
    subject_id = subject.pk if isinstance(subject, Model) else subject
    head = _locked_head(chain)
    event = Event(
        chain=chain, seq=head.seq + 1, created_at=timezone.now(), workspace=workspace_id,
        actor_kind=who.kind, actor_id=who.id, action=action, target_type=target_type,
        target_id=target_id, subject=subject_id, extra=_check_extra(extra), prev_hash=head.hash,
    )
    event.ip_sealed = _seal_ip(ip or current_ip.get(), workspace_id, chain, event.seq)
    event.hash = event_hash(event)
    event.save(force_insert=True)
    head.seq, head.hash = event.seq, event.hash
    head.save(update_fields=["seq", "hash"])
    return event


def record_now(actor: Any, action: str, target: Any, **kwargs: Any) -> Event:
    """`record` in a transaction of its own, for events that describe no database change (a failed login)."""
    with transaction.atomic():
        return record(actor, action, target, **kwargs)
