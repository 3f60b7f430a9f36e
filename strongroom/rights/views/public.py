"""The person's side of rights requests: "Your privacy rights" in the portal, confirming a request
logged by staff with the e-mailed code, and downloading an access package.

A package link carries a random token; like portal links it is swapped for a session at once, and
the download also needs a code e-mailed to the person (or their live portal session): the link
alone, forwarded or leaked, opens nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from strongroom.audit.actions import record
from strongroom.portal.models import PortalLink
from strongroom.portal.session import not_found, portal_view
from strongroom.rights import lifecycle, packages
from strongroom.rights.forms import CodeForm, PortalRightsForm
from strongroom.rights.models import AccessPackage, Channel, RightKind, RightsRequest, Verification
from strongroom.rights.restriction import active_restriction
from strongroom.vault.actions import read_blob

PACKAGE_KEY = "rights_package"
PACKAGE_OK = "rights_package_ok"


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _portal_context(link: PortalLink, **extra: Any) -> dict[str, Any]:
    workspace = link.request.workspace
    return {
        "link": link,
        "workspace": workspace,
        "accent": workspace.accent_colour,
        "request_obj": link.request,
        "restriction": active_restriction(link.request.client.subject_id),
    } | extra


@portal_view()
def portal_rights(request: HttpRequest, link: PortalLink) -> HttpResponse:
    """The rights a client has, their requests so far, and a form to make one (verified by the session)."""
    client = link.request.client
    if link.contributor_id is not None:
        # A contributor is another person: their own rights go through the workspace directly.
        return render(request, "rights/portal_contributor.html", _portal_context(link))
    form = PortalRightsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lifecycle.do_receive(
                link.request.workspace,
                client,
                data["kind"],
                channel=Channel.PORTAL,
                actor=link,
                details=data["details"],
                verified_by=Verification.PORTAL_SESSION,
            )
        except lifecycle.RightsError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(
                request,
                _("Your request was received. %(workspace)s must answer it by the date shown.")
                % {"workspace": link.request.workspace.name},
            )
            return redirect("rights:portal")
    mine = RightsRequest.objects.filter(client=client).prefetch_related("packages").order_by("-received_at")
    now = timezone.now()
    rows = [
        {"rr": rr, "packages": [p for p in rr.packages.all() if p.blob_id and p.expires_at > now]}
        for rr in mine
    ]
    return render(
        request,
        "rights/portal.html",
        _portal_context(link, form=form, rows=rows, kinds=RightKind.choices),
        status=400 if request.method == "POST" else 200,
    )


@portal_view()
def portal_package(request: HttpRequest, link: PortalLink, package_id: Any) -> HttpResponseBase:
    """The client downloads their package from the portal: their session proves who they are."""
    package = (
        AccessPackage.objects.select_related("rights_request", "blob__subject")
        .filter(pk=package_id, rights_request__client=link.request.client)
        .first()
    )
    if (
        link.contributor_id is not None
        or package is None
        or package.blob is None
        or package.expires_at <= timezone.now()
    ):
        _refused(request, link, link.request.workspace_id, "not_theirs_or_expired")
        return not_found(request)
    return _download(request, package, link)


def _refused(request: HttpRequest, actor: Any, workspace_id: Any, why: str) -> None:
    """A package link or id that opens nothing: the neutral page, and an audit event."""
    from strongroom.audit.actions import record_now
    from strongroom.audit.actors import ANONYMOUS

    record_now(actor or ANONYMOUS, "rights.package_refused", None, workspace=workspace_id, ip=_ip(request),
               why=why)


def _download(request: HttpRequest, package: AccessPackage, actor: Any) -> StreamingHttpResponse:
    blob = package.blob
    assert blob is not None
    with transaction.atomic():
        AccessPackage.objects.filter(pk=package.pk).update(downloads=package.downloads + 1)
        record(
            actor,
            "rights.package_downloaded",
            package,
            subject=blob.subject_id,
            workspace=package.rights_request.workspace_id,
            ip=_ip(request),
        )
    response = StreamingHttpResponse(read_blob(blob), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, str(blob.meta.get("name", "data.zip")))
    response["Content-Length"] = str(blob.size)
    response["Cache-Control"] = "no-store"
    return response


def _rights_request_for_code(rights_request_id: Any) -> RightsRequest | None:
    return (
        RightsRequest.objects.select_related("workspace__keyring", "client__subject", "subject")
        .filter(pk=rights_request_id)
        .first()
    )


def verify(request: HttpRequest, rights_request_id: Any) -> HttpResponse:
    """The person confirms a request logged on their behalf with the code e-mailed to them."""
    rights_request = _rights_request_for_code(rights_request_id)
    if rights_request is None or rights_request.client is None or rights_request.subject.is_destroyed:
        return not_found(request)
    with translation.override(str(rights_request.client.language)):
        form = CodeForm(request.POST or None)
        context = {
            "workspace": rights_request.workspace,
            "rr": rights_request,
            "form": form,
            "accent": rights_request.workspace.accent_colour,
        }
        if rights_request.state != "unverified":
            return render(request, "rights/verified.html", context)
        if request.method == "POST" and form.is_valid():
            if lifecycle.do_verify_with_code(rights_request, form.cleaned_data["code"], ip=_ip(request)):
                return render(request, "rights/verified.html", context)
            form.add_error(
                "code",
                _("That code is wrong, expired or used up. Ask %(workspace)s for a new one.")
                % {"workspace": rights_request.workspace.name},
            )
        return render(request, "rights/verify.html", context, status=400 if request.method == "POST" else 200)


def package_enter(request: HttpRequest, token: str) -> HttpResponse:
    package = packages.find_package(token)
    if package is None:
        _refused(request, None, None, "unknown_or_expired_link")
        return not_found(request)
    request.session.cycle_key()
    request.session[PACKAGE_KEY] = str(package.pk)
    request.session[PACKAGE_OK] = False
    return redirect("rights:package")


def _session_package(request: HttpRequest) -> AccessPackage | None:
    package_id = request.session.get(PACKAGE_KEY)
    if not package_id:
        return None
    package = (
        AccessPackage.objects.select_related(
            "rights_request__workspace__keyring", "rights_request__client", "blob__subject"
        )
        .filter(pk=package_id)
        .first()
    )
    if package is None or package.blob is None or package.expires_at <= timezone.now():
        return None
    return package


def package_page(request: HttpRequest) -> HttpResponseBase:
    """Ask for a code, enter it, then download."""
    from strongroom.rights.tasks import send_package_code

    package = _session_package(request)
    if package is None:
        return not_found(request)
    client = package.rights_request.client
    language = str(client.language) if client is not None else "en"
    with translation.override(language):
        form = CodeForm(request.POST if request.POST.get("action") == "check" else None)
        context = {
            "workspace": package.rights_request.workspace,
            "package": package,
            "form": form,
            "accent": package.rights_request.workspace.accent_colour,
            "unlocked": request.session.get(PACKAGE_OK, False),
        }
        if request.method == "POST" and request.POST.get("action") == "send":
            with transaction.atomic():
                package_id = str(package.pk)
                transaction.on_commit(lambda: send_package_code.enqueue(package_id))
            messages.success(request, _("A code is on its way to your e-mail address."))
            return redirect("rights:package")
        if request.method == "POST" and form.is_valid():
            if packages.check_package_code(package, form.cleaned_data["code"], ip=_ip(request)):
                request.session[PACKAGE_OK] = True
                return redirect("rights:package")
            form.add_error("code", _("That code is wrong, expired or used up. Ask for a new one."))
            return render(request, "rights/package.html", context, status=400)
        return render(request, "rights/package.html", context)


def package_download(request: HttpRequest) -> HttpResponseBase:
    package = _session_package(request)
    if package is None or not request.session.get(PACKAGE_OK):
        return not_found(request)
    from strongroom.audit.actors import Actor

    actor = Actor("client", str(package.rights_request.client_id or package.rights_request.subject_id))
    return _download(request, package, actor)


@portal_view()
def portal_correct(request: HttpRequest, link: PortalLink) -> HttpResponse:
    """Propose corrections to one's profile and answers (Art. 16)."""
    from django.core.exceptions import ValidationError

    from strongroom.rights import rectification

    if link.contributor_id is not None:
        return render(request, "rights/portal_contributor.html", _portal_context(link))
    client = link.request.client
    answers = rectification.correctable_answers(client)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        proposals: dict[str, Any] = {
            name: request.POST.get(name, "") for name in rectification.PROFILE_FIELDS
        }
        for answer in answers:
            key = f"item:{answer.pk}"
            if answer.question_type == "multiple_choice":
                proposals[key] = request.POST.getlist(key)
            else:
                proposals[key] = request.POST.get(key, "")
        try:
            rectification.do_propose(client, link, proposals, request.POST.get("details", ""))
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            messages.success(
                request,
                _("Your corrections were sent. %(workspace)s will accept or refuse each.")
                % {"workspace": link.request.workspace.name},
            )
            return redirect("rights:portal")
    profile = [(name, getattr(client, name)) for name in rectification.PROFILE_FIELDS]
    return render(
        request,
        "rights/portal_correct.html",
        _portal_context(
            link,
            profile=profile,
            answers=answers,
            errors=errors,
            posted=request.POST,
        ),
        status=400 if errors else 200,
    )
