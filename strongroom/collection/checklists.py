"""Checklists: installing the shipped templates, copying templates, conditions, answers, completeness.

Plain functions over the collection models. The ones that write run in one transaction each and
may be called from actions; the rest read only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils.translation import gettext as _

from strongroom.audit.actions import record
from strongroom.audit.actors import SYSTEM
from strongroom.collection.models import (
    Request,
    RequestItem,
    RequestSection,
    Template,
    TemplateItem,
    TemplateSection,
)
from strongroom.collection.models.common import ItemKind, ItemSpec, QuestionType
from strongroom.collection.models.requests import ItemState, RequestState, UploadState
from strongroom.collection.shipped import (
    ITEM_CATEGORIES,
    SHIPPED_TEMPLATES,
    ShippedItem,
    ShippedTemplate,
    translate_text,
)

# ---------------------------------------------------------------------------------------------------
# Installing the shipped templates


def _assign(obj: models.Model, values: dict[str, Any]) -> list[str]:
    """Set `values` on `obj`; the names of the fields that changed."""
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    return changed


def _save_changes(obj: models.Model, values: dict[str, Any]) -> bool:
    changed = _assign(obj, values)
    if changed:
        obj.save(update_fields=changed)
    return bool(changed)


def _install_sections(template: Template, spec: ShippedTemplate) -> tuple[list[TemplateSection], bool]:
    """The template's sections in spec order, reusing existing rows by position; extra rows remain."""
    existing = list(template.sections.order_by("position", "id"))
    sections, changed = [], False
    for position, sec in enumerate(spec.sections):
        values = {"title": sec.title.en, "position": position}
        if position < len(existing):
            changed |= _save_changes(existing[position], values)
            sections.append(existing[position])
        else:
            sections.append(TemplateSection.objects.create(template=template, **values))
            changed = True
    return sections, changed


def category_of(item: ShippedItem) -> str:
    """The data map category a shipped item collects: named per item, else by its kind."""
    default = "user.content.document" if item.kind == "document" else "user.content.answer"
    return ITEM_CATEGORIES.get(item.key, default)


def _install_items(template: Template, spec: ShippedTemplate, sections: list[TemplateSection]) -> bool:
    shipped_keys = {item.key for item in spec.items()}
    existing: dict[str, TemplateItem] = {}
    stale: list[UUID] = []
    for row in TemplateItem.objects.filter(section__template=template).order_by("position", "id"):
        if row.key in existing or row.key not in shipped_keys:
            stale.append(row.pk)  # a duplicate, or an item no longer shipped
        else:
            existing[row.key] = row
    if stale:
        TemplateItem.objects.filter(pk__in=stale).delete()
    rows: dict[str, TemplateItem] = {}
    values: dict[str, dict[str, Any]] = {}
    position = 0
    for section_index, sec in enumerate(spec.sections):
        for item in sec.items:
            rows[item.key] = existing.get(item.key) or TemplateItem(key=item.key)
            values[item.key] = {
                "section_id": sections[section_index].pk, "kind": item.kind,
                "question_type": item.question_type, "label": item.label.en,
                "instructions": item.instructions.en, "required": item.required,
                "accepted_kinds": list(item.accepted_kinds), "max_files": item.max_files,
                "max_file_size": item.max_file_size, "choices": [c.en for c in item.choices],
                "position": position,
                "condition_item_id": rows[item.condition["when"]].pk if item.condition else None,
                "condition_value": item.condition["equals"] if item.condition else None,
                "category": category_of(item),
            }
            position += 1
    new = [rows[key] for key in rows if key not in existing]
    for row in new:
        _assign(row, values[row.key])
    TemplateItem.objects.bulk_create(new)
    changed = bool(stale or new)
    for key, row in existing.items():
        fields = _assign(row, values[key])
        if fields:
            # update_fields takes field names; the foreign keys are assigned by attname.
            row.save(update_fields=[f.removesuffix("_id") for f in fields])
            changed = True
    return changed


def _install_template(spec: ShippedTemplate, actor: Any) -> bool:
    template, created = Template.objects.select_for_update().get_or_create(
        workspace=None, slug=spec.slug,
        defaults={"name": spec.name.en, "description": spec.description.en,
                  "default_due_days": spec.default_due_days},
    )
    changed = _assign(template, {"name": spec.name.en, "description": spec.description.en,
                                 "default_due_days": spec.default_due_days})
    sections, sections_changed = _install_sections(template, spec)
    items_changed = _install_items(template, spec, sections)
    # Sections no longer shipped: their items were moved or deleted above.
    extra_deleted = template.sections.exclude(pk__in=[s.pk for s in sections]).delete()[0] > 0
    if created or changed or sections_changed or items_changed or extra_deleted:
        if not created:
            template.save(update_fields=[*changed, "updated_at"])
        record(actor, "template.shipped_installed", template, slug=spec.slug, created=created)
        return True
    return False


def install_shipped_templates(actor: Any = SYSTEM) -> int:
    """Create or update the shipped templates (workspace NULL, by slug); how many were created or changed.

    Idempotent: a second run changes nothing and returns 0. Items are matched by `key` and keep
    their ids; items and sections no longer shipped are deleted. Workspace templates (copies) are
    never touched.
    """
    with transaction.atomic():
        return sum(_install_template(spec, actor) for spec in SHIPPED_TEMPLATES)


# ---------------------------------------------------------------------------------------------------
# Copying templates

type Translate = Callable[[str], str]


def _translator(template: Template, language: str | None) -> Translate:
    """Shipped templates are stored in English; their French wording comes from `shipped`."""
    if template.workspace_id is None and language:
        return lambda text: translate_text(text, language)
    return lambda text: text


def _template_rows(template: Template) -> tuple[list[TemplateSection], list[TemplateItem]]:
    sections = list(template.sections.order_by("position", "id"))
    items = TemplateItem.objects.filter(section__template=template)
    return sections, list(items.order_by("section__position", "position", "id"))


def _spec_values(item: TemplateItem, text: Translate, by_id: dict[UUID, TemplateItem]) -> dict[str, Any]:
    """The ItemSpec fields of `item`, translated; the condition value follows its condition's choices."""
    condition_value = item.condition_value
    parent = by_id.get(item.condition_item_id) if item.condition_item_id else None
    if isinstance(condition_value, str) and parent is not None and condition_value in parent.choices:
        condition_value = text(condition_value)
    return {
        "kind": item.kind, "question_type": item.question_type, "label": text(item.label),
        "instructions": text(item.instructions), "required": item.required,
        "accepted_kinds": list(item.accepted_kinds), "max_file_size": item.max_file_size,
        "max_files": item.max_files, "choices": [text(c) for c in item.choices],
        "condition_value": condition_value if parent is not None else None, "position": item.position,
        "category": item.category,
    }


def _next_position(rows: models.QuerySet[Any]) -> int:
    last = rows.aggregate(n=models.Max("position"))["n"]
    return 0 if last is None else int(last) + 1


def _check_source(template: Template, workspace_id: UUID) -> None:
    if template.workspace_id not in (None, workspace_id):
        raise ValueError(f"{template} belongs to another workspace")


def copy_template(template: Template, request: Request, *, language: str | None = None) -> None:
    """Append the template's sections and items to a draft request, in order, limits and conditions kept.

    `template` MUST be shipped or of the request's workspace. With `language` ("fr"), a shipped
    template's wording is copied in that language (pass the client's language). The request's
    own fields (title, template, due date) are left to the caller.
    """
    _check_source(template, request.workspace_id)
    if request.state != RequestState.DRAFT:
        raise ValueError(f"{request} is no longer a draft; its checklist cannot be replaced")
    text = _translator(template, language)
    with transaction.atomic():
        sections, items = _template_rows(template)
        section_offset = _next_position(request.sections.all())
        item_offset = _next_position(request.items.all())
        new_sections = {
            s.pk: RequestSection(request=request, title=text(s.title), position=section_offset + n)
            for n, s in enumerate(sections)
        }
        by_id = {i.pk: i for i in items}
        new_items = {
            i.pk: RequestItem(request=request, section=new_sections[i.section_id],
                              attachment_id=i.attachment_id, **_spec_values(i, text, by_id))
            for i in items
        }
        for n, i in enumerate(items):
            new_items[i.pk].position = item_offset + n  # one order over the whole checklist
            if i.condition_item_id in new_items:
                new_items[i.pk].condition_item = new_items[i.condition_item_id]
        RequestSection.objects.bulk_create(new_sections.values())
        RequestItem.objects.bulk_create(new_items.values())


def copy_template_to_workspace(
    template: Template, workspace: Any, user: Any, *, language: str | None = None
) -> Template:
    """An editable copy of a shipped template (or of one of the workspace's own) in `workspace`.

    Item keys, order, limits and conditions are kept; the attachment only within one workspace.
    With `language`, a shipped template's wording is copied in that language.
    """
    _check_source(template, workspace.pk)
    text = _translator(template, language)
    name = text(template.name)
    if template.workspace_id is not None:
        name = _("Copy of %(name)s") % {"name": name}
    with transaction.atomic():
        copy = Template.objects.create(
            workspace=workspace, name=name[:200], description=text(template.description),
            default_due_days=template.default_due_days, created_by=user,
        )
        sections, items = _template_rows(template)
        new_sections = {
            s.pk: TemplateSection(template=copy, title=text(s.title), position=s.position) for s in sections
        }
        by_id = {i.pk: i for i in items}
        new_items = {
            i.pk: TemplateItem(section=new_sections[i.section_id], key=i.key,
                               attachment_id=i.attachment_id if template.workspace_id else None,
                               **_spec_values(i, text, by_id))
            for i in items
        }
        for i in items:
            if i.condition_item_id in new_items:
                new_items[i.pk].condition_item = new_items[i.condition_item_id]
        TemplateSection.objects.bulk_create(new_sections.values())
        TemplateItem.objects.bulk_create(new_items.values())
        record(user, "template.created", copy, source=str(template.pk), shipped=template.slug)
    return copy


# ---------------------------------------------------------------------------------------------------
# Conditions


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _same(answer: Any, expected: Any) -> bool:
    if isinstance(answer, bool) or isinstance(expected, bool):
        return answer is expected
    if isinstance(expected, int | float) and isinstance(answer, str):
        # Number answers are stored as strings ("3"); a condition may hold the number itself.
        return _number(answer) is not None and _number(answer) == _number(expected)
    return bool(answer == expected)


def condition_met(answer: Any, expected: Any) -> bool:
    """Whether an answer satisfies a condition value; a multiple-choice answer when it contains it."""
    if answer is None or expected is None:
        return False
    if isinstance(answer, list) and not isinstance(expected, list):
        return any(_same(choice, expected) for choice in answer)
    return _same(answer, expected)


def visible_items(items: Iterable[RequestItem]) -> list[RequestItem]:
    """The items shown to the client, in the given order.

    An item is visible when it has no condition, or its condition item is visible, not marked not
    applicable, and answered with the condition value. Pass every item of the request, with
    `request__client__subject` loaded: answers are then read without a query per item (a condition
    item missing from `items` is fetched). A cycle of conditions hides the items on it.
    """
    items = list(items)
    by_id = {item.pk: item for item in items}
    memo: dict[UUID, bool] = {}

    def visible(item: RequestItem, trail: frozenset[UUID]) -> bool:
        if item.pk not in memo:
            memo[item.pk] = _visible(item, trail)
        return memo[item.pk]

    def _visible(item: RequestItem, trail: frozenset[UUID]) -> bool:
        if item.condition_item_id is None:
            return True
        if item.pk in trail:
            return False
        parent = by_id.get(item.condition_item_id) or item.condition_item
        if parent is None or not visible(parent, trail | {item.pk}):
            return False
        answer = None if parent.state == ItemState.NOT_APPLICABLE else parent.answer
        return condition_met(answer, item.condition_value)

    return [item for item in items if visible(item, frozenset())]


# ---------------------------------------------------------------------------------------------------
# Answers

SHORT_TEXT_MAX = 500
LONG_TEXT_MAX = 10_000
EMAIL_MAX = 254
NUMBER_MAX_DIGITS = 15
NUMBER_MAX_PLACES = 6
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_PHONE = re.compile(r"\+?[\d\s().-]+")
_GROUPING = str.maketrans("", "", " \u00a0\u202f\u2009'")  # spaces, no-break spaces, Swiss '
_YES = {"yes", "true", "on"}
_NO = {"no", "false", "off"}


def _invalid(message: str, code: str, **params: Any) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def _text(raw: Any, limit: int, multiline: bool) -> str:
    if not isinstance(raw, str):
        raise _invalid(_("Enter text."), "invalid")
    value = raw.strip()
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    allowed = "\n\t" if multiline else "\t"
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        raise _invalid(_("This answer contains invisible control characters. Please type it again."),
                       "control_characters")
    if len(value) > limit:
        raise _invalid(_("Keep this answer to %(limit)s characters or fewer (it has %(length)s)."),
                       "too_long", limit=limit, length=len(value))
    return value


def _date(raw: Any) -> str:
    if isinstance(raw, datetime):
        raw = raw.date()
    if isinstance(raw, date):
        return raw.isoformat()
    if isinstance(raw, str) and _DATE.fullmatch(raw.strip()):
        try:
            return date.fromisoformat(raw.strip()).isoformat()
        except ValueError:
            raise _invalid(_("This date does not exist."), "invalid_date") from None
    raise _invalid(_("Enter a date as year-month-day, for example 2025-03-31."), "invalid")


def _number_text(raw: Any) -> str:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise _invalid(_("Enter a number."), "invalid")
    text = str(raw).strip().translate(_GROUPING)
    if isinstance(raw, str) and "," in text:
        whole, _sep, places = text.partition(",")
        if "." in text or "," in places or len(places) == 3:
            raise _invalid(_("Write the number without thousands separators, for example 250000."),
                           "separators")
        text = f"{whole}.{places}"  # a decimal comma, as written in French
    if isinstance(raw, str) and not _NUMBER.fullmatch(text):
        raise _invalid(_("Enter a number using digits only, for example 250000 or 1234.5."), "invalid")
    number = _number(text)
    if number is None:
        raise _invalid(_("Enter a number using digits only, for example 250000 or 1234.5."), "invalid")
    return _normalised(number)


def _normalised(number: Decimal) -> str:
    number = number.normalize()
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if number.adjusted() >= NUMBER_MAX_DIGITS:
        raise _invalid(_("This number is too large."), "too_large")
    if places > NUMBER_MAX_PLACES:
        raise _invalid(_("Use at most %(places)s decimal places."), "too_precise", places=NUMBER_MAX_PLACES)
    text = format(number, "f")
    return "0" if text in ("-0", "+0") else text


def _email(raw: Any) -> str:
    value = _text(raw, EMAIL_MAX, multiline=False)
    try:
        validate_email(value)
    except ValidationError:
        raise _invalid(_("Enter a valid e-mail address, for example name@example.com."), "invalid") from None
    local, _at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _phone(raw: Any) -> str:
    value = " ".join(_text(raw, 40, multiline=False).split())
    if not _PHONE.fullmatch(value):
        raise _invalid(_("Enter a telephone number using digits, spaces, +, - and brackets, for example "
                         "+44 20 7946 0958."), "invalid")
    if not 6 <= sum(c.isdigit() for c in value) <= 20:
        raise _invalid(_("A telephone number has between 6 and 20 digits."), "invalid_length")
    return value


def _single_choice(item: ItemSpec, raw: Any) -> str:
    value = raw.strip() if isinstance(raw, str) else raw
    if value not in item.choices:
        raise _invalid(_("Choose one of the options offered."), "invalid_choice")
    return str(value)


def _multiple_choice(item: ItemSpec, raw: list[Any]) -> list[str]:
    values = [v.strip() if isinstance(v, str) else v for v in raw]
    if any(v not in item.choices for v in values):
        raise _invalid(_("Choose only among the options offered."), "invalid_choice")
    if len(set(values)) != len(values):
        raise _invalid(_("Each option can be chosen only once."), "duplicate_choice")
    return [c for c in item.choices if c in values]  # in the order the options are offered


def _yes_no(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    value = raw.strip().lower() if isinstance(raw, str) else None
    if value in _YES or value in _NO:
        return value in _YES
    raise _invalid(_("Answer yes or no."), "invalid")


def _cleaned(item: ItemSpec, raw: Any) -> Any:
    match item.question_type:
        case QuestionType.SHORT_TEXT:
            return _text(raw, SHORT_TEXT_MAX, multiline=False)
        case QuestionType.LONG_TEXT:
            return _text(raw, LONG_TEXT_MAX, multiline=True)
        case QuestionType.DATE:
            return _date(raw)
        case QuestionType.NUMBER:
            return _number_text(raw)
        case QuestionType.EMAIL:
            return _email(raw)
        case QuestionType.PHONE:
            return _phone(raw)
        case QuestionType.SINGLE_CHOICE:
            return _single_choice(item, raw)
        case QuestionType.MULTIPLE_CHOICE:
            return _multiple_choice(item, raw)
        case QuestionType.YES_NO:
            return _yes_no(raw)
    raise ValueError(f"unknown question type {item.question_type!r}")


def validate_answer(item: ItemSpec, raw: Any) -> Any:
    """The answer to store for `item` (a JSON value), or ValidationError in plain words.

    Empty input (None, blank text, no choice) is None for an optional item and an error for a
    required one. Dates are ISO strings, numbers normalised decimal strings ("250000", "1234.5"),
    yes/no answers booleans, multiple choices a list in the order the options are offered.
    Documents take files, not answers: ValueError.
    """
    if item.kind != ItemKind.QUESTION:
        raise ValueError(f"{item} is a {item.kind} item; it takes files, not answers")
    if item.question_type == QuestionType.MULTIPLE_CHOICE:
        if isinstance(raw, str):
            raw = [raw] if raw.strip() else []
        elif isinstance(raw, list | tuple):
            raw = [v for v in raw if not (isinstance(v, str) and not v.strip())]
        elif raw is not None:
            raise _invalid(_("Choose only among the options offered."), "invalid_choice")
    if raw is None or raw == [] or (isinstance(raw, str) and not raw.strip()):
        if item.required:
            raise _invalid(_("This answer is required."), "required")
        return None
    return _cleaned(item, raw)


# ---------------------------------------------------------------------------------------------------
# Completeness

_KEPT_UPLOADS = (UploadState.PENDING, UploadState.APPROVED)


def is_provided(item: RequestItem) -> bool:
    """Whether the item counts as given for "I've finished": marked not applicable, or

    a document with an upload pending review or approved (uses a prefetch of `uploads`), or a
    question with a non-empty answer.
    """
    if item.state == ItemState.NOT_APPLICABLE:
        return True
    if item.kind == ItemKind.DOCUMENT:
        return any(upload.state in _KEPT_UPLOADS for upload in item.uploads.all())
    return item.answer not in (None, "", [])


def request_items(request: Request) -> list[RequestItem]:
    """Every item of `request` in checklist order, with what visibility and completeness read.

    The items share `request`, so its client and subject key are read once for all the answers.
    """
    return list(
        request.items.select_related("section").prefetch_related("uploads")
        .order_by("section__position", "position", "id")
    )


def missing_required(request: Request) -> list[RequestItem]:
    """The visible required items not provided yet, in checklist order: what blocks "I've finished"."""
    return [item for item in visible_items(request_items(request))
            if item.required and not is_provided(item)]
