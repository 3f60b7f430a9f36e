"""Ends staff sessions that were revoked, left idle too long, or have lived too long."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from strongroom.signin import sessions
from strongroom.signin.sessions import EndReason

# The client portal keeps its own rules (link, password, code): a staff session is not its concern.
PORTAL_PREFIXES = ("/p/", "/portal/", "/rights/")


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated and not request.path.startswith(PORTAL_PREFIXES):
            ended = self._ended(request)
            if ended is not None:
                logout(request)
                messages.info(request, ended)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    def _ended(self, request: HttpRequest) -> str | None:
        """Why this session may not go on, or None (and the activity is noted)."""
        row = sessions.current(request)
        if row is None:
            return _("Your session has ended. Please sign in again.")
        now = timezone.now()
        idle = sessions.idle_limit()
        if now - row.last_seen_at > idle:
            sessions.end(row, EndReason.IDLE)
            minutes = int(idle.total_seconds() // 60)
            return ngettext(
                "Your session ended after %(minutes)d minute without activity.",
                "Your session ended after %(minutes)d minutes without activity.",
                minutes,
            ) % {"minutes": minutes}
        lifetime = sessions.max_lifetime()
        if now - row.created_at > lifetime:
            sessions.end(row, EndReason.EXPIRED)
            hours = int(lifetime.total_seconds() // 3600)
            return ngettext(
                "Your session ended after %(hours)d hour; please sign in again.",
                "Your session ended after %(hours)d hours; please sign in again.",
                hours,
            ) % {"hours": hours}
        sessions.touch(request, row)
        return None
