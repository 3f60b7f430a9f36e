"""A request's life: drafted, sent (an e-mail with a link of their own to the client and to each
contributor), new links, cancelled; the mail task is safe to run twice and its stored arguments
hold ids only.

Permission tests use Firm A (owner, member) and Firm B (outsider), and assert that nothing leaked
and nothing changed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.answers import do_save_answer
from strongroom.collection.lifecycle import (
    RequestStateError,
    do_add_contributor,
    do_cancel_request,
    do_create_request,
    do_send_new_link,
    do_send_request,
)
from strongroom.collection.models import Client, Request
from strongroom.collection.models.requests import RequestState
from strongroom.collection.tasks import PORTAL_PATH, deliver_portal_mail
from strongroom.collection.tests.factories import (
    acknowledged_link,
    events,
    item,
    make_client,
    make_request,
    question,
    use_immediate_tasks,
    use_outbox,
)
from strongroom.mail import outbox
from strongroom.portal.links import find_link
from strongroom.portal.models import PortalLink

pytestmark = pytest.mark.django_db

CLIENT_NAME = "Camille Dupont-Marker"
CLIENT_EMAIL = "camille.marker@client.example"

type Capture = Callable[..., Any]


@pytest.fixture
def mailbox(settings: Any, tmp_path: Path) -> Path:
    """Mail goes to a sealed outbox of this test's own; tasks run as soon as they are enqueued."""
    use_immediate_tasks(settings)
    return use_outbox(settings, tmp_path)


@pytest.fixture
def client(workspace: Workspace, owner: User) -> Client:
    return make_client(workspace, owner, name=CLIENT_NAME, email=CLIENT_EMAIL)


@pytest.fixture
def draft(workspace: Workspace, owner: User, client: Client) -> Request:
    return make_request(workspace, owner, client, [question("Your tax number")], title="Tax return 2025")


def mails() -> list[EmailMessage]:
    """Every message in the outbox, oldest first."""
    return [outbox.read_message(m.id) for m in reversed(outbox.list_messages())]


def portal_token(msg: EmailMessage, base_url: str) -> str:
    """The token of the one portal link in the message."""
    [url] = [u for u in outbox.find_links(msg) if PORTAL_PATH in u]
    assert url.startswith(f"{base_url}{PORTAL_PATH}")
    return url.rsplit(PORTAL_PATH, 1)[1]


def stored_state() -> tuple[Any, ...]:
    requests = sorted((str(r.pk), r.state, r.version, r.closed_at) for r in Request.objects.all())
    return requests, PortalLink.objects.count(), Event.objects.count(), Client.objects.count()


def send(request: Request, actor: User, capture: Capture) -> Request:
    with capture(execute=True):
        return do_send_request(request, actor)


# --- drafting ------------------------------------------------------------------------------------


def test_a_draft_copies_the_workspaces_reminder_settings(
    workspace: Workspace, owner: User, member: User, client: Client
) -> None:
    # given a workspace with reminder settings of its own
    workspace.remind_days_before, workspace.remind_on_due_date = 5, False
    workspace.remind_every_days_after, workspace.remind_max_after = 2, 7
    workspace.save(update_fields=["remind_days_before", "remind_on_due_date", "remind_every_days_after",
                                  "remind_max_after"])

    # when a member drafts a request for the owner
    request = do_create_request(workspace, member, client=client, title="  Payslips  ", owner=owner,
                                due_date=date(2030, 1, 31), message="Three months, please.")

    # then it is a draft with those settings, and the creation is audited
    stored = Request.objects.get(pk=request.pk)
    assert (stored.state, stored.title, stored.owner_id, stored.due_date) == (
        RequestState.DRAFT, "Payslips", owner.pk, date(2030, 1, 31)
    )
    assert (stored.remind_days_before, stored.remind_on_due_date, stored.remind_every_days_after,
            stored.remind_max_after) == (5, False, 2, 7)
    assert stored.message == "Three months, please."
    [event] = events("request.created", request)
    assert (event.actor_kind, event.actor_id, event.subject) == ("staff", str(member.pk), client.subject_id)


def test_a_request_needs_a_title(workspace: Workspace, owner: User, client: Client) -> None:
    before = stored_state()

    with pytest.raises(ValidationError):
        do_create_request(workspace, owner, client=client, title="   ")

    assert stored_state() == before


def test_a_client_of_another_workspace_is_refused(
    workspace: Workspace, other_workspace: Workspace, owner: User, outsider: User
) -> None:
    # given Firm B's client
    theirs = make_client(other_workspace, outsider, name="Otto Client", email="otto@client.example")
    before = stored_state()

    # when Firm A's owner drafts a request for them
    with pytest.raises(ValidationError, match="another workspace"):
        do_create_request(workspace, owner, client=theirs, title="Tax return")

    # then nothing changed
    assert stored_state() == before


# --- sending -------------------------------------------------------------------------------------


def test_sending_emails_the_client_a_link_to_the_request(
    mailbox: Path, draft: Request, member: User, settings: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    # when a member sends the draft
    sent = send(draft, member, django_capture_on_commit_callbacks)

    # then the request is sent, audited, and the client has one e-mail with a link of their own
    stored = Request.objects.get(pk=draft.pk)
    assert stored.state == sent.state == RequestState.SENT and stored.sent_at is not None
    assert len(events("request.sent", draft)) == 1
    [msg] = mails()
    assert msg["To"] == CLIENT_EMAIL
    assert "Tax return 2025" in msg["Subject"] and "Firm A" in msg["Subject"]
    assert CLIENT_NAME in outbox.body_text(msg)
    token = portal_token(msg, settings.BASE_URL)
    link = find_link(token)
    assert link is not None and link.request_id == draft.pk and link.contributor_id is None
    assert link.issue_key is not None
    assert PortalLink.objects.filter(request=draft).count() == 1


def test_sending_twice_is_refused(
    mailbox: Path, draft: Request, owner: User, django_capture_on_commit_callbacks: Capture
) -> None:
    send(draft, owner, django_capture_on_commit_callbacks)
    before = stored_state()

    with pytest.raises(RequestStateError):
        send(draft, owner, django_capture_on_commit_callbacks)

    assert stored_state() == before
    assert len(mails()) == 1


def test_a_request_without_items_cannot_be_sent(
    mailbox: Path, workspace: Workspace, owner: User, client: Client,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    empty = make_request(workspace, owner, client, [])
    before = stored_state()

    with pytest.raises(RequestStateError, match="at least one item"):
        send(empty, owner, django_capture_on_commit_callbacks)

    assert Request.objects.get(pk=empty.pk).state == RequestState.DRAFT
    assert stored_state() == before
    assert mails() == []


def test_the_mail_task_run_twice_issues_one_link_and_one_mail(
    mailbox: Path, draft: Request, owner: User
) -> None:
    # given a sent request (its own invitation not delivered: no on-commit callbacks ran)
    do_send_request(draft, owner)
    key = str(uuid.uuid4())

    # when the same delivery runs twice, as a retried task would
    first = deliver_portal_mail.call("request_sent", str(draft.pk), key)
    second = deliver_portal_mail.call("request_sent", str(draft.pk), key)

    # then one link was issued and one e-mail sent
    assert (first, second) == ("delivered", "already delivered")
    assert PortalLink.objects.filter(request=draft).count() == 1
    assert len(events("portal.link_issued")) == 1
    assert len(mails()) == 1


def test_a_closed_request_gets_no_mail(mailbox: Path, draft: Request, owner: User) -> None:
    do_send_request(draft, owner)
    do_cancel_request(draft, owner)

    assert deliver_portal_mail.call("request_sent", str(draft.pk), str(uuid.uuid4())) == "request closed"

    assert PortalLink.objects.filter(request=draft).count() == 0
    assert mails() == []


def test_each_contributor_gets_a_link_of_their_own(
    mailbox: Path, draft: Request, owner: User, settings: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    # given a contributor added to the draft
    spouse = do_add_contributor(draft, owner, name="Sam Spouse", email="sam@client.example")

    # when the request is sent, and another contributor is added afterwards
    send(draft, owner, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        employer = do_add_contributor(draft, owner, name="Erin Employer", email="hr@employer.example",
                                      language="fr")

    # then three people got one e-mail each, each with a link that is theirs
    by_recipient = {msg["To"]: msg for msg in mails()}
    assert set(by_recipient) == {CLIENT_EMAIL, "sam@client.example", "hr@employer.example"}
    holders = {}
    for address, msg in by_recipient.items():
        link = find_link(portal_token(msg, settings.BASE_URL))
        assert link is not None and link.request_id == draft.pk
        holders[address] = link.contributor_id
    assert holders == {CLIENT_EMAIL: None, "sam@client.example": spouse.pk,
                       "hr@employer.example": employer.pk}
    assert by_recipient["hr@employer.example"]["Content-Language"] == "fr"
    assert len(events("request.contributor_added")) == 2


def test_a_new_link_revokes_the_earlier_ones(
    mailbox: Path, draft: Request, owner: User, member: User, settings: Any,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    # given a sent request whose client has their invitation's link
    send(draft, owner, django_capture_on_commit_callbacks)
    [invitation] = mails()
    old_token = portal_token(invitation, settings.BASE_URL)

    # when a member sends them a new link
    with django_capture_on_commit_callbacks(execute=True):
        do_send_new_link(draft, member)

    # then only the new link works, and the request is audited
    new = [m for m in mails() if portal_token(m, settings.BASE_URL) != old_token]
    assert len(mails()) == 2 and len(new) == 1 and new[0]["To"] == CLIENT_EMAIL
    assert find_link(old_token) is None
    fresh = find_link(portal_token(new[0], settings.BASE_URL))
    assert fresh is not None and fresh.request_id == draft.pk and fresh.password == ""
    assert len(events("request.new_link_requested", draft)) == 1


def test_a_draft_gets_no_new_link(draft: Request, owner: User) -> None:
    before = stored_state()

    with pytest.raises(RequestStateError):
        do_send_new_link(draft, owner)

    assert stored_state() == before


# --- cancelling ----------------------------------------------------------------------------------


def test_cancelling_closes_the_request_and_it_accepts_nothing(
    draft: Request, owner: User, workspace: Workspace
) -> None:
    # given a sent request whose client holds an acknowledged link
    do_send_request(draft, owner)
    link, token = acknowledged_link(draft)

    # when the owner cancels it
    cancelled = do_cancel_request(draft, owner)

    # then it is closed, audited, its links expire after the workspace's delay ...
    stored = Request.objects.get(pk=draft.pk)
    assert stored.state == RequestState.CANCELLED and stored.closed_at is not None
    assert cancelled.closed_at == stored.closed_at
    assert len(events("request.cancelled", draft)) == 1
    expected = stored.closed_at + timedelta(days=workspace.link_days_after_close)
    assert PortalLink.objects.get(pk=link.pk).expires_at == expected

    # ... and an answer given through the still-working link is refused, changing nothing
    live = find_link(token)
    assert live is not None
    before = stored_state()
    with pytest.raises(RequestStateError):
        do_save_answer(live, item(draft, "Your tax number"), "FR-123")
    assert item(draft, "Your tax number").answer is None
    assert stored_state() == before


def test_a_closed_request_cannot_be_cancelled_again(draft: Request, owner: User) -> None:
    do_cancel_request(draft, owner)
    before = stored_state()

    with pytest.raises(RequestStateError):
        do_cancel_request(draft, owner)

    assert stored_state() == before


# --- what tasks store ----------------------------------------------------------------------------


def test_queued_tasks_hold_ids_and_no_personal_data(
    settings: Any, draft: Request, owner: User, django_capture_on_commit_callbacks: Capture
) -> None:
    from django_tasks_db.models import DBTaskResult

    # given the database-backed queue of production
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    do_add_contributor(draft, owner, name="Sam Spouse", email="sam@client.example")

    # when the request is sent (which queues one delivery per person)
    send(draft, owner, django_capture_on_commit_callbacks)

    # then the queued arguments name the request, and nobody's name or e-mail
    queued = list(DBTaskResult.objects.all())
    assert len(queued) == 2
    for result in queued:
        stored = json.dumps(result.args_kwargs).lower()
        assert str(draft.pk) in stored
        for personal in (CLIENT_NAME, CLIENT_EMAIL, "camille", "marker", "Sam Spouse", "sam@client"):
            assert personal.lower() not in stored


# --- tenancy -------------------------------------------------------------------------------------


OUTSIDER_ACTIONS: dict[str, Callable[[Workspace, Request, Client, User, User], Any]] = {
    "draft": lambda ws, draft, client, outsider, member: do_create_request(
        ws, outsider, client=client, title="Planted"),
    "own": lambda ws, draft, client, outsider, member: do_create_request(
        ws, member, client=client, title="Planted", owner=outsider),
    "send": lambda ws, draft, client, outsider, member: do_send_request(draft, outsider),
    "add a contributor": lambda ws, draft, client, outsider, member: do_add_contributor(
        draft, outsider, name="Spy", email="spy@firm-b.example"),
    "cancel": lambda ws, draft, client, outsider, member: do_cancel_request(draft, outsider),
}


@pytest.mark.parametrize("action", list(OUTSIDER_ACTIONS))
def test_an_outsider_can_neither_draft_send_nor_cancel_in_firm_a(
    workspace: Workspace, draft: Request, client: Client, outsider: User, member: User, action: str,
) -> None:
    """Each action refuses a staff actor (or an owner) of another workspace itself, so a view that
    forgets its access check still cannot touch Firm A's requests."""
    # given Firm A's draft, and everything stored
    before = stored_state()

    # when Firm B's owner acts on Firm A's data (or is made the owner of a Firm A request)
    with pytest.raises((PermissionDenied, Http404)):
        OUTSIDER_ACTIONS[action](workspace, draft, client, outsider, member)

    # then it was refused and nothing changed
    assert stored_state() == before
