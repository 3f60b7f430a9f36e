"""Who acted: a staff user, a client's portal session, the system itself, or an operator at the console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    kind: str  # "staff", "client", "system", "operator", "anonymous"
    id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


SYSTEM = Actor("system", "strongroom")
ANONYMOUS = Actor("anonymous", "")


def operator(command: str = "cli") -> Actor:
    """Someone with shell access running a management command."""
    return Actor("operator", command)


def actor_of(who: Any) -> Actor:
    """The Actor for a staff user, a portal session (anything with `audit_actor()`), or an Actor."""
    if isinstance(who, Actor):
        return who
    if who is None:
        return ANONYMOUS
    if hasattr(who, "audit_actor"):
        actor: Actor = who.audit_actor()
        return actor
    from strongroom.accounts.models import User

    if isinstance(who, User):
        return Actor("staff", str(who.pk))
    raise TypeError(f"cannot record {type(who).__name__} as an audit actor")
