"""The second step of staff sign-in. After the password, a user with a second factor is not signed
in yet: the session only remembers who they said they are, for five minutes and five wrong answers.

Wrong answers are counted from the audit log, for the user in every session since this sign-in
began, so starting a second sign-in alongside does not buy more guesses.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest

from strongroom.accounts.models import User
from strongroom.audit.actions import record_now
from strongroom.audit.actors import ANONYMOUS
from strongroom.audit.models import Event

PENDING = "twofactor.pending"
MAX_SECONDS = 5 * 60
MAX_FAILURES = 5


def start(request: HttpRequest, user: Any, next_url: str) -> None:
    """Remember the user whose password was right; nobody is signed in yet."""
    request.session.cycle_key()
    request.session[PENDING] = {
        "user": str(user.pk),
        "at": time.time(),
        "backend": getattr(user, "backend", ""),
        "next": next_url,
    }


def pending_user(request: HttpRequest) -> User | None:
    """The user half-way through signing in, or None (never started, expired, or cancelled)."""
    pending = request.session.get(PENDING)
    if not pending:
        return None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or time.time() - pending["at"] > MAX_SECONDS or _failures(user, pending) >= MAX_FAILURES:
        cancel(request)
        return None
    return user


def _failures(user: User, pending: dict[str, Any]) -> int:
    since = datetime.fromtimestamp(pending["at"], tz=UTC)
    wrong = Event.objects.filter(action="twofactor.failed", subject=user.subject_id, created_at__gte=since)
    return wrong.count()


def cancel(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)


def failed(request: HttpRequest, user: User, method: str) -> bool:
    """Count a wrong answer (audited); True when it was the last one allowed and sign-in is cancelled."""
    from strongroom.signin import throttle

    failures = _failures(user, request.session[PENDING]) + 1
    locked = failures >= MAX_FAILURES
    # Also against the account's sign-in throttle, so that signing in again brings no fresh guesses.
    throttle.note_failure(user.email, request.META.get("REMOTE_ADDR"))
    record_now(ANONYMOUS, "twofactor.failed", user, subject=user.subject_id, method=method,
               failures=failures, cancelled=locked)
    if locked:
        cancel(request)
    return locked


def succeed(request: HttpRequest, user: User, method: str) -> str:
    """Sign the user in for real; returns where to go next."""
    pending = request.session.pop(PENDING)
    from strongroom.signin import throttle

    login(request, user, backend=pending["backend"] or None)
    throttle.note_success(user.email)
    record_now(user, "twofactor.succeeded", user, subject=user.subject_id, method=method)
    record_now(user, "login.succeeded", user, subject=user.subject_id, ip=request.META.get("REMOTE_ADDR"),
               second_factor=method)
    return str(pending["next"])
