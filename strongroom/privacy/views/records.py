"""The workspace's compliance page: its record of processing (Art. 30(1)), what is still missing from
it, and its exports; links to retention, breaches and sub-processors."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from strongroom.accounts.access import MANAGERS, require_role
from strongroom.audit.actions import record_now
from strongroom.privacy import records
from strongroom.privacy.dpia import flagged_templates
from strongroom.signin.reauth import recent_login_required

EXPORTS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", records.to_xlsx),
    "csv": ("text/csv; charset=utf-8", records.to_csv),
    "pdf": ("application/pdf", records.to_pdf),
}


@require_safe
@login_required
def compliance(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    """Owners and admins see the record as it stands and what it still lacks."""
    membership = require_role(request.user, workspace_id, MANAGERS)  # type: ignore[arg-type]
    record = records.controller_record(membership.workspace)
    return render(
        request,
        "compliance/home.html",
        {
            "workspace": membership.workspace,
            "record": record,
            "problems": record.problems(),
            "activities": [
                (a.purpose, [(label, a.values()[name]) for name, label in records.Activity.COLUMNS[1:]])
                for a in record.activities
            ],
            "is_owner": membership.role == "owner",
            "dpia_flagged": flagged_templates(membership.workspace),
        },
    )


@require_safe
@login_required
def record_export(request: HttpRequest, workspace_id: Any, fmt: str) -> HttpResponse:
    membership = require_role(request.user, workspace_id, MANAGERS)  # type: ignore[arg-type]
    if fmt not in EXPORTS:
        raise Http404("No such format.")
    content_type, render_record = EXPORTS[fmt]
    record = records.controller_record(membership.workspace)
    data = render_record(record)
    record_now(
        request.user, "records.exported", membership.workspace, format=fmt, missing=len(record.problems())
    )
    response = HttpResponse(data, content_type=content_type)
    slug = slugify(membership.workspace.name) or "workspace"
    name = f"record-of-processing-{slug}-{timezone.localdate()}.{fmt}"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@login_required
def dpa_page(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    """The agreement and its annex as they stand; owners sign the current version here."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect

    from strongroom.privacy import dpa

    membership = require_role(request.user, workspace_id, MANAGERS)  # type: ignore[arg-type]
    workspace = membership.workspace
    error = ""
    if request.method == "POST":
        if membership.role != "owner":
            raise PermissionDenied(_("Only the workspace's owners sign the agreement."))
        if request.POST.get("agree") != "yes":
            error = _("Tick the box to say you have read the agreement and its annex.")
        else:
            try:
                dpa.do_sign(
                    workspace,
                    request.user,  # type: ignore[arg-type]
                    version=request.POST.get("version", ""),
                    name=request.POST.get("name", ""),
                    role=request.POST.get("role", ""),
                    ip=request.META.get("REMOTE_ADDR"),
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, _("Signed. The signed PDF is below."))
                return redirect("compliance:dpa", workspace_id=workspace.pk)
    return render(
        request,
        "compliance/dpa.html",
        {
            "workspace": workspace,
            "status": dpa.status(workspace),
            "text": dpa.agreement_text(),
            "annex": dpa.annex(workspace),
            "is_owner": membership.role == "owner",
            "error": error,
            "version": dpa.CURRENT_VERSION,
        },
        status=400 if error else 200,
    )


@require_safe
@login_required
def dpa_pdf(request: HttpRequest, workspace_id: Any, signature_id: Any) -> HttpResponseBase:
    """The signed PDF, for the workspace's owners."""
    from strongroom.privacy.models import DpaSignature
    from strongroom.vault.responses import blob_response

    membership = require_role(request.user, workspace_id, ("owner",))  # type: ignore[arg-type]
    signature = (
        DpaSignature.objects.filter(workspace=membership.workspace, pk=signature_id)
        .select_related("pdf__subject")
        .first()
    )
    if signature is None or signature.pdf is None:
        raise Http404("No such signed agreement.")
    return blob_response(signature.pdf, actor=request.user, as_attachment=True)


@require_safe
def signing_certificate(request: HttpRequest) -> HttpResponse:
    """The installation's document-signing certificate, to check a signed PDF against."""
    from strongroom.privacy.signing import certificate_pem

    return HttpResponse(certificate_pem(), content_type="application/x-pem-file")


urlpatterns: list[Any] = [
    path("w/<uuid:workspace_id>/compliance/", compliance, name="home"),
    path("w/<uuid:workspace_id>/compliance/record.<str:fmt>", record_export, name="record_export"),
    path("w/<uuid:workspace_id>/compliance/dpa/", dpa_page, name="dpa"),
    path("w/<uuid:workspace_id>/compliance/dpa/<uuid:signature_id>.pdf", dpa_pdf, name="dpa_pdf"),
    path("security/certificate.pem", signing_certificate, name="signing_certificate"),
]


# --- impact assessments (Art. 35) ------------------------------------------------------------------


@login_required
def dpia_list(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    """The checklists that need an assessment, and the assessments made."""
    from strongroom.collection.models import Template
    from strongroom.privacy import dpia
    from strongroom.privacy.models import Dpia

    membership = require_role(request.user, workspace_id, MANAGERS)  # type: ignore[arg-type]
    workspace = membership.workspace
    if request.method == "POST":
        try:
            template_id = uuid.UUID(request.POST.get("template", ""))
        except ValueError:
            raise Http404("No such checklist.") from None
        template = Template.objects.filter(workspace=workspace, pk=template_id).first()
        if template is None:
            raise Http404("No such checklist.")
        started = dpia.do_start(template, request.user)  # type: ignore[arg-type]
        return redirect("compliance:dpia", workspace_id=workspace.pk, dpia_id=started.pk)
    return render(
        request,
        "compliance/dpia_list.html",
        {
            "workspace": workspace,
            "flagged": dpia.flagged_templates(workspace),
            "templates": Template.objects.filter(workspace=workspace).order_by("name"),
            "assessments": Dpia.objects.filter(workspace=workspace).select_related(
                "template", "validated_by"
            ),
        },
    )


def _dpia_of(request: HttpRequest, workspace_id: Any, dpia_id: Any) -> tuple[Any, Any]:
    from strongroom.privacy.models import Dpia

    membership = require_role(request.user, workspace_id, MANAGERS)  # type: ignore[arg-type]
    found = Dpia.objects.filter(workspace=membership.workspace, pk=dpia_id).select_related("template").first()
    if found is None:
        raise Http404("No such assessment.")
    return membership, found


@login_required
def dpia_edit(request: HttpRequest, workspace_id: Any, dpia_id: Any) -> HttpResponse:
    """The guided assessment: save the answers; owners validate it with an opinion."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError

    from strongroom.privacy import dpia

    membership, assessment = _dpia_of(request, workspace_id, dpia_id)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "validate":
                dpia.do_validate(assessment, request.user, request.POST.get("opinion", ""))  # type: ignore[arg-type]
                messages.success(request, _("Validated."))
            else:
                dpia.do_save(assessment, request.user, request.POST.dict())  # type: ignore[arg-type]
                messages.success(request, _("Saved."))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            return redirect("compliance:dpia", workspace_id=workspace_id, dpia_id=assessment.pk)
        _membership, assessment = _dpia_of(request, workspace_id, dpia_id)
    return render(
        request,
        "compliance/dpia.html",
        {
            "workspace": membership.workspace,
            "dpia": assessment,
            "error": error,
            "context_fields": [(k, label, assessment.context.get(k, "")) for k, label in dpia.CONTEXT],
            "principle_fields": [
                (k, label, assessment.principles.get(k, "")) for k, label in dpia.PRINCIPLES
            ],
            "risk_blocks": [
                (
                    code,
                    label,
                    assessment.risks.get(code, {}),
                    [
                        (key, field_label, assessment.risks.get(code, {}).get(key, ""))
                        for key, field_label in dpia.RISK_FIELDS
                    ],
                )
                for code, label in dpia.RISKS
            ],
            "levels": sorted(dpia.LEVELS.items()),
            "missing": dpia.missing(assessment),
            "is_owner": membership.role == "owner",
        },
        status=400 if error else 200,
    )


@require_safe
@login_required
def dpia_pdf(request: HttpRequest, workspace_id: Any, dpia_id: Any) -> HttpResponse:
    from strongroom.privacy import dpia

    _membership, assessment = _dpia_of(request, workspace_id, dpia_id)
    response = HttpResponse(dpia.to_pdf(assessment), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        True, f"dpia-{slugify(assessment.template.name)}.pdf"
    )
    return response


urlpatterns += [
    path("w/<uuid:workspace_id>/compliance/dpia/", dpia_list, name="dpia_list"),
    path("w/<uuid:workspace_id>/compliance/dpia/<uuid:dpia_id>/", dpia_edit, name="dpia"),
    path("w/<uuid:workspace_id>/compliance/dpia/<uuid:dpia_id>.pdf", dpia_pdf, name="dpia_pdf"),
]


# --- leaving: export everything, delete everything -------------------------------------------------


@login_required
@recent_login_required(methods=["POST"])
def close_workspace(request: HttpRequest, workspace_id: Any) -> HttpResponseBase:
    """Owners export everything, or delete everything and receive the signed certificate."""
    from django.core.exceptions import ValidationError
    from django.http import StreamingHttpResponse

    from strongroom.privacy import closure

    membership = require_role(request.user, workspace_id, ("owner",))  # type: ignore[arg-type]
    workspace = membership.workspace
    errors: dict[str, str] = {}
    if request.method == "POST":
        action = request.POST.get("action")
        password = request.POST.get("password", "")
        try:
            if action == "export":
                stream = closure.do_export_everything(workspace, request.user, password)  # type: ignore[arg-type]
                response = StreamingHttpResponse(stream, content_type="application/zip")
                name = f"{slugify(workspace.name) or 'workspace'}-everything-{timezone.localdate()}.zip"
                response["Content-Disposition"] = content_disposition_header(True, name)
                response["Cache-Control"] = "no-store"
                return response
            if action == "delete":
                if request.POST.get("understood") != "yes":
                    raise ValidationError(_("Tick the box to say you understand nothing can be recovered."))
                done = closure.do_delete_everything(
                    workspace,
                    request.user,  # type: ignore[arg-type]
                    password,
                    request.POST.get("confirm_name", ""),
                )
                certificate = HttpResponse(done.certificate, content_type="application/pdf")
                certificate["Content-Disposition"] = content_disposition_header(
                    True, f"certificate-of-deletion-{workspace.pk}.pdf"
                )
                return certificate
            raise Http404("No such action.")
        except PermissionDenied as exc:
            errors[str(action)] = str(exc)
        except ValidationError as exc:
            errors[str(action)] = " ".join(exc.messages)
    return render(
        request,
        "compliance/close.html",
        {"workspace": workspace, "errors": errors},
        status=400 if errors else 200,
    )


urlpatterns += [path("w/<uuid:workspace_id>/compliance/close/", close_workspace, name="close")]
