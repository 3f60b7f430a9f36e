"""A staff user's own rights: download my data, correct my profile, close my account."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.test import Client as WebClient

from conftest import PASSWORD
from strongroom.accounts.actions import do_change_role
from strongroom.accounts.models import Membership, User, Workspace
from strongroom.audit.models import Event
from strongroom.crypto.models import SubjectKey
from strongroom.rights import formats

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def test_a_staff_user_downloads_their_data_in_four_formats(owner: User, workspace: Workspace) -> None:
    web = signed_in(owner)
    refused = web.post("/account/data/", {"password": "wrong"})
    assert refused.status_code == 400 and "password is not right" in refused.content.decode()
    assert Event.objects.filter(action="account.password_check_failed").count() == 1

    response = web.post("/account/data/", {"password": PASSWORD})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))  # type: ignore[attr-defined]
    exported = formats.read_json(archive.read("data.json"))
    assert formats.read_xml(archive.read("data.xml")) == exported
    assert formats.read_xlsx(archive.read("data.xlsx")) == exported
    csvs = {n.removeprefix("csv/"): archive.read(n) for n in archive.namelist() if n.startswith("csv/")}
    assert formats.read_csv(csvs) == exported
    tables = {t.name: t for t in exported.tables}
    [profile] = tables["accounts_user"].rows
    assert (profile["name"], profile["email"]) == ("Olive Owner", "owner@firm-a.example")
    assert [r["workspace"] for r in tables["memberships"].rows] == ["Firm A"]
    assert "membership.added" in [r["action"] for r in tables["activity"].rows]  # adding Mark Member
    assert "README.txt" in archive.namelist()
    assert json.loads(archive.read("data.json"))  # plain JSON anyone can read


def test_a_staff_user_corrects_their_profile_with_their_password(owner: User) -> None:
    web = signed_in(owner)
    bad = web.post("/account/", {"name": "Olive New", "email": "olive.new@firm-a.example", "password": "x"})
    assert bad.status_code == 400
    assert User.objects.get(pk=owner.pk).name == "Olive Owner"

    web.post("/account/", {"name": "Olive New", "email": "olive.new@firm-a.example", "password": PASSWORD})
    user = User.objects.get(pk=owner.pk)
    assert (user.name, user.email) == ("Olive New", "olive.new@firm-a.example")
    assert User.objects.with_email("olive.new@firm-a.example").get() == user  # sign-in follows the e-mail
    [event] = Event.objects.filter(action="account.profile_corrected")
    assert event.extra == {"fields": ["name", "email"]}


def test_the_last_owner_of_a_workspace_others_use_cannot_close_their_account(
    owner: User, member: User, workspace: Workspace
) -> None:
    response = signed_in(owner).post("/account/close/", {"confirm": "close", "password": PASSWORD})
    assert response.status_code == 400 and "last owner of Firm A" in response.content.decode()
    assert User.objects.get(pk=owner.pk).is_active

    # once another member is an owner, closing works
    do_change_role(Membership.objects.get(user=member, workspace=workspace), "owner", owner)
    old_subject = owner.subject_id
    closed = signed_in(owner).post("/account/close/", {"confirm": "close", "password": PASSWORD})
    assert closed.status_code == 200
    user = User.objects.get(pk=owner.pk)
    assert not user.is_active and user.name == "" and user.email.endswith("@erased.invalid")
    assert not user.has_usable_password()
    assert SubjectKey.objects.get(pk=old_subject).is_destroyed
    assert not User.objects.with_email("owner@firm-a.example").exists()
    assert not Membership.objects.filter(user=user).exists()
    # the workspace goes on, and its pages still show the (erased) former member
    page = signed_in(member).get(f"/w/{workspace.pk}/")
    assert page.status_code == 200


def test_closing_needs_the_box_ticked_and_the_password(
    owner: User, member: User, workspace: Workspace, other_workspace: Any
) -> None:
    web = signed_in(member)
    assert web.post("/account/close/", {"password": PASSWORD}).status_code == 400
    assert web.post("/account/close/", {"confirm": "close", "password": "nope"}).status_code == 400
    assert User.objects.get(pk=member.pk).is_active
