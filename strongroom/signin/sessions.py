"""Staff sessions: one row per signed-in browser, so a user sees where they are signed in, ends any of
them, and idle or too-old sessions end on their own.

The session itself stays in Django's session store; its row here is the authority on whether it may
go on. A session whose row is missing or ended is signed out at its next request.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any, Final

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from strongroom.accounts.models import User
from strongroom.audit.actions import record
from strongroom.signin.models import StaffSession

SESSION_ID: Final = "staff_session"
REAUTH_AT: Final = "reauth_at"
# `last_seen_at` is written at most this often: not one database write per request.
TOUCH_EVERY: Final = timedelta(seconds=60)


class EndReason:
    SIGNED_OUT = "signed_out"
    IDLE = "idle"
    EXPIRED = "expired"
    REVOKED = "revoked"
    PASSWORD = "password_changed"  # noqa: S105 - a reason code, not a password


def idle_limit() -> timedelta:
    return timedelta(minutes=int(getattr(settings, "STRONGROOM_SESSION_IDLE_MINUTES", 30)))


def max_lifetime() -> timedelta:
    return timedelta(hours=int(getattr(settings, "STRONGROOM_SESSION_MAX_HOURS", 12)))


def key_hash(session_key: str | None) -> str:
    return hashlib.sha256((session_key or "").encode("ascii", "replace")).hexdigest()


def device_summary(user_agent: str) -> str:
    """"Firefox on Linux": enough to recognise one's own device, not a fingerprint."""
    ua = user_agent.lower()
    browser = next(
        (name for token, name in (("edg/", "Edge"), ("firefox/", "Firefox"), ("chrome/", "Chrome"),
                                  ("safari/", "Safari")) if token in ua),
        "",
    )
    system = next(
        (name for token, name in (("iphone", "iOS"), ("ipad", "iOS"), ("android", "Android"),
                                  ("windows", "Windows"), ("mac os", "macOS"), ("linux", "Linux"))
         if token in ua),
        "",
    )
    if browser and system:
        return f"{browser} / {system}"
    return browser or system


def start(request: HttpRequest, user: User) -> StaffSession:
    """Open the row of a session that just signed in; a fresh sign-in counts as a recent one."""
    now = timezone.now()
    row = StaffSession.objects.create(
        user=user, key_hash=key_hash(request.session.session_key), created_at=now, last_seen_at=now,
        device=device_summary(request.META.get("HTTP_USER_AGENT", ""))[:100],
        ip=request.META.get("REMOTE_ADDR") or "",
    )
    request.session[SESSION_ID] = str(row.pk)
    request.session[REAUTH_AT] = now.timestamp()
    return row


def current(request: HttpRequest) -> StaffSession | None:
    """The open row of this request's session, or None (never opened, ended, or someone else's)."""
    session_id = request.session.get(SESSION_ID)
    if not session_id or not request.user.is_authenticated:
        return None
    try:
        return StaffSession.objects.filter(pk=session_id, user_id=request.user.pk, ended_at=None).first()
    except (ValueError, TypeError):
        return None


def open_sessions(user: User) -> QuerySet[StaffSession]:
    return StaffSession.objects.filter(user=user, ended_at=None).order_by("-last_seen_at")


def end(session: StaffSession, reason: str) -> None:
    StaffSession.objects.filter(pk=session.pk, ended_at=None).update(
        ended_at=timezone.now(), end_reason=reason
    )


def end_all(user: User, reason: str, *, keep: StaffSession | None = None) -> int:
    """End every open session of `user` but `keep`; returns how many ended. Inside the caller's
    transaction when there is one."""
    others = StaffSession.objects.filter(user=user, ended_at=None)
    if keep is not None:
        others = others.exclude(pk=keep.pk)
    return others.update(ended_at=timezone.now(), end_reason=reason)


def do_revoke_session(user: User, session_id: Any) -> None:
    """End one of the user's own sessions. Raises StaffSession.DoesNotExist for any other."""
    with transaction.atomic():
        row = StaffSession.objects.select_for_update().get(pk=session_id, user=user, ended_at=None)
        end(row, EndReason.REVOKED)
        record(user, "session.revoked", row, subject=user.subject_id)


def do_revoke_other_sessions(user: User, keep: StaffSession | None) -> int:
    with transaction.atomic():
        count = end_all(user, EndReason.REVOKED, keep=keep)
        record(user, "session.others_revoked", user, subject=user.subject_id, count=count)
    return count


def touch(request: HttpRequest, row: StaffSession) -> None:
    """Note activity; follow the session key when it changed (Django cycles it on password change)."""
    now = timezone.now()
    digest = key_hash(request.session.session_key)
    if now - row.last_seen_at >= TOUCH_EVERY or digest != row.key_hash:
        row.last_seen_at, row.key_hash = now, digest
        row.save(update_fields=["last_seen_at", "key_hash"])


def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session") and isinstance(user, User):
        start(request, user)


def _on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session") and isinstance(user, User):
        row = current(request)
        if row is not None:
            end(row, EndReason.SIGNED_OUT)


def connect() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="strongroom.signin.sessions.login")
    user_logged_out.connect(_on_logout, dispatch_uid="strongroom.signin.sessions.logout")
