"""Restriction (Art. 18) and objection (Art. 21): the data is frozen, visible as such, opened only
for a lawful use with its reason, never reminded about; lifting tells the person first."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.models import Client, ReminderSent, Request, RequestItem, Upload
from strongroom.collection.reminders import send_due_reminders
from strongroom.collection.tests.factories import acknowledged_link, item, use_immediate_tasks, use_outbox
from strongroom.mail import outbox
from strongroom.rights.models import RestrictedUse, Restriction, RightsRequest, RightsState
from strongroom.rights.restriction import is_restricted
from strongroom.rights.tests.seed import Seeded, seed_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    settings: Any, tmp_path: Path, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> tuple[Seeded, Seeded]:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)
    return (
        seed_client(workspace, owner, django_capture_on_commit_callbacks, "restricted"),
        seed_client(workspace, owner, django_capture_on_commit_callbacks, "free"),
    )


def portal(seeded: Seeded) -> WebClient:
    _, token = acknowledged_link(seeded.request)
    web = WebClient()
    web.get(f"/p/{token}")
    return web


def staff(user: User) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def subjects_of_mail(address: str) -> list[str]:
    return [m.subject for m in reversed(outbox.list_messages()) if address in m.to]


@pytest.fixture
def restricted(
    owner: User, workspace: Workspace, world: tuple[Seeded, Seeded], django_capture_on_commit_callbacks: Any
) -> Seeded:
    """The first client asked for restriction from the portal and the owner approved it."""
    seeded, _ = world
    with django_capture_on_commit_callbacks(execute=True):
        portal(seeded).post(
            "/portal/rights/", {"kind": "restriction", "details": "My income figure is wrong"}
        )
        rights_request = RightsRequest.objects.get()
        staff(owner).post(f"/w/{workspace.pk}/rights/{rights_request.pk}/approve/")
    assert RightsRequest.objects.get().state == RightsState.DONE
    return seeded


def test_a_restricted_client_cannot_be_edited_by_staff_or_through_the_portal(
    owner: User, workspace: Workspace, restricted: Seeded, world: tuple[Seeded, Seeded]
) -> None:
    client = Client.objects.get(pk=restricted.client.pk)
    before = (client.name, client.email, client.phone, client.notes)

    # staff edit the profile: refused with a clear message, nothing saved
    page = staff(owner).post(
        f"/w/{workspace.pk}/clients/{client.pk}/",
        {"name": "Changed Name", "email": restricted.email, "language": "en", "phone": "", "notes": "x"},
    )
    assert page.status_code == 400 and "restricted" in page.content.decode()
    client = Client.objects.get(pk=client.pk)
    assert (client.name, client.email, client.phone, client.notes) == before

    # the client answers through the portal: refused too
    answer = item(restricted.request, "Employer")
    response = portal(restricted).post(
        f"/portal/items/{answer.pk}/answer/", {"value": "New employer"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400 and "restricted" in response.json()["message"]
    assert RequestItem.objects.get(pk=answer.pk).answer == f"Employer {restricted.marker}"

    # staff review actions are refused
    upload = Upload.objects.filter(item__request=restricted.request).first()
    assert upload is not None
    doc = upload.item
    staff(owner).post(f"/w/{workspace.pk}/items/{doc.pk}/approve/", {"version": str(doc.version)})
    assert RequestItem.objects.get(pk=doc.pk).state == doc.state

    # the other client is not affected
    _, free = world
    ok = staff(owner).post(
        f"/w/{workspace.pk}/clients/{free.client.pk}/",
        {"name": "Renamed Free", "email": free.email, "language": "en", "phone": "", "notes": ""},
    )
    assert ok.status_code == 302


def test_restricted_is_shown_on_the_staff_pages_and_the_portal(
    owner: User, workspace: Workspace, restricted: Seeded
) -> None:
    for url in (
        f"/w/{workspace.pk}/",
        f"/w/{workspace.pk}/clients/{restricted.client.pk}/",
        f"/w/{workspace.pk}/requests/{restricted.request.pk}/",
    ):
        assert "restricted" in staff(owner).get(url).content.decode().lower(), url
    assert "restricted" in portal(restricted).get("/portal/").content.decode().lower()


def test_restricted_files_open_only_for_a_lawful_use_whose_reason_is_recorded(
    owner: User, workspace: Workspace, restricted: Seeded
) -> None:
    upload = Upload.objects.filter(item__request=restricted.request).first()
    assert upload is not None
    url = f"/w/{workspace.pk}/files/{upload.pk}/"

    asked = staff(owner).get(url)
    assert asked.status_code == 403 and "lawful" in asked.content.decode().lower()
    no_reason = staff(owner).post(url, {"purpose": "legal_claims", "reason": ""})
    assert no_reason.status_code == 403
    assert not RestrictedUse.objects.exists()

    opened = staff(owner).post(url, {"purpose": "legal_claims", "reason": "Court case 24/1234"})
    assert opened.status_code == 200
    assert b"".join(opened.streaming_content) in restricted.files.values()  # type: ignore[attr-defined]
    use = RestrictedUse.objects.get()
    assert (use.purpose, use.reason, use.used_by) == ("legal_claims", "Court case 24/1234", owner)
    event = Event.objects.get(action="rights.restricted_data_used")
    assert "Court case" not in str(event.extra)


def test_the_worker_sends_no_reminder_to_a_restricted_client(
    owner: User, restricted: Seeded, world: tuple[Seeded, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    _, free = world
    due = timezone.localdate()
    Request.objects.filter(pk__in=[restricted.request.pk, free.request.pk]).update(due_date=due)
    with django_capture_on_commit_callbacks(execute=True):
        queued = send_due_reminders(due)
    assert queued == 1
    assert not ReminderSent.objects.filter(request=restricted.request).exists()
    assert ReminderSent.objects.filter(request=free.request).exists()


def test_lifting_tells_the_person_first_then_lifts(
    owner: User, workspace: Workspace, restricted: Seeded, django_capture_on_commit_callbacks: Any
) -> None:
    restriction = Restriction.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        done = staff(owner).post(f"/w/{workspace.pk}/restrictions/{restriction.pk}/lift/")
    assert done.status_code == 302
    assert subjects_of_mail(restricted.email)[-1] == "The restriction of your data is being lifted (Firm A)"
    restriction = Restriction.objects.get()
    assert restriction.lifted_at is not None and restriction.lift_requested_at is not None
    assert restriction.lift_requested_at <= restriction.lifted_at
    assert not is_restricted(restricted.client.subject_id)
    lifted_event = Event.objects.get(action="rights.restriction_lifted")
    mail_sent_before = Event.objects.filter(action="rights.lift_requested", id__lt=lifted_event.id).exists()
    assert mail_sent_before


def test_an_objection_restricts_at_once_and_continuing_needs_recorded_grounds(
    owner: User, workspace: Workspace, world: tuple[Seeded, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    seeded, _ = world
    with django_capture_on_commit_callbacks(execute=True):
        portal(seeded).post("/portal/rights/", {"kind": "objection", "details": "Stop using my data"})
    rights_request = RightsRequest.objects.get()
    assert rights_request.state == RightsState.AWAITING_APPROVAL
    assert is_restricted(seeded.client.subject_id)  # while the workspace decides

    # continuing (refusing the objection) without grounds is refused
    empty = staff(owner).post(f"/w/{workspace.pk}/rights/{rights_request.pk}/refuse/", {"reason": ""})
    assert empty.status_code == 400
    assert is_restricted(seeded.client.subject_id)

    # with grounds: the person is told them, then the restriction is lifted
    with django_capture_on_commit_callbacks(execute=True):
        staff(owner).post(
            f"/w/{workspace.pk}/rights/{rights_request.pk}/refuse/",
            {"reason": "Compelling legitimate grounds: statutory audit of 2025 accounts"},
        )
    assert RightsRequest.objects.get().state == RightsState.REFUSED
    assert not is_restricted(seeded.client.subject_id)
    mails = subjects_of_mail(seeded.email)
    assert mails[-2:] == [
        "Your request to Firm A: our answer",
        "The restriction of your data is being lifted (Firm A)",
    ]


def test_an_upheld_objection_keeps_the_data_frozen(
    owner: User, workspace: Workspace, world: tuple[Seeded, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    seeded, _ = world
    with django_capture_on_commit_callbacks(execute=True):
        portal(seeded).post("/portal/rights/", {"kind": "objection"})
        rights_request = RightsRequest.objects.get()
        staff(owner).post(f"/w/{workspace.pk}/rights/{rights_request.pk}/approve/")
    rights_request = RightsRequest.objects.get()
    assert rights_request.state == RightsState.DONE and rights_request.outcome["objection_upheld"] is True
    assert is_restricted(seeded.client.subject_id)
    assert Restriction.objects.count() == 1
    assert subjects_of_mail(seeded.email)[-1] == "The use of your data is restricted (Firm A)"


def test_an_erasure_still_works_on_restricted_data(
    owner: User, workspace: Workspace, restricted: Seeded, django_capture_on_commit_callbacks: Any
) -> None:
    from strongroom.rights.erasure import erase_client

    with django_capture_on_commit_callbacks(execute=True):
        erase_client(Client.objects.get(pk=restricted.client.pk), owner)
    assert not Client.objects.filter(pk=restricted.client.pk).exists()
    assert timezone.now() - Event.objects.get(action="rights.erased").created_at < timedelta(minutes=1)
