"""Who has access to a client: every current member who can see the client's data and through
what (role, requests owned or assigned, support access), with when each last viewed or downloaded
something of the client. Managers see it; members get 403, outsiders 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from conftest import make_user
from strongroom.accounts.actions import do_add_member, do_remove_member
from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.collection.models import Upload
from strongroom.collection.tests.factories import make_client, make_request, use_outbox
from strongroom.operator.tests.helpers import browser, granted, make_operator
from strongroom.operator.who import who_has_access
from strongroom.rights.tests.seed import Seeded, seed_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(workspace: Workspace, owner: User, django_capture_on_commit_callbacks: Any) -> Seeded:
    return seed_client(workspace, owner, django_capture_on_commit_callbacks)


def people(seeded: Seeded) -> dict[str, list[str]]:
    return {a.user.email: a.reasons for a in who_has_access(seeded.client)}


def test_lists_managers_by_role_and_members_by_their_requests(
    workspace: Workspace, owner: User, member: User, seeded: Seeded
) -> None:
    admin = make_user("admin@firm-a.example")
    do_add_member(workspace, admin, Role.ADMIN, owner)
    idle = make_user("idle@firm-a.example")
    do_add_member(workspace, idle, Role.MEMBER, owner)
    seeded.request.assignees.add(member)
    other = make_client(workspace, owner)
    make_request(workspace, idle, other, title="Someone else's file")

    found = people(seeded)

    assert set(found) == {"owner@firm-a.example", "admin@firm-a.example", "member@firm-a.example"}
    assert "Owner" in found["owner@firm-a.example"][0]
    assert "Admin" in found["admin@firm-a.example"][0]
    assert found["member@firm-a.example"] == ["is assigned to the request “Mortgage application”"]


def test_a_member_owning_a_request_is_listed_for_it(workspace: Workspace, owner: User, member: User) -> None:
    client = make_client(workspace, owner)
    make_request(workspace, member, client, title="Payroll 2026")

    found = {a.user.email: a.reasons for a in who_has_access(client)}

    assert found["member@firm-a.example"] == ["owns the request “Payroll 2026”"]


def test_removed_members_are_not_listed(
    workspace: Workspace, owner: User, member: User, seeded: Seeded
) -> None:
    seeded.request.assignees.add(member)
    do_remove_member(Membership.objects.get(user=member, workspace=workspace), owner)

    assert "member@firm-a.example" not in people(seeded)


def test_an_operator_with_active_support_access_is_listed(
    workspace: Workspace, owner: User, seeded: Seeded, settings: Any, tmp_path: Path
) -> None:
    use_outbox(settings, tmp_path)
    ops = make_operator()
    grant = granted(workspace, ops, owner)

    [access] = [a for a in who_has_access(seeded.client) if a.user == ops]

    assert "support access" in access.reasons[0]
    assert access.support_until == grant.expires_at


def test_last_viewed_and_downloaded_come_from_the_audit_trail(
    workspace: Workspace, owner: User, member: User, seeded: Seeded
) -> None:
    seeded.request.assignees.add(member)
    upload = Upload.objects.filter(item__request=seeded.request).first()
    assert upload is not None
    web = browser(member)
    web.get(reverse("staff:request", args=[workspace.pk, seeded.request.pk]))
    before_download = {a.user.email: a for a in who_has_access(seeded.client)}
    assert before_download["member@firm-a.example"].last_viewed is not None
    assert before_download["member@firm-a.example"].last_downloaded is None
    assert before_download["owner@firm-a.example"].last_viewed is None

    web.get(reverse("staff:request_zip", args=[workspace.pk, seeded.request.pk]))

    after = {a.user.email: a for a in who_has_access(seeded.client)}
    downloaded, viewed = (
        after["member@firm-a.example"].last_downloaded,
        after["member@firm-a.example"].last_viewed,
    )
    assert downloaded is not None and viewed is not None
    assert downloaded >= viewed


def test_another_clients_views_do_not_count(workspace: Workspace, owner: User, seeded: Seeded) -> None:
    other = make_client(workspace, owner)
    browser(owner).get(reverse("staff:client", args=[workspace.pk, other.pk]))

    assert {a.user.email: a.last_viewed for a in who_has_access(seeded.client)}[
        "owner@firm-a.example"
    ] is None


def test_page_is_for_managers_only(
    workspace: Workspace,
    owner: User,
    member: User,
    outsider: User,
    other_workspace: Workspace,
    seeded: Seeded,
) -> None:
    url = reverse("support:client_access", args=[workspace.pk, seeded.client.pk])
    seeded.request.assignees.add(member)

    page = browser(owner).get(url)

    assert page.status_code == 200
    assert "member@firm-a.example" in page.content.decode()
    assert browser(member).get(url).status_code == 403
    assert browser(outsider).get(url).status_code == 404
    client_page = browser(owner).get(reverse("staff:client", args=[workspace.pk, seeded.client.pk]))
    assert url in client_page.content.decode()
    assert (
        url
        not in browser(member)
        .get(reverse("staff:client", args=[workspace.pk, seeded.client.pk]))
        .content.decode()
    )


def test_a_privacy_officer_is_listed_for_the_clients_rights_requests(
    workspace: Workspace, owner: User, member: User, seeded: Seeded, settings: Any, tmp_path: Path
) -> None:
    from strongroom.accounts.actions import do_set_privacy_officer
    from strongroom.collection.tests.factories import acknowledged_link
    from strongroom.rights.lifecycle import do_receive
    from strongroom.rights.models import Channel, Verification

    use_outbox(settings, tmp_path)
    do_set_privacy_officer(Membership.objects.get(user=member, workspace=workspace), True, owner)
    assert "member@firm-a.example" not in people(seeded)
    link, _ = acknowledged_link(seeded.request)

    do_receive(
        workspace,
        seeded.client,
        "access",
        channel=Channel.PORTAL,
        actor=link,
        verified_by=Verification.PORTAL_SESSION,
    )

    assert people(seeded)["member@firm-a.example"] == [
        "privacy officer: handles this client's rights requests"
    ]
