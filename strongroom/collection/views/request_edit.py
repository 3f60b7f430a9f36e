"""Staff pages to change a request: details and reminders, a draft's checklist, a document's limits."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from strongroom.collection import request_editing as editing
from strongroom.collection.access import request_for
from strongroom.collection.forms import ItemForm, RequestDetailsForm
from strongroom.collection.models import RequestItem, RequestSection
from strongroom.collection.models.common import ItemKind
from strongroom.collection.views.common import errors_into


def _back(workspace_id: Any, request_id: Any) -> HttpResponse:
    return redirect("staff:request", workspace_id=workspace_id, request_id=request_id)


def _refused(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))


@login_required
def request_edit(request: HttpRequest, workspace_id: Any, request_id: Any) -> HttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    form = RequestDetailsForm(
        request.POST or None, initial={name: getattr(req, name) for name in editing.DETAILS}
    )
    if request.method == "POST" and form.is_valid():
        try:
            editing.do_update_request(req, request.user, **form.cleaned_data)
        except ValidationError as exc:
            errors_into(form, exc)
        else:
            messages.success(request, _("Saved."))
            return _back(workspace_id, req.pk)
    return render(
        request,
        "staff/request_edit.html",
        {"workspace": req.workspace, "req": req, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def request_section_add(request: HttpRequest, workspace_id: Any, request_id: Any) -> HttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    try:
        editing.do_add_request_section(req, request.user, request.POST.get("title", ""))
    except ValidationError as exc:
        _refused(request, exc)
    return _back(workspace_id, req.pk)


@login_required
def request_item_edit(
    request: HttpRequest, workspace_id: Any, request_id: Any, section_id: Any, item_id: Any = None
) -> HttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    section = RequestSection.objects.filter(request=req, pk=section_id).first()
    item = RequestItem.objects.filter(request=req, pk=item_id).first() if item_id else None
    if section is None or (item_id and item is None):
        raise Http404
    questions = [i for i in editing._before(section, item) if i.kind == ItemKind.QUESTION]
    initial = ItemForm.initial_for(item)
    form = ItemForm(request.POST or None, questions=questions, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if req.state == "draft":
                editing.do_save_request_item(section, request.user, form.spec(), item)
            elif item is not None:
                spec = form.spec()
                editing.do_change_item_limits(
                    item,
                    request.user,
                    accepted_kinds=spec["accepted_kinds"],
                    max_file_size=spec["max_file_size"],
                    max_files=spec["max_files"],
                )
            else:
                raise ValidationError(_("The checklist can only be changed before the request is sent."))
        except ValidationError as exc:
            errors_into(form, exc)
        except PermissionDenied:
            raise
        else:
            messages.success(request, _("Item saved."))
            return _back(workspace_id, req.pk)
    return render(
        request,
        "staff/request_item.html",
        {
            "workspace": req.workspace,
            "req": req,
            "section": section,
            "item": item,
            "form": form,
            "limits_only": req.state != "draft",
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def request_item_delete(
    request: HttpRequest, workspace_id: Any, request_id: Any, item_id: Any
) -> HttpResponse:
    req = request_for(request.user, workspace_id, request_id)  # type: ignore[arg-type]
    item = RequestItem.objects.filter(request=req, pk=item_id).first()
    if item is None:
        raise Http404
    try:
        editing.do_delete_request_item(item, request.user)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Item removed."))
    return _back(workspace_id, req.pk)
