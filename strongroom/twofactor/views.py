"""Pages of two-factor sign-in: managing one's factors, and the second step of signing in."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from strongroom.accounts.models import User
from strongroom.signin.reauth import recent_login_required
from strongroom.twofactor import actions, passkeys, signin, totp
from strongroom.twofactor.models import Passkey, RecoveryCode, TotpDevice
from strongroom.twofactor.policy import has_factor, required_for


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _refusal(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- managing one's factors ----------------------------------------------------------------------


@never_cache
@login_required
def manage(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    context = {
        "totp": device,
        "passkeys": Passkey.objects.filter(user=user).order_by("created_at"),
        "codes_left": RecoveryCode.objects.filter(user=user, used_at__isnull=True).count(),
        "has_factor": has_factor(user),
        "required": required_for(user),
    }
    return render(request, "twofactor/manage.html", context)


def _codes_page(request: HttpRequest, codes: list[str]) -> HttpResponse:
    response = render(request, "twofactor/codes.html", {"codes": codes})
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@recent_login_required()
@require_http_methods(["GET", "POST"])
def totp_enrol(request: HttpRequest) -> HttpResponse:
    """GET: a QR code and the secret. POST: the first code, which turns the authenticator on."""
    user = _user(request)
    try:
        device = actions.do_start_totp(user)
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
        return redirect("twofactor:setup")
    error, status = "", 200
    if request.method == "POST":
        try:
            codes = actions.do_confirm_totp(user, request.POST.get("code", ""))
        except ValidationError as exc:
            error, status = _refusal(exc), 400
        else:
            messages.success(request, _("Your authenticator app is set up."))
            return _codes_page(request, codes) if codes else redirect("twofactor:setup")
    context = {"secret": totp.secret_text(device), "error": error}
    return render(request, "twofactor/totp.html", context, status=status)


@never_cache
@login_required
def totp_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of an authenticator being set up; none once it is confirmed."""
    device = TotpDevice.objects.filter(user=_user(request), confirmed_at__isnull=True).first()
    if device is None:
        raise Http404("No authenticator is being set up.")
    return HttpResponse(totp.qr_svg(device), content_type="image/svg+xml")


def _removal(request: HttpRequest, remove: Any, *args: Any) -> HttpResponse:
    try:
        remove(_user(request), *args)
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, _("Removed."))
    return redirect("twofactor:setup")


@require_POST
@login_required
@recent_login_required()
def totp_remove(request: HttpRequest) -> HttpResponse:
    return _removal(request, actions.do_remove_totp)


@require_POST
@login_required
@recent_login_required()
def passkey_remove(request: HttpRequest, passkey_id: Any) -> HttpResponse:
    return _removal(request, actions.do_remove_passkey, passkey_id)


@require_POST
@login_required
@recent_login_required()
def recovery_regenerate(request: HttpRequest) -> HttpResponse:
    try:
        codes = actions.do_regenerate_recovery_codes(_user(request))
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
        return redirect("twofactor:setup")
    return _codes_page(request, codes)


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _options(payload: str) -> HttpResponse:
    return HttpResponse(payload, content_type="application/json", headers={"Cache-Control": "no-store"})


@require_POST
@login_required
@recent_login_required()
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    return _options(passkeys.registration_options(request.session, _user(request)))


@require_POST
@login_required
@recent_login_required()
def passkey_register(request: HttpRequest) -> JsonResponse:
    """The browser's answer to navigator.credentials.create(), as JSON: {nickname, credential}."""
    body = _json_body(request)
    try:
        new = passkeys.verify_registration(request.session, body.get("credential"))
        actions.do_add_passkey(_user(request), str(body.get("nickname", "")), new)
    except passkeys.CeremonyFailed as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except ValidationError as exc:
        return JsonResponse({"error": _refusal(exc)}, status=400)
    messages.success(request, _("Your passkey is registered."))
    return JsonResponse({"redirect": reverse("twofactor:setup")})


# --- the second step of signing in ---------------------------------------------------------------


def _start_again(request: HttpRequest) -> HttpResponse:
    messages.error(request, _("Your sign-in expired or was cancelled; sign in again."))
    return redirect("login")


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Offer the user's factors; a right answer signs them in, the fifth wrong one starts over."""
    user = signin.pending_user(request)
    if user is None:
        return _start_again(request)
    error = ""
    if request.method == "POST":
        method = "recovery" if request.POST.get("method") == "recovery" else "totp"
        code = request.POST.get("code", "")
        ok = actions.use_recovery_code(user, code) if method == "recovery" else actions.check_totp(user, code)
        if ok:
            return redirect(signin.succeed(request, user, method))
        if signin.failed(request, user, method):
            messages.error(request, _("Too many wrong answers. Sign in again."))
            return redirect("login")
        error = _("That code is not right, or was already used.")
    context = {
        "has_totp": TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists(),
        "has_passkey": Passkey.objects.filter(user=user).exists(),
        "error": error,
    }
    return render(request, "twofactor/verify.html", context, status=400 if error else 200)


@require_POST
def passkey_sign_in_options(request: HttpRequest) -> HttpResponse:
    user = signin.pending_user(request)
    if user is None:
        return JsonResponse({"redirect": reverse("login")}, status=403)
    return _options(passkeys.authentication_options(request.session, user))


@require_POST
def passkey_sign_in(request: HttpRequest) -> JsonResponse:
    user = signin.pending_user(request)
    if user is None:
        return JsonResponse({"redirect": reverse("login")}, status=403)
    try:
        passkey = passkeys.verify_authentication(request.session, user, _json_body(request).get("credential"))
    except passkeys.CeremonyFailed as exc:
        if signin.failed(request, user, "passkey"):
            messages.error(request, _("Too many wrong answers. Sign in again."))
            return JsonResponse({"redirect": reverse("login")}, status=403)
        return JsonResponse({"error": str(exc)}, status=400)
    actions.do_use_passkey(passkey)
    return JsonResponse({"redirect": signin.succeed(request, user, "passkey")})
