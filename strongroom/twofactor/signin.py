"""The second step of staff sign-in. After the password, a user with a second factor is not signed
in yet: the session only remembers who they said they are, for five minutes and five wrong answers.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest

from strongroom.accounts.models import User
from strongroom.audit.actions import record_now
from strongroom.audit.actors import ANONYMOUS

PENDING = "twofactor.pending"
MAX_SECONDS = 5 * 60
MAX_FAILURES = 5


def start(request: HttpRequest, user: Any, next_url: str) -> None:
    """Remember the user whose password was right; nobody is signed in yet."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": str(user.pk),
        "at": int(time.time()),
        "failures": 0,
        "backend": getattr(user, "backend", ""),
        "next": next_url,
    }


def pending_user(request: HttpRequest) -> User | None:
    """The user half-way through signing in, or None (never started, expired, or cancelled)."""
    pending = request.session.get(PENDING)
    if not pending:
        return None
    if time.time() - pending["at"] > MAX_SECONDS:
        cancel(request)
        return None
    return User.objects.filter(pk=pending["user"], is_active=True).first()


def cancel(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)


def failed(request: HttpRequest, user: User, method: str) -> bool:
    """Count a wrong answer (audited); True when it was the last one allowed and sign-in is cancelled."""
    pending = request.session[PENDING]
    pending["failures"] += 1
    request.session[PENDING] = pending
    locked = bool(pending["failures"] >= MAX_FAILURES)
    record_now(ANONYMOUS, "twofactor.failed", user, subject=user.subject_id, method=method,
               failures=pending["failures"], cancelled=locked)
    if locked:
        cancel(request)
    return locked


def succeed(request: HttpRequest, user: User, method: str) -> str:
    """Sign the user in for real; returns where to go next."""
    pending = request.session.pop(PENDING)
    login(request, user, backend=pending["backend"] or None)
    record_now(user, "twofactor.succeeded", user, subject=user.subject_id, method=method)
    return str(pending["next"])
