"""Changing a request after it was made: its details and reminders while it is open, its checklist
while it is a draft, and the limits of a document item at any time before it closes."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from strongroom.audit.actions import record
from strongroom.collection.lifecycle import RequestStateError, locked_request
from strongroom.collection.models import Request, RequestItem, RequestSection
from strongroom.collection.models.requests import CLOSED_STATES, RequestState
from strongroom.collection.template_editing import clean_item_spec

DETAILS = (
    "title",
    "due_date",
    "message",
    "remind_days_before",
    "remind_on_due_date",
    "remind_every_days_after",
    "remind_max_after",
)


def _open(request: Request, actor: Any) -> Request:
    locked = locked_request(request, actor)
    if locked.state in CLOSED_STATES:
        raise RequestStateError(_("This request is closed."))
    return locked


def _draft(request: Request, actor: Any) -> Request:
    locked = locked_request(request, actor)
    if locked.state != RequestState.DRAFT:
        raise RequestStateError(_("The checklist can only be changed before the request is sent."))
    return locked


def do_update_request(request: Request, actor: Any, **changes: Any) -> Request:
    changes = {k: v for k, v in changes.items() if k in DETAILS}
    if "title" in changes and not str(changes["title"]).strip():
        raise ValidationError({"title": _("A request needs a title.")})
    with transaction.atomic():
        locked = _open(request, actor)
        changed = [name for name, value in changes.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, changes[name])
        if changed:
            locked.version += 1
            locked.save(update_fields=[*changed, "version"])
            record(actor, "request.changed", locked, subject=locked.client.subject_id, fields=sorted(changed))
    return locked


def do_add_request_section(request: Request, actor: Any, title: str) -> RequestSection:
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("A section needs a title.")})
    with transaction.atomic():
        locked = _draft(request, actor)
        last = locked.sections.aggregate(last=Max("position"))["last"]
        section = RequestSection.objects.create(
            request=locked, title=title, position=0 if last is None else last + 1
        )
        record(actor, "request.section_added", section, workspace=locked.workspace_id, request=str(locked.pk))
    return section


def _ordered(request: Request) -> list[RequestItem]:
    return list(request.items.select_related("section").order_by("section__position", "position"))


def _before(section: RequestSection, item: RequestItem | None) -> list[RequestItem]:
    items = _ordered(section.request)
    if item is not None and item in items:
        return items[: items.index(item)]
    return [i for i in items if i.section.position <= section.position]


def do_save_request_item(
    section: RequestSection, actor: Any, spec: dict[str, Any], item: RequestItem | None = None
) -> RequestItem:
    """Add an item at the end of `section` of a draft, or change one of its items."""
    with transaction.atomic():
        request = _draft(section.request, actor)
        clean = clean_item_spec(spec, _before(section, item))
        if item is None:
            last = section.items.aggregate(last=Max("position"))["last"]
            item = RequestItem(request=request, section=section, position=0 if last is None else last + 1)
        for name, value in clean.items():
            setattr(item, name, value)
        item.save()
        record(actor, "request.item_saved", item, workspace=request.workspace_id, request=str(request.pk))
    return item


def do_delete_request_item(item: RequestItem, actor: Any) -> None:
    with transaction.atomic():
        request = _draft(item.request, actor)
        if item.dependants.exists():
            raise ValidationError(_("Other items depend on this one: change their conditions first."))
        record(actor, "request.item_removed", item, workspace=request.workspace_id, request=str(request.pk))
        item.delete()


def do_change_item_limits(
    item: RequestItem, actor: Any, *, accepted_kinds: list[str], max_file_size: int, max_files: int
) -> RequestItem:
    """What a document item accepts, changed while the request is open (a client with a bigger scan)."""
    with transaction.atomic():
        _open(item.request, actor)
        current = RequestItem.objects.select_for_update().get(pk=item.pk)
        spec = {
            "kind": current.kind,
            "label": current.label,
            "accepted_kinds": accepted_kinds,
            "max_file_size": max_file_size,
            "max_files": max_files,
        }
        clean = clean_item_spec(spec, [])
        if current.kind != "document":
            raise ValidationError(_("Only document items have file limits."))
        current.accepted_kinds, current.max_file_size, current.max_files = (
            clean["accepted_kinds"],
            clean["max_file_size"],
            clean["max_files"],
        )
        current.version += 1
        current.save(update_fields=["accepted_kinds", "max_file_size", "max_files", "version"])
        record(
            actor,
            "request.item_limits_changed",
            current,
            workspace=current.request.workspace_id,
            request=str(current.request_id),
        )
    return current
