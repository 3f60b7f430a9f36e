"""Rectification (Art. 16): the person proposes corrections to their profile and their answers; the
workspace accepts or refuses each one; an accepted correction is applied and audited with the
field's name, never its values. Art. 19: the recipients the data went to are listed, to be told.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.models import User
from strongroom.audit.actions import record
from strongroom.collection.checklists import validate_answer, visible_items
from strongroom.collection.clients import _clean as clean_profile
from strongroom.collection.clients import _email_taken
from strongroom.collection.models import Client, Contributor, RequestItem
from strongroom.privacy.subprocessors import current as current_subprocessors
from strongroom.rights.lifecycle import RightsError, do_receive, mark_done, require_decider
from strongroom.rights.models import (
    Channel,
    Correction,
    CorrectionState,
    RecipientNotice,
    RightKind,
    RightsRequest,
    RightsState,
    Verification,
)
from strongroom.rights.restriction import changes_allowed

PROFILE_FIELDS = ("name", "email", "phone")


def correctable_answers(client: Client) -> list[RequestItem]:
    """The questions the client answered, in the requests they can see."""
    items = RequestItem.objects.filter(request__client=client, kind="question").select_related("request")
    shown = visible_items(items)
    return [i for i in shown if i.answer not in (None, "", [])]


def do_propose(client: Client, link: Any, proposals: dict[str, Any], details: str = "") -> RightsRequest:
    """A client proposes corrections from the portal: {"name": ..., "email": ..., "item:<id>": ...}.

    Only changed values count; each is checked as the field or question requires, before anything
    is kept. The request is verified by the portal session and goes to the workspace to decide."""
    corrections: list[tuple[str, RequestItem | None, str]] = []
    errors: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        value = (proposals.get(name) or "").strip()
        if not value or value == getattr(client, name):
            continue
        try:
            clean_profile({name: value})
        except ValidationError as exc:
            errors[name] = exc.messages
            continue
        corrections.append((name, None, value))
    answers = {str(i.pk): i for i in correctable_answers(client)}
    for key, raw in proposals.items():
        if not key.startswith("item:") or raw in (None, "", []):
            continue
        item = answers.get(key.removeprefix("item:"))
        if item is None:
            errors[key] = [_("That answer cannot be corrected here.")]
            continue
        try:
            value = validate_answer(item, raw)
        except ValidationError as exc:
            errors[key] = exc.messages
            continue
        if value != item.answer:
            corrections.append(("answer", item, _as_text(value)))
    if errors:
        raise ValidationError(errors)
    if not corrections:
        raise RightsError(_("Change at least one value to propose a correction."), code="nothing_to_correct")
    with transaction.atomic():
        rights_request = do_receive(
            client.workspace,
            client,
            RightKind.RECTIFICATION,
            channel=Channel.PORTAL,
            actor=link,
            details=details,
            verified_by=Verification.PORTAL_SESSION,
        )
        for field_name, item, value in corrections:
            correction = Correction(rights_request=rights_request, field_name=field_name, item=item)
            correction.proposed = value
            correction.save(force_insert=True)
    return rights_request


def _as_text(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _from_text(item: RequestItem, text: str) -> Any:
    import json

    if item.question_type in ("multiple_choice", "yes_no"):
        return json.loads(text)
    return text


def do_decide_correction(correction: Correction, actor: User, *, accept: bool) -> Correction:
    """Accept (and apply) or refuse one correction; the request closes once each is decided."""
    rights_request = correction.rights_request
    require_decider(actor, rights_request.workspace)
    with transaction.atomic():
        locked_request = RightsRequest.objects.select_for_update(of=("self",)).get(pk=rights_request.pk)
        if locked_request.state not in (
            RightsState.AWAITING_APPROVAL,
            RightsState.IN_PROGRESS,
            RightsState.EXTENDED,
        ):
            raise RightsError(_("This request is closed."), code="wrong_state")
        locked = (
            Correction.objects.select_for_update(of=("self",))
            .select_related("item__request")
            .get(pk=correction.pk)
        )
        if locked.state != CorrectionState.PROPOSED:
            raise RightsError(_("This correction was already decided."), code="already_decided")
        if accept:
            _apply(locked, locked_request, actor)
        locked.state = CorrectionState.ACCEPTED if accept else CorrectionState.REFUSED
        locked.decided_by, locked.decided_at = actor, timezone.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        record(
            actor,
            "rights.correction_accepted" if accept else "rights.correction_refused",
            locked,
            subject=locked_request.subject_id,
            workspace=locked_request.workspace_id,
            field=locked.field_name,
        )
        if not locked_request.corrections.filter(state=CorrectionState.PROPOSED).exists():
            accepted = locked_request.corrections.filter(state=CorrectionState.ACCEPTED).count()
            refused = locked_request.corrections.filter(state=CorrectionState.REFUSED).count()
            if accepted:
                list_recipients(locked_request)
            mark_done(locked_request, {"accepted": accepted, "refused": refused})
    return locked


def _apply(correction: Correction, rights_request: RightsRequest, actor: User) -> None:
    with changes_allowed():  # rectification is allowed while the use is restricted (Art. 18(1)(a))
        if correction.field_name in PROFILE_FIELDS:
            client = (
                Client.objects.select_for_update(of=("self",))
                .select_related("workspace")
                .get(pk=rights_request.client_id or uuid.UUID(int=0))
            )
            if correction.field_name == "email" and _email_taken(
                client.workspace, correction.proposed, exclude=client.pk
            ):
                raise RightsError(
                    _("Another client of the workspace already has this e-mail address."), code="email_taken"
                )
            setattr(client, correction.field_name, correction.proposed)
            fields = [correction.field_name]
            if correction.field_name in ("name", "email"):
                fields.append(f"{correction.field_name}_index")
            client.save(update_fields=fields)
            target: Any = client
        else:
            item = correction.item
            if item is None:
                raise RightsError(_("The answer this correction was for no longer exists."), code="gone")
            item = RequestItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
            item.answer = _from_text(item, correction.proposed)
            item.version += 1
            item.save(update_fields=["answer", "version", "updated_at"])
            target = item
        record(
            actor,
            "rights.rectified",
            target,
            subject=rights_request.subject_id,
            workspace=rights_request.workspace_id,
            field=correction.field_name,
        )


def list_recipients(rights_request: RightsRequest) -> list[RecipientNotice]:
    """Art. 19: everyone the person's data went to, to be told of the change (once per request)."""
    if rights_request.notices.exists():
        return list(rights_request.notices.all())
    client_id = rights_request.client_id  # the client may be gone (erased): then so are its contributors
    contributors = (
        Contributor.objects.filter(request__client_id=client_id)
        if client_id is not None
        else Contributor.objects.none()
    )
    notices = [
        RecipientNotice(rights_request=rights_request, recipient="contributor", contributor=contributor)
        for contributor in contributors
    ]
    notices += [
        RecipientNotice(rights_request=rights_request, recipient=p.name[:200])
        for p in current_subprocessors()
    ]
    RecipientNotice.objects.bulk_create(notices)
    return notices


def do_mark_notified(notice: RecipientNotice, actor: User) -> None:
    require_decider(actor, notice.rights_request.workspace)
    with transaction.atomic():
        locked = RecipientNotice.objects.select_for_update(of=("self",)).get(pk=notice.pk)
        if locked.notified_at is not None:
            return
        locked.notified_at, locked.notified_by = timezone.now(), actor
        locked.save(update_fields=["notified_at", "notified_by"])
        record(actor, "rights.recipient_notified", locked, workspace=notice.rights_request.workspace_id)
