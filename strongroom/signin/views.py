"""Pages of signing in safely: forgotten and changed passwords, one's sessions, re-authentication."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from strongroom.accounts.models import User
from strongroom.accounts.views import throttled_message
from strongroom.audit.actions import record_now
from strongroom.signin import passwords, reauth, sessions, throttle
from strongroom.signin.forms import (
    ChangePasswordForm,
    NewPasswordFields,
    ReauthForm,
    ReauthWithCodeForm,
    ResetRequestForm,
)
from strongroom.signin.models import StaffSession
from strongroom.twofactor import passkeys
from strongroom.twofactor.actions import do_use_passkey, second_factor_ok
from strongroom.twofactor.models import Passkey
from strongroom.twofactor.policy import has_authenticator_app, has_factor


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- forgotten password ------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. The answer is the same whether or not an account has the e-mail."""
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        passwords.do_request_password_reset(form.cleaned_data["email"], get_language())
        return render(request, "signin/password_reset_sent.html")
    return render(request, "signin/password_reset.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = passwords.user_for_reset(uidb64, token)
    if user is None:
        return render(request, "signin/password_reset_invalid.html", status=404)
    form = NewPasswordFields(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            passwords.do_reset_password(user, token, form.cleaned_data["new_password"])
        except ValidationError as exc:
            form.add_error("new_password", exc)
        else:
            if request.user.is_authenticated:
                logout(request)
            messages.success(request, _("Your password is set. Sign in with it."))
            return redirect("login")
    return render(request, "signin/password_reset_confirm.html", {"form": form},
                  status=400 if form.errors else 200)


# --- changing one's password -------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's password (the current one first); every other session ends."""
    form = ChangePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _user(request)
        try:
            passwords.do_change_password(
                user, form.cleaned_data["current_password"], form.cleaned_data["new_password"],
                keep=sessions.current(request),
            )
        except PermissionDenied as exc:
            form.add_error("current_password", str(exc))
        except ValidationError as exc:
            form.add_error("new_password", exc)
        else:
            update_session_auth_hash(request, user)
            reauth.mark_reauthenticated(request)
            messages.success(request, _("Your password was changed; your other sessions were ended."))
            return redirect("rights:account")
    return render(request, "signin/password_change.html", {"form": form}, status=400 if form.errors else 200)


# --- sessions ----------------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET"])
def session_list(request: HttpRequest) -> HttpResponse:
    this = sessions.current(request)
    rows = list(sessions.open_sessions(_user(request)))
    return render(request, "signin/sessions.html", {"rows": rows, "this_id": this.pk if this else None})


@require_POST
@login_required
def session_revoke(request: HttpRequest, session_id: Any) -> HttpResponseBase:
    this = sessions.current(request)
    try:
        sessions.do_revoke_session(_user(request), session_id)
    except StaffSession.DoesNotExist:
        raise Http404("No such session.") from None
    if this is not None and this.pk == session_id:
        logout(request)
        return redirect("login")
    messages.success(request, _("That session was ended."))
    return redirect("signin:sessions")


@require_POST
@login_required
def session_revoke_others(request: HttpRequest) -> HttpResponseBase:
    count = sessions.do_revoke_other_sessions(_user(request), sessions.current(request))
    messages.success(request, _("Sessions ended: %(count)d.") % {"count": count})
    return redirect("signin:sessions")


# --- re-authentication -------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Confirm it is you before a sensitive action, then go back to it: a passkey on its own, or the
    password with, for a user who has a second factor, an authenticator code or a recovery code."""
    user = _user(request)
    target = reauth.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    with_code = has_factor(user)
    form = ReauthWithCodeForm(request.POST or None, app=has_authenticator_app(user)) if with_code else (
        ReauthForm(request.POST or None)
    )
    if request.method == "POST" and form.is_valid():
        ip = request.META.get("REMOTE_ADDR")
        refused = throttle.check(user.email, ip)
        if refused is not None:
            form.add_error(None, throttled_message(refused.minutes))
        elif not user.check_password(form.cleaned_data["password"]):
            throttle.note_failure(user.email, ip)
            record_now(user, "login.reauth_failed", user, subject=user.subject_id)
            form.add_error("password", _("That is not your password."))
        # The code is tried only after the right password, so a wrong password spends no recovery code.
        elif with_code and not second_factor_ok(user, form.cleaned_data["code"]):
            throttle.note_failure(user.email, ip)
            record_now(user, "login.reauth_failed", user, subject=user.subject_id, reason="second factor")
            form.add_error("code", _("That code is not right, or was already used."))
        else:
            throttle.note_success(user.email)
            record_now(user, "login.reauthenticated", user, subject=user.subject_id)
            reauth.mark_reauthenticated(request)
            return redirect(target)
    context = {"form": form, "next": target, "has_passkey": Passkey.objects.filter(user=user).exists()}
    return render(request, "signin/reauth.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def reauth_passkey_options(request: HttpRequest) -> HttpResponse:
    """A passkey confirms it is the user on its own: it is something they hold, unlocked by them."""
    payload = passkeys.authentication_options(request.session, _user(request))
    return HttpResponse(payload, content_type="application/json", headers={"Cache-Control": "no-store"})


@require_POST
@login_required
def reauth_passkey(request: HttpRequest) -> JsonResponse:
    user = _user(request)
    ip = request.META.get("REMOTE_ADDR")
    refused = throttle.check(user.email, ip)
    if refused is not None:
        return JsonResponse({"error": throttled_message(refused.minutes)}, status=429)
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    credential = body.get("credential") if isinstance(body, dict) else None
    try:
        passkey = passkeys.verify_authentication(request.session, user, credential)
    except passkeys.CeremonyFailed as exc:
        throttle.note_failure(user.email, ip)
        record_now(user, "login.reauth_failed", user, subject=user.subject_id, reason="passkey")
        return JsonResponse({"error": str(exc)}, status=400)
    do_use_passkey(passkey)
    throttle.note_success(user.email)
    record_now(user, "login.reauthenticated", user, subject=user.subject_id, method="passkey")
    reauth.mark_reauthenticated(request)
    return JsonResponse({"redirect": reauth.safe_next(request, request.GET.get("next"))})
