"""The hash chain: how an event's hash is computed, and how a chain is verified.

Each event's hash is an HMAC-SHA256, keyed by a key derived from the installation's keyring key,
over the event's content and the previous event's hash. Without the master key, someone who can
write to the database cannot rebuild a consistent chain after changing an event.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from typing import Any

from strongroom.audit.models import ChainHead, Event
from strongroom.crypto import keys

GENESIS = "0" * 64


def event_hash(event: Event) -> str:
    """HMAC-SHA256 over every stored field of the event and the previous event's hash."""
    ip = bytes(event.ip_sealed).hex() if event.ip_sealed is not None else None
    content: dict[str, Any] = {
        "chain": event.chain, "seq": event.seq, "created_at": event.created_at.isoformat(),
        "workspace": str(event.workspace) if event.workspace else None,
        "actor_kind": event.actor_kind, "actor_id": event.actor_id, "action": event.action,
        "target_type": event.target_type, "target_id": event.target_id,
        "subject": str(event.subject) if event.subject else None, "ip_sealed": ip,
        "extra": event.extra, "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(keys.audit_chain_key(), canonical.encode("ascii"), "sha256").hexdigest()


@dataclass(frozen=True)
class ChainReport:
    chain: str
    events: int
    problem: str | None  # the first broken link, as a sentence; None when the chain is intact

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(chain: str) -> ChainReport:
    """Walk the chain in order and name the first event that was altered, removed or inserted."""
    expected_seq, prev_hash, count = 1, GENESIS, 0
    for event in Event.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
        count += 1
        if event.seq < expected_seq:
            return ChainReport(chain, count, (
                f"event {event.seq} (id {event.id}, {event.action}) was inserted: chain {chain} "
                f"already has an event {event.seq}"))
        if event.seq != expected_seq:
            return ChainReport(chain, count, (
                f"event {expected_seq} of chain {chain} is missing (removed): the next event found "
                f"is {event.seq} (id {event.id}, {event.action})"))
        if event.prev_hash != prev_hash:
            return ChainReport(chain, count, (
                f"event {event.seq} (id {event.id}, {event.action}) does not follow event "
                f"{event.seq - 1}: it was inserted, or the event before it was replaced"))
        if event_hash(event) != event.hash:
            return ChainReport(chain, count, (
                f"event {event.seq} (id {event.id}, {event.action}) was altered: its content no "
                "longer matches its hash"))
        expected_seq, prev_hash = expected_seq + 1, event.hash
    head = ChainHead.objects.filter(chain=chain).first()
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        if head.seq > last_seq:
            return ChainReport(chain, count, (
                f"events {last_seq + 1} to {head.seq} of chain {chain} were removed from its end"))
        if head.seq < last_seq:
            return ChainReport(chain, count, (
                f"events {head.seq + 1} to {last_seq} of chain {chain} were inserted after its "
                "recorded end"))
        return ChainReport(chain, count, (
            f"event {last_seq} of chain {chain} was altered: it does not match the chain's recorded end"))
    return ChainReport(chain, count, None)


def all_chains() -> list[str]:
    names = set(ChainHead.objects.values_list("chain", flat=True))
    names |= set(Event.objects.values_list("chain", flat=True).distinct())
    return sorted(names)
