"""Staff of a workspace that requires two-factor sign-in set a factor up before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from strongroom.twofactor.policy import has_factor, required_for

# Client-side pages (portal, public rights pages), signing out, and the setup pages themselves.
ALWAYS_OPEN = ("/p/", "/portal/", "/static/", "/healthz", "/logout/")


class RequireTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith((*ALWAYS_OPEN, reverse("twofactor:setup")))
            and required_for(user)
            and not has_factor(user)
        ):
            return redirect("twofactor:setup")
        return self.get_response(request)
