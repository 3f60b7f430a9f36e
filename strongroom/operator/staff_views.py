"""Owners decide on operators' support access and see what was done under it; managers see who
has access to a client. Access through `accounts.access`: 404 outside, 403 for a role not enough."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from strongroom.accounts.access import MANAGERS, get_in_workspace, require_role
from strongroom.accounts.models import Role
from strongroom.collection.access import client_for
from strongroom.operator.forms import ApproveForm
from strongroom.operator.models import GrantState, SupportGrant
from strongroom.operator.support import do_approve_support, do_refuse_support, do_revoke_support, events_under
from strongroom.operator.who import who_has_access

OWNERS = (Role.OWNER,)


@login_required
@require_GET
def grants(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    workspace = require_role(request.user, workspace_id, OWNERS).workspace  # type: ignore[arg-type]
    found = (
        SupportGrant.objects.filter(workspace=workspace).select_related("operator").order_by("-requested_at")
    )
    rows: list[dict[str, Any]] = [{"grant": g, "events": list(events_under(g)[:500])} for g in found]
    return render(
        request,
        "support/grants.html",
        {
            "workspace": workspace,
            "rows": rows,
            "pending": [r for r in rows if r["grant"].state == GrantState.PENDING],
        },
    )


def _decide(request: HttpRequest, workspace_id: Any, grant_id: Any, decide: Any, done: str) -> HttpResponse:
    require_role(request.user, workspace_id, OWNERS)  # type: ignore[arg-type]
    grant = get_in_workspace(SupportGrant.objects.all(), request.user, workspace_id, grant_id)  # type: ignore[arg-type]
    try:
        decide(grant)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, done)
    return redirect("support:grants", workspace_id=workspace_id)


@login_required
@require_POST
def approve(request: HttpRequest, workspace_id: Any, grant_id: Any) -> HttpResponse:
    form = ApproveForm(request.POST)
    hours = form.cleaned_data["hours"] if form.is_valid() else request.POST.get("hours")
    return _decide(
        request,
        workspace_id,
        grant_id,
        lambda grant: do_approve_support(
            grant, request.user, hours, files_allowed=request.POST.get("files") == "on"  # type: ignore[arg-type]
        ),
        _("Support access approved."),
    )


@login_required
@require_POST
def refuse(request: HttpRequest, workspace_id: Any, grant_id: Any) -> HttpResponse:
    return _decide(
        request,
        workspace_id,
        grant_id,
        lambda grant: do_refuse_support(grant, request.user),  # type: ignore[arg-type]
        _("Support access refused."),
    )


@login_required
@require_POST
def revoke(request: HttpRequest, workspace_id: Any, grant_id: Any) -> HttpResponse:
    return _decide(
        request,
        workspace_id,
        grant_id,
        lambda grant: do_revoke_support(grant, request.user),  # type: ignore[arg-type]
        _("Support access revoked: it ended now."),
    )


@login_required
@require_GET
def client_access(request: HttpRequest, workspace_id: Any, client_id: Any) -> HttpResponse:
    membership = require_role(request.user, workspace_id, MANAGERS)  # type: ignore[arg-type]
    client = client_for(request.user, workspace_id, client_id)  # type: ignore[arg-type]
    return render(
        request,
        "support/client_access.html",
        {"workspace": membership.workspace, "client": client, "people": who_has_access(client)},
    )
