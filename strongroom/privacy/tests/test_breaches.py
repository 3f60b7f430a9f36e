"""The breach register: recording tells the affected workspaces' owners only; each workspace's
72 hours; updates, the authority notification or the reasons for not notifying, the decision on
telling the people concerned; bad input changes nothing; every page refuses whoever may not see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import formats, timezone

from conftest import make_user
from strongroom.accounts.actions import do_add_member, do_create_workspace
from strongroom.accounts.models import Role, User, Workspace
from strongroom.audit.actors import operator
from strongroom.audit.models import Event
from strongroom.collection.tests.factories import use_immediate_tasks, use_outbox
from strongroom.collection.tests.test_staff_url_permissions import defined_urls
from strongroom.mail import outbox
from strongroom.privacy import breaches
from strongroom.privacy.models import Breach, BreachNotice, BreachUpdate

pytestmark = pytest.mark.django_db

MARKER = "MARKER-breach-5Z"
AWARE = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def mail(settings: Any, tmp_path: Path) -> None:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)


@pytest.fixture
def co_owner(owner: User, workspace: Workspace) -> User:
    user = make_user("second.owner@firm-a.example", "Sam Second")
    do_add_member(workspace, user, Role.OWNER, owner)
    return user


@pytest.fixture
def admin(owner: User, workspace: Workspace) -> User:
    user = make_user("admin@firm-a.example", "Ada Admin")
    do_add_member(workspace, user, Role.ADMIN, owner)
    return user


@pytest.fixture
def third_workspace(db: Any) -> Workspace:
    return do_create_workspace("Firm C", make_user("owner@firm-c.example"), operator("test"))


def recipients() -> list[str]:
    return sorted(address for message in outbox.list_messages() for address in message.to)


def snapshot() -> dict[str, Any]:
    return {
        "breaches": Breach.objects.count(),
        "notices": sorted(
            BreachNotice.objects.values_list(
                "pk", "owners_notified_at", "authority_notified_at", "authority_reference",
                "not_notified_reason", "subjects_decision", "subjects_decision_reason", "decided_at",
            )
        ),
        "updates": BreachUpdate.objects.count(),
        "events": Event.objects.count(),
        "mail": len(outbox.list_messages()),
    }


def details(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "nature": f"Laptop with unencrypted exports stolen {MARKER}",
        "data_categories": ["user.financial", "user.name"],
        "subjects_approx": 40,
        "records_approx": 120,
        "consequences": "Possible fraud",
        "measures": "Passwords reset",
        "contact": "DPO, dpo@firm-a.example",
        "aware_at": AWARE,
    }
    return values | overrides


def record_for(workspace: Workspace, actor: User, capture: Any, **overrides: Any) -> BreachNotice:
    with capture(execute=True):
        breach = breaches.do_record_breach(actor=actor, workspace=workspace, **details(**overrides))
    return breach.notices.get()


def web(user: User | None) -> WebClient:
    client = WebClient()
    if user is not None:
        client.force_login(user)
    return client


def form_data(**overrides: Any) -> dict[str, Any]:
    data = details(aware_at="2025-01-06T09:00") | overrides
    return {key: value for key, value in data.items() if value is not None}


# --- recording tells the affected workspaces' owners, and no one else ----------------------------


def test_recording_on_the_owners_page_tells_that_workspaces_owners_only(
    mail: None, owner: User, co_owner: User, admin: User, member: User, workspace: Workspace,
    outsider: User, other_workspace: Workspace, django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = web(owner).post(reverse("compliance:breach_new", args=[workspace.pk]), form_data())

    notice = BreachNotice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:breach_notice", args=[workspace.pk, notice.pk])
    assert recipients() == ["owner@firm-a.example", "second.owner@firm-a.example"]
    assert notice.owners_notified_at is not None and notice.workspace == workspace
    assert notice.breach.workspace == workspace and notice.breach.recorded_by == owner
    assert notice.breach.data_categories == ["user.financial", "user.name"]
    [recorded] = Event.objects.filter(action="breach.recorded")
    assert recorded.chain == str(workspace.pk) and recorded.actor_id == str(owner.pk)
    assert recorded.extra == {
        "breach": str(notice.breach_id), "categories": 2, "subjects": 40, "records": 120, "workspaces": 1
    }
    assert Event.objects.get(action="breach.owners_notified").extra == {"owners": 2}


def test_the_e_mail_gives_the_deadline_and_a_link_and_nothing_of_the_incident(
    mail: None, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    aware = timezone.now() - timedelta(hours=2)
    notice = record_for(workspace, owner, django_capture_on_commit_callbacks, aware_at=aware)

    [message] = outbox.list_messages()
    body = outbox.body_text(outbox.read_message(message.id))
    assert message.subject == "Personal data breach recorded: 72 hours to notify (Firm A)"
    assert outbox.find_links(outbox.read_message(message.id)) == [breaches.notice_url(notice)]
    assert formats.date_format(aware + timedelta(hours=72), "DATETIME_FORMAT") in body
    assert MARKER not in body and "fraud" not in body and "Passwords" not in body


def test_the_operator_records_for_several_workspaces_and_only_their_owners_are_told(
    mail: None, owner: User, co_owner: User, admin: User, member: User, workspace: Workspace,
    outsider: User, other_workspace: Workspace, third_workspace: Workspace,
    django_capture_on_commit_callbacks: Any,
) -> None:
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "breaches", "record", "--workspace", str(workspace.pk), "--workspace", str(other_workspace.pk),
            "--nature", "Backup bucket exposed", "--contact", "ops@strongroom.example",
            "--aware-at", "2025-01-06T10:00+01:00", "--categories", "user.content.document,user.name",
            "--subjects", "300", "--records", "1200", stdout=out,
        )

    breach = Breach.objects.get()
    assert breach.workspace is None and breach.recorded_by is None
    assert breach.aware_at == AWARE
    assert "recorded for 2 workspace(s)" in out.getvalue()
    assert {n.workspace_id for n in breach.notices.all()} == {workspace.pk, other_workspace.pk}
    assert recipients() == ["owner@firm-a.example", "owner@firm-b.example", "second.owner@firm-a.example"]
    events = Event.objects.filter(action="breach.recorded")
    assert sorted(e.chain for e in events) == sorted([str(workspace.pk), str(other_workspace.pk)])
    assert {e.actor_kind for e in events} == {"operator"}
    body = outbox.body_text(outbox.read_message(outbox.list_messages()[0].id))
    assert "by the operator of this Strongroom installation" in body
    assert "ran out on" in body  # recorded after its 72 hours: the e-mail says to notify now


def test_the_owners_are_told_once_however_often_the_task_runs(
    mail: None, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    notice = record_for(workspace, owner, django_capture_on_commit_callbacks)
    assert breaches.tell_owners.call(str(notice.pk)) == 0
    assert recipients() == ["owner@firm-a.example"]


def test_the_console_lists_every_breach_with_each_workspaces_standing(
    mail: None, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    record_for(workspace, owner, django_capture_on_commit_callbacks)
    out = StringIO()
    call_command("breaches", "list", stdout=out)
    assert "by workspace" in out.getvalue() and "Firm A: overdue by" in out.getvalue()


# --- the 72 hours ------------------------------------------------------------------------------


def notice_at(aware: datetime = AWARE, **values: Any) -> BreachNotice:
    return BreachNotice(breach=Breach(aware_at=aware), **values)


def when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


@pytest.mark.parametrize(
    ("after", "state", "text"),
    [
        (timedelta(hours=30, minutes=48), "running", "41 h 12 min left to notify the authority"),
        (timedelta(hours=71, minutes=59, seconds=30), "running", "0 min left to notify the authority"),
        (timedelta(hours=72), "running", "0 min left to notify the authority"),
        (timedelta(hours=72, seconds=1), "overdue", "overdue by 0 min"),
        (timedelta(hours=77), "overdue", "overdue by 5 h"),
        (timedelta(hours=96, minutes=30), "overdue", "overdue by 24 h 30 min"),
    ],
)
def test_the_countdown_runs_72_hours_from_awareness(after: timedelta, state: str, text: str) -> None:
    notice = notice_at()
    assert breaches.deadline(notice) == datetime(2025, 1, 9, 9, 0, tzinfo=UTC)
    assert breaches.remaining(notice, AWARE + after) == timedelta(hours=72) - after
    standing = breaches.countdown(notice, AWARE + after)
    assert (standing.state, standing.text) == (state, text)


def test_a_notification_ends_the_countdown_and_a_late_one_says_by_how_much() -> None:
    on_time = notice_at(authority_notified_at=AWARE + timedelta(hours=20))
    late = notice_at(authority_notified_at=AWARE + timedelta(hours=80))
    later = AWARE + timedelta(hours=200)
    assert breaches.countdown(on_time, later).text == f"notified on {when(AWARE + timedelta(hours=20))}"
    expected = f"notified on {when(AWARE + timedelta(hours=80))}, 8 h late"
    assert breaches.countdown(late, later).text == expected
    not_notified = breaches.countdown(notice_at(not_notified_reason="Encrypted, key safe"), later)
    assert not_notified.state == "not_notified"


def test_the_register_lists_every_breach_newest_first_notified_or_not(
    owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    now = timezone.now()
    old = record_for(workspace, owner, django_capture_on_commit_callbacks, nature="Old incident")
    breaches.do_record_not_notified(old, owner, "The files were encrypted and the key was not taken.")
    aware = now - timedelta(hours=30, minutes=47, seconds=30)  # 41 h 12 min 30 s left
    record_for(workspace, owner, django_capture_on_commit_callbacks, nature="Recent incident", aware_at=aware)

    page = web(owner).get(reverse("compliance:breaches", args=[workspace.pk])).content.decode()
    assert page.index("Recent incident") < page.index("Old incident")
    assert "41 h 12 min left to notify the authority" in page
    assert "not notified: unlikely to result in a risk" in page


# --- the workspace's side: updates, the authority, the people concerned -------------------------


def test_updates_notification_and_decisions_are_recorded_and_audited_through_the_pages(
    owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    notice = record_for(workspace, owner, django_capture_on_commit_callbacks)
    owner_web = web(owner)

    def post(name: str, **data: Any) -> Any:
        response = owner_web.post(reverse(f"compliance:{name}", args=[workspace.pk, notice.pk]), data)
        assert response.status_code == 302, response.content.decode()
        return response

    post("breach_update", text="The laptop's disk was not encrypted after all.")
    post("breach_authority", notified_at="2025-01-07T10:30", reference="CNIL-2025-0042")
    post("breach_subjects", decision="not_inform", reason="Art. 34(3)(a): the exports were encrypted.")
    post("breach_subjects", decision="inform", reason="The authority asked us to (Art. 34(4)).")

    notice.refresh_from_db()
    assert notice.authority_notified_at == datetime(2025, 1, 7, 10, 30, tzinfo=UTC)
    assert notice.authority_reference == "CNIL-2025-0042"
    assert (notice.subjects_decision, notice.decided_by) == ("inform", owner)
    texts = [u.text for u in notice.updates.all()]
    assert texts[0] == "The laptop's disk was not encrypted after all."
    assert texts[1].startswith("Earlier decision: Do not inform them") and "Art. 34(3)(a)" in texts[1]
    chain = Event.objects.filter(chain=str(workspace.pk), action__startswith="breach.").order_by("seq")
    assert [e.action for e in chain] == [
        "breach.recorded", "breach.updated", "breach.authority_notified",
        "breach.subjects_decided", "breach.subjects_decided",
    ]
    notified = Event.objects.get(action="breach.authority_notified")
    assert notified.extra == {
        "breach": str(notice.breach_id), "hours_after_awareness": 25, "late": False, "with_reference": True
    }
    page = owner_web.get(reverse("compliance:breach_notice", args=[workspace.pk, notice.pk])).content.decode()
    assert "notified on" in page and "CNIL-2025-0042" in page and "authority asked us" in page


def test_not_notifying_is_recorded_with_its_reasons(
    owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    notice = record_for(workspace, owner, django_capture_on_commit_callbacks)
    breaches.do_record_not_notified(notice, owner, "Only encrypted data; the key was not compromised.")
    notice.refresh_from_db()
    assert notice.not_notified_reason.startswith("Only encrypted data")
    assert Event.objects.get(action="breach.not_notified").extra == {"breach": str(notice.breach_id)}


# --- bad input changes nothing -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"aware_at": None}, "aware_at", "Say when the breach became known"),
        ({"aware_at": timezone.now() + timedelta(hours=2)}, "aware_at", "cannot be in the future"),
        ({"aware_at": datetime(2025, 1, 6, 9, 0)}, "aware_at", "needs a date, a time and a time zone"),
        ({"nature": "   "}, "nature", "Describe the nature of the breach."),
        ({"contact": ""}, "contact", "Give a contact point"),
        ({"data_categories": ["user.financial", "user.shoe_size"]}, "data_categories", "user.shoe_size"),
        ({"subjects_approx": -1}, "subjects_approx", "people concerned cannot be negative"),
        ({"records_approx": -5}, "records_approx", "records concerned cannot be negative"),
        ({"nature": "x" * 10_001}, "nature", "too long"),
    ],
)
def test_a_bad_breach_is_refused_field_by_field_and_nothing_changes(
    mail: None, owner: User, workspace: Workspace, overrides: dict[str, Any], field: str, message: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as refused:
        breaches.do_record_breach(actor=owner, workspace=workspace, **details(**overrides))
    assert list(refused.value.message_dict) == [field]
    assert message in " ".join(refused.value.message_dict[field])
    assert snapshot() == before


def test_the_page_shows_the_error_beside_the_field_and_nothing_changes(
    mail: None, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True):
        response = web(owner).post(
            reverse("compliance:breach_new", args=[workspace.pk]), form_data(aware_at=None, nature="")
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Say when the breach became known: the 72 hours run from then." in page
    assert "Describe the nature of the breach." in page
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"--aware-at": None}, "--aware-at is required"),
        ({"--aware-at": "2025-01-06T09:00"}, "needs a time zone offset"),
        ({"--aware-at": "yesterday"}, "is not an ISO date and time"),
        ({"--aware-at": "2999-01-01T00:00+00:00"}, "cannot be in the future"),
        ({"--workspace": "8a0d8a4e-0000-4000-8000-000000000000"}, "No workspace has the id"),
        ({"--workspace": "firm-a"}, "No workspace has the id 'firm-a'"),
        ({"--nature": None}, "Describe the nature of the breach."),
        ({"--contact": " "}, "Give a contact point"),
        ({"--categories": "user.name,user.nope"}, "Unknown data category: user.nope."),
        ({"--subjects": "-3"}, "people concerned cannot be negative"),
        ({"--records": "many"}, "--records must be a whole number"),
    ],
)
def test_bad_input_at_the_console_is_one_clear_error_with_exit_code_1_and_nothing_changes(
    mail: None, workspace: Workspace, change: dict[str, str | None], message: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    good: dict[str, str | None] = {
        "--workspace": str(workspace.pk), "--nature": "Exposed bucket", "--contact": "ops@example.org",
        "--aware-at": "2025-01-06T09:00+00:00", "--categories": "user.name", "--subjects": "3",
        "--records": "9",
    }
    options = good | change
    argv = [part for key, value in options.items() if value is not None for part in (key, value)]
    before = snapshot()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommandError) as refused:
        call_command("breaches", "record", *argv, stdout=StringIO())
    assert message in str(refused.value) and "Nothing was recorded." in str(refused.value)
    assert refused.value.returncode == 1
    assert snapshot() == before


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (lambda n, u: breaches.do_record_authority_notification(n, u, AWARE - timedelta(minutes=1)),
         "cannot have been notified before the breach became known"),
        (lambda n, u: breaches.do_record_authority_notification(n, u, timezone.now() + timedelta(hours=1)),
         "cannot be in the future"),
        (lambda n, u: breaches.do_record_authority_notification(n, u, None), "Say when the authority"),
        (lambda n, u: breaches.do_record_not_notified(n, u, "  "), "Say why the breach is unlikely"),
        (lambda n, u: breaches.do_add_update(n, u, ""), "Write what became known."),
        (lambda n, u: breaches.do_decide_subjects(n, u, "not_inform", ""), "Give the reasons"),
        (lambda n, u: breaches.do_decide_subjects(n, u, "maybe", "Because"), "Choose whether to inform"),
    ],
)
def test_a_bad_step_on_a_notice_is_refused_and_nothing_changes(
    owner: User, workspace: Workspace, step: Any, message: str, django_capture_on_commit_callbacks: Any
) -> None:
    notice = record_for(workspace, owner, django_capture_on_commit_callbacks)
    before = snapshot()
    with pytest.raises(ValidationError) as refused:
        step(notice, owner)
    assert message in " ".join(refused.value.messages)
    assert snapshot() == before


def test_a_notified_breach_cannot_be_recorded_as_not_notified_nor_notified_twice(
    owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    notice = record_for(workspace, owner, django_capture_on_commit_callbacks)
    breaches.do_record_authority_notification(notice, owner, AWARE + timedelta(hours=1))
    before = snapshot()
    with pytest.raises(ValidationError, match="already notified"):
        breaches.do_record_not_notified(notice, owner, "No risk after all")
    with pytest.raises(ValidationError, match="already recorded"):
        breaches.do_record_authority_notification(notice, owner, AWARE + timedelta(hours=2))
    assert snapshot() == before


def test_only_owners_act_and_staff_never_record_for_other_workspaces(
    owner: User, admin: User, member: User, workspace: Workspace, other_workspace: Workspace,
    django_capture_on_commit_callbacks: Any,
) -> None:
    notice = record_for(workspace, owner, django_capture_on_commit_callbacks)
    before = snapshot()
    for user in (admin, member):
        with pytest.raises(PermissionDenied):
            breaches.do_add_update(notice, user, "Something")
        with pytest.raises(PermissionDenied):
            breaches.do_record_breach(actor=user, workspace=workspace, **details())
    with pytest.raises(PermissionDenied):
        breaches.do_record_breach(actor=owner, affected=[workspace, other_workspace], **details())
    with pytest.raises(ValidationError, match="for itself only"):
        breaches.do_record_breach(actor=owner, workspace=workspace, affected=[other_workspace], **details())
    with pytest.raises(ValidationError, match="at least one affected workspace"):
        breaches.do_record_breach(actor=operator("test"), affected=[], **details())
    assert snapshot() == before


# --- who may use each page ---------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    reads: bool = False  # owners and admins read it; only owners may act


ROUTES = {
    "breaches": Route("get", reads=True),
    "breach_new": Route("get"),
    "breach_notice": Route("get", reads=True),
    "breach_authority": Route("post"),
    "breach_not_notified": Route("post"),
    "breach_update": Route("post"),
    "breach_subjects": Route("post"),
}
POSTED = form_data() | {
    "text": "More is known", "reason": "Because", "decision": "inform",
    "notified_at": "2025-01-07T10:00", "reference": "CNIL-1",
}


@pytest.fixture
def world(owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any) -> BreachNotice:
    return record_for(workspace, owner, django_capture_on_commit_callbacks)


def url(name: str, workspace_id: Any, notice: BreachNotice) -> str:
    converters = defined_urls("compliance")[name].pattern.converters
    ids = {"workspace_id": workspace_id, "notice_id": notice.pk}
    return reverse(f"compliance:{name}", kwargs={key: ids[key] for key in converters})


def test_every_breach_url_has_a_permission_spec() -> None:
    assert {name for name in defined_urls("compliance") if name.startswith("breach")} == set(ROUTES)


@pytest.mark.parametrize("name", ROUTES)
def test_the_owner_can_use_each_page(mail: None, name: str, owner: User, world: BreachNotice) -> None:
    route = ROUTES[name]
    response = getattr(web(owner), route.method)(url(name, world.workspace_id, world), POSTED)
    assert response.status_code == (200 if route.method == "get" else 302), response.content.decode()


@pytest.mark.parametrize("name", ROUTES)
def test_an_admin_reads_but_does_not_act_and_nothing_changes(
    name: str, admin: User, world: BreachNotice
) -> None:
    route, before = ROUTES[name], snapshot()
    response = getattr(web(admin), route.method)(url(name, world.workspace_id, world), POSTED)
    assert response.status_code == (200 if route.reads else 403)
    if route.reads:
        assert MARKER in response.content.decode()
        assert 'action="/w/' not in response.content.decode()  # no forms to act
    assert snapshot() == before


@pytest.mark.parametrize("name", ROUTES)
def test_a_member_is_refused_and_nothing_changes(name: str, member: User, world: BreachNotice) -> None:
    route, before = ROUTES[name], snapshot()
    response = getattr(web(member), route.method)(url(name, world.workspace_id, world), POSTED)
    assert response.status_code == 403
    assert MARKER not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("name", ROUTES)
def test_an_outsider_gets_404_through_either_workspace_and_nothing_changes(
    name: str, outsider: User, other_workspace: Workspace, world: BreachNotice
) -> None:
    route, before = ROUTES[name], snapshot()
    for workspace_id in (world.workspace_id, other_workspace.pk):
        target = url(name, workspace_id, world)
        response = getattr(web(outsider), route.method)(target, POSTED if route.method == "post" else None)
        # the outsider's own register and form work, and show nothing of Firm A
        own_page = workspace_id == other_workspace.pk and name in ("breaches", "breach_new")
        assert response.status_code == (200 if own_page else 404), (name, workspace_id)
        assert MARKER not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("name", ROUTES)
def test_an_anonymous_visitor_is_sent_to_sign_in(name: str, world: BreachNotice) -> None:
    route, before = ROUTES[name], snapshot()
    response = getattr(web(None), route.method)(url(name, world.workspace_id, world), POSTED)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert snapshot() == before
