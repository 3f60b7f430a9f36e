"""Support access: an operator asks, an owner approves (maybe for less time) or refuses; under an
active grant the operator reads the workspace's pages as an admin would, changes nothing, and
everything they see is audited and shown to the owners. Revocation and expiry end it at once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from strongroom.accounts.access import require_member, visible_workspaces
from strongroom.accounts.actions import do_add_member
from strongroom.accounts.models import Role, User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.models import Client, Upload
from strongroom.collection.tests.factories import use_immediate_tasks, use_outbox
from strongroom.mail import outbox
from strongroom.operator.models import GrantState, SupportGrant
from strongroom.operator.support import do_approve_support, do_refuse_support, do_revoke_support
from strongroom.operator.tests.helpers import ask, browser, granted, make_operator
from strongroom.rights.tests.seed import Seeded, seed_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail(settings: Any, tmp_path: Path) -> None:
    use_outbox(settings, tmp_path)
    use_immediate_tasks(settings)


@pytest.fixture
def seeded(workspace: Workspace, owner: User, django_capture_on_commit_callbacks: Any) -> Seeded:
    return seed_client(workspace, owner, django_capture_on_commit_callbacks)


@pytest.fixture
def ops(db: Any) -> User:
    return make_operator()


def staff_pages(workspace: Workspace, seeded: Seeded) -> list[str]:
    upload = Upload.objects.filter(item__request=seeded.request).first()
    assert upload is not None
    return [
        reverse("staff:dashboard", args=[workspace.pk]),
        reverse("staff:clients", args=[workspace.pk]),
        reverse("staff:client", args=[workspace.pk, seeded.client.pk]),
        reverse("staff:request", args=[workspace.pk, seeded.request.pk]),
        reverse("staff:upload_file", args=[workspace.pk, upload.pk]),
        reverse("staff:request_zip", args=[workspace.pk, seeded.request.pk]),
    ]


def test_operator_without_grant_gets_404_like_any_outsider(
    workspace: Workspace, seeded: Seeded, ops: User
) -> None:
    web = browser(ops)
    ask(workspace, ops)  # pending: not yet approved

    assert [web.get(url).status_code for url in staff_pages(workspace, seeded)] == [404] * 6
    assert list(visible_workspaces(ops)) == []
    assert not Event.objects.filter(
        action__in=["support.viewed", "client.viewed", "blob.downloaded"]
    ).exists()


def test_request_is_mailed_to_the_owners_with_a_link_and_no_reason(
    workspace: Workspace, owner: User, member: User, ops: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        grant = ask(workspace, ops, hours=6, reason="Ticket 4711: upload fails")

    [message] = outbox.list_messages()
    assert message.to == ["owner@firm-a.example"]
    body = outbox.body_text(outbox.read_message(message.id))
    assert "6 hours" in body and "4711" not in body and "ops@installation.example" not in body
    assert outbox.find_links(outbox.read_message(message.id))[0].endswith(
        reverse("support:grants", args=[workspace.pk])
    )
    assert Event.objects.get(action="support.requested").target_id == str(grant.pk)


def test_approved_operator_reads_the_workspace_as_an_admin_and_every_page_is_audited(
    workspace: Workspace, owner: User, seeded: Seeded, ops: User
) -> None:
    grant = granted(workspace, ops, owner, files_allowed=True)
    web = browser(ops)

    answers = [web.get(url).status_code for url in staff_pages(workspace, seeded)]

    assert answers == [200] * 6
    viewed = Event.objects.filter(action="support.viewed").order_by("id")
    assert [e.extra["url"] for e in viewed] == [
        "staff:dashboard",
        "staff:clients",
        "staff:client",
        "staff:request",
        "staff:upload_file",
        "staff:request_zip",
    ]
    assert all(e.target_id == str(grant.pk) and e.actor_id == str(ops.pk) for e in viewed)
    assert viewed[2].extra["client_id"] == str(seeded.client.pk)
    assert list(visible_workspaces(ops)) == [workspace]
    dashboard = web.get(reverse("staff:dashboard", args=[workspace.pk])).content.decode()
    assert "Support access, read-only" in dashboard


def test_unless_the_owner_allows_files_the_operator_sees_pages_but_opens_no_file(
    workspace: Workspace, owner: User, seeded: Seeded, ops: User
) -> None:
    grant = granted(workspace, ops, owner)
    web = browser(ops)

    answers = [web.get(url) for url in staff_pages(workspace, seeded)]

    assert [a.status_code for a in answers] == [200, 200, 200, 200, 403, 403]
    assert "not open its clients' files" in answers[4].content.decode()
    assert seeded.marker.encode() not in answers[4].content + answers[5].content
    viewed = [e.extra["url"] for e in Event.objects.filter(action="support.viewed").order_by("id")]
    assert viewed == ["staff:dashboard", "staff:clients", "staff:client", "staff:request"]
    assert Event.objects.get(action="support.approved").extra["files"] is False
    assert not grant.files_allowed


def test_the_owner_chooses_files_on_the_approval_form(
    workspace: Workspace, owner: User, seeded: Seeded, ops: User
) -> None:
    pages_only = ask(workspace, ops)
    owner_web = browser(owner)
    owner_web.post(reverse("support:approve", args=[workspace.pk, pages_only.pk]), {"hours": "2"})
    do_revoke_support(SupportGrant.objects.get(pk=pages_only.pk), owner)
    with_files = ask(workspace, ops)
    approve = reverse("support:approve", args=[workspace.pk, with_files.pk])
    owner_web.post(approve, {"hours": "2", "files": "on"})

    assert SupportGrant.objects.get(pk=pages_only.pk).files_allowed is False
    assert SupportGrant.objects.get(pk=with_files.pk).files_allowed is True
    upload_url = staff_pages(workspace, seeded)[4]
    assert browser(ops).get(upload_url).status_code == 200


def test_query_strings_are_never_recorded(workspace: Workspace, owner: User, ops: User) -> None:
    granted(workspace, ops, owner)

    browser(ops).get(reverse("staff:clients", args=[workspace.pk]), {"q": "Camille Dupont"})

    event = Event.objects.get(action="support.viewed")
    assert "Camille" not in str(event.extra)
    assert set(event.extra) == {"url", "workspace_id"}


def test_any_post_under_a_grant_is_refused_and_changes_nothing(
    workspace: Workspace, owner: User, seeded: Seeded, ops: User
) -> None:
    granted(workspace, ops, owner)
    before = (
        Client.objects.get(pk=seeded.client.pk).name,
        Event.objects.exclude(action="support.viewed").count(),
    )

    page = browser(ops).post(
        reverse("staff:client", args=[workspace.pk, seeded.client.pk]),
        {"name": "Changed", "email": "changed@example.com", "language": "en"},
    )
    cancel = browser(ops).post(reverse("staff:request_cancel", args=[workspace.pk, seeded.request.pk]))

    assert (page.status_code, cancel.status_code) == (403, 403)
    assert "not change anything" in page.content.decode()
    after = (
        Client.objects.get(pk=seeded.client.pk).name,
        Event.objects.exclude(action="support.viewed").count(),
    )
    assert after == before
    with pytest.raises(PermissionDenied):
        require_member(workspace, ops)


def test_owner_sees_the_grant_and_everything_done_under_it(
    workspace: Workspace, owner: User, seeded: Seeded, ops: User
) -> None:
    granted(workspace, ops, owner)
    browser(ops).get(reverse("staff:client", args=[workspace.pk, seeded.client.pk]))

    page = browser(owner).get(reverse("support:grants", args=[workspace.pk]))

    assert page.status_code == 200
    [row] = page.context["rows"]
    assert [e.action for e in row["events"]] == ["support.viewed", "client.viewed"]
    assert "staff:client" in page.content.decode()


def test_owner_may_shorten_the_duration_but_not_lengthen_it(
    workspace: Workspace, owner: User, ops: User
) -> None:
    grant = ask(workspace, ops, hours=8)
    url = reverse("support:approve", args=[workspace.pk, grant.pk])

    browser(owner).post(url, {"hours": 20})
    grant.refresh_from_db()
    assert grant.state == GrantState.PENDING

    browser(owner).post(url, {"hours": 2})
    grant.refresh_from_db()
    assert (grant.state, grant.granted_hours) == (GrantState.APPROVED, 2)
    assert grant.expires_at is not None and grant.decided_at is not None
    assert grant.expires_at - grant.decided_at == timedelta(hours=2)
    assert Event.objects.get(action="support.approved").extra["hours"] == 2


def test_revoking_ends_access_at_once(workspace: Workspace, owner: User, ops: User) -> None:
    grant = granted(workspace, ops, owner)
    web = browser(ops)
    assert web.get(reverse("staff:dashboard", args=[workspace.pk])).status_code == 200

    browser(owner).post(reverse("support:revoke", args=[workspace.pk, grant.pk]))

    grant.refresh_from_db()
    assert grant.state == GrantState.REVOKED
    assert web.get(reverse("staff:dashboard", args=[workspace.pk])).status_code == 404
    assert Event.objects.filter(action="support.revoked", actor_id=str(owner.pk)).count() == 1


def test_expiry_ends_access_on_the_next_request_and_is_audited(
    workspace: Workspace, owner: User, ops: User
) -> None:
    grant = granted(workspace, ops, owner, hours=1)
    SupportGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    page = browser(ops).get(reverse("staff:dashboard", args=[workspace.pk]))

    assert page.status_code == 404
    grant.refresh_from_db()
    assert grant.state == GrantState.EXPIRED
    assert Event.objects.filter(action="support.expired", actor_kind="system").count() == 1
    assert list(visible_workspaces(ops)) == []


def test_refusal_leaves_the_operator_outside(workspace: Workspace, owner: User, ops: User) -> None:
    grant = ask(workspace, ops)

    browser(owner).post(reverse("support:refuse", args=[workspace.pk, grant.pk]))

    grant.refresh_from_db()
    assert grant.state == GrantState.REFUSED
    assert browser(ops).get(reverse("staff:dashboard", args=[workspace.pk])).status_code == 404
    with pytest.raises(ValidationError):
        do_approve_support(grant, owner)


def test_only_owners_decide(
    workspace: Workspace, owner: User, member: User, outsider: User, other_workspace: Workspace, ops: User
) -> None:
    admin = User.objects.get(pk=do_add_member(workspace, make_admin(), Role.ADMIN, owner).user_id)
    grant = ask(workspace, ops)

    for who in (admin, member):
        assert browser(who).get(reverse("support:grants", args=[workspace.pk])).status_code == 403
        for verb in ("approve", "refuse"):
            assert (
                browser(who).post(reverse(f"support:{verb}", args=[workspace.pk, grant.pk])).status_code
                == 403
            )
        with pytest.raises(PermissionDenied):
            do_approve_support(grant, who)
    for verb in ("approve", "refuse"):
        assert (
            browser(outsider).post(reverse(f"support:{verb}", args=[workspace.pk, grant.pk])).status_code
            == 404
        )
    grant.refresh_from_db()
    assert grant.state == GrantState.PENDING
    with pytest.raises(PermissionDenied):
        do_refuse_support(grant, ops)


def make_admin() -> User:
    from conftest import make_user

    return make_user("admin@firm-a.example", "Ada Admin")


@pytest.mark.parametrize(
    ("reason", "hours", "message"),
    [
        ("", 4, "Give the reason"),
        ("Ticket 1: call jane.doe@client.example", 4, "no e-mail"),
        ("x" * 201, 4, "under 200"),
        ("Ticket 1", 0, "between 1 and 72"),
        ("Ticket 1", 73, "between 1 and 72"),
    ],
)
def test_bad_requests_are_refused_with_a_clear_error_and_nothing_written(
    workspace: Workspace, ops: User, reason: str, hours: int, message: str
) -> None:
    page = browser(ops).post(
        reverse("operator:support_request", args=[workspace.pk]), {"reason": reason, "hours": hours}
    )

    assert page.status_code == 400
    assert not SupportGrant.objects.exists()
    assert not Event.objects.filter(action="support.requested").exists()
    with pytest.raises(ValidationError, match=message):
        ask(workspace, ops, hours=hours, reason=reason)


def test_one_pending_or_active_request_at_a_time(workspace: Workspace, owner: User, ops: User) -> None:
    grant = ask(workspace, ops)
    with pytest.raises(ValidationError, match="already"):
        ask(workspace, ops)
    do_revoke_support(do_approve_support(grant, owner), owner)
    assert ask(workspace, ops).state == GrantState.PENDING


def test_only_operators_ask(workspace: Workspace, outsider: User) -> None:
    with pytest.raises(PermissionDenied):
        ask(workspace, outsider)
    assert not SupportGrant.objects.exists()


def test_a_grant_opens_only_its_own_workspace(
    workspace: Workspace, other_workspace: Workspace, owner: User, ops: User
) -> None:
    granted(workspace, ops, owner)
    web = browser(ops)

    assert web.get(reverse("staff:dashboard", args=[workspace.pk])).status_code == 200
    assert web.head(reverse("staff:dashboard", args=[workspace.pk])).status_code == 200
    assert web.get(reverse("staff:dashboard", args=[other_workspace.pk])).status_code == 404
    assert web.get(reverse("support:grants", args=[workspace.pk])).status_code == 403
    assert list(visible_workspaces(ops)) == [workspace]
    console = web.get(reverse("operator:workspace", args=[workspace.pk])).content.decode()
    assert reverse("staff:dashboard", args=[workspace.pk]) in console
    assert (
        reverse("staff:dashboard", args=[other_workspace.pk])
        not in web.get(reverse("operator:workspace", args=[other_workspace.pk])).content.decode()
    )


def test_the_console_link_is_shown_to_operators_only(workspace: Workspace, owner: User, ops: User) -> None:
    console = reverse("operator:console")

    assert console in browser(ops).get(reverse("home")).content.decode()
    assert console not in browser(owner).get(reverse("staff:dashboard", args=[workspace.pk])).content.decode()


def test_no_support_access_to_a_deleted_workspace(workspace: Workspace, owner: User, ops: User) -> None:
    grant = granted(workspace, ops, owner)
    Workspace.objects.filter(pk=workspace.pk).update(closed_at=timezone.now())

    assert browser(ops).get(reverse("staff:dashboard", args=[workspace.pk])).status_code == 404
    do_revoke_support(grant, owner)
    with pytest.raises(ValidationError, match="deleted"):
        ask(workspace, ops)
