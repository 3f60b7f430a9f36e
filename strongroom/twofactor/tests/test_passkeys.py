"""Passkeys and security keys: both WebAuthn ceremonies verified on the server, and their refusals.

A software authenticator (a P-256 key, "none" attestation) answers as a browser would."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client as WebClient

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.rights.account import staff_export
from strongroom.twofactor.models import Passkey, RecoveryCode
from strongroom.twofactor.tests.helpers import SoftAuthenticator, password_step, signed_in_as, with_totp

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _base_url(settings: Any) -> None:
    settings.BASE_URL = "http://127.0.0.1:8000"


def post_json(web: WebClient, path: str, body: Any = None) -> Any:
    return web.post(path, json.dumps(body or {}), content_type="application/json")


def register(web: WebClient, authenticator: SoftAuthenticator, nickname: str = "work laptop") -> Any:
    options = post_json(web, "/two-factor/passkeys/options/").json()
    credential = authenticator.create(options)
    return post_json(web, "/two-factor/passkeys/", {"nickname": nickname, "credential": credential})


def signed_in(user: User) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def sign_in_with(web: WebClient, authenticator: SoftAuthenticator, user: User) -> Any:
    options = post_json(web, "/two-factor/verify/passkey/options/").json()
    return post_json(
        web, "/two-factor/verify/passkey/", {"credential": authenticator.get(options, user.pk.bytes)}
    )


def test_a_passkey_is_registered_and_signs_in(owner: User) -> None:
    key = SoftAuthenticator()
    web = signed_in(owner)
    options = post_json(web, "/two-factor/passkeys/options/").json()
    assert options["rp"]["id"] == "127.0.0.1" and options["attestation"] == "none"
    credential = key.create(options)
    done = post_json(web, "/two-factor/passkeys/", {"nickname": "work laptop", "credential": credential})
    assert done.status_code == 200 and done.json() == {"redirect": "/two-factor/"}
    passkey = Passkey.objects.get(user=owner)
    assert passkey.nickname == "work laptop"
    assert Event.objects.filter(action="twofactor.enrolled", extra__method="passkey").exists()
    assert "work laptop" in web.get("/two-factor/").content.decode()

    login = password_step(owner)
    assert signed_in_as(login) is None
    response = sign_in_with(login, key, owner)
    assert response.status_code == 200 and response.json() == {"redirect": "/"}
    assert signed_in_as(login) == str(owner.pk)
    passkey.refresh_from_db()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    assert Event.objects.filter(action="twofactor.succeeded", extra__method="passkey").exists()


def test_registration_with_another_challenge_is_refused(owner: User) -> None:
    web = signed_in(owner)
    options = post_json(web, "/two-factor/passkeys/options/").json()
    forged = SoftAuthenticator().create(options | {"challenge": "AAAAAAAAAAAAAAAAAAAAAA"})
    response = post_json(web, "/two-factor/passkeys/", {"nickname": "x", "credential": forged})
    assert response.status_code == 400 and "could not be verified" in response.json()["error"]
    assert not Passkey.objects.exists()


def test_registration_from_another_origin_is_refused(owner: User) -> None:
    web = signed_in(owner)
    response = register(web, SoftAuthenticator(origin="https://strongroom.example.net"))
    assert response.status_code == 400 and not Passkey.objects.exists()


def test_a_challenge_is_spent_by_its_first_answer(owner: User) -> None:
    web = signed_in(owner)
    options = post_json(web, "/two-factor/passkeys/options/").json()
    answer = SoftAuthenticator().create(options)
    post_json(web, "/two-factor/passkeys/", {"nickname": "x", "credential": {"bad": "answer"}})
    again = post_json(web, "/two-factor/passkeys/", {"nickname": "x", "credential": answer})
    assert again.status_code == 400 and "expired" in again.json()["error"]
    assert not Passkey.objects.exists()


def test_sign_in_with_an_unknown_passkey_is_refused_and_audited(owner: User) -> None:
    register(signed_in(owner), SoftAuthenticator())
    web = password_step(owner)
    response = sign_in_with(web, SoftAuthenticator(), owner)
    assert response.status_code == 400 and "not registered" in response.json()["error"]
    assert signed_in_as(web) is None
    assert Event.objects.filter(action="twofactor.failed", extra__method="passkey").count() == 1


def test_another_users_passkey_does_not_sign_in(owner: User, member: User) -> None:
    theirs = SoftAuthenticator()
    register(signed_in(member), theirs)
    register(signed_in(owner), SoftAuthenticator())
    web = password_step(owner)
    assert sign_in_with(web, theirs, owner).status_code == 400 and signed_in_as(web) is None


def test_sign_in_from_another_origin_is_refused(owner: User) -> None:
    key = SoftAuthenticator()
    register(signed_in(owner), key)
    key.origin = "https://phishing.example"
    web = password_step(owner)
    assert sign_in_with(web, key, owner).status_code == 400 and signed_in_as(web) is None


def test_sign_in_with_a_replayed_assertion_is_refused(owner: User) -> None:
    key = SoftAuthenticator()
    register(signed_in(owner), key)
    first = password_step(owner)
    options = post_json(first, "/two-factor/verify/passkey/options/").json()
    answer = key.get(options, owner.pk.bytes)
    assert post_json(first, "/two-factor/verify/passkey/", {"credential": answer}).status_code == 200
    second = password_step(owner)
    post_json(second, "/two-factor/verify/passkey/options/")
    replay = post_json(second, "/two-factor/verify/passkey/", {"credential": answer})
    assert replay.status_code == 400 and signed_in_as(second) is None


def test_passkey_sign_in_needs_the_password_step(owner: User) -> None:
    register(signed_in(owner), SoftAuthenticator())
    response = post_json(WebClient(), "/two-factor/verify/passkey/options/")
    assert response.status_code == 403 and response.json() == {"redirect": "/login/"}


def test_the_last_factor_stays_where_two_factor_is_required(owner: User, workspace: Workspace) -> None:
    web = signed_in(owner)
    register(web, SoftAuthenticator(), "phone")
    assert "no recovery codes yet" in web.get("/two-factor/").content.decode()
    Workspace.objects.filter(pk=workspace.pk).update(require_two_factor=True)
    only = Passkey.objects.get(user=owner)
    refused = web.post(f"/two-factor/passkeys/{only.pk}/remove/", follow=True)
    assert "requires two-factor sign-in" in refused.content.decode()
    assert Passkey.objects.filter(pk=only.pk).exists()

    with_totp(owner)
    assert web.post(f"/two-factor/passkeys/{only.pk}/remove/").status_code == 302
    assert not Passkey.objects.filter(pk=only.pk).exists()
    assert RecoveryCode.objects.filter(user=owner).count() == 10


def test_a_passkey_of_another_user_cannot_be_removed(owner: User, member: User) -> None:
    register(signed_in(member), SoftAuthenticator())
    theirs = Passkey.objects.get(user=member)
    signed_in(owner).post(f"/two-factor/passkeys/{theirs.pk}/remove/")
    assert Passkey.objects.filter(pk=theirs.pk).exists()


def test_the_data_download_lists_passkey_names_and_never_the_app_secret(owner: User) -> None:
    register(signed_in(owner), SoftAuthenticator(), "work laptop")
    secret = with_totp(owner)
    tables = {table.name: table for table in staff_export(owner).tables}
    assert [row["nickname"] for row in tables["twofactor_passkey"].rows] == ["work laptop"]
    everything = repr([table.rows for table in tables.values()])
    assert "twofactor_totpdevice" not in tables
    assert base64.b32encode(secret).decode().rstrip("=") not in everything and secret.hex() not in everything
