"""Sub-processors: the public list (HTML and JSON), changes announced to every workspace's owners at
least 30 days ahead, the owners' objections, the security page and the operator's command."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as WebClient
from django.utils import timezone

from conftest import make_user
from strongroom.accounts.actions import do_add_member
from strongroom.accounts.models import Role, User, Workspace
from strongroom.audit.actors import operator
from strongroom.audit.models import Event
from strongroom.collection.tests.factories import use_immediate_tasks, use_outbox
from strongroom.mail import outbox
from strongroom.privacy import subprocessors
from strongroom.privacy.models import SubProcessor, SubProcessorChange, SubProcessorObjection
from strongroom.privacy.subprocessors import NOTICE_DAYS, Details, Kind, SubProcessorError, current

pytestmark = pytest.mark.django_db

OPERATOR = operator("test")
MAILJET = Details("Mailjet SAS", "e-mail delivery", "France", "within the EU", ("user.contact.email",))


def today() -> date:
    return timezone.localdate()


def in_days(days: int) -> date:
    return today() + timedelta(days=days)


def row(name: str, effective_from: date, retired_on: date | None = None, **values: Any) -> SubProcessor:
    """A row as an earlier announcement left it (the given of a test, not an announcement)."""
    values.setdefault("purpose", f"{name} purpose")
    values.setdefault("location", "Germany")
    values.setdefault("safeguards", "within the EU")
    return SubProcessor.objects.create(
        name=name, effective_from=effective_from, retired_on=retired_on, **values
    )


def announce(kind: str = Kind.ADDED, days: int = NOTICE_DAYS, **kwargs: Any) -> SubProcessorChange:
    if kind == Kind.ADDED:
        kwargs.setdefault("details", MAILJET)
    kwargs.setdefault("summary", "We add an e-mail delivery service.")
    return subprocessors.do_announce(OPERATOR, kind=kind, effective_on=in_days(days), **kwargs)


def signed_in(user: User) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def counts() -> tuple[int, int, int, int]:
    return (
        SubProcessor.objects.count(), SubProcessorChange.objects.count(),
        SubProcessorObjection.objects.count(), Event.objects.count(),
    )


@pytest.fixture
def mail(settings: Any, tmp_path: Path) -> Path:
    folder = use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)
    return folder


# --- the public list -----------------------------------------------------------------------------


def test_the_public_list_shows_what_is_in_effect_and_the_announced_changes(workspace: Workspace) -> None:
    row("Hetzner Online GmbH", in_days(-100), data_categories=["user.name", "user.contact.email"])
    row("Old Mail Ltd", in_days(-100), retired_on=today())
    row("Leaving Soon Oy", in_days(-100), retired_on=in_days(40))
    change = announce()

    page = WebClient().get("/subprocessors/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Hetzner Online GmbH" in html and "Hetzner Online GmbH purpose" in html
    # the data map's labels, their codes only as a hint
    assert 'title="user.name">Name<' in html and 'title="user.contact.email">E-mail address<' in html
    assert "Old Mail Ltd" not in html  # retired today
    assert "Leaving Soon Oy" in html  # retires later
    # announced, not in effect yet: only among the changes, with its date
    in_effect, announced = html.split("Announced changes")
    assert "Mailjet SAS" not in in_effect
    assert "Mailjet SAS will be added" in announced and change.summary in announced


def test_the_json_list_is_machine_readable_with_stable_keys(workspace: Workspace) -> None:
    row("Hetzner Online GmbH", in_days(-100), data_categories=["user.contact.email"])
    row("Old Mail Ltd", in_days(-100), retired_on=in_days(-1))
    announce()

    response = WebClient().get("/subprocessors.json")

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    assert set(data) == {"operator", "updated_at", "notice_days", "subprocessors", "upcoming_changes"}
    assert data["notice_days"] == 30 and data["updated_at"]
    [hetzner] = data["subprocessors"]
    assert hetzner == {
        "name": "Hetzner Online GmbH", "purpose": "Hetzner Online GmbH purpose", "location": "Germany",
        "safeguards": "within the EU",
        "data_categories": [{"code": "user.contact.email", "label": "E-mail address"}],
        "effective_from": in_days(-100).isoformat(), "retired_on": None,
    }
    [upcoming] = data["upcoming_changes"]
    assert upcoming["kind"] == "added" and upcoming["effective_on"] == in_days(NOTICE_DAYS).isoformat()
    assert upcoming["subprocessor"]["name"] == "Mailjet SAS"


def test_current_follows_the_effective_and_retirement_dates() -> None:
    row("A", in_days(-10))
    row("B", in_days(-10), retired_on=in_days(5))
    row("C", in_days(5))

    assert [s.name for s in current()] == ["A", "B"]
    assert [s.name for s in current(in_days(5))] == ["A", "C"]
    assert [s.name for s in current(in_days(-11))] == []


# --- announcing ----------------------------------------------------------------------------------


def test_an_announcement_too_soon_is_refused_and_nothing_changes(workspace: Workspace, mail: Path) -> None:
    hetzner = row("Hetzner Online GmbH", in_days(-100))
    before = counts()

    for days in (NOTICE_DAYS - 1, 0, -1):
        with pytest.raises(SubProcessorError, match=r"at least 30 days ahead|in the past"):
            announce(days=days)
        with pytest.raises(SubProcessorError):
            announce(Kind.RETIRED, days=days, subprocessor=hetzner)

    assert counts() == before
    assert SubProcessor.objects.get(pk=hetzner.pk).retired_on is None
    assert outbox.list_messages(folder=mail) == []


def test_without_any_workspace_the_operator_sets_up_the_list_at_once(db: Any) -> None:
    change = announce(days=0)

    assert [s.name for s in current()] == ["Mailjet SAS"]
    assert change.effective_on == today()


def test_bad_announcements_are_refused_with_the_reason(workspace: Workspace) -> None:
    hetzner = row("Hetzner Online GmbH", in_days(-100))
    leaving = row("Leaving Soon Oy", in_days(-100), retired_on=in_days(60))
    before = counts()

    cases: list[tuple[dict[str, Any], str]] = [
        ({"details": Details("hetzner online gmbh", "hosting", "Germany", "EU")}, "already on the list"),
        ({"details": Details("X", "", "Germany", "EU")}, "purpose of the sub-processor is missing"),
        ({"details": Details("X", "p", "Germany", "EU", ("user.shoe_size",))}, "Unknown data categories"),
        ({"summary": "  "}, "Say in a sentence"),
    ]
    for kwargs, reason in cases:
        with pytest.raises(SubProcessorError, match=reason):
            announce(**kwargs)
    with pytest.raises(SubProcessorError, match="already leaves the list on"):
        announce(Kind.RETIRED, subprocessor=leaving)
    with pytest.raises(SubProcessorError, match="Nothing changes"):
        announce(Kind.CHANGED, subprocessor=hetzner, details=Details.of(hetzner))

    assert counts() == before


def test_a_change_takes_effect_on_its_date_through_a_successor_row(workspace: Workspace) -> None:
    hetzner = row("Hetzner Online GmbH", in_days(-100), location="Germany")
    new_values = Details("Hetzner Online GmbH", "Hetzner Online GmbH purpose", "Finland", "within the EU")

    change = announce(Kind.CHANGED, subprocessor=hetzner, details=new_values, summary="Moving to Helsinki.")

    assert change.kind == Kind.CHANGED and change.subprocessor.location == "Finland"
    assert [s.location for s in current()] == ["Germany"]  # the old values until the date
    assert [s.location for s in current(in_days(NOTICE_DAYS - 1))] == ["Germany"]
    assert [s.location for s in current(in_days(NOTICE_DAYS))] == ["Finland"]
    assert SubProcessor.objects.get(pk=hetzner.pk).retired_on == in_days(NOTICE_DAYS)
    [event] = Event.objects.filter(action="subprocessors.change_announced")
    assert event.extra["kind"] == "changed" and event.extra["subprocessor"] == str(change.subprocessor_id)


def test_a_retirement_takes_effect_on_its_date(workspace: Workspace) -> None:
    hetzner = row("Hetzner Online GmbH", in_days(-100))

    announce(Kind.RETIRED, subprocessor=hetzner, summary="We stop using Hetzner.")

    assert [s.name for s in current(in_days(NOTICE_DAYS - 1))] == ["Hetzner Online GmbH"]
    assert current(in_days(NOTICE_DAYS)) == []


def test_an_announcement_emails_every_workspaces_owners_and_only_them(
    owner: User, member: User, outsider: User, workspace: Workspace, other_workspace: Workspace,
    mail: Path, django_capture_on_commit_callbacks: Any,
) -> None:
    admin = make_user("admin@firm-a.example")
    do_add_member(workspace, admin, Role.ADMIN, owner)
    second_owner = make_user("second.owner@firm-a.example")
    do_add_member(workspace, second_owner, Role.OWNER, owner)
    do_add_member(other_workspace, owner, Role.OWNER, outsider)  # owner of both
    Workspace.objects.filter(pk=other_workspace.pk).update(default_language="fr")

    with django_capture_on_commit_callbacks(execute=True):
        change = announce()

    messages = outbox.list_messages(folder=mail)
    recipients = sorted(address for m in messages for address in m.to)
    assert recipients == sorted([
        "owner@firm-a.example", "second.owner@firm-a.example",  # Firm A
        "owner@firm-a.example", "owner@firm-b.example",  # Firm B
    ])
    subjects = {m.subject for m in messages}
    assert any(s.startswith("Sub-processors: Mailjet SAS added") and "(Firm A)" in s for s in subjects)
    assert any(s.startswith("Sous-traitants : ajout de Mailjet SAS") and "(Firm B)" in s for s in subjects)
    to_firm_b = next(m for m in messages if m.to == ["owner@firm-b.example"])
    body = outbox.body_text(outbox.read_message(to_firm_b.id, folder=mail))
    assert f"/w/{other_workspace.pk}/compliance/subprocessors/" in body and change.summary in body
    assert "vous pouvez vous opposer" in body
    told = Event.objects.filter(action="subprocessors.owners_told")
    assert sorted(e.extra["owners"] for e in told) == [2, 2]

    # safe to run twice: each workspace is told once
    assert subprocessors.tell_owners.call(str(change.pk), str(workspace.pk)) == 0
    assert subprocessors.announce_change.call(str(change.pk)) == 2
    assert len(outbox.list_messages(folder=mail)) == 4


# --- objecting -----------------------------------------------------------------------------------


def object_url(workspace: Workspace, change: SubProcessorChange) -> str:
    return f"/w/{workspace.pk}/compliance/subprocessors/{change.pk}/object/"


def page_url(workspace: Workspace) -> str:
    return f"/w/{workspace.pk}/compliance/subprocessors/"


def test_an_owner_objects_once_and_the_objection_is_recorded(owner: User, workspace: Workspace) -> None:
    change = announce()
    web = signed_in(owner)
    page = web.get(page_url(workspace)).content.decode()
    assert "Mailjet SAS will be added" in page and "Object to this change" in page

    response = web.post(object_url(workspace, change), {"reason": "Our clients were promised no US firm."})

    assert response.status_code == 302
    [objection] = SubProcessorObjection.objects.all()
    assert (objection.change, objection.workspace, objection.objected_by) == (change, workspace, owner)
    [event] = Event.objects.filter(action="subprocessors.objected")
    assert event.extra == {
        "change": str(change.pk), "kind": "added", "subprocessor": str(change.subprocessor_id)
    }
    assert "promised" not in str(event.extra)
    page = web.get(page_url(workspace)).content.decode()
    assert "This workspace objected on" in page and "Our clients were promised no US firm." in page

    before = counts()
    again = web.post(object_url(workspace, change), {"reason": "Again."})
    assert again.status_code == 400 and "Firm A already objected to this change" in again.content.decode()
    assert counts() == before


def test_an_objection_on_or_after_the_effective_date_is_refused(owner: User, workspace: Workspace) -> None:
    change = announce()
    SubProcessorChange.objects.filter(pk=change.pk).update(effective_on=today())  # the date has come
    before = counts()

    response = signed_in(owner).post(object_url(workspace, change), {"reason": "Too late."})

    assert response.status_code == 400 and "took effect on" in response.content.decode()
    assert counts() == before


def test_a_member_or_an_admin_cannot_object(owner: User, member: User, workspace: Workspace) -> None:
    admin = make_user("admin@firm-a.example")
    do_add_member(workspace, admin, Role.ADMIN, owner)
    change = announce()
    before = counts()

    # an admin reads the page, as the other compliance pages, without the form; a member does not
    seen = signed_in(admin).get(page_url(workspace))
    assert seen.status_code == 200 and "Only the workspace's owners may object." in seen.content.decode()
    assert "Object to this change" not in seen.content.decode()
    assert signed_in(member).get(page_url(workspace)).status_code == 403
    for user in (member, admin):
        web = signed_in(user)
        assert web.post(object_url(workspace, change), {"reason": "no"}).status_code == 403
        with pytest.raises(PermissionDenied, match="role"):
            subprocessors.do_object(change, workspace, user, "no")

    assert counts() == before


def test_an_outsider_gets_404_through_either_workspace(
    owner: User, outsider: User, workspace: Workspace, other_workspace: Workspace
) -> None:
    change = announce()
    before = counts()

    for user, foreign in ((outsider, workspace), (owner, other_workspace)):
        web = signed_in(user)
        assert web.get(page_url(foreign)).status_code == 404
        response = web.post(object_url(foreign, change), {"reason": "not mine"})
        assert response.status_code == 404 and b"Firm" not in response.content

    assert counts() == before


def test_an_anonymous_visitor_is_sent_to_sign_in(workspace: Workspace) -> None:
    change = announce()
    before = counts()

    for response in (WebClient().get(page_url(workspace)), WebClient().post(object_url(workspace, change))):
        assert response.status_code == 302 and response["Location"].startswith("/login/")

    assert counts() == before


# --- the security page ---------------------------------------------------------------------------


def test_the_security_page_says_what_is_encrypted_where_the_data_is_and_how_to_exercise_rights(
    settings: Any, db: Any
) -> None:
    row("Hetzner Online GmbH", in_days(-100))
    settings.DATA_LOCATION = ""

    html = WebClient().get("/security/").content.decode()

    assert "AES-256-GCM" in html and "chunked" in html and "master key" in html
    assert "keyed hashes" in html and "backups" in html
    assert "the operator's own servers" in html
    assert 'href="/subprocessors/"' in html and "1 sub-processor today" in html
    assert "Your privacy rights" in html and "Your account" in html and 'href="/account/"' in html

    settings.DATA_LOCATION = "Frankfurt am Main, Germany"
    settings.KEY_PROVIDER = "pkcs11"
    response = WebClient().get("/security/")
    assert response.status_code == 200
    assert "Frankfurt am Main, Germany" in response.content.decode()
    assert "hardware security module" in response.content.decode()


# --- the operator's command ----------------------------------------------------------------------


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("subprocessors", *args, stdout=out)
    return out.getvalue()


def test_the_operator_announces_lists_and_reads_objections(owner: User, workspace: Workspace) -> None:
    effective = in_days(NOTICE_DAYS).isoformat()
    added = run(
        "announce-add", "Mailjet SAS", "--purpose", "e-mail delivery", "--location", "France",
        "--safeguards", "within the EU", "--category", "user.contact.email", "--summary", "Mail.",
        "--effective", effective,
    )
    assert "announced: Mailjet SAS added on" in added
    hetzner = row("Hetzner Online GmbH", in_days(-100))
    run("announce-change", "hetzner online gmbh", "--location", "Finland", "--summary", "Moving.",
        "--effective", effective)
    run("announce-retire", str(SubProcessor.objects.get(location="Finland").pk), "--summary", "Leaving.",
        "--effective", in_days(NOTICE_DAYS + 10).isoformat())
    mailjet = SubProcessorChange.objects.get(kind=Kind.ADDED)
    subprocessors.do_object(mailjet, workspace, owner, "No, thank you.")

    listing = run("list")
    assert "in effect today" in listing and str(hetzner.pk) in listing and "Germany" in listing
    assert "announced changes: 3" in listing and "(1 objection(s))" in listing
    objections = run("objections")
    assert f"change {mailjet.pk}" in objections and "Firm A" in objections and "No, thank you." in objections
    assert run("objections", "--change", str(SubProcessorChange.objects.get(kind=Kind.RETIRED).pk)) == (
        "no objections\n"
    )
    announced = Event.objects.filter(action="subprocessors.change_announced")
    assert set(announced.values_list("actor_id", flat=True)) == {
        "subprocessors announce-add", "subprocessors announce-change", "subprocessors announce-retire"
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["announce-add", "X", "--purpose", "p", "--location", "l", "--safeguards", "s", "--summary", "s",
          "--effective", "30/12/2030"], "YYYY-MM-DD"),
        (["announce-add", "X", "--purpose", "p", "--location", "l", "--safeguards", "s", "--summary", "s",
          "--effective", "TOMORROW"], "at least 30 days ahead"),
        (["announce-add", "X", "--purpose", "p", "--location", "l", "--safeguards", "s", "--summary", "s",
          "--category", "shoe.size", "--effective", "SOON_ENOUGH"], "Unknown data categories: shoe.size"),
        (["announce-retire", "Nobody Ltd", "--summary", "s", "--effective", "SOON_ENOUGH"],
         "no sub-processor 'Nobody Ltd'"),
        (["announce-change", "Hetzner Online GmbH", "--summary", "s", "--effective", "SOON_ENOUGH"],
         "Nothing changes"),
        (["objections", "--change", "not-an-id"], "is not a change id"),
    ],
)
def test_bad_command_input_is_refused_in_a_sentence_and_nothing_is_saved(
    workspace: Workspace, args: list[str], message: str
) -> None:
    row("Hetzner Online GmbH", in_days(-100))
    dates = {"TOMORROW": in_days(1).isoformat(), "SOON_ENOUGH": in_days(NOTICE_DAYS).isoformat()}
    before = counts()

    with pytest.raises(CommandError, match=message) as refused:
        run(*[dates.get(a, a) for a in args])

    assert refused.value.returncode == 1
    assert counts() == before

