"""Retention: rules per workspace and checklist, the daily purge through the erasure path, the
owners' warning a week ahead, and the rules' page.

The clock is faked by passing `today` to the purge and the warnings, and by setting the events
(completion, sending) with `QuerySet.update`; the fake today is a while after the real one. Rules are
made, then dated a month back, so the week a new rule waits before it removes anything is over (one
test checks that week itself). The pages run on the real clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import formats, timezone, translation

from conftest import make_user
from strongroom.accounts.actions import do_add_member
from strongroom.accounts.models import Role, User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.lifecycle import do_add_contributor, do_send_request
from strongroom.collection.models import Client, Contributor, Message, Request, RequestItem, Template, Upload
from strongroom.collection.template_editing import do_create_template
from strongroom.collection.tests.factories import (
    acknowledged_link,
    make_client,
    make_request,
    question,
    use_immediate_tasks,
    use_outbox,
)
from strongroom.collection.tests.test_staff_url_permissions import defined_urls
from strongroom.collection.threads import do_post_message
from strongroom.crypto.models import SubjectKey
from strongroom.mail import outbox
from strongroom.mail.render import render_mail
from strongroom.portal.models import PortalLink
from strongroom.privacy.models import RetentionPurge, RetentionRule, RetentionWarning
from strongroom.privacy.retention import (
    WARN_DAYS,
    do_add_rule,
    due_for_purge,
    run_daily_purge,
    warn_upcoming_purges,
)
from strongroom.rights.models import LegalHold, Restriction
from strongroom.rights.tests.seed import Seeded, seed_client
from strongroom.vault.actions import read_blob
from strongroom.vault.models import Blob
from strongroom.vault.storage import get_storage

pytestmark = pytest.mark.django_db

Action = RetentionRule.Action
TODAY = timezone.localdate() + timedelta(
    days=400
)  # the fake clock: the purge and warnings are told it is today
N = 30


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.get_current_timezone())


def closed(request: Request, days_ago: int, state: str = "completed") -> None:
    Request.objects.filter(pk=request.pk).update(
        state=state, closed_at=at_noon(TODAY - timedelta(days=days_ago))
    )


def rule(
    workspace: Workspace, owner: User, action: str, days: int = N, template: Template | None = None
) -> RetentionRule:
    made = do_add_rule(workspace, owner, action=action, days=days, template=template)
    RetentionRule.objects.filter(pk=made.pk).update(created_at=timezone.now() - timedelta(days=30))
    return RetentionRule.objects.get(pk=made.pk)


def stored_files(settings: Any) -> set[Path]:
    root = Path(settings.BLOB_DIR)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def storage_names(request: Request) -> list[str]:
    return list(Upload.objects.filter(item__request=request).values_list("blob__storage_name", flat=True))


def purge(capture: Any, today: date = TODAY) -> str:
    with capture(execute=True):
        return run_daily_purge(today)


@pytest.fixture
def mail(settings: Any, tmp_path: Path) -> None:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)


@pytest.fixture
def seeded(
    mail: None, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> dict[str, Seeded]:
    """Three clients of Firm A, each with a request holding two files, answers, a message, a contributor."""
    return {
        label: seed_client(workspace, owner, django_capture_on_commit_callbacks, label)
        for label in ("old", "held", "recent")
    }


# --- the purge -----------------------------------------------------------------------------------


def test_documents_completed_n_plus_one_days_ago_are_erased_not_held_or_recent_ones_and_it_is_audited(
    settings: Any,
    owner: User,
    workspace: Workspace,
    seeded: dict[str, Seeded],
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given: "documents N days after completion"; requests completed N+1, N+1 (held), N-1 days ago
    documents = rule(workspace, owner, Action.DOCUMENTS_AFTER_COMPLETION)
    old, held, recent = seeded["old"], seeded["held"], seeded["recent"]
    closed(old.request, N + 1)
    closed(held.request, N + 1)
    closed(recent.request, N - 1)
    LegalHold.objects.create(workspace=workspace, request=held.request, ground="AML: 5 years")
    names = storage_names(old.request)
    files_before = stored_files(settings)

    # when: the daily purge runs
    line = purge(django_capture_on_commit_callbacks)

    # then: the old request's files are gone, from the database and from the blob store
    assert line == "1 request(s) purged, 2 file(s) removed, 1 kept under legal hold"
    assert not Upload.objects.filter(item__request=old.request).exists()
    assert not Blob.objects.filter(storage_name__in=names).exists()
    assert not any(get_storage().exists(name) for name in names)
    assert len(files_before - stored_files(settings)) == 2
    # ...the request, its answers and its thread stay
    kept = Request.objects.get(pk=old.request.pk)
    assert kept.state == "completed"
    assert RequestItem.objects.get(request=kept, label="Employer").answer == f"Employer {old.marker}"
    # the held request and the recent one are whole and readable
    for whole in (held, recent):
        uploads = Upload.objects.filter(item__request=whole.request).select_related("blob")
        assert {b"".join(read_blob(u.blob)) for u in uploads} == set(whole.files.values())
    # the purge is recorded and audited, in counts and ids only
    [recorded] = RetentionPurge.objects.filter(workspace=workspace)
    assert (recorded.requests, recorded.files, recorded.held) == (1, 2, 1)
    assert recorded.details[str(documents.pk)]["requests"] == 1
    [event] = Event.objects.filter(action="retention.purged")
    assert event.extra["documents_erased"] == 1 and event.extra["files"] == 2 and event.extra["held"] == 1
    assert event.extra["purge_date"] == TODAY.isoformat()
    [erased] = Event.objects.filter(action="request.documents_erased")
    assert erased.target_id == str(old.request.pk)
    assert erased.extra == {"files": 2, "reason": "retention", "rule": str(documents.pk)}
    for seeded_client in seeded.values():
        assert seeded_client.marker not in str(event.extra) + str(erased.extra)


def test_a_request_completed_exactly_n_days_ago_is_due_today(
    owner: User, workspace: Workspace, seeded: dict[str, Seeded]
) -> None:
    rule(workspace, owner, Action.DOCUMENTS_AFTER_COMPLETION)
    closed(seeded["old"].request, N)
    closed(seeded["recent"].request, N, state="cancelled")  # documents: completed requests only

    assert [(e.request.pk, e.due_on) for e in due_for_purge(workspace, TODAY)] == [
        (seeded["old"].request.pk, TODAY)
    ]
    assert due_for_purge(workspace, TODAY - timedelta(days=1)) == []


def test_a_held_or_restricted_request_is_listed_as_kept_and_never_touched(
    owner: User, workspace: Workspace, seeded: dict[str, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    rule(workspace, owner, Action.REQUEST_AFTER_CLOSING)
    held, restricted = seeded["held"], seeded["old"]
    closed(held.request, N + 5)
    closed(restricted.request, N + 5, state="cancelled")
    LegalHold.objects.create(workspace=workspace, request=held.request, ground="Tax records, 6 years")
    Restriction.objects.create(
        workspace=workspace, subject=restricted.client.subject, because_of="restriction"
    )

    listed = {e.request.pk: e.kept for e in due_for_purge(workspace, TODAY)}
    purge(django_capture_on_commit_callbacks)

    assert listed == {held.request.pk: "legal_hold", restricted.request.pk: "restricted"}
    assert Request.objects.filter(pk__in=listed).count() == 2
    assert Upload.objects.filter(item__request__in=list(listed)).count() == 4
    [recorded] = RetentionPurge.objects.all()
    assert (recorded.requests, recorded.held) == (0, 1)
    assert next(iter(recorded.details.values()))["restricted"] == 1
    assert not Event.objects.filter(action__in=["request.erased", "request.documents_erased"]).exists()


def test_a_lifted_or_ended_hold_keeps_nothing(
    owner: User, workspace: Workspace, seeded: dict[str, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    rule(workspace, owner, Action.DOCUMENTS_AFTER_COMPLETION)
    ended, lifted = seeded["held"].request, seeded["old"].request
    closed(ended, N + 1)
    closed(lifted, N + 1)
    LegalHold.objects.create(
        workspace=workspace, request=ended, ground="AML", until=timezone.localdate() - timedelta(days=1)
    )
    LegalHold.objects.create(workspace=workspace, request=lifted, ground="AML", lifted_at=timezone.now())

    purge(django_capture_on_commit_callbacks)

    assert not Upload.objects.filter(item__request__in=[ended, lifted]).exists()
    assert RetentionPurge.objects.get().held == 0


def test_a_whole_request_is_erased_with_its_contributors_keys_and_the_client_stays(
    settings: Any,
    owner: User,
    workspace: Workspace,
    seeded: dict[str, Seeded],
    django_capture_on_commit_callbacks: Any,
) -> None:
    rule(workspace, owner, Action.REQUEST_AFTER_CLOSING, days=365)
    rule(workspace, owner, Action.DOCUMENTS_AFTER_COMPLETION)  # superseded: the request goes whole
    old = seeded["old"]
    closed(old.request, 366, state="cancelled")
    contributor_subjects = list(
        Contributor.objects.filter(request=old.request).values_list("subject", flat=True)
    )
    names = storage_names(old.request)

    due = due_for_purge(workspace, TODAY)
    purge(django_capture_on_commit_callbacks)

    assert [(e.request.pk, e.action) for e in due] == [(old.request.pk, Action.REQUEST_AFTER_CLOSING)]
    assert not Request.objects.filter(pk=old.request.pk).exists()
    assert not PortalLink.objects.filter(request_id=old.request.pk).exists()
    assert not any(get_storage().exists(name) for name in names)
    assert contributor_subjects and all(
        SubjectKey.objects.get(pk=s).is_destroyed for s in contributor_subjects
    )
    # the client stays, readable: retention removes requests, not people
    client = Client.objects.get(pk=old.client.pk)
    assert client.name == old.name and not client.subject.is_destroyed
    [event] = Event.objects.filter(action="request.erased")
    assert (
        event.extra["files"] == 2
        and event.extra["contributors"] == 1
        and event.extra["reason"] == "retention"
    )


def test_unstarted_requests_go_n_days_after_their_last_activity(
    mail: None, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    rule(workspace, owner, Action.UNSTARTED_REQUESTS)
    client = make_client(workspace, owner)

    def sent(title: str, days_ago: int) -> Request:
        request = make_request(workspace, owner, client, [question("Employer")], title=title)
        with django_capture_on_commit_callbacks(execute=True):
            do_send_request(request, owner)
        Request.objects.filter(pk=request.pk).update(sent_at=at_noon(TODAY - timedelta(days=days_ago)))
        return request

    forgotten = sent("Forgotten", N + 1)
    with django_capture_on_commit_callbacks(execute=True):
        do_add_contributor(forgotten, owner, name="Helper", email="helper@subject.example")
    talked = sent("Talked about", N + 1)  # the client wrote yesterday: still alive
    link, _ = acknowledged_link(talked)
    with django_capture_on_commit_callbacks(execute=True):
        do_post_message(talked, link, body="I will send them next week")
    Message.objects.filter(request=talked).update(created_at=at_noon(TODAY - timedelta(days=1)))
    started = sent("Started", N + 1)
    Request.objects.filter(pk=started.pk).update(state="in_progress")
    recent = sent("Recent", N - 1)

    purge(django_capture_on_commit_callbacks)

    assert not Request.objects.filter(pk=forgotten.pk).exists()
    assert set(Request.objects.filter(client=client).values_list("title", flat=True)) == {
        "Talked about",
        "Started",
        "Recent",
    }
    assert Request.objects.get(pk=recent.pk).state == "sent"
    assert Contributor.objects.filter(request_id=forgotten.pk).count() == 0
    # the conversation ages too: N days after the last message, it goes
    purge(django_capture_on_commit_callbacks, today=TODAY + timedelta(days=N - 1))
    assert not Request.objects.filter(pk=talked.pk).exists()


def test_a_checklist_rule_wins_over_the_workspace_rule_for_its_requests(
    owner: User, workspace: Workspace
) -> None:
    checklist = do_create_template(workspace, owner, name="AML file")
    workspace_rule = rule(workspace, owner, Action.REQUEST_AFTER_CLOSING, days=10)
    checklist_rule = rule(workspace, owner, Action.REQUEST_AFTER_CLOSING, days=100, template=checklist)
    client = make_client(workspace, owner)
    plain = make_request(workspace, owner, client, title="Plain")
    young = make_request(workspace, owner, client, title="AML young", template=checklist)
    aged = make_request(workspace, owner, client, title="AML aged", template=checklist)
    for request, days in ((plain, 20), (young, 20), (aged, 101)):
        closed(request, days)

    due = {e.request.title: e.rule.pk for e in due_for_purge(workspace, TODAY)}

    assert due == {"Plain": workspace_rule.pk, "AML aged": checklist_rule.pk}


def test_the_dry_run_is_what_the_purge_removes_and_a_second_run_removes_nothing_more(
    owner: User, workspace: Workspace, seeded: dict[str, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    rule(workspace, owner, Action.DOCUMENTS_AFTER_COMPLETION)
    rule(workspace, owner, Action.REQUEST_AFTER_CLOSING, days=90)
    closed(seeded["old"].request, 91)  # whole
    closed(seeded["recent"].request, N + 2)  # documents
    closed(seeded["held"].request, 91)
    LegalHold.objects.create(workspace=workspace, request=seeded["held"].request, ground="AML")
    dry_run = due_for_purge(workspace, TODAY)

    purge(django_capture_on_commit_callbacks)

    assert {(e.request.pk, e.action, e.files) for e in dry_run if not e.kept} == {
        (seeded["old"].request.pk, Action.REQUEST_AFTER_CLOSING, 2),
        (seeded["recent"].request.pk, Action.DOCUMENTS_AFTER_COMPLETION, 2),
    }
    assert {(e.request.pk, e.action) for e in dry_run if e.kept} == {
        (seeded["held"].request.pk, Action.REQUEST_AFTER_CLOSING)
    }
    assert not Request.objects.filter(pk=seeded["old"].request.pk).exists()
    assert not Upload.objects.filter(item__request=seeded["recent"].request).exists()
    assert Upload.objects.filter(item__request=seeded["held"].request).count() == 2
    first = RetentionPurge.objects.get()
    assert (first.requests, first.files, first.held) == (2, 4, 1)
    erasures = Event.objects.filter(action__in=["request.erased", "request.documents_erased"]).count()

    # a second run (a retried job, a second worker) finds only the held request
    assert [(e.request.pk, e.kept) for e in due_for_purge(workspace, TODAY)] == [
        (seeded["held"].request.pk, "legal_hold")
    ]
    assert (
        purge(django_capture_on_commit_callbacks)
        == "0 request(s) purged, 0 file(s) removed, 1 kept under legal hold"
    )
    assert Event.objects.filter(action__in=["request.erased", "request.documents_erased"]).count() == erasures
    assert Upload.objects.filter(item__request=seeded["held"].request).count() == 2


def test_the_page_shows_the_dry_run_with_held_requests_marked(
    owner: User, workspace: Workspace, seeded: dict[str, Seeded]
) -> None:
    rule(workspace, owner, Action.DOCUMENTS_AFTER_COMPLETION)
    today = timezone.localdate()
    for label in ("old", "held"):
        Request.objects.filter(pk=seeded[label].request.pk).update(
            state="completed", closed_at=at_noon(today - timedelta(days=N + 1))
        )
    LegalHold.objects.create(workspace=workspace, request=seeded["held"].request, ground="AML")
    web = WebClient()
    web.force_login(owner)

    body = web.get(reverse("compliance:retention", kwargs={"workspace_id": workspace.pk})).content.decode()

    assert seeded["old"].name in body and seeded["held"].name in body
    assert body.count("kept: legal hold") == 1
    assert "2 files" in body


def test_a_new_rule_removes_nothing_in_its_first_week_and_what_it_will_remove_is_warned_of(
    owner: User, workspace: Workspace, seeded: dict[str, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    do_add_rule(workspace, owner, action=Action.DOCUMENTS_AFTER_COMPLETION, days=N)  # made today, for real
    today = timezone.localdate()
    Request.objects.filter(pk=seeded["old"].request.pk).update(
        state="completed", closed_at=at_noon(today - timedelta(days=5 * N))
    )

    assert due_for_purge(workspace, today) == []
    with django_capture_on_commit_callbacks(execute=True):
        assert warn_upcoming_purges(today) == "1 retention warning(s) queued"
    [entry] = due_for_purge(workspace, today + timedelta(days=WARN_DAYS))
    assert entry.due_on == today + timedelta(days=WARN_DAYS)


def test_the_daily_jobs_run_on_the_real_clock(db: Any) -> None:
    assert run_daily_purge() == "0 request(s) purged, 0 file(s) removed, 0 kept under legal hold"
    assert warn_upcoming_purges() == "0 retention warning(s) queued"


# --- the warnings --------------------------------------------------------------------------------


def mails() -> list[tuple[list[str], str, str]]:
    found = []
    for message in outbox.list_messages():
        opened = outbox.read_message(message.id)
        found.append((list(message.to), str(opened["Subject"]), outbox.body_text(opened)))
    return found


def retention_mails() -> list[tuple[list[str], str, str]]:
    return [m for m in mails() if m[1].startswith("Retention purge")]


def test_owners_only_are_warned_a_week_ahead_once_with_counts_and_nothing_personal(
    owner: User,
    member: User,
    workspace: Workspace,
    seeded: dict[str, Seeded],
    django_capture_on_commit_callbacks: Any,
) -> None:
    admin = make_user("admin@firm-a.example", "Ada Admin")
    do_add_member(workspace, admin, Role.ADMIN, owner)
    second_owner = make_user("second@firm-a.example", "Sam Second")
    do_add_member(workspace, second_owner, Role.OWNER, owner)
    rule(workspace, owner, Action.DOCUMENTS_AFTER_COMPLETION)
    closed(seeded["old"].request, N - WARN_DAYS)  # due in exactly a week
    closed(seeded["recent"].request, N - WARN_DAYS - 1)  # due in eight days
    closed(seeded["held"].request, N - WARN_DAYS)
    LegalHold.objects.create(workspace=workspace, request=seeded["held"].request, ground="AML")

    def run(day: date) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            return warn_upcoming_purges(day)

    assert run(TODAY - timedelta(days=1)) == "0 retention warning(s) queued"  # nothing due within a week yet
    assert run(TODAY) == "1 retention warning(s) queued"
    assert run(TODAY) == "0 retention warning(s) queued"  # once per purge date
    sent = retention_mails()
    assert sorted(to for m in sent for to in m[0]) == ["owner@firm-a.example", "second@firm-a.example"]
    _, subject, body = sent[0]
    purge_on = TODAY + timedelta(days=WARN_DAYS)
    with translation.override("en"):
        assert subject == f"Retention purge on {formats.date_format(purge_on)} (Firm A)"
    assert "the documents of 1 completed request(s)" in body and "2 file(s) in all" in body
    assert f"/w/{workspace.pk}/compliance/retention/" in body
    for person in seeded.values():
        for personal in (person.name, person.email, person.marker, *person.files):
            assert personal not in subject + body
    assert "Mortgage application" not in body  # not even the request's title
    assert RetentionWarning.objects.filter(workspace=workspace, purge_on=purge_on).count() == 1
    [event] = Event.objects.filter(action="retention.warning_queued")
    assert (event.extra["documents"], event.extra["files"]) == (1, 2)

    # the next day only what newly falls due is warned of: the request completed a day earlier
    assert run(TODAY + timedelta(days=1)) == "1 retention warning(s) queued"
    assert "the documents of 1 completed request(s)" in retention_mails()[0][2]
    assert run(TODAY + timedelta(days=2)) == "0 retention warning(s) queued"
    assert len(retention_mails()) == 4


def test_a_french_workspace_is_warned_in_french(
    owner: User, workspace: Workspace, seeded: dict[str, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(default_language="fr")
    rule(workspace, owner, Action.DOCUMENTS_AFTER_COMPLETION)
    closed(seeded["old"].request, N - WARN_DAYS)
    with django_capture_on_commit_callbacks(execute=True):
        warn_upcoming_purges(TODAY)

    [(_to, subject, body)] = [m for m in mails() if m[1].startswith("Purge de conservation")]
    with translation.override("fr"):
        assert formats.date_format(TODAY + timedelta(days=WARN_DAYS)) in subject
    assert "les documents de 1 demande(s)" in body


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_warning_renders_in_both_languages(language: str) -> None:
    context = {
        "workspace_name": "Firm A",
        "purge_on": "22 June 2026",
        "review_url": "https://x.example/r",
        "requests": 2,
        "documents": 3,
        "files": 7,
    }
    subject, text, _ = render_mail("retention_warning", context, language)
    other_subject, other_text, _ = render_mail(
        "retention_warning", context, "fr" if language == "en" else "en"
    )

    assert subject and subject != other_subject and text != other_text
    assert "https://x.example/r" in text and "7" in text and "{%" not in text and "\n\n\n" not in text


# --- the rules: bad input changes nothing --------------------------------------------------------


def rules_and_events() -> tuple[list[Any], int]:
    return sorted(
        RetentionRule.objects.values_list("pk", "action", "days", "template")
    ), Event.objects.count()


def add_url(workspace: Workspace) -> str:
    return reverse("compliance:retention_rule_add", kwargs={"workspace_id": workspace.pk})


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("0", "at least 1 day"),
        ("-5", "at least 1 day"),
        ("abc", "whole number of days"),
        ("1.5", "whole number of days"),
        ("", "Enter a number of days"),
        ("36501", "at most 36500 days"),
    ],
)
def test_a_rule_of_zero_negative_or_nonsense_days_is_refused_and_nothing_changes(
    owner: User, workspace: Workspace, days: str, message: str
) -> None:
    web = WebClient()
    web.force_login(owner)
    before = rules_and_events()

    response = web.post(add_url(workspace), {"action": Action.DOCUMENTS_AFTER_COMPLETION, "days": days})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert rules_and_events() == before


@pytest.mark.parametrize("days", [0, -1, True, "30", 36501])
def test_the_action_refuses_bad_days_too(owner: User, workspace: Workspace, days: Any) -> None:
    before = rules_and_events()
    with pytest.raises(ValidationError):
        do_add_rule(workspace, owner, action=Action.DOCUMENTS_AFTER_COMPLETION, days=days)
    with pytest.raises(ValidationError):
        do_add_rule(workspace, owner, action="delete_everything", days=30)
    assert rules_and_events() == before


def test_a_second_rule_for_the_same_action_and_checklist_is_refused_clearly(
    owner: User, workspace: Workspace
) -> None:
    web = WebClient()
    web.force_login(owner)
    data = {"action": Action.REQUEST_AFTER_CLOSING, "days": "90"}
    assert web.post(add_url(workspace), data).status_code == 302
    before = rules_and_events()

    response = web.post(add_url(workspace), {**data, "days": "120"})

    assert response.status_code == 400
    assert "There is already a rule for this action and checklist" in response.content.decode()
    assert rules_and_events() == before
    assert RetentionRule.objects.get().days == 90


def test_a_checklist_of_another_workspace_is_refused(
    owner: User, outsider: User, workspace: Workspace, other_workspace: Workspace
) -> None:
    foreign = do_create_template(other_workspace, outsider, name="Firm B's checklist")
    web = WebClient()
    web.force_login(owner)
    before = rules_and_events()

    response = web.post(
        add_url(workspace),
        {"action": Action.REQUEST_AFTER_CLOSING, "days": "90", "template": str(foreign.pk)},
    )

    assert response.status_code == 400
    assert "Choose a checklist of this workspace" in response.content.decode()
    assert "Firm B" not in response.content.decode()
    with pytest.raises(ValidationError, match="another workspace"):
        do_add_rule(workspace, owner, action=Action.REQUEST_AFTER_CLOSING, days=90, template=foreign)
    assert rules_and_events() == before


def test_adding_and_removing_a_rule_is_audited(owner: User, workspace: Workspace) -> None:
    checklist = do_create_template(workspace, owner, name="Payroll")
    web = WebClient()
    web.force_login(owner)
    data = {"action": Action.DOCUMENTS_AFTER_COMPLETION, "days": "45", "template": str(checklist.pk)}

    assert web.post(add_url(workspace), data).status_code == 302
    made = RetentionRule.objects.get()
    assert (made.template_id, made.days, made.created_by_id) == (checklist.pk, 45, owner.pk)
    [added] = Event.objects.filter(action="retention.rule_added")
    assert added.extra == {
        "rule_action": "documents_after_completion",
        "days": 45,
        "template": str(checklist.pk),
    }
    remove = reverse(
        "compliance:retention_rule_remove", kwargs={"workspace_id": workspace.pk, "rule_id": made.pk}
    )
    assert web.post(remove).status_code == 302
    assert not RetentionRule.objects.exists()
    assert Event.objects.filter(action="retention.rule_removed", target_id=str(made.pk)).count() == 1


# --- who may use each URL ------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    readers: bool = False  # owners and admins may use it; otherwise owners only


ROUTES = {
    "retention": Route("get", readers=True),
    "retention_rule_add": Route("post"),
    "retention_rule_remove": Route("post"),
}
FORM = {"action": Action.UNSTARTED_REQUESTS, "days": "60"}


def test_every_retention_url_has_a_permission_spec() -> None:
    assert {name for name in defined_urls("compliance") if name.startswith("retention")} == set(ROUTES)


@pytest.fixture
def firm_a(owner: User, workspace: Workspace) -> RetentionRule:
    """Firm A has a rule, and a completed request whose client is named in the dry run."""
    made = rule(workspace, owner, Action.REQUEST_AFTER_CLOSING, days=10)
    client = make_client(workspace, owner, name="Zoé Secretname")
    request = make_request(workspace, owner, client, title="Firm A private title")
    Request.objects.filter(pk=request.pk).update(
        state="completed", closed_at=at_noon(timezone.localdate() - timedelta(days=40))
    )
    return made


def url_of(name: str, workspace_id: Any, made: RetentionRule) -> str:
    kwargs: dict[str, Any] = {"workspace_id": workspace_id}
    if "rule_id" in defined_urls("compliance")[name].pattern.converters:
        kwargs["rule_id"] = made.pk
    return reverse(f"compliance:{name}", kwargs=kwargs)


def web(user: User | None) -> WebClient:
    client = WebClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("name", ROUTES)
def test_the_owner_can_use_each_url(
    name: str, owner: User, workspace: Workspace, firm_a: RetentionRule
) -> None:
    route = ROUTES[name]
    response = getattr(web(owner), route.method)(url_of(name, workspace.pk, firm_a), FORM)
    assert response.status_code == (200 if route.method == "get" else 302)
    if name == "retention":
        assert "Zoé Secretname" in response.content.decode()


@pytest.mark.parametrize("name", ROUTES)
def test_an_admin_reads_but_does_not_change_and_a_member_neither(
    name: str, owner: User, member: User, workspace: Workspace, firm_a: RetentionRule
) -> None:
    admin = make_user("admin@firm-a.example", "Ada Admin")
    do_add_member(workspace, admin, Role.ADMIN, owner)
    route = ROUTES[name]
    before = rules_and_events()
    for user, allowed in ((admin, route.readers), (member, False)):
        response = getattr(web(user), route.method)(url_of(name, workspace.pk, firm_a), FORM)
        assert response.status_code == (200 if allowed else 403), (name, user.email)
        if not allowed:
            assert "Zoé Secretname" not in response.content.decode()
    assert rules_and_events() == before


@pytest.mark.parametrize("name", ROUTES)
def test_an_outsider_gets_404_through_either_workspace_and_nothing_changes(
    name: str, outsider: User, workspace: Workspace, other_workspace: Workspace, firm_a: RetentionRule
) -> None:
    route = ROUTES[name]
    before = rules_and_events()
    for workspace_id in (workspace.pk, other_workspace.pk):
        if workspace_id == other_workspace.pk and name == "retention_rule_add":
            continue  # adding a rule to Firm B, their own workspace, is theirs to do
        response = getattr(web(outsider), route.method)(url_of(name, workspace_id, firm_a), FORM)
        own_page = workspace_id == other_workspace.pk and name == "retention"
        assert response.status_code == (200 if own_page else 404), (name, workspace_id)
        body = response.content.decode()
        assert "Zoé Secretname" not in body and "Firm A private title" not in body
    assert rules_and_events() == before


@pytest.mark.parametrize("name", ROUTES)
def test_an_anonymous_visitor_is_sent_to_sign_in(
    name: str, workspace: Workspace, firm_a: RetentionRule
) -> None:
    before = rules_and_events()
    response = getattr(web(None), ROUTES[name].method)(url_of(name, workspace.pk, firm_a), FORM)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert rules_and_events() == before


def test_the_database_itself_refuses_a_second_rule_for_the_same_action_on_either_database(
    owner: User, workspace: Workspace
) -> None:
    """Two owners adding the same rule at the same moment both pass the form's check: the database
    must refuse the second, on SQLite as on PostgreSQL, for a workspace-wide and a checklist rule."""
    template = do_create_template(workspace, owner, name="Tenancy")
    RetentionRule.objects.create(workspace=workspace, action=Action.REQUEST_AFTER_CLOSING, days=90)
    RetentionRule.objects.create(workspace=workspace, template=template, action=Action.REQUEST_AFTER_CLOSING,
                                 days=30)

    for extra in ({}, {"template": template}):
        with pytest.raises(IntegrityError), transaction.atomic():
            RetentionRule.objects.create(workspace=workspace, action=Action.REQUEST_AFTER_CLOSING, days=60,
                                         **extra)

    assert RetentionRule.objects.count() == 2
