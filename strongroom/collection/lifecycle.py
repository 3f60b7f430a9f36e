"""A request's life: drafted from a template, sent, answered, submitted, completed or cancelled.

Every function here is an action: it changes state in one transaction, with its audit event, and
leaves e-mails to tasks enqueued after commit (they carry ids only).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.access import require_member
from strongroom.audit.actions import record
from strongroom.collection.models import Client, Contributor, Request, Template
from strongroom.collection.models.requests import CLOSED_STATES, OPEN_STATES, ItemState, RequestState
from strongroom.crypto import keys
from strongroom.crypto.models import Keyring, SubjectKey


class RequestStateError(ValidationError):
    """The request is not in a state that allows this."""


def locked_request(request: Request, actor: Any = None) -> Request:
    """The request row, locked for the rest of the transaction, with its current state.

    A staff `actor` must belong to the request's workspace.
    """
    require_member(request.workspace_id, actor)
    return Request.objects.select_for_update().select_related("workspace", "client").get(pk=request.pk)


def do_create_request(
    workspace: Any,
    actor: Any,
    *,
    client: Client,
    title: str,
    owner: Any = None,
    template: Template | None = None,
    due_date: date | None = None,
    message: str = "",
) -> Request:
    """A draft request for `client`, with a copy of `template`'s checklist to edit before sending."""
    from strongroom.collection.checklists import copy_template

    require_member(workspace, actor)
    if owner is not None:
        require_member(workspace, owner)
    if client.workspace_id != workspace.pk:
        raise ValidationError(_("This client belongs to another workspace."))
    if template is not None and template.workspace_id not in (None, workspace.pk):
        raise ValidationError(_("This template belongs to another workspace."))
    title = title.strip() or (template.name if template else "")
    if not title:
        raise ValidationError({"title": _("A request needs a title.")})
    with transaction.atomic():
        request = Request.objects.create(
            workspace=workspace,
            client=client,
            owner=owner or actor,
            template=template,
            title=title,
            message=message,
            due_date=due_date,
            remind_days_before=workspace.remind_days_before,
            remind_on_due_date=workspace.remind_on_due_date,
            remind_every_days_after=workspace.remind_every_days_after,
            remind_max_after=workspace.remind_max_after,
        )
        if template is not None:
            copy_template(template, request, language=client.language)
        record(
            actor,
            "request.created",
            request,
            subject=client.subject_id,
            template=str(template.pk) if template else None,
        )
    return request


def _enqueue_invitation(request: Request, contributor: Contributor | None = None) -> None:
    from strongroom.collection.tasks import deliver_portal_mail

    args = ("request_sent", str(request.pk), str(uuid.uuid4()), str(contributor.pk) if contributor else "")
    transaction.on_commit(lambda: deliver_portal_mail.enqueue(*args))


def do_send_request(request: Request, actor: Any) -> Request:
    """Draft → sent: the client (and each contributor) gets an e-mail with a link of their own."""
    with transaction.atomic():
        request = locked_request(request, actor)
        if request.state != RequestState.DRAFT:
            raise RequestStateError(_("Only a draft can be sent."))
        if not request.items.exists():
            raise RequestStateError(_("Add at least one item before sending."))
        request.state, request.sent_at = RequestState.SENT, timezone.now()
        request.version += 1
        request.save(update_fields=["state", "sent_at", "version"])
        record(actor, "request.sent", request, subject=request.client.subject_id)
        _enqueue_invitation(request)
        for contributor in request.contributors.all():
            _enqueue_invitation(request, contributor)
    return request


def do_send_new_link(request: Request, actor: Any, contributor: Contributor | None = None) -> None:
    """Staff issue a new link (a lost password, a lost e-mail): earlier links of that person stop working."""
    from strongroom.collection.tasks import deliver_portal_mail

    with transaction.atomic():
        request = locked_request(request, actor)
        if request.state not in OPEN_STATES:
            raise RequestStateError(_("Links can only be sent for an open request."))
        record(
            actor,
            "request.new_link_requested",
            request,
            subject=request.client.subject_id,
            contributor=str(contributor.pk) if contributor else None,
        )
        args = (
            "request_sent",
            str(request.pk),
            str(uuid.uuid4()),
            str(contributor.pk) if contributor else "",
            True,
        )
        transaction.on_commit(lambda: deliver_portal_mail.enqueue(*args))


def do_add_contributor(
    request: Request, actor: Any, *, name: str, email: str, language: str = "en"
) -> Contributor:
    from django.core.validators import validate_email

    name, email = name.strip(), email.strip()
    if not name:
        raise ValidationError({"name": _("A contributor needs a name.")})
    validate_email(email)
    with transaction.atomic():
        request = locked_request(request, actor)
        if request.state in CLOSED_STATES:
            raise RequestStateError(_("This request is closed."))
        subject = keys.create_subject(
            Keyring.objects.get(workspace=request.workspace), SubjectKey.Kind.CONTRIBUTOR
        )
        contributor = Contributor.objects.create(
            request=request, subject=subject, name=name, email=email, language=language
        )
        record(
            actor,
            "request.contributor_added",
            contributor,
            workspace=request.workspace_id,
            subject=subject.pk,
            request=str(request.pk),
        )
        if request.state in OPEN_STATES:
            _enqueue_invitation(request, contributor)
    return contributor


def _close(request: Request, state: str, actor: Any, action: str) -> Request:
    from strongroom.portal.links import expire_links_of

    now = timezone.now()
    request.state, request.closed_at = state, now
    request.version += 1
    request.save(update_fields=["state", "closed_at", "version"])
    expire_links_of(request, now)
    record(actor, action, request, subject=request.client.subject_id)
    return request


def do_cancel_request(request: Request, actor: Any) -> Request:
    with transaction.atomic():
        request = locked_request(request, actor)
        if request.state in CLOSED_STATES:
            raise RequestStateError(_("This request is already closed."))
        return _close(request, RequestState.CANCELLED, actor, "request.cancelled")


def complete_if_done(request: Request, actor: Any) -> bool:
    """Completed once the client has finished at least once and every visible item is approved
    (or accepted as not applicable, or optional and left empty). A client who re-sends a rejected
    file need not press "I've finished" again.

    Call inside the transaction that changed an item, with the request locked.
    """
    from strongroom.collection.checklists import visible_items

    finished_once = request.submitted_at is not None
    if request.state not in (RequestState.SUBMITTED, RequestState.IN_PROGRESS) or not finished_once:
        return False
    items = visible_items(request.items.prefetch_related("uploads"))
    done = all(
        item.state == ItemState.APPROVED
        or (item.state == ItemState.NOT_APPLICABLE and item.reviewed_at is not None)
        or (not item.required and item.state == ItemState.MISSING)
        for item in items
    )
    if done:
        _close(request, RequestState.COMPLETED, actor, "request.completed")
    return done


def mark_in_progress(request: Request) -> None:
    """The client's first answer or upload moves a sent request to in progress."""
    if request.state == RequestState.SENT:
        request.state = RequestState.IN_PROGRESS
        request.save(update_fields=["state"])
