"""Deadline warnings: the deciders of a workspace are told a week before a rights request is due and
on the day itself. Each warning is recorded before it is queued; the unique constraint makes it go
once however many workers run, and an extended deadline gets warnings of its own."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from strongroom.audit.actions import record
from strongroom.audit.actors import SYSTEM
from strongroom.rights.deadlines import WARN_DAYS_BEFORE
from strongroom.rights.models import OPEN_RIGHTS_STATES, DeadlineWarning, RightsRequest


def warning_due(rights_request: RightsRequest, today: date) -> str | None:
    """Which warning is due today, if any: on the deadline, or from a week before it."""
    if today >= rights_request.due_on:
        return "due_today"
    if today >= rights_request.due_on - timedelta(days=WARN_DAYS_BEFORE):
        return "week_before"
    return None


def send_deadline_warnings(today: date | None = None) -> int:
    """Queue the warnings that fell due; returns how many."""
    from strongroom.rights.tasks import warn_deciders

    today = today or timezone.localdate()
    horizon = today + timedelta(days=WARN_DAYS_BEFORE)
    queued = 0
    candidates = RightsRequest.objects.filter(state__in=OPEN_RIGHTS_STATES, due_on__lte=horizon).only(
        "id", "due_on", "workspace_id"
    )
    for rights_request in candidates.iterator(chunk_size=500):
        kind = warning_due(rights_request, today)
        if (
            kind is None
            or DeadlineWarning.objects.filter(
                rights_request=rights_request, kind=kind, due_on=rights_request.due_on
            ).exists()
        ):
            continue
        try:
            with transaction.atomic():
                DeadlineWarning.objects.create(
                    rights_request=rights_request, kind=kind, due_on=rights_request.due_on
                )
                record(
                    SYSTEM,
                    "rights.deadline_warning",
                    rights_request,
                    workspace=rights_request.workspace_id,
                    kind=kind,
                    due_on=rights_request.due_on.isoformat(),
                )
                args = (str(rights_request.pk), kind)
                transaction.on_commit(lambda args=args: warn_deciders.enqueue(*args))  # type: ignore[misc]
        except IntegrityError:
            continue  # another worker sent this one
        queued += 1
    return queued
