"""The operator console: operators see every workspace's metadata and nothing of its content;
everyone else gets 404. Operators are made and unmade from the command line, audited."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.tests.factories import use_outbox
from strongroom.operator.models import GrantState, Operator, SupportGrant
from strongroom.operator.tests.helpers import ask, browser, granted, make_operator
from strongroom.privacy.dpa import status
from strongroom.rights.tests.seed import seed_client

pytestmark = pytest.mark.django_db


def test_operator_sees_metadata_of_every_workspace_and_no_content(
    workspace: Workspace, other_workspace: Workspace, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    seeded = seed_client(workspace, owner, django_capture_on_commit_callbacks)
    ops = make_operator()

    page = browser(ops).get(reverse("operator:console"))

    assert page.status_code == 200
    facts = {f.name: f for f in page.context["facts"]}
    firm_a = facts["Firm A"]
    assert (firm_a.members, firm_a.clients, firm_a.requests) == (2, 1, 1)
    assert firm_a.stored_bytes == sum(len(data) for data in seeded.files.values())
    assert firm_a.dpa_signed is (status(workspace).signature is not None)
    assert firm_a.open_breaches == 0
    assert (facts["Firm B"].members, facts["Firm B"].clients, facts["Firm B"].stored_bytes) == (1, 0, 0)
    html = page.content.decode()
    for secret in (seeded.name, seeded.email, seeded.marker, *seeded.files, "Mortgage application"):
        assert secret not in html


def test_workspace_page_shows_the_same_metadata_and_its_support_history(
    workspace: Workspace, owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    seeded = seed_client(workspace, owner, django_capture_on_commit_callbacks)
    ops = make_operator()
    ask(workspace, ops, reason="Ticket 99: slow exports")

    page = browser(ops).get(reverse("operator:workspace", args=[workspace.pk]))

    assert page.status_code == 200
    assert page.context["facts"].clients == 1
    html = page.content.decode()
    assert "Ticket 99: slow exports" in html
    assert seeded.name not in html and seeded.marker not in html


@pytest.mark.parametrize("who", ["owner", "member", "outsider", "anonymous"])
def test_non_operators_get_404_on_every_console_page(
    who: str, request: pytest.FixtureRequest, workspace: Workspace, other_workspace: Workspace
) -> None:
    user = None if who == "anonymous" else request.getfixturevalue(who)
    web = browser(user)
    before = SupportGrant.objects.count()

    pages = [
        web.get(reverse("operator:console")),
        web.get(reverse("operator:workspace", args=[workspace.pk])),
        web.post(reverse("operator:support_request", args=[workspace.pk]), {"reason": "x", "hours": 2}),
    ]

    if user is None:
        assert all(p.status_code == 302 and "/login/" in p["Location"] for p in pages)
    else:
        assert [p.status_code for p in pages] == [404, 404, 404]
    assert SupportGrant.objects.count() == before


def test_operators_command_adds_lists_and_removes_audited(owner: User, workspace: Workspace) -> None:
    out = StringIO()
    call_command("operators", "add", "owner@firm-a.example", stdout=out)
    assert Operator.objects.filter(user=owner).exists()
    added = Event.objects.get(action="operator.added")
    assert (added.actor_kind, added.actor_id) == ("operator", "operators add")

    out = StringIO()
    call_command("operators", "list", stdout=out)
    assert "owner@firm-a.example" in out.getvalue()

    call_command("operators", "remove", "owner@firm-a.example", stdout=StringIO())
    assert not Operator.objects.filter(user=owner).exists()
    assert Event.objects.filter(action="operator.removed", actor_kind="operator").count() == 1


def test_operators_command_refuses_unknown_users_and_duplicates(owner: User, member: User) -> None:
    with pytest.raises(CommandError, match="No staff user"):
        call_command("operators", "add", "nobody@nowhere.example", stdout=StringIO())
    call_command("operators", "add", "owner@firm-a.example", stdout=StringIO())
    with pytest.raises(CommandError, match="already"):
        call_command("operators", "add", "owner@firm-a.example", stdout=StringIO())
    with pytest.raises(CommandError, match="not an operator"):
        call_command("operators", "remove", "member@firm-a.example", stdout=StringIO())
    assert Operator.objects.count() == 1


def test_removing_an_operator_ends_their_support_access(
    workspace: Workspace, owner: User, settings: Any, tmp_path: Any
) -> None:
    use_outbox(settings, tmp_path)
    ops = make_operator()
    grant = granted(workspace, ops, owner)
    assert browser(ops).get(reverse("staff:dashboard", args=[workspace.pk])).status_code == 200

    call_command("operators", "remove", "ops@installation.example", stdout=StringIO())

    grant.refresh_from_db()
    assert grant.state == GrantState.REVOKED
    assert browser(ops).get(reverse("staff:dashboard", args=[workspace.pk])).status_code == 404
