"""Building checklists: a workspace's own templates, their sections and items.

Shipped templates are read-only; a workspace edits a copy (`checklists.copy_template_to_workspace`).
Owners and admins edit; members use the templates. Every change is audited with ids only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.access import MANAGERS
from strongroom.accounts.models import Membership, User, Workspace
from strongroom.audit.actions import record
from strongroom.collection.models import Template, TemplateItem, TemplateSection
from strongroom.collection.models.common import (
    DEFAULT_MAX_FILE_SIZE,
    FileKind,
    ItemKind,
    QuestionType,
)

CHOICE_TYPES = (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE)
MAX_FILE_SIZE = 1024 * 1024 * 1024  # what an item may allow: 1 GiB


def require_editor(template: Template, actor: Any) -> None:
    """Shipped templates are never edited; a workspace's own, only by its owners and admins."""
    if template.workspace_id is None:
        raise PermissionDenied(_("Shipped checklists cannot be changed: make a copy and edit that."))
    if (
        isinstance(actor, User)
        and not Membership.objects.filter(
            workspace_id=template.workspace_id, user=actor, role__in=MANAGERS
        ).exists()
    ):
        raise PermissionDenied(_("Only owners and admins change checklists."))


def do_create_template(
    workspace: Workspace, actor: Any, *, name: str, description: str = "", default_due_days: int | None = 14
) -> Template:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A checklist needs a name.")})
    with transaction.atomic():
        template = Template(
            workspace=workspace,
            name=name,
            description=description.strip(),
            default_due_days=default_due_days,
            created_by=actor if isinstance(actor, User) else None,
        )
        require_editor(template, actor)
        template.save()
        record(actor, "template.created", template, workspace=workspace)
    return template


def do_update_template(template: Template, actor: Any, **changes: Any) -> Template:
    allowed = {k: v for k, v in changes.items() if k in ("name", "description", "default_due_days")}
    if "name" in allowed and not str(allowed["name"]).strip():
        raise ValidationError({"name": _("A checklist needs a name.")})
    with transaction.atomic():
        require_editor(template, actor)
        for name, value in allowed.items():
            setattr(template, name, value.strip() if isinstance(value, str) else value)
        template.save(update_fields=[*allowed, "updated_at"])
        record(actor, "template.changed", template, workspace=template.workspace_id, fields=sorted(allowed))
    return template


def do_add_section(template: Template, actor: Any, title: str) -> TemplateSection:
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("A section needs a title.")})
    with transaction.atomic():
        require_editor(template, actor)
        last = template.sections.aggregate(last=Max("position"))["last"]
        section = TemplateSection.objects.create(
            template=template, title=title, position=0 if last is None else last + 1
        )
        record(
            actor,
            "template.section_added",
            section,
            workspace=template.workspace_id,
            template=str(template.pk),
        )
    return section


def do_delete_section(section: TemplateSection, actor: Any) -> None:
    with transaction.atomic():
        require_editor(section.template, actor)
        record(
            actor,
            "template.section_removed",
            section,
            workspace=section.template.workspace_id,
            template=str(section.template_id),
        )
        section.delete()


def _item_categories() -> dict[str, str]:
    from strongroom.privacy.datamap import CATEGORIES

    system = ("user.authorization.credentials", "user.behavior.activity", "user.device.ip_address")
    return {code: label for code, label in CATEGORIES.items() if code not in system}


ITEM_CATEGORY_CHOICES = _item_categories()


def clean_item_spec(spec: dict[str, Any], earlier: list[Any]) -> dict[str, Any]:
    """The item's fields, checked: a question has a type (and choices when it offers them), a document
    accepted kinds and sane limits, and a condition names one of the `earlier` questions of the same
    checklist (template or request)."""
    from strongroom.collection.checklists import validate_answer

    kind = spec.get("kind")
    label = str(spec.get("label", "")).strip()
    errors: dict[str, str] = {}
    if kind not in ItemKind.values:
        errors["kind"] = _("Choose a document or a question.")
    if not label:
        errors["label"] = _("Every item needs a label.")
    clean: dict[str, Any] = {
        "kind": kind,
        "label": label[:300],
        "instructions": str(spec.get("instructions", "")).strip(),
        "required": bool(spec.get("required")),
        "question_type": "",
        "choices": [],
        "accepted_kinds": [],
        "max_file_size": DEFAULT_MAX_FILE_SIZE,
        "max_files": 10,
        "condition_item": None,
        "condition_value": None,
        "category": str(spec.get("category") or ""),
    }
    if clean["category"] and clean["category"] not in ITEM_CATEGORY_CHOICES:
        errors["category"] = _("Choose the kind of personal data from the list.")
    if kind == ItemKind.QUESTION:
        clean["question_type"] = spec.get("question_type", "")
        if clean["question_type"] not in QuestionType.values:
            errors["question_type"] = _("Choose what kind of answer you expect.")
        choices = [c.strip() for c in spec.get("choices", []) if c.strip()]
        if clean["question_type"] in CHOICE_TYPES:
            if len(choices) < 2 or len(set(choices)) != len(choices):
                errors["choices"] = _("Give at least two different choices, one per line.")
            clean["choices"] = choices
    elif kind == ItemKind.DOCUMENT:
        kinds = [k for k in spec.get("accepted_kinds", []) if k]
        if any(k not in FileKind.values for k in kinds):
            errors["accepted_kinds"] = _("Unknown kind of file.")
        clean["accepted_kinds"] = [] if FileKind.ANY in kinds else kinds
        size, count = spec.get("max_file_size"), spec.get("max_files")
        if not isinstance(size, int) or not 0 < size <= MAX_FILE_SIZE:
            errors["max_file_size"] = _("The size limit must be between 1 byte and 1 GB.")
        if not isinstance(count, int) or not 1 <= count <= 50:
            errors["max_files"] = _("Allow between 1 and 50 files.")
        clean["max_file_size"], clean["max_files"] = size, count
    condition = spec.get("condition_item")
    if condition is not None:
        if condition not in earlier or condition.kind != ItemKind.QUESTION:
            errors["condition_item"] = _("A condition must name an earlier question of this checklist.")
        else:
            try:
                clean["condition_value"] = validate_answer(condition, spec.get("condition_value"))
            except ValidationError as exc:
                errors["condition_value"] = " ".join(exc.messages)
            clean["condition_item"] = condition
    if errors:
        raise ValidationError(errors)
    return clean


def _ordered(template: Template) -> list[TemplateItem]:
    return list(
        TemplateItem.objects.filter(section__template=template)
        .select_related("section")
        .order_by("section__position", "position")
    )


def _items_before(section: TemplateSection, item: TemplateItem | None) -> list[TemplateItem]:
    items = _ordered(section.template)
    if item is None:
        after = [i for i in items if i.section.position > section.position]
        return [i for i in items if i not in after]
    return items[: items.index(item)] if item in items else items


def do_save_item(
    section: TemplateSection, actor: Any, spec: dict[str, Any], item: TemplateItem | None = None
) -> TemplateItem:
    """Add an item at the end of `section`, or change `item`."""
    with transaction.atomic():
        require_editor(section.template, actor)
        clean = clean_item_spec(spec, _items_before(section, item))
        if item is None:
            last = section.items.aggregate(last=Max("position"))["last"]
            item = TemplateItem(section=section, position=0 if last is None else last + 1)
        for name, value in clean.items():
            setattr(item, name, value)
        item.save()
        record(
            actor,
            "template.item_saved",
            item,
            workspace=section.template.workspace_id,
            template=str(section.template_id),
        )
        Template.objects.filter(pk=section.template_id).update(updated_at=timezone.now())
    return item


def do_delete_item(item: TemplateItem, actor: Any) -> None:
    with transaction.atomic():
        template = item.section.template
        require_editor(template, actor)
        if item.dependants.exists():
            raise ValidationError(_("Other items depend on this one: change their conditions first."))
        record(
            actor, "template.item_removed", item, workspace=template.workspace_id, template=str(template.pk)
        )
        item.delete()


def do_move_item(item: TemplateItem, actor: Any, direction: int) -> None:
    """Swap the item with its neighbour in the section (direction -1 up, +1 down)."""
    with transaction.atomic():
        require_editor(item.section.template, actor)
        siblings = list(item.section.items.order_by("position"))
        at = siblings.index(item)
        other = at + direction
        if not 0 <= other < len(siblings):
            return
        if direction < 0 and siblings[other] == item.condition_item:
            raise ValidationError(_("An item must stay after the question it depends on."))
        if direction > 0 and siblings[other].condition_item_id == item.pk:
            raise ValidationError(_("An item must stay after the question it depends on."))
        siblings[at], siblings[other] = siblings[other], siblings[at]
        for position, sibling in enumerate(siblings):
            if sibling.position != position:
                sibling.position = position
                sibling.save(update_fields=["position"])
        record(actor, "template.item_moved", item, workspace=item.section.template.workspace_id)
