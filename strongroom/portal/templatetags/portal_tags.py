from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

register = template.Library()

ACCEPT = {
    "pdf": ".pdf,application/pdf",
    "image": "image/jpeg,image/png,image/heic,image/heif,.jpg,.jpeg,.png,.heic,.heif",
    "office": ".doc,.docx,.xls,.xlsx,.odt,.ods,.ppt,.pptx",
    "text": ".txt,.csv,text/plain,text/csv",
}


@register.filter
def accept_attr(kinds: list[str]) -> str:
    """The file picker's `accept` list for an item's accepted kinds ('' accepts anything)."""
    if not kinds or "any" in kinds:
        return ""
    return ",".join(ACCEPT[k] for k in kinds if k in ACCEPT)


@register.filter
def takes_photos(kinds: list[str]) -> bool:
    return not kinds or "any" in kinds or "image" in kinds


@register.filter
def answer_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@register.filter
def contains(values: Any, value: Any) -> bool:
    return isinstance(values, list) and value in values
