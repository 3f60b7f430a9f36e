"""What a client (or contributor) does on the portal: answer, upload, remove an upload, mark an item
not applicable, and finish. Every action takes the portal link as the actor and checks that the
request is open, the item visible and not yet approved, and the privacy notice acknowledged."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.audit.actions import record
from strongroom.collection.lifecycle import RequestStateError, locked_request, mark_in_progress
from strongroom.collection.models import Request, RequestItem, Upload
from strongroom.collection.models.requests import ItemState, RequestState, UploadState
from strongroom.portal.models import PortalLink
from strongroom.portal.notice import acknowledgement_required

ANSWERABLE = (RequestState.SENT, RequestState.IN_PROGRESS, RequestState.SUBMITTED)


def _open_item(link: PortalLink, item: RequestItem) -> RequestItem:
    """The item, locked, once every rule for changing it holds."""
    from strongroom.collection.checklists import visible_items

    if item.request_id != link.request_id:
        raise PermissionDenied(_("This item is not part of your request."))
    acknowledgement_required(link)
    request = locked_request(link.request)
    if request.state not in ANSWERABLE:
        raise RequestStateError(_("This request is closed and accepts nothing more."))
    current = RequestItem.objects.select_for_update().get(pk=item.pk)
    current.request = request
    if current.pk not in {i.pk for i in visible_items(request.items.all())}:
        raise ValidationError(_("This item does not apply given your earlier answers."))
    if current.state == ItemState.APPROVED:
        raise ValidationError(_("This item was already approved and can no longer be changed."))
    return current


def _touch(item: RequestItem, link: PortalLink, state: str, action: str, **extra: Any) -> None:
    item.state = state
    item.version += 1
    item.save(update_fields=["state", "version", "answer", "not_applicable_reason", "updated_at"])
    mark_in_progress(item.request)
    record(
        link,
        action,
        item,
        workspace=item.request.workspace_id,
        subject=item.request.client.subject_id,
        **extra,
    )


def do_save_answer(link: PortalLink, item: RequestItem, raw: Any) -> RequestItem:
    from strongroom.collection.checklists import validate_answer

    if item.kind != "question":
        raise ValidationError(_("Documents are uploaded, not typed in."))
    value = validate_answer(item, raw)
    with transaction.atomic():
        item = _open_item(link, item)
        item.answer = value
        item.not_applicable_reason = ""
        _touch(
            item, link, ItemState.PENDING if value not in (None, "") else ItemState.MISSING, "item.answered"
        )
    return item


def do_mark_not_applicable(link: PortalLink, item: RequestItem, reason: str = "") -> RequestItem:
    with transaction.atomic():
        item = _open_item(link, item)
        item.not_applicable_reason = reason.strip()[:1000]
        item.answer = None  # what the client withdrew is not kept
        item.reviewed_at = None
        item.save(update_fields=["reviewed_at"])
        _touch(item, link, ItemState.NOT_APPLICABLE, "item.marked_not_applicable")
    return item


def _state_after_uploads(item: RequestItem) -> str:
    if item.uploads.filter(state=UploadState.PENDING).exists():
        return ItemState.PENDING
    return ItemState.REJECTED if item.rejection_reason else ItemState.MISSING


def do_add_upload(link: PortalLink, item: RequestItem, uploaded: Any) -> Upload:
    """Keep a file the sealing upload handler received for `item`; `uploaded` carries its writer."""
    from strongroom.vault.filekinds import accepts

    try:
        if item.kind != "document":
            raise ValidationError(_("This item takes an answer, not a file."))
        if not accepts(item.accepted_kinds, uploaded.kind):
            raise ValidationError(
                _("“%(name)s” is not a kind of file this item accepts.") % {"name": uploaded.name}
            )
        with transaction.atomic():
            item = _open_item(link, item)
            if item.uploads.exclude(state=UploadState.REJECTED).count() >= item.max_files:
                raise ValidationError(
                    _("This item takes at most %(count)d file(s).") % {"count": item.max_files}
                )
            blob = uploaded.writer.finish(
                name=uploaded.name,
                content_type=uploaded.content_type,
                actor=link,
                audit_extra={"item": str(item.pk)},
            )
            upload = Upload.objects.create(item=item, blob=blob, uploaded_by_link=link)
            _touch(item, link, ItemState.PENDING, "item.file_added", upload=str(upload.pk))
    except BaseException:
        uploaded.writer.abort()
        raise
    return upload


def given_by_same_person(upload: Upload, link: PortalLink) -> bool:
    """Each e-mail brings a new link, so "your own file" means same request and same person, not same link."""
    sender = upload.uploaded_by_link
    return (
        sender is not None
        and sender.request_id == link.request_id
        and sender.contributor_id == link.contributor_id
    )


def do_remove_upload(link: PortalLink, upload: Upload) -> None:
    """A client takes back a file of theirs that nobody has reviewed yet."""
    from strongroom.vault.actions import delete_blob

    with transaction.atomic():
        item = _open_item(link, upload.item)
        upload = Upload.objects.select_for_update().select_related("blob").get(pk=upload.pk)
        if not given_by_same_person(upload, link) or upload.state != UploadState.PENDING:
            raise PermissionDenied(_("Only your own files waiting for review can be removed."))
        blob = upload.blob
        upload.delete()
        delete_blob(blob)
        _touch(item, link, _state_after_uploads(item), "item.file_removed", upload=str(upload.pk))


def do_finish(link: PortalLink) -> Request:
    """ "I've finished": every required item that applies has been given (or marked not applicable)."""
    from strongroom.collection.checklists import missing_required
    from strongroom.collection.tasks import deliver_portal_mail
    from strongroom.collection.threads import notify_submission

    acknowledgement_required(link)
    with transaction.atomic():
        request = locked_request(link.request)
        if request.state not in (RequestState.SENT, RequestState.IN_PROGRESS):
            raise RequestStateError(_("This request is not waiting for your answers."))
        missing = missing_required(request)
        if missing:
            raise ValidationError(
                _("Some required items are still missing: %(items)s.")
                % {"items": ", ".join(item.label for item in missing)}
            )
        request.state, request.submitted_at = RequestState.SUBMITTED, timezone.now()
        request.version += 1
        request.save(update_fields=["state", "submitted_at", "version"])
        record(link, "request.submitted", request, subject=request.client.subject_id)
        notify_submission(request)
        contributor = str(link.contributor_id) if link.contributor_id else ""
        args = ("receipt", str(request.pk), str(uuid.uuid4()), contributor)
        transaction.on_commit(lambda: deliver_portal_mail.enqueue(*args))
    return request
