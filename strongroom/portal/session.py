"""Which link a portal visitor came in by, and what they have proved since (password, code).

The token appears in one URL only, `/p/<token>`: that view swaps it for a session and redirects, so
it does not linger in the address bar or the browser history of every page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation

from strongroom.portal.links import usable
from strongroom.portal.models import PortalLink
from strongroom.portal.notice import has_acknowledged

LINK_KEY = "portal_link"
PASSWORD_OK = "portal_password_ok"  # noqa: S105 - a session key, not a password
CODE_OK = "portal_code_ok"


def not_found(request: HttpRequest) -> HttpResponse:
    """The same neutral page for every unknown, expired or revoked link, or missing session."""
    return render(request, "portal/not_found.html", status=404)


def start(request: HttpRequest, link: PortalLink) -> None:
    request.session.cycle_key()
    request.session[LINK_KEY] = str(link.pk)
    request.session[PASSWORD_OK] = False
    request.session[CODE_OK] = False


def current_link(request: HttpRequest) -> PortalLink | None:
    link_id = request.session.get(LINK_KEY)
    if not link_id:
        return None
    link = (
        PortalLink.objects.select_related(
            "request__workspace__keyring", "request__client__subject", "contributor"
        )
        .filter(pk=link_id)
        .first()
    )
    return link if link is not None and usable(link) else None


def language_of(link: PortalLink) -> str:
    person = link.contributor or link.request.client
    return str(person.language)


def next_step(request: HttpRequest, link: PortalLink) -> str | None:
    """The gate still to pass, as a URL name, or None when the visitor may see the checklist."""
    if link.password and not request.session.get(PASSWORD_OK):
        return "portal:password"
    if link.request.workspace.require_client_code and not request.session.get(CODE_OK):
        return "portal:code"
    if not has_acknowledged(link):
        return "portal:notice"
    return None


def portal_view(*, gate: str | None = None) -> Callable[..., Callable[..., HttpResponseBase]]:
    """Resolve the session's link (or show the neutral 404), enforce the gates in order, and speak
    the visitor's language. `gate` names the gate page itself, which is reachable at its turn."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            link = current_link(request)
            if link is None:
                return not_found(request)
            with translation.override(language_of(link)):
                step = next_step(request, link)
                if step is not None and step != gate:
                    return redirect(step)
                if step is None and gate in ("portal:password", "portal:code"):
                    return redirect("portal:home")
                try:
                    return view(request, link, *args, **kwargs)
                except Http404:
                    # Anything outside this link's request: the same neutral page, never another.
                    return not_found(request)

        return wrapped

    return decorate
