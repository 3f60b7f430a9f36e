"""Sensitive actions ask for the password again when the last sign-in is not recent.

`recent_login_required` sends the user to `signin:reauth` and back. A GET comes back to the same
address; a POST cannot be replayed, so it comes back to the page its form was on (the referring
page when it is of this site, else the home page) for the user to submit again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from strongroom.signin.sessions import REAUTH_AT

ViewFunc = Callable[..., HttpResponseBase]


def mark_reauthenticated(request: HttpRequest) -> None:
    request.session[REAUTH_AT] = timezone.now().timestamp()


def is_recent(request: HttpRequest, minutes: int) -> bool:
    stamp = request.session.get(REAUTH_AT)
    if not isinstance(stamp, int | float):
        return False
    return timezone.now().timestamp() - stamp <= timedelta(minutes=minutes).total_seconds()


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """`candidate` when it is an address of this site, else the home page."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return str(reverse("home"))


def return_to(request: HttpRequest) -> str:
    """Where to come back after re-authenticating: this page for a GET, the form's page for a POST."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = str(request.META.get("HTTP_REFERER", ""))
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return str(reverse("home"))


def recent_login_required(
    minutes: int = 10, *, methods: Iterable[str] | None = None
) -> Callable[[ViewFunc], ViewFunc]:
    """Require a sign-in or a password re-entry within `minutes` (for `methods` only, when given)."""
    guarded = {m.upper() for m in methods} if methods is not None else None

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if (guarded is None or request.method in guarded) and not is_recent(request, minutes):
                target = f"{reverse('signin:reauth')}?{urlencode({'next': return_to(request)})}"
                if "application/json" in request.headers.get("Accept", ""):
                    # A page's script asked: it follows the address itself.
                    return JsonResponse({"redirect": target}, status=403)
                return redirect(target)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
