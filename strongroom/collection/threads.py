"""The message thread of a request: between staff and the client (and contributors), plus internal
notes the portal never shows. New client messages notify the request's staff by e-mail (a link only)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from strongroom.accounts.access import require_member
from strongroom.accounts.models import User
from strongroom.audit.actions import record
from strongroom.collection.models import Message, Request
from strongroom.portal.models import PortalLink

MAX_LENGTH = 10_000


def do_post_message(
    request: Request, author: User | PortalLink, body: str, *, internal: bool = False
) -> Message:
    body = body.strip()
    if not body:
        raise ValidationError({"body": _("Write a message first.")})
    if len(body) > MAX_LENGTH:
        raise ValidationError({"body": _("Messages are limited to 10,000 characters.")})
    from_portal = isinstance(author, PortalLink)
    if isinstance(author, PortalLink) and author.request_id != request.pk:
        raise PermissionDenied(_("This link belongs to another request."))
    require_member(request.workspace_id, author)
    if from_portal and internal:
        raise ValidationError(_("Internal notes are for staff only."))
    with transaction.atomic():
        message = Message(request=request, body=body, internal=internal)
        if isinstance(author, PortalLink):
            message.author_link = author
        else:
            message.author_user = author
        message.save()
        record(
            author,
            "message.internal_note" if internal else "message.posted",
            message,
            workspace=request.workspace_id,
            subject=request.client.subject_id,
            request=str(request.pk),
        )
        if from_portal:
            _notify_staff(request, "staff_new_message")
    return message


def visible_thread(request: Request, *, for_portal: bool) -> QuerySet[Message]:
    thread = request.messages.select_related("author_user", "author_link__contributor")
    return thread.filter(internal=False) if for_portal else thread


def _notify_staff(request: Request, template: str) -> None:
    from strongroom.collection.tasks import notify_staff

    args = (template, str(request.pk))
    transaction.on_commit(lambda: notify_staff.enqueue(*args))


def notify_submission(request: Request) -> None:
    _notify_staff(request, "staff_submitted")


def author_label(message: Message, viewer_is_staff: bool) -> Any:
    if message.author_user_id:
        return message.author_user.name if message.author_user else _("Staff")
    link = message.author_link
    if link is None:
        return _("Former participant")
    return link.contributor.name if link.contributor else message.request.client.name
