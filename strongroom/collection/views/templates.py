"""Staff pages to build checklists: list, copy a shipped one, edit sections and items."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from strongroom.accounts.access import MANAGERS, membership_in
from strongroom.collection import template_editing as editing
from strongroom.collection.checklists import copy_template_to_workspace
from strongroom.collection.forms import ItemForm, TemplateForm
from strongroom.collection.models import Template, TemplateItem, TemplateSection
from strongroom.collection.models.common import ItemKind
from strongroom.collection.views.common import errors_into


def _editable(request: HttpRequest, workspace_id: Any, template_id: Any) -> tuple[Any, Template]:
    membership = membership_in(request.user, workspace_id)  # type: ignore[arg-type]
    template = Template.objects.filter(pk=template_id, workspace=membership.workspace).first()
    if template is None:
        raise Http404
    return membership, template


@login_required
def template_list(request: HttpRequest, workspace_id: Any) -> HttpResponse:
    membership = membership_in(request.user, workspace_id)  # type: ignore[arg-type]
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = editing.do_create_template(membership.workspace, request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            return redirect("staff:template", workspace_id=workspace_id, template_id=template.pk)
    return render(
        request,
        "staff/templates.html",
        {
            "workspace": membership.workspace,
            "form": form,
            "can_edit": membership.role in MANAGERS,
            "own": Template.objects.filter(workspace=membership.workspace).order_by("name"),
            "shipped": Template.objects.filter(workspace=None).order_by("name"),
        },
    )


@require_POST
@login_required
def template_copy(request: HttpRequest, workspace_id: Any, template_id: Any) -> HttpResponse:
    membership = membership_in(request.user, workspace_id)  # type: ignore[arg-type]
    source = Template.objects.filter(pk=template_id, workspace__in=[None, membership.workspace]).first()
    if source is None:
        source = Template.objects.filter(pk=template_id, workspace=None).first()
    if source is None:
        raise Http404
    if membership.role not in MANAGERS:
        raise PermissionDenied(_("Only owners and admins change checklists."))
    copy = copy_template_to_workspace(
        source, membership.workspace, request.user, language=membership.workspace.default_language
    )
    messages.success(request, _("Copied: edit it as you need."))
    return redirect("staff:template", workspace_id=workspace_id, template_id=copy.pk)


@login_required
def template_detail(request: HttpRequest, workspace_id: Any, template_id: Any) -> HttpResponse:
    membership, template = _editable(request, workspace_id, template_id)
    form = TemplateForm(
        request.POST or None,
        initial={
            "name": template.name,
            "description": template.description,
            "default_due_days": template.default_due_days,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            editing.do_update_template(template, request.user, **form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("staff:template", workspace_id=workspace_id, template_id=template.pk)
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    questions = [i for i in editing._ordered(template) if i.kind == ItemKind.QUESTION]
    return render(
        request,
        "staff/template_detail.html",
        {
            "workspace": membership.workspace,
            "template": template,
            "form": form,
            "can_edit": membership.role in MANAGERS,
            "sections": template.sections.prefetch_related("items").order_by("position"),
            "item_form": ItemForm(questions=questions, initial={"required": True}),
        },
    )


def _template_action(
    request: HttpRequest, workspace_id: Any, template: Template, action: Any, done: str
) -> HttpResponse:
    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, done)
    return redirect("staff:template", workspace_id=workspace_id, template_id=template.pk)


@require_POST
@login_required
def section_add(request: HttpRequest, workspace_id: Any, template_id: Any) -> HttpResponse:
    _membership, template = _editable(request, workspace_id, template_id)
    return _template_action(
        request,
        workspace_id,
        template,
        lambda: editing.do_add_section(template, request.user, request.POST.get("title", "")),
        _("Section added."),
    )


def _section(template: Template, section_id: Any) -> TemplateSection:
    section = template.sections.filter(pk=section_id).first()
    if section is None:
        raise Http404
    return section


def _item(template: Template, item_id: Any) -> TemplateItem:
    item = (
        TemplateItem.objects.filter(pk=item_id, section__template=template).select_related("section").first()
    )
    if item is None:
        raise Http404
    return item


@require_POST
@login_required
def section_delete(
    request: HttpRequest, workspace_id: Any, template_id: Any, section_id: Any
) -> HttpResponse:
    _membership, template = _editable(request, workspace_id, template_id)
    section = _section(template, section_id)
    return _template_action(
        request,
        workspace_id,
        template,
        lambda: editing.do_delete_section(section, request.user),
        _("Section removed."),
    )


@login_required
def item_edit(
    request: HttpRequest, workspace_id: Any, template_id: Any, section_id: Any, item_id: Any = None
) -> HttpResponse:
    membership, template = _editable(request, workspace_id, template_id)
    section = _section(template, section_id)
    item = _item(template, item_id) if item_id else None
    questions = [i for i in editing._items_before(section, item) if i.kind == ItemKind.QUESTION]
    initial = ItemForm.initial_for(item)
    form = ItemForm(request.POST or None, questions=questions, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            editing.do_save_item(section, request.user, form.spec(), item)
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                raise
            errors_into(form, exc)
        else:
            messages.success(request, _("Item saved."))
            return redirect("staff:template", workspace_id=workspace_id, template_id=template.pk)
    return render(
        request,
        "staff/template_item.html",
        {
            "workspace": membership.workspace,
            "template": template,
            "section": section,
            "item": item,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@login_required
def item_delete(request: HttpRequest, workspace_id: Any, template_id: Any, item_id: Any) -> HttpResponse:
    _membership, template = _editable(request, workspace_id, template_id)
    item = _item(template, item_id)
    return _template_action(
        request,
        workspace_id,
        template,
        lambda: editing.do_delete_item(item, request.user),
        _("Item removed."),
    )


@require_POST
@login_required
def item_move(
    request: HttpRequest, workspace_id: Any, template_id: Any, item_id: Any, direction: str
) -> HttpResponse:
    _membership, template = _editable(request, workspace_id, template_id)
    item = _item(template, item_id)
    step = -1 if direction == "up" else 1
    return _template_action(
        request, workspace_id, template, lambda: editing.do_move_item(item, request.user, step), _("Moved.")
    )
