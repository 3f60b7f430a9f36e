"""Background work of the collection. Tasks take ids (never personal data) and are safe to run twice."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from strongroom.audit.actors import SYSTEM
from strongroom.collection.models import Contributor, Request
from strongroom.collection.models.requests import OPEN_STATES
from strongroom.portal.links import do_issue_link
from strongroom.portal.models import PortalLink

PORTAL_PATH = "/p/"


def portal_url(token: str) -> str:
    """The link a client follows; the portal's URLconf serves `PORTAL_PATH<token>`."""
    return f"{settings.BASE_URL}{PORTAL_PATH}{token}"


def receipt_lines(request: Request, *, with_values: bool = True) -> dict[str, Any]:
    """What the client gave: files (name, size, time) and answers. The e-mailed receipt leaves the
    answers' values out (`with_values=False`): e-mail carries what was received, not its content."""
    from django.template.defaultfilters import filesizeformat
    from django.utils.translation import gettext_lazy

    from strongroom.collection.models.requests import UploadState

    files, answers = [], []
    for item in request.items.prefetch_related("uploads__blob").order_by("section__position", "position"):
        for upload in item.uploads.all():
            if upload.state != UploadState.REJECTED:
                files.append(
                    {
                        "name": upload.blob.meta["name"],
                        "received_at": upload.created_at,
                        "size_human": filesizeformat(upload.blob.size),
                    }
                )
        if item.kind == "question" and item.state != "not_applicable" and item.answer not in (None, ""):
            value = item.answer if with_values else gettext_lazy("answered")
            answers.append({"label": item.label, "value": value})
    return {"files": files, "answers": answers}


def _context(request: Request, person: Any, link_url: str) -> dict[str, Any]:
    return {
        "workspace_name": request.workspace.name,
        "client_name": person.name,
        "title": request.title,
        "message": request.message,
        "due_date": request.due_date,
        "link_url": link_url,
        "accent_colour": request.workspace.accent_colour,
    }


@task()
def deliver_portal_mail(
    template: str,
    request_id: str,
    issue_key: str,
    contributor_id: str = "",
    fresh: bool = False,
    item_id: str = "",
) -> str:
    """E-mail a client or contributor a message carrying a new link of their own.

    The link is issued here, in the same transaction as the sending, so its token never exists
    outside this task's memory; `issue_key` makes a second run of the same task a no-op.
    """
    from strongroom.mail.render import send_mail_in_language

    with transaction.atomic():
        request = (
            Request.objects.select_for_update()
            .select_related("workspace", "client__subject")
            .get(pk=request_id)
        )
        if request.state not in OPEN_STATES:
            return "request closed"
        if PortalLink.objects.filter(issue_key=UUID(issue_key)).exists():
            return "already delivered"
        contributor = Contributor.objects.get(pk=contributor_id, request=request) if contributor_id else None
        person = contributor or request.client
        _, token = do_issue_link(
            request, SYSTEM, contributor=contributor, issue_key=UUID(issue_key), fresh=fresh
        )
        context = _context(request, person, portal_url(token))
        if template == "reminder":
            context["overdue"] = request.due_date is not None and request.due_date < timezone.localdate()
        if template == "receipt":
            context |= receipt_lines(request, with_values=False)
        if item_id:
            item = request.items.get(pk=item_id)
            context |= {"item_label": item.label, "reason": item.rejection_reason}
        send_mail_in_language(to=[person.email], template=template, context=context, language=person.language)
    return "delivered"


@task()
def notify_staff(template: str, request_id: str) -> int:
    """Tell the request's owner and assignees that something arrived; a link, never the content."""
    from strongroom.mail.render import send_mail_in_language

    request = Request.objects.select_related("workspace", "owner").filter(pk=request_id).first()
    if request is None:  # erased since the task was queued
        return 0
    people = {request.owner, *request.assignees.filter(is_active=True)}
    url = f"{settings.BASE_URL}/w/{request.workspace_id}/requests/{request.pk}/"
    for person in people:
        send_mail_in_language(
            to=[person.email],
            template=template,
            language=request.workspace.default_language,
            context={
                "workspace_name": request.workspace.name,
                "title": request.title,
                "review_url": url,
            },
        )
    return len(people)
