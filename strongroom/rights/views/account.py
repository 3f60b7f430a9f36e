"""The staff user's own account page: their data, their profile, closing the account."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from strongroom.accounts.models import User
from strongroom.rights import account


def _page(request: HttpRequest, status: int = 200, **errors: str) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "rights/account.html",
        {"profile_name": user.name, "profile_email": user.email, "errors": errors},
        status=status,
    )


@login_required
def account_page(request: HttpRequest) -> HttpResponse:
    """GET: the page. POST: correct one's profile (password again)."""
    if request.method != "POST":
        return _page(request)
    try:
        account.do_correct_profile(
            request.user,  # type: ignore[arg-type]
            request.POST.get("password", ""),
            name=request.POST.get("name", ""),
            email=request.POST.get("email", ""),
        )
    except PermissionDenied as exc:
        return _page(request, 400, profile=str(exc))
    except ValidationError as exc:
        return _page(request, 400, profile=" ".join(exc.messages))
    messages.success(request, _("Your profile was corrected."))
    return redirect("rights:account")


@require_POST
@login_required
def account_export(request: HttpRequest) -> HttpResponseBase:
    try:
        stream = account.do_download_my_data(request.user, request.POST.get("password", ""))  # type: ignore[arg-type]
    except PermissionDenied as exc:
        return _page(request, 400, export=str(exc))
    response = StreamingHttpResponse(stream, content_type="application/zip")
    name = f"my-strongroom-data-{timezone.localdate().isoformat()}.zip"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@login_required
def account_close(request: HttpRequest) -> HttpResponse:
    if request.POST.get("confirm") != "close":
        return _page(request, 400, close=_("Tick the box to confirm you want to close your account."))
    try:
        account.do_close_account(request.user, request.POST.get("password", ""))  # type: ignore[arg-type]
    except PermissionDenied as exc:
        return _page(request, 400, close=str(exc))
    except ValidationError as exc:
        return _page(request, 400, close=" ".join(exc.messages))
    logout(request)
    return render(request, "rights/account_closed.html")
