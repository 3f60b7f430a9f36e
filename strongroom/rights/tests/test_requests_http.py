"""Rights requests end to end through HTTP: a client asks from the portal or staff log a letter;
identity is verified; the workspace decides; Strongroom carries it out; the person is told."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as WebClient
from django.utils import timezone

from strongroom.accounts.models import Membership, User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.models import Client
from strongroom.collection.tests.factories import acknowledged_link, use_immediate_tasks, use_outbox
from strongroom.mail import outbox
from strongroom.rights.deadlines import add_months
from strongroom.rights.models import AccessPackage, RightsRequest, RightsState
from strongroom.rights.tests.seed import Seeded, seed_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(
    settings: Any, tmp_path: Path, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> tuple[Seeded, Seeded]:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)
    first = seed_client(workspace, owner, django_capture_on_commit_callbacks, "asker")
    second = seed_client(workspace, owner, django_capture_on_commit_callbacks, "other")
    return first, second


def mails_to(address: str) -> list[tuple[str, str]]:
    """(subject, text body) of every outbox message to `address`, oldest first."""
    found = []
    for message in reversed(outbox.list_messages()):
        if address in message.to:
            msg = outbox.read_message(message.id)
            found.append((str(msg.get("Subject", "")), outbox.body_text(msg)))
    return found


def code_in(text: str) -> str:
    match = re.search(r"^\s+(\d{6})\s*$", text, re.MULTILINE)
    assert match, text
    return match.group(1)


def portal_session(seeded: Seeded) -> WebClient:
    """A browser that came in by the client's portal link and passed the notice."""
    _, token = acknowledged_link(seeded.request)
    web = WebClient()
    assert web.get(f"/p/{token}").status_code == 302
    return web


def staff(user: User) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def fresh(rights_request: RightsRequest) -> RightsRequest:
    """The row again (refresh_from_db would open its sealed fields, which fails once they are erased)."""
    return RightsRequest.objects.get(pk=rights_request.pk)


def actions(rights_request: RightsRequest) -> list[str]:
    return list(
        Event.objects.filter(target_id=str(rights_request.pk)).order_by("id").values_list("action", flat=True)
    )


# --- access from the portal, approved by the owner, downloaded with a code ---------------------------


def test_a_client_asks_for_access_from_the_portal_and_downloads_a_package_that_opens(
    owner: User, workspace: Workspace, world: tuple[Seeded, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    asker, other = world
    web = portal_session(asker)
    page = web.get("/portal/")
    assert "/portal/rights/" in page.content.decode()  # "Your privacy rights" on every portal page

    # the client asks; the portal session is their proof of identity
    with django_capture_on_commit_callbacks(execute=True):
        asked = web.post("/portal/rights/", {"kind": "access", "details": "Everything please"})
    assert asked.status_code == 302
    rights_request = RightsRequest.objects.get(client=asker.client)
    assert rights_request.state == RightsState.AWAITING_APPROVAL
    assert rights_request.due_on == add_months(timezone.localdate(rights_request.received_at), 1)
    [(subject, text)] = mails_to("owner@firm-a.example")[-1:]
    assert "Rights request to decide" in subject and f"/rights/{rights_request.pk}/" in text
    assert asker.marker not in text and asker.email not in text

    # the owner approves; the package is built and the link e-mailed to the client
    with django_capture_on_commit_callbacks(execute=True):
        approved = staff(owner).post(f"/w/{workspace.pk}/rights/{rights_request.pk}/approve/")
    assert approved.status_code == 302
    rights_request = fresh(rights_request)
    assert rights_request.state == RightsState.DONE
    subject, text = mails_to(asker.email)[-1]
    assert "Your personal data held by Firm A" in subject
    [link] = re.findall(r"http://\S+/rights/package/\S+", text)
    path = link.split("://", 1)[1].split("/", 1)[1]

    # the link alone opens nothing: a code e-mailed to the client unlocks the download
    browser = WebClient()
    assert browser.get(f"/{path}").status_code == 302
    assert browser.get("/rights/package/download").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/rights/package/", {"action": "send"})
    code = code_in(mails_to(asker.email)[-1][1])
    assert browser.post("/rights/package/", {"action": "check", "code": code}).status_code == 302
    download = browser.get("/rights/package/download")
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))  # type: ignore[attr-defined]
    names = archive.namelist()
    for expected in ("README.txt", "data.json", "data.xml", "data.xlsx", "subject-export.xsd"):
        assert expected in names
    assert any(n.endswith(".csv") for n in names)
    files = {n: archive.read(n) for n in names if n.startswith("files/")}
    assert set(files.values()) == set(asker.files.values())
    everything = b"".join(archive.read(n) for n in names)
    assert asker.marker.encode() in everything  # their answers, message, notes are in it
    assert other.marker.encode() not in everything and other.email.encode() not in everything
    package_events = Event.objects.filter(target_id=str(AccessPackage.objects.get().pk))
    assert "rights.package_downloaded" in package_events.values_list("action", flat=True)

    # and from the portal, the session is proof enough
    package = AccessPackage.objects.get()
    again = web.get(f"/portal/rights/packages/{package.pk}/")
    assert again.status_code == 200


def test_a_package_link_of_someone_else_expired_or_unknown_opens_nothing_and_is_audited(
    owner: User, workspace: Workspace, world: tuple[Seeded, Seeded], django_capture_on_commit_callbacks: Any
) -> None:
    asker, other = world
    with django_capture_on_commit_callbacks(execute=True):
        portal_session(asker).post("/portal/rights/", {"kind": "portability"})
        staff(owner).post(f"/w/{workspace.pk}/rights/{RightsRequest.objects.get().pk}/approve/")
    package = AccessPackage.objects.get()

    # another client's portal session cannot fetch it
    assert portal_session(other).get(f"/portal/rights/packages/{package.pk}/").status_code == 404
    refused = Event.objects.filter(action="rights.package_refused").last()
    assert refused is not None and refused.extra == {"why": "not_theirs_or_expired"}
    # an unknown token shows the neutral page
    assert WebClient().get("/rights/package/not-a-real-token").status_code == 404
    # an expired package: the same
    [link] = re.findall(r"/rights/package/\S+", mails_to(asker.email)[-1][1])
    AccessPackage.objects.filter(pk=package.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert WebClient().get(link).status_code == 404
    assert Event.objects.filter(action="rights.package_refused").count() == 3  # foreign, unknown, expired
    # five wrong codes use the code up, each audited
    AccessPackage.objects.filter(pk=package.pk).update(expires_at=timezone.now() + timedelta(days=1))
    browser = WebClient()
    browser.get(link)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/rights/package/", {"action": "send"})
    code = code_in(mails_to(asker.email)[-1][1])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert browser.post("/rights/package/", {"action": "check", "code": wrong}).status_code == 400
    assert browser.post("/rights/package/", {"action": "check", "code": code}).status_code == 400
    assert browser.get("/rights/package/download").status_code == 404
    failed = Event.objects.filter(action="rights.package_code_failed", target_id=str(package.pk)).count()
    assert failed == 6


# --- a letter logged by staff, verified by code, erasure approved -----------------------------------


def test_staff_log_an_erasure_letter_the_client_confirms_by_code_and_the_owner_approves(
    owner: User,
    member: User,
    workspace: Workspace,
    world: tuple[Seeded, Seeded],
    django_capture_on_commit_callbacks: Any,
) -> None:
    asker, other = world
    with django_capture_on_commit_callbacks(execute=True):
        logged = staff(owner).post(
            f"/w/{workspace.pk}/rights/new/",
            {
                "client": str(asker.client.pk),
                "kind": "erasure",
                "channel": "letter",
                "received_on": timezone.localdate().isoformat(),
                "details": "Please erase me",
            },
        )
    assert logged.status_code == 302
    rights_request = RightsRequest.objects.get()
    assert rights_request.state == RightsState.UNVERIFIED

    # nothing can be decided before the person confirms
    with django_capture_on_commit_callbacks(execute=True):
        early = staff(owner).post(f"/w/{workspace.pk}/rights/{rights_request.pk}/approve/")
    assert early.status_code == 400
    assert Client.objects.filter(pk=asker.client.pk).exists()

    # the code e-mailed to the client confirms it
    subject, text = mails_to(asker.email)[-1]
    assert "Confirm your request" in subject
    verify_path = f"/rights/{rights_request.pk}/verify/"
    assert verify_path in text
    assert (
        WebClient()
        .post(verify_path, {"code": "999999" if code_in(text) != "999999" else "888888"})
        .status_code
        == 400
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert WebClient().post(verify_path, {"code": code_in(text)}).status_code == 200
    rights_request = fresh(rights_request)
    assert rights_request.state == RightsState.AWAITING_APPROVAL
    assert rights_request.verified_by == "email_code"

    # a member who is neither owner nor privacy officer cannot decide
    refused = staff(member).post(f"/w/{workspace.pk}/rights/{rights_request.pk}/approve/")
    assert refused.status_code == 403

    # the owner approves: the client is erased, told, and the request records what was done
    with django_capture_on_commit_callbacks(execute=True):
        staff(owner).post(f"/w/{workspace.pk}/rights/{rights_request.pk}/approve/")
    rights_request = fresh(rights_request)
    assert rights_request.state == RightsState.DONE
    assert rights_request.outcome["files"] == 2
    assert not Client.objects.filter(pk=asker.client.pk).exists()
    [(subject, text)] = mails_to(asker.email)
    assert "erased" in subject and asker.marker not in text
    assert Client.objects.filter(pk=other.client.pk).exists()
    assert actions(rights_request) == [
        "rights.received",
        "rights.code_sent",
        "rights.step_refused",
        "rights.code_failed",
        "rights.verified",
        "rights.approved",
        "rights.done",
        "rights.erasure_confirmed",
    ]
    # the request's page still says what happened, and shows nothing of the person
    page = staff(owner).get(f"/w/{workspace.pk}/rights/{rights_request.pk}/")
    assert page.status_code == 200 and "Erased" in page.content.decode()
    assert "Please erase me" not in page.content.decode()

    # an erasure of the same, already erased, person: a clear answer and nothing else happens
    again = staff(owner).post(
        f"/w/{workspace.pk}/rights/new/",
        {
            "client": str(asker.client.pk),
            "kind": "erasure",
            "channel": "letter",
            "received_on": timezone.localdate().isoformat(),
        },
    )
    assert again.status_code == 400
    assert RightsRequest.objects.count() == 1
    assert Event.objects.filter(action="rights.step_refused").last().extra["why"] == "unknown_subject"  # type: ignore[union-attr]


# --- decisions: refusal, extension -------------------------------------------------------------------


@pytest.fixture
def verified(
    owner: User, world: tuple[Seeded, Seeded], django_capture_on_commit_callbacks: Any
) -> RightsRequest:
    asker, _ = world
    with django_capture_on_commit_callbacks(execute=True):
        portal_session(asker).post("/portal/rights/", {"kind": "access"})
    return RightsRequest.objects.get()


def test_a_refusal_needs_a_reason_and_the_client_is_told_it(
    owner: User,
    workspace: Workspace,
    verified: RightsRequest,
    world: tuple[Seeded, Seeded],
    django_capture_on_commit_callbacks: Any,
) -> None:
    asker, _ = world
    url = f"/w/{workspace.pk}/rights/{verified.pk}/refuse/"
    events_before = Event.objects.count()

    empty = staff(owner).post(url, {"reason": "  "})
    assert empty.status_code == 400 and "reason for refusing is required" in empty.content.decode()
    verified = fresh(verified)
    assert verified.state == RightsState.AWAITING_APPROVAL
    assert Event.objects.filter(action="rights.step_refused").count() == 1
    assert Event.objects.count() == events_before + 1

    with django_capture_on_commit_callbacks(execute=True):
        staff(owner).post(url, {"reason": "Manifestly unfounded: third identical request this month"})
    verified = fresh(verified)
    assert verified.state == RightsState.REFUSED
    _subject, text = mails_to(asker.email)[-1]
    assert "Manifestly unfounded" in text and "supervisory authority" in text


def test_an_extension_moves_the_deadline_once_and_tells_the_client_before_the_original_date(
    owner: User,
    workspace: Workspace,
    verified: RightsRequest,
    world: tuple[Seeded, Seeded],
    django_capture_on_commit_callbacks: Any,
) -> None:
    asker, _ = world
    url = f"/w/{workspace.pk}/rights/{verified.pk}/extend/"
    original = verified.due_on

    with django_capture_on_commit_callbacks(execute=True):
        done = staff(owner).post(url, {"months": "2", "reason": "Forty boxes of archives to search"})
    assert done.status_code == 302
    verified = fresh(verified)
    assert verified.state == RightsState.EXTENDED and verified.original_due_on == original
    assert verified.due_on == add_months(original, 2)
    subject, text = mails_to(asker.email)[-1]
    assert "more time" in subject and "Forty boxes" in text
    assert timezone.localdate() <= original  # told before the original deadline

    # a second extension is refused, clearly, and nothing changes
    again = staff(owner).post(url, {"months": "1", "reason": "Still more boxes"})
    assert again.status_code == 400 and "already been extended" in again.content.decode()
    verified = fresh(verified)
    assert verified.due_on == add_months(original, 2)
    assert Event.objects.filter(action="rights.step_refused", target_id=str(verified.pk)).count() == 1


def test_an_extension_after_the_deadline_is_refused(
    owner: User, workspace: Workspace, verified: RightsRequest
) -> None:
    RightsRequest.objects.filter(pk=verified.pk).update(
        received_at=datetime(2026, 1, 31, 10, tzinfo=ZoneInfo("UTC")),
        due_on=date(2026, 2, 28),
        original_due_on=date(2026, 2, 28),
    )
    late = staff(owner).post(
        f"/w/{workspace.pk}/rights/{verified.pk}/extend/", {"months": "1", "reason": "Too late"}
    )
    assert late.status_code == 400 and "deadline has passed" in late.content.decode()


def test_the_board_lists_open_requests_by_deadline_with_the_overdue_marked(
    owner: User, workspace: Workspace, verified: RightsRequest
) -> None:
    RightsRequest.objects.filter(pk=verified.pk).update(due_on=timezone.localdate() - timedelta(days=1))
    page = staff(owner).get(f"/w/{workspace.pk}/rights/")
    text = page.content.decode()
    assert page.status_code == 200 and "1 overdue" in text and "Access to my data" in text


def test_a_privacy_officer_decides_like_an_owner(
    member: User, workspace: Workspace, verified: RightsRequest, django_capture_on_commit_callbacks: Any
) -> None:
    Membership.objects.filter(user=member, workspace=workspace).update(privacy_officer=True)
    with django_capture_on_commit_callbacks(execute=True):
        done = staff(member).post(f"/w/{workspace.pk}/rights/{verified.pk}/approve/")
    assert done.status_code == 302
    verified = fresh(verified)
    assert verified.state == RightsState.DONE


def test_an_outsider_sees_and_changes_nothing(
    outsider: User, other_workspace: Workspace, workspace: Workspace, verified: RightsRequest
) -> None:
    for base in (f"/w/{workspace.pk}", f"/w/{other_workspace.pk}"):
        assert staff(outsider).get(f"{base}/rights/{verified.pk}/").status_code in (403, 404)
        assert staff(outsider).post(f"{base}/rights/{verified.pk}/approve/").status_code in (403, 404)
    verified = fresh(verified)
    assert verified.state == RightsState.AWAITING_APPROVAL


def test_the_privacy_rights_pages_speak_the_clients_language(world: tuple[Seeded, Seeded]) -> None:
    asker, _ = world
    Client.objects.filter(pk=asker.client.pk).update(language="fr")
    web = portal_session(asker)
    page = web.get("/portal/rights/").content.decode()
    assert "Vos droits sur vos données" in page and "Accès à mes données" in page
    assert "Corriger vos données" in web.get("/portal/rights/correct/").content.decode()


def test_every_portal_page_links_the_privacy_policy_the_rights_and_the_security_page(
    workspace: Workspace, world: tuple[Seeded, Seeded]
) -> None:
    asker, _ = world
    Workspace.objects.filter(pk=workspace.pk).update(privacy_policy_url="https://firm-a.example/privacy")
    web = portal_session(asker)
    for path in ("/portal/", "/portal/messages/", "/portal/rights/", "/portal/rights/correct/"):
        page = web.get(path).content.decode()
        assert 'href="https://firm-a.example/privacy"' in page, path
        assert 'href="/portal/rights/"' in page and 'href="/security/"' in page, path
