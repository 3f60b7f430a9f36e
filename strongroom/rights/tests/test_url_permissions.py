"""Every URL of the rights pages, tried by an owner, a member, an outsider and an anonymous visitor.

The URLs come from walking the URLconf: a rights URL added later fails
`test_every_rights_url_has_a_permission_spec` until ROUTES describes it. A refused attempt changes
nothing (the rights records and the audit log are compared before and after) and its page names
nothing of the person.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.tests.factories import use_immediate_tasks, use_outbox
from strongroom.collection.tests.test_staff_url_permissions import defined_urls
from strongroom.rights.models import (
    AccessPackage,
    Channel,
    Correction,
    LegalHold,
    RecipientNotice,
    Restriction,
    RightsRequest,
    RightsState,
)
from strongroom.rights.packages import token_hash
from strongroom.rights.tests.seed import Seeded, seed_client

pytestmark = pytest.mark.django_db

STAFF = "staff"  # signed-in staff pages of a workspace
PERSON = "person"  # the person's own pages: portal session, e-mailed code or package link
ACCOUNT = "account"  # any signed-in staff user's own account


@dataclass
class World:
    workspace: Workspace
    seeded: Seeded
    rights_request: RightsRequest
    correction: Correction
    notice: RecipientNotice
    hold: LegalHold
    restriction: Restriction
    package: AccessPackage


@pytest.fixture
def world(
    settings: Any, tmp_path: Path, owner: User, workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> World:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)
    seeded = seed_client(workspace, owner, django_capture_on_commit_callbacks)
    now = timezone.now()
    rights_request = RightsRequest(
        workspace=workspace,
        subject=seeded.client.subject,
        client=seeded.client,
        kind="rectification",
        channel=Channel.PORTAL,
        state=RightsState.AWAITING_APPROVAL,
        received_at=now,
        due_on=timezone.localdate() + timedelta(days=30),
        original_due_on=timezone.localdate() + timedelta(days=30),
        verified_at=now,
        verified_by="portal_session",
    )
    rights_request.details = f"details {seeded.marker}"
    rights_request.save(force_insert=True)
    correction = Correction(rights_request=rights_request, field_name="name")
    correction.proposed = "New Name"
    correction.save(force_insert=True)
    notice = RecipientNotice.objects.create(rights_request=rights_request, recipient="Mailjet SAS")
    hold = LegalHold.objects.create(workspace=workspace, request=seeded.request, ground="AML 5 years")
    restriction = Restriction.objects.create(
        workspace=workspace,
        subject=seeded.client.subject,
        rights_request=rights_request,
        because_of="restriction",
    )
    package = AccessPackage.objects.create(
        rights_request=rights_request, token_hash=token_hash("tok"), expires_at=now + timedelta(days=7)
    )
    return World(workspace, seeded, rights_request, correction, notice, hold, restriction, package)


def args_of(name: str, world: World) -> dict[str, Any]:
    ids = {
        "workspace_id": world.workspace.pk,
        "rights_request_id": world.rights_request.pk,
        "correction_id": world.correction.pk,
        "notice_id": world.notice.pk,
        "hold_id": world.hold.pk,
        "restriction_id": world.restriction.pk,
        "request_id": world.seeded.request.pk,
        "package_id": world.package.pk,
        "verb": "refuse",
        "token": "tok",
    }
    pattern = defined_urls("rights")[name]
    return {key: ids[key] for key in pattern.pattern.converters}


@dataclass(frozen=True)
class Route:
    scope: str
    method: str = "get"


ROUTES = {
    "board": Route(STAFF),
    "log": Route(STAFF),
    "detail": Route(STAFF),
    "approve": Route(STAFF, "post"),
    "refuse": Route(STAFF, "post"),
    "extend": Route(STAFF, "post"),
    "resend_code": Route(STAFF, "post"),
    "correction_decide": Route(STAFF, "post"),
    "notice_done": Route(STAFF, "post"),
    "hold_add": Route(STAFF, "post"),
    "hold_lift": Route(STAFF, "post"),
    "restriction_lift": Route(STAFF, "post"),
    "portal": Route(PERSON),
    "portal_correct": Route(PERSON),
    "portal_package": Route(PERSON),
    "verify": Route(PERSON),
    "package_enter": Route(PERSON),
    "package": Route(PERSON),
    "package_download": Route(PERSON),
    "account": Route(ACCOUNT),
    "account_export": Route(ACCOUNT, "post"),
    "account_close": Route(ACCOUNT, "post"),
}


def test_every_rights_url_has_a_permission_spec() -> None:
    assert set(defined_urls("rights")) == set(ROUTES)


def snapshot() -> dict[str, Any]:
    return {
        "requests": sorted(RightsRequest.objects.values_list("pk", "state", "due_on", "decided_at")),
        "corrections": sorted(Correction.objects.values_list("pk", "state")),
        "notices": sorted(RecipientNotice.objects.values_list("pk", "notified_at")),
        "holds": sorted(LegalHold.objects.values_list("pk", "lifted_at")),
        "restrictions": sorted(Restriction.objects.values_list("pk", "lift_requested_at", "lifted_at")),
        "events": Event.objects.count(),
    }


def web(user: User | None) -> WebClient:
    client = WebClient()
    if user is not None:
        client.force_login(user)
    return client


STAFF_ROUTES = [name for name, route in ROUTES.items() if route.scope == STAFF]


@pytest.mark.parametrize("name", STAFF_ROUTES)
def test_a_member_who_is_not_a_privacy_officer_is_refused_and_nothing_changes(
    name: str, member: User, world: World
) -> None:
    before = snapshot()
    route = ROUTES[name]
    url = reverse(f"rights:{name}", kwargs=args_of(name, world))
    response = getattr(web(member), route.method)(url, {"reason": "x", "months": "1", "ground": "g"})
    assert response.status_code in (403, 404)
    assert world.seeded.marker not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("name", STAFF_ROUTES)
def test_an_outsider_gets_404_through_either_workspace_and_nothing_changes(
    name: str, outsider: User, other_workspace: Workspace, world: World
) -> None:
    before = snapshot()
    route = ROUTES[name]
    kwargs = args_of(name, world)
    for workspace_id in (world.workspace.pk, other_workspace.pk):
        kwargs["workspace_id"] = workspace_id
        response = getattr(web(outsider), route.method)(
            reverse(f"rights:{name}", kwargs=kwargs), {"reason": "x", "months": "1", "ground": "g"}
        )
        own_page = workspace_id == other_workspace.pk and set(kwargs) == {"workspace_id"}
        # the outsider's own board and form work, and show nothing of Firm A
        assert response.status_code == (200 if own_page else 404), (name, workspace_id)
        assert world.seeded.marker not in response.content.decode()
        assert world.seeded.name not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("name", [*STAFF_ROUTES, *(n for n, r in ROUTES.items() if r.scope == ACCOUNT)])
def test_an_anonymous_visitor_is_sent_to_sign_in(name: str, world: World) -> None:
    before = snapshot()
    route = ROUTES[name]
    response = getattr(web(None), route.method)(reverse(f"rights:{name}", kwargs=args_of(name, world)))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert snapshot() == before


@pytest.mark.parametrize("name", [n for n, r in ROUTES.items() if r.scope == PERSON])
def test_the_persons_pages_show_a_stranger_the_neutral_404(name: str, outsider: User, world: World) -> None:
    before = snapshot()
    kwargs = args_of(name, world)
    if "token" in kwargs:
        kwargs["token"] = "not-the-token"
    if "rights_request_id" in kwargs:
        kwargs["rights_request_id"] = uuid.uuid4()
    for visitor in (web(None), web(outsider)):
        response = visitor.get(reverse(f"rights:{name}", kwargs=kwargs))
        assert response.status_code == 404, name
        assert world.seeded.marker not in response.content.decode()
    after = snapshot()
    # a refused package link is recorded; nothing else changes
    new_events = list(Event.objects.order_by("-id")[: after["events"] - before["events"]])
    assert all(e.action == "rights.package_refused" for e in new_events), new_events
    assert {k: v for k, v in after.items() if k != "events"} == {
        k: v for k, v in before.items() if k != "events"
    }


@pytest.mark.parametrize("name", STAFF_ROUTES)
def test_the_owner_can_use_each_staff_url(name: str, owner: User, world: World) -> None:
    route = ROUTES[name]
    response = getattr(web(owner), route.method)(
        reverse(f"rights:{name}", kwargs=args_of(name, world)),
        {"reason": "Because", "months": "1", "ground": "Tax records, 6 years"},
    )
    assert response.status_code in (200, 302, 400), name
    if response.status_code == 400:  # a step the request's state does not allow: said, and audited
        assert Event.objects.filter(action="rights.step_refused").exists()
