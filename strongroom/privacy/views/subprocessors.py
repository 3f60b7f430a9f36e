"""Pages of the subprocessors part of compliance; see strongroom/privacy/subprocessors.py.

Public, without signing in: the list of sub-processors (HTML and JSON) and the installation's
security page. For a workspace's owners: the list with the announced changes, and their objections.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from strongroom.accounts.access import MANAGERS, require_role
from strongroom.accounts.models import Membership, Role
from strongroom.privacy import subprocessors
from strongroom.privacy.models import SubProcessor, SubProcessorChange, SubProcessorObjection


class ObjectionForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Your grounds (optional)"),
        required=False,
        max_length=subprocessors.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _described(subprocessor: SubProcessor) -> dict[str, Any]:
    return {
        "name": subprocessor.name,
        "purpose": subprocessor.purpose,
        "location": subprocessor.location,
        "safeguards": subprocessor.safeguards,
        "categories": subprocessors.category_labels(subprocessor.data_categories),
        "effective_from": subprocessor.effective_from,
        "retired_on": subprocessor.retired_on,
    }


def _listing() -> dict[str, Any]:
    return {
        "operator_name": getattr(settings, "OPERATOR_NAME", ""),
        "subprocessors": [_described(s) for s in subprocessors.current()],
        "upcoming": [
            {"change": c, **_described(c.subprocessor)} for c in subprocessors.upcoming_changes()
        ],
        "notice_days": subprocessors.NOTICE_DAYS,
        "updated_at": subprocessors.last_update(),
    }


@require_GET
def public_list(request: HttpRequest) -> HttpResponse:
    return render(request, "compliance/subprocessors/list.html", _listing())


def _json_entry(subprocessor: SubProcessor) -> dict[str, Any]:
    return {
        "name": subprocessor.name,
        "purpose": subprocessor.purpose,
        "location": subprocessor.location,
        "safeguards": subprocessor.safeguards,
        "data_categories": [
            {"code": code, "label": label}
            for code, label in subprocessors.category_labels(subprocessor.data_categories)
        ],
        "effective_from": subprocessor.effective_from.isoformat(),
        "retired_on": subprocessor.retired_on.isoformat() if subprocessor.retired_on else None,
    }


@require_GET
def public_json(request: HttpRequest) -> JsonResponse:
    """The same list for machines. Its keys are a published interface: add keys, never rename."""
    updated = subprocessors.last_update()
    return JsonResponse(
        {
            "operator": getattr(settings, "OPERATOR_NAME", ""),
            "updated_at": updated.isoformat() if updated else None,
            "notice_days": subprocessors.NOTICE_DAYS,
            "subprocessors": [_json_entry(s) for s in subprocessors.current()],
            "upcoming_changes": [
                {
                    "kind": c.kind,
                    "summary": c.summary,
                    "announced_at": c.announced_at.isoformat(),
                    "effective_on": c.effective_on.isoformat(),
                    "subprocessor": _json_entry(c.subprocessor),
                }
                for c in subprocessors.upcoming_changes()
            ],
        },
        json_dumps_params={"ensure_ascii": False, "indent": 2},
    )


@require_GET
def security(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "compliance/security.html",
        {
            "operator_name": getattr(settings, "OPERATOR_NAME", ""),
            "operator_contact": getattr(settings, "OPERATOR_CONTACT", ""),
            "data_location": getattr(settings, "DATA_LOCATION", ""),
            "hsm": getattr(settings, "KEY_PROVIDER", "file") == "pkcs11",
            "subprocessor_count": len(subprocessors.current()),
        },
    )


def _workspace_page(
    request: HttpRequest, membership: Membership, failed: tuple[Any, ObjectionForm] | None = None
) -> HttpResponse:
    workspace = membership.workspace
    objections = list(
        SubProcessorObjection.objects.filter(workspace=workspace)
        .select_related("change__subprocessor")
        .order_by("-created_at")
    )
    by_change = {o.change_id: o for o in objections}
    upcoming = []
    for change in subprocessors.upcoming_changes():
        form = failed[1] if failed and failed[0] == change.pk else ObjectionForm()
        upcoming.append(
            {"change": change, "objection": by_change.get(change.pk), "form": form,
             **_described(change.subprocessor)}
        )
    return render(
        request,
        "compliance/subprocessors/workspace.html",
        {
            "workspace": workspace,
            "can_object": membership.role == Role.OWNER,
            "subprocessors": [_described(s) for s in subprocessors.current()],
            "upcoming": upcoming,
            "objections": objections,
            "error": " ".join(str(e) for e in failed[1].non_field_errors()) if failed else "",
            "notice_days": subprocessors.NOTICE_DAYS,
        },
        status=400 if failed else 200,
    )


@login_required
@require_GET
def workspace_list(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    """What is in effect, what is announced, and the workspace's objections: for its owners and admins
    (as the other compliance pages); only owners object."""
    membership = require_role(request.user, workspace_id, MANAGERS)  # type: ignore[arg-type]
    return _workspace_page(request, membership)


@login_required
@require_POST
def object_to_change(request: HttpRequest, workspace_id: Any, change_id: Any) -> HttpResponse:
    membership = require_role(request.user, workspace_id, (Role.OWNER,))  # type: ignore[arg-type]
    workspace = membership.workspace
    change = get_object_or_404(SubProcessorChange.objects.select_related("subprocessor"), pk=change_id)
    form = ObjectionForm(request.POST)
    if form.is_valid():
        try:
            subprocessors.do_object(change, workspace, request.user, form.cleaned_data["reason"])  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, _("Your objection is recorded; the operator sees it with the change."))
            return redirect("compliance:workspace_subprocessors", workspace_id=workspace.pk)
    return _workspace_page(request, membership, failed=(change.pk, form))


urlpatterns: list[Any] = [
    path("subprocessors/", public_list, name="subprocessors"),
    path("subprocessors.json", public_json, name="subprocessors_json"),
    path("security/", security, name="security"),
    path("w/<uuid:workspace_id>/compliance/subprocessors/", workspace_list, name="workspace_subprocessors"),
    path(
        "w/<uuid:workspace_id>/compliance/subprocessors/<uuid:change_id>/object/",
        object_to_change,
        name="subprocessor_object",
    ),
]
