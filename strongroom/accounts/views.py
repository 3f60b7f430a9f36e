"""Staff sign-in and the way into a workspace."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from strongroom.accounts.access import visible_workspaces
from strongroom.twofactor import signin
from strongroom.twofactor.policy import has_factor


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean(self) -> dict[str, Any]:
        # Refused before the password is checked, with the same words for any e-mail.
        from strongroom.signin.throttle import check

        email = self.cleaned_data.get("username")
        if email:
            ip = self.request.META.get("REMOTE_ADDR") if self.request is not None else None
            refused = check(email, ip)
            if refused is not None:
                raise forms.ValidationError(throttled_message(refused.minutes), code="throttled")
        return super().clean()


def throttled_message(minutes: int) -> str:
    return ngettext(
        "Too many attempts; try again in %(minutes)d minute.",
        "Too many attempts; try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        """A user with a second factor is not signed in yet: the two-factor step finishes it."""
        user = form.get_user()
        if has_factor(user):
            signin.start(self.request, user, self.get_success_url())
            return redirect("twofactor:verify")
        return super().form_valid(form)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Straight to the first workspace; a page of choices when there are several."""
    workspaces = list(visible_workspaces(request.user))  # type: ignore[arg-type]
    if len(workspaces) == 1:
        return redirect("staff:dashboard", workspace_id=workspaces[0].pk)
    return render(request, "staff/workspaces.html", {"workspaces": workspaces})
