"""Authenticator apps: enrolment with a first code, and signing in with a code after the password."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client as WebClient

from conftest import PASSWORD
from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.twofactor import signin, totp
from strongroom.twofactor.models import RecoveryCode, TotpDevice
from strongroom.twofactor.tests.helpers import next_code, password_step, signed_in_as, with_totp, wrong_code

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def test_an_authenticator_counts_only_after_a_valid_first_code(owner: User) -> None:
    web = signed_in(owner)
    page = web.get("/two-factor/app/")
    assert page.status_code == 200
    device = TotpDevice.objects.get(user=owner)
    secret = totp.secret_of(device)
    assert totp.secret_text(device) in page.content.decode()
    qr = web.get("/two-factor/app/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content

    wrong = web.post("/two-factor/app/", {"code": wrong_code(secret)})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    assert TotpDevice.objects.get(user=owner).confirmed_at is None
    assert not RecoveryCode.objects.filter(user=owner).exists()

    done = web.post("/two-factor/app/", {"code": totp.code_at(secret, time.time())})
    assert done.status_code == 200
    assert TotpDevice.objects.get(user=owner).confirmed_at is not None
    shown = [line for line in done.content.decode().split("<code>")[1:]]
    assert len(shown) == 10 and RecoveryCode.objects.filter(user=owner).count() == 10
    assert Event.objects.filter(action="twofactor.enrolled", target_id=str(device.pk)).exists()
    # Once confirmed, the QR code and secret are never shown again.
    assert web.get("/two-factor/app/qr.svg").status_code == 404
    assert web.get("/two-factor/app/").status_code == 302


def test_the_secret_is_sealed_in_the_database(owner: User) -> None:
    secret = with_totp(owner)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_sealed FROM twofactor_totpdevice")
        (stored,) = cursor.fetchone()
    assert secret not in bytes(stored)


def test_a_user_with_an_authenticator_signs_in_with_a_code(owner: User, workspace: Workspace) -> None:
    secret = with_totp(owner)
    web = password_step(owner)
    assert signed_in_as(web) is None
    assert web.get("/").status_code == 302  # not signed in yet
    # The log says the password was right, not that the person is in.
    assert Event.objects.filter(action="login.password_accepted", target_id=str(owner.pk)).exists()
    assert not Event.objects.filter(action="login.succeeded").exists()
    page = web.get("/two-factor/verify/")
    assert page.status_code == 200

    response = web.post("/two-factor/verify/", {"method": "totp", "code": next_code(secret)})
    assert response.status_code == 302
    assert signed_in_as(web) == str(owner.pk)
    assert Event.objects.filter(action="twofactor.succeeded", target_id=str(owner.pk)).exists()
    assert Event.objects.get(action="login.succeeded").extra["second_factor"] == "totp"


def test_a_user_without_a_factor_signs_in_with_the_password_alone(owner: User) -> None:
    web = password_step(owner)
    assert signed_in_as(web) == str(owner.pk)


def test_a_code_cannot_be_used_twice(owner: User) -> None:
    secret = with_totp(owner)
    code = next_code(secret)
    first = password_step(owner)
    assert first.post("/two-factor/verify/", {"method": "totp", "code": code}).status_code == 302

    second = password_step(owner)
    replay = second.post("/two-factor/verify/", {"method": "totp", "code": code})
    assert replay.status_code == 400 and signed_in_as(second) is None
    # The enrolment's own code was spent too.
    again = second.post("/two-factor/verify/", {"method": "totp", "code": totp.code_at(secret, time.time())})
    assert again.status_code == 400 and signed_in_as(second) is None


def test_a_wrong_code_is_refused_and_audited(owner: User) -> None:
    secret = with_totp(owner)
    web = password_step(owner)
    wrong = wrong_code(secret)
    response = web.post("/two-factor/verify/", {"method": "totp", "code": wrong})
    assert response.status_code == 400 and "not right" in response.content.decode()
    assert signed_in_as(web) is None
    failed = Event.objects.get(action="twofactor.failed")
    assert failed.target_id == str(owner.pk) and failed.extra["method"] == "totp"
    assert wrong not in str(failed.extra)


def test_five_wrong_answers_cancel_the_sign_in(owner: User) -> None:
    secret = with_totp(owner)
    web = password_step(owner)
    for _ in range(4):
        assert web.post("/two-factor/verify/", {"method": "totp", "code": "abcdef"}).status_code == 400
    fifth = web.post("/two-factor/verify/", {"method": "totp", "code": "abcdef"})
    assert fifth.status_code == 302 and fifth["Location"] == "/login/"
    # Even the right code is no use now: the password step must be done again.
    late = web.post("/two-factor/verify/", {"method": "totp", "code": next_code(secret)})
    assert late.status_code == 302 and late["Location"] == "/login/" and signed_in_as(web) is None
    assert Event.objects.filter(action="twofactor.failed").count() == 5
    assert Event.objects.filter(action="twofactor.failed", extra__cancelled=True).count() == 1


def test_signing_in_again_brings_no_fresh_guesses_at_the_code(owner: User) -> None:
    """Someone who has the password but not the phone: wrong codes count against the account's
    sign-in throttle, which only a complete sign-in clears, so the delays grow across logins."""
    secret = with_totp(owner)
    web = password_step(owner)
    for _ in range(5):
        web.post("/two-factor/verify/", {"method": "totp", "code": wrong_code(secret)})

    again = WebClient().post("/login/", {"username": owner.email, "password": PASSWORD})

    assert again.status_code == 200 and "Too many attempts" in again.content.decode()
    assert Event.objects.filter(action="login.throttled", target_id=str(owner.pk)).exists()


def test_a_complete_sign_in_clears_the_wrong_codes(owner: User) -> None:
    secret = with_totp(owner)
    web = password_step(owner)
    for _ in range(3):
        web.post("/two-factor/verify/", {"method": "totp", "code": wrong_code(secret)})
    assert web.post("/two-factor/verify/", {"method": "totp", "code": next_code(secret)}).status_code == 302

    later = password_step(owner)  # five more wrong codes would be needed to lock the account
    for _ in range(4):
        later.post("/two-factor/verify/", {"method": "totp", "code": wrong_code(secret)})
    assert WebClient().post("/login/", {"username": owner.email, "password": PASSWORD}).status_code == 302


def test_the_second_step_expires_after_five_minutes(owner: User, monkeypatch: Any) -> None:
    secret = with_totp(owner)
    web = password_step(owner)
    later = time.time() + signin.MAX_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    response = web.post("/two-factor/verify/", {"method": "totp", "code": next_code(secret)})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert signed_in_as(web) is None


def test_the_verify_page_needs_the_password_step_first() -> None:
    response = WebClient().post("/two-factor/verify/", {"method": "totp", "code": "123456"})
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_removing_the_authenticator_lets_the_password_alone_sign_in(owner: User) -> None:
    with_totp(owner)
    web = signed_in(owner)
    assert web.post("/two-factor/app/remove/").status_code == 302
    assert not TotpDevice.objects.filter(user=owner).exists()
    assert not RecoveryCode.objects.filter(user=owner).exists()
    assert Event.objects.filter(action="twofactor.removed").exists()
    assert signed_in_as(password_step(owner)) == str(owner.pk)


def test_a_second_sign_in_alongside_gets_no_more_guesses(owner: User) -> None:
    secret = with_totp(owner)
    first, second = password_step(owner), password_step(owner)
    for _ in range(3):
        first.post("/two-factor/verify/", {"method": "totp", "code": "abcdef"})
    second.post("/two-factor/verify/", {"method": "totp", "code": "abcdef"})
    last = second.post("/two-factor/verify/", {"method": "totp", "code": "abcdef"})
    assert last.status_code == 302 and last["Location"] == "/login/"
    for web in (first, second):
        late = web.post("/two-factor/verify/", {"method": "totp", "code": next_code(secret)})
        assert late["Location"] == "/login/" and signed_in_as(web) is None
