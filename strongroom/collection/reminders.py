"""Reminders: N days before the due date, on it, and every N days after it up to a limit.

They go only to requests still waiting for the client (sent or in progress). Each is recorded in
`ReminderSent` before its e-mail is queued; the unique constraint on (request, kind, date) makes
each reminder go exactly once, however many workers run. After an outage only the latest reminder
that fell due is sent, not a burst of stale ones.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from strongroom.audit.actions import record
from strongroom.audit.actors import SYSTEM
from strongroom.collection.models import ReminderSent, Request
from strongroom.collection.models.requests import RequestState

WAITING = (RequestState.SENT, RequestState.IN_PROGRESS)


def schedule(request: Request) -> list[tuple[str, date]]:
    """Every reminder date of the request, in order, as (kind, date)."""
    due = request.due_date
    if due is None:
        return []
    dates: list[tuple[str, date]] = []
    if request.remind_days_before:
        dates.append(("before", due - timedelta(days=request.remind_days_before)))
    if request.remind_on_due_date:
        dates.append(("due", due))
    if request.remind_every_days_after:
        step = request.remind_every_days_after
        dates += [("after", due + timedelta(days=step * n)) for n in range(1, request.remind_max_after + 1)]
    return sorted(dates, key=lambda entry: entry[1])


def latest_due(request: Request, today: date) -> tuple[str, date] | None:
    past = [entry for entry in schedule(request) if entry[1] <= today]
    return past[-1] if past else None


def send_due_reminders(today: date | None = None) -> int:
    """Queue the reminders that fell due; returns how many."""
    from strongroom.collection.tasks import deliver_portal_mail

    today = today or timezone.localdate()
    queued = 0
    from strongroom.rights.restriction import restricted_subjects

    # A restricted client's data is frozen (Art. 18): the worker does not remind them.
    candidates = Request.objects.filter(state__in=WAITING, due_date__isnull=False).exclude(
        client__subject__in=restricted_subjects()
    ).only(
        "id",
        "state",
        "due_date",
        "remind_days_before",
        "remind_on_due_date",
        "remind_every_days_after",
        "remind_max_after",
        "workspace_id",
        "client_id",
    )
    for request in candidates.iterator(chunk_size=500):
        entry = latest_due(request, today)
        if (
            entry is None
            or ReminderSent.objects.filter(request=request, kind=entry[0], due_on=entry[1]).exists()
        ):
            continue
        try:
            with transaction.atomic():
                ReminderSent.objects.create(request=request, kind=entry[0], due_on=entry[1])
                record(
                    SYSTEM,
                    "request.reminder_queued",
                    request,
                    workspace=request.workspace_id,
                    kind=entry[0],
                    due_on=entry[1].isoformat(),
                )
                args = ("reminder", str(request.pk), str(uuid.uuid4()))
                transaction.on_commit(lambda args=args: deliver_portal_mail.enqueue(*args))  # type: ignore[misc]
        except IntegrityError:
            continue  # another worker sent this one
        queued += 1
    return queued
