"""Staff review of items: approve, reject with a reason, reopen, rule on "not applicable", answer for
the client.

Two people acting on one item at once: each action names the item version it was shown; the first
wins and the second gets `StaleItem`, which says what the item is now. No update is lost.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.audit.actions import record
from strongroom.collection.lifecycle import RequestStateError, complete_if_done, locked_request
from strongroom.collection.models import RequestItem
from strongroom.collection.models.requests import CLOSED_STATES, ItemState, RequestState, UploadState


class StaleItem(ValidationError):
    """The item changed since the page was shown."""

    def __init__(self, item: RequestItem) -> None:
        super().__init__(
            _("Someone else changed this item in the meantime: it is now “%(state)s”. Nothing was changed.")
            % {"state": item.get_state_display()}
        )
        self.item = item


def _locked_item(item: RequestItem, version: int, actor: Any) -> RequestItem:
    request = locked_request(item.request, actor)
    if request.state in CLOSED_STATES or request.state == RequestState.DRAFT:
        raise RequestStateError(_("This request is not open for review."))
    current = RequestItem.objects.select_for_update().select_related("request").get(pk=item.pk)
    current.request = request
    if current.version != version:
        raise StaleItem(current)
    return current


def _save_review(item: RequestItem, actor: Any, state: str, action: str, **extra: Any) -> None:
    item.state = state
    item.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
    item.reviewed_at = timezone.now()
    item.version += 1
    item.save(
        update_fields=["state", "reviewed_by", "reviewed_at", "version", "rejection_reason", "updated_at"]
    )
    record(
        actor,
        action,
        item,
        workspace=item.request.workspace_id,
        subject=item.request.client.subject_id,
        request=str(item.request_id),
        **extra,
    )


def do_approve_item(item: RequestItem, actor: Any, version: int) -> RequestItem:
    with transaction.atomic():
        item = _locked_item(item, version, actor)
        waiting = item.state == ItemState.PENDING or (
            item.state == ItemState.NOT_APPLICABLE and item.reviewed_at is None
        )
        if not waiting:
            raise ValidationError(_("Only an item waiting for review can be approved."))
        accepted_na = item.state == ItemState.NOT_APPLICABLE
        item.uploads.filter(state=UploadState.PENDING).update(state=UploadState.APPROVED)
        item.rejection_reason = ""
        _save_review(
            item,
            actor,
            item.state if accepted_na else ItemState.APPROVED,
            "item.not_applicable_accepted" if accepted_na else "item.approved",
        )
        complete_if_done(item.request, actor)
    return item


def do_reject_item(item: RequestItem, actor: Any, version: int, reason: str) -> RequestItem:
    """Send the item back with a reason; the client is told and can give it again."""
    from strongroom.collection.tasks import deliver_portal_mail

    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why, so the client knows what to send instead.")})
    with transaction.atomic():
        item = _locked_item(item, version, actor)
        if item.state not in (ItemState.PENDING, ItemState.NOT_APPLICABLE, ItemState.APPROVED):
            raise ValidationError(_("Only an item the client has answered can be rejected."))
        item.uploads.exclude(state=UploadState.REJECTED).update(state=UploadState.REJECTED)
        item.rejection_reason = reason
        _save_review(item, actor, ItemState.REJECTED, "item.rejected")
        request = item.request
        if request.state == RequestState.SUBMITTED:
            request.state = RequestState.IN_PROGRESS
            request.save(update_fields=["state"])
        args = ("rejected_item", str(request.pk), str(uuid.uuid4()), "", False, str(item.pk))
        transaction.on_commit(lambda: deliver_portal_mail.enqueue(*args))
    return item


def do_reopen_item(item: RequestItem, actor: Any, version: int) -> RequestItem:
    """Undo a review: an approved or ruled item goes back to waiting for review."""
    with transaction.atomic():
        item = _locked_item(item, version, actor)
        if item.state not in (ItemState.APPROVED, ItemState.REJECTED, ItemState.NOT_APPLICABLE):
            raise ValidationError(_("Only a reviewed item can be reopened."))
        has_files = item.uploads.exclude(state=UploadState.REJECTED).exists()
        has_answer = has_files or item.answer not in (None, "")
        item.uploads.filter(state=UploadState.APPROVED).update(state=UploadState.PENDING)
        item.rejection_reason = ""
        state = ItemState.PENDING if has_answer else ItemState.MISSING
        _save_review(item, actor, state, "item.reopened")
        item.reviewed_at = None
        item.save(update_fields=["reviewed_at"])
    return item


def do_answer_for_client(item: RequestItem, actor: Any, version: int, raw: Any) -> RequestItem:
    """Staff type in an answer the client gave another way; it counts as approved."""
    from strongroom.collection.checklists import validate_answer

    if item.kind != "question":
        raise ValidationError(_("Only questions can be answered for the client; documents are uploaded."))
    value = validate_answer(item, raw)
    with transaction.atomic():
        item = _locked_item(item, version, actor)
        item.answer = value
        item.answered_by = actor if getattr(actor, "is_authenticated", False) else None
        item.save(update_fields=["answer", "answered_by"])
        item.rejection_reason = ""
        _save_review(
            item,
            actor,
            ItemState.APPROVED if value is not None else ItemState.MISSING,
            "item.answered_by_staff",
        )
        complete_if_done(item.request, actor)
    return item
