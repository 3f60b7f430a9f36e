"""Workspaces that require two-factor sign-in, and what happens to factors when an account closes."""

from __future__ import annotations

import pytest
from django.test import Client as WebClient

from conftest import PASSWORD
from strongroom.accounts.models import User, Workspace
from strongroom.accounts.tests.test_admin_pages import settings_form
from strongroom.audit.models import Event
from strongroom.collection.models import Client
from strongroom.twofactor.models import Passkey, RecoveryCode, TotpDevice
from strongroom.twofactor.tests.helpers import with_totp

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def require(workspace: Workspace) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(require_two_factor=True)


def test_an_owner_requires_two_factor_on_the_settings_page(
    owner: User, member: User, workspace: Workspace
) -> None:
    url = f"/w/{workspace.pk}/settings/"
    assert 'name="require_two_factor"' in signed_in(owner).get(url).content.decode()
    refused = signed_in(member).post(url, settings_form(workspace, require_two_factor="on"))
    assert refused.status_code == 403
    with_totp(owner)
    saved = signed_in(owner).post(url, settings_form(workspace, require_two_factor="on"))
    assert saved.status_code == 302
    workspace.refresh_from_db()
    assert workspace.require_two_factor
    event = Event.objects.filter(action="workspace.settings_changed").last()
    assert event is not None and event.extra["fields"] == ["require_two_factor"]


def test_a_member_without_a_factor_is_sent_to_set_one_up(member: User, workspace: Workspace) -> None:
    require(workspace)
    web = signed_in(member)
    for path in ("/", f"/w/{workspace.pk}/", f"/w/{workspace.pk}/clients/", "/account/"):
        response = web.get(path)
        assert response.status_code == 302 and response["Location"] == "/two-factor/", path
    created = web.post(f"/w/{workspace.pk}/clients/new/", {"name": "x", "email": "x@client.example"})
    assert created.status_code == 302 and created["Location"] == "/two-factor/"
    assert not Client.objects.filter(workspace=workspace).exists()
    setup = web.get("/two-factor/")
    assert setup.status_code == 200 and "requires two-factor sign-in" in setup.content.decode()
    assert web.get("/two-factor/app/").status_code == 200
    assert web.get("/healthz").status_code == 200
    assert web.post("/logout/").status_code == 302


def test_with_a_factor_the_member_works_as_before(member: User, workspace: Workspace) -> None:
    require(workspace)
    with_totp(member)
    assert signed_in(member).get(f"/w/{workspace.pk}/clients/").status_code == 200


def test_the_requirement_binds_only_members_of_that_workspace(
    member: User, outsider: User, workspace: Workspace, other_workspace: Workspace
) -> None:
    require(workspace)
    assert signed_in(outsider).get(f"/w/{other_workspace.pk}/clients/").status_code == 200


def test_the_last_factor_cannot_be_removed_where_it_is_required(member: User, workspace: Workspace) -> None:
    with_totp(member)
    require(workspace)
    web = signed_in(member)
    response = web.post("/two-factor/app/remove/", follow=True)
    assert "requires two-factor sign-in" in response.content.decode()
    assert TotpDevice.objects.filter(user=member, confirmed_at__isnull=False).exists()
    assert not Event.objects.filter(action="twofactor.removed").exists()


def test_closing_an_account_deletes_its_factors(member: User, workspace: Workspace) -> None:
    with_totp(member)
    Passkey.objects.create(user=member, nickname="laptop", credential_id="abc", public_key=b"k")
    assert RecoveryCode.objects.filter(user=member).count() == 10
    web = signed_in(member)
    response = web.post("/account/close/", {"confirm": "close", "password": PASSWORD})
    assert response.status_code == 200
    assert not TotpDevice.objects.filter(user=member).exists()
    assert not Passkey.objects.filter(user=member).exists()
    assert not RecoveryCode.objects.filter(user=member).exists()


def test_the_account_page_links_to_two_factor_sign_in(owner: User) -> None:
    assert 'href="/two-factor/"' in signed_in(owner).get("/account/").content.decode()
