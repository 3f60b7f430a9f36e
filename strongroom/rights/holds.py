"""Legal holds: the workspace keeps a collection request the law requires it to keep, whatever the
client asks; erasure then spares exactly that request (see `erasure`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.models import User
from strongroom.audit.actions import record
from strongroom.collection.models import Client, Request
from strongroom.rights.lifecycle import RightsError, require_handler
from strongroom.rights.models import LegalHold


def holds_of(client: Client) -> list[LegalHold]:
    return list(LegalHold.objects.filter(request__client=client, lifted_at=None).select_related("request"))


def do_set_hold(request: Request, actor: User, ground: str, until: date | None) -> LegalHold:
    require_handler(actor, request.workspace_id)
    ground = (ground or "").strip()
    if not ground:
        raise RightsError(_("Say which law requires keeping these records."))
    if until is not None and until < timezone.localdate():
        raise RightsError(_("The end of the hold cannot be in the past."))
    with transaction.atomic():
        hold = LegalHold.objects.create(
            workspace_id=request.workspace_id, request=request, ground=ground, until=until, set_by=actor
        )
        record(
            actor,
            "rights.hold_set",
            hold,
            subject=request.client.subject_id,
            workspace=request.workspace_id,
            request=str(request.pk),
        )
    return hold


def do_lift_hold(hold: LegalHold, actor: Any) -> None:
    require_handler(actor, hold.workspace_id)
    with transaction.atomic():
        locked = LegalHold.objects.select_for_update(of=("self",)).get(pk=hold.pk)
        if locked.lifted_at is not None:
            return
        locked.lifted_at = timezone.now()
        locked.save(update_fields=["lifted_at"])
        record(actor, "rights.hold_lifted", locked, workspace=locked.workspace_id)
