"""The operator console: every workspace's metadata, its support-access history, and asking for
support access. Anyone but an operator gets 404, as for a page that does not exist."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from strongroom.accounts.models import Workspace
from strongroom.operator.console import workspace_facts
from strongroom.operator.forms import SupportRequestForm
from strongroom.operator.models import SupportGrant
from strongroom.operator.operators import is_operator
from strongroom.operator.support import active_grant, do_request_support

View = Callable[..., HttpResponse]


def operator_only(view: View) -> View:
    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_operator(request.user):
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return login_required(checked)


def _workspace(workspace_id: Any) -> Workspace:
    found = Workspace.objects.filter(pk=workspace_id).first()
    if found is None:
        raise Http404("No such workspace.")
    return found


@operator_only
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    facts = workspace_facts(Workspace.objects.order_by("name"))
    return render(request, "operator/console.html", {"facts": facts})


def _detail(
    request: HttpRequest, workspace: Workspace, form: SupportRequestForm, status: int = 200
) -> HttpResponse:
    grants = SupportGrant.objects.filter(workspace=workspace).order_by("-requested_at")
    context = {
        "facts": workspace_facts(Workspace.objects.filter(pk=workspace.pk))[0],
        "grants": grants,
        "active": active_grant(request.user, workspace.pk),
        "form": form,
    }
    return render(request, "operator/workspace.html", context, status=status)


@operator_only
@require_GET
def workspace_detail(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    return _detail(request, _workspace(workspace_id), SupportRequestForm())


@operator_only
@require_POST
def support_request(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    workspace = _workspace(workspace_id)
    form = SupportRequestForm(request.POST)
    if form.is_valid():
        try:
            do_request_support(workspace, request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, _("Support access requested. The workspace's owners were e-mailed."))
            return redirect("operator:workspace", workspace_id=workspace.pk)
    return _detail(request, workspace, form, status=400)
