"""Reminders go before, on and after the due date, each exactly once, only while the client owes answers."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from strongroom.accounts.models import User, Workspace
from strongroom.collection.lifecycle import do_cancel_request, do_send_request
from strongroom.collection.models import ReminderSent, Request
from strongroom.collection.reminders import schedule, send_due_reminders
from strongroom.collection.tests.factories import (
    make_client,
    make_request,
    question,
    use_immediate_tasks,
    use_outbox,
)
from strongroom.jobs.models import PeriodicRun
from strongroom.jobs.periodic import run_due_jobs
from strongroom.mail import outbox

pytestmark = pytest.mark.django_db
DUE = date(2026, 12, 15)


@pytest.fixture
def sent(
    workspace: Workspace, owner: User, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> Request:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)
    client = make_client(workspace, owner, email="rita.reminded@client.example")
    request = make_request(workspace, owner, client, [question("Tax number")], due_date=DUE)
    with django_capture_on_commit_callbacks(execute=True):
        return do_send_request(request, owner)


def reminders_on(day: date, capture: Any) -> int:
    with capture(execute=True):
        return send_due_reminders(day)


def test_the_schedule_follows_the_workspace_defaults(sent: Request) -> None:
    # workspace defaults: 3 days before, on the due date, every 3 days after, 4 times
    assert schedule(sent) == [
        ("before", DUE - timedelta(days=3)),
        ("due", DUE),
        *[("after", DUE + timedelta(days=3 * n)) for n in (1, 2, 3, 4)],
    ]


def test_each_reminder_goes_once_with_a_link(sent: Request, django_capture_on_commit_callbacks: Any) -> None:
    assert reminders_on(DUE - timedelta(days=4), django_capture_on_commit_callbacks) == 0
    assert reminders_on(DUE - timedelta(days=3), django_capture_on_commit_callbacks) == 1
    assert reminders_on(DUE - timedelta(days=2), django_capture_on_commit_callbacks) == 0  # already sent
    assert reminders_on(DUE, django_capture_on_commit_callbacks) == 1
    assert reminders_on(DUE, django_capture_on_commit_callbacks) == 0

    mails = [m for m in outbox.list_messages() if "rita.reminded" in str(m.to)]
    assert len(mails) == 3  # the invitation and two reminders
    reminder = outbox.read_message(mails[0].id)
    assert any("/p/" in url for url in outbox.find_links(reminder))
    assert list(ReminderSent.objects.values_list("kind", flat=True).order_by("due_on")) == ["before", "due"]


def test_overdue_reminders_stop_after_the_limit(
    sent: Request, django_capture_on_commit_callbacks: Any
) -> None:
    sent_days = [
        d
        for d in (DUE + timedelta(days=n) for n in range(0, 30))
        if reminders_on(d, django_capture_on_commit_callbacks)
    ]

    assert sent_days == [DUE + timedelta(days=3 * n) for n in (0, 1, 2, 3, 4)]


def test_after_an_outage_only_the_latest_reminder_goes(
    sent: Request, django_capture_on_commit_callbacks: Any
) -> None:
    assert reminders_on(DUE + timedelta(days=7), django_capture_on_commit_callbacks) == 1

    assert list(ReminderSent.objects.values_list("kind", "due_on")) == [("after", DUE + timedelta(days=6))]


@pytest.mark.parametrize("close", ["finished", "cancelled"])
def test_no_reminder_once_the_client_is_done(
    sent: Request, owner: User, close: str, django_capture_on_commit_callbacks: Any
) -> None:
    if close == "cancelled":
        do_cancel_request(sent, owner)
    else:
        Request.objects.filter(pk=sent.pk).update(state="submitted")

    assert reminders_on(DUE, django_capture_on_commit_callbacks) == 0
    assert not ReminderSent.objects.exists()


def test_each_periodic_job_runs_once_per_period(
    sent: Request, django_capture_on_commit_callbacks: Any
) -> None:
    Request.objects.filter(pk=sent.pk).update(due_date=date.today())

    with django_capture_on_commit_callbacks(execute=True):
        first = run_due_jobs()
        again = run_due_jobs()

    assert "reminders: 1 reminder(s) queued" in first
    assert not [line for line in again if line.startswith("reminders")]  # its period has not passed
    assert PeriodicRun.objects.get(name="reminders").last_result == "1 reminder(s) queued"
    assert ReminderSent.objects.count() == 1
