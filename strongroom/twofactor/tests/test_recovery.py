"""Recovery codes: shown once, kept as hashes, each good for one sign-in, replaced on demand."""

from __future__ import annotations

import re

import pytest
from django.test import Client as WebClient

from strongroom.accounts.models import User
from strongroom.audit.models import Event
from strongroom.twofactor.models import RecoveryCode
from strongroom.twofactor.tests.helpers import password_step, signed_in_as, with_totp

pytestmark = pytest.mark.django_db


def fresh_codes(user: User) -> list[str]:
    web = WebClient()
    web.force_login(user)
    page = web.post("/two-factor/recovery-codes/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    return re.findall(r"<code>([a-z0-9-]+)</code>", page.content.decode())


def test_a_recovery_code_signs_in_once(owner: User) -> None:
    with_totp(owner)
    codes = fresh_codes(owner)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = set(RecoveryCode.objects.filter(user=owner).values_list("code_hash", flat=True))
    assert not stored & set(codes)

    web = password_step(owner)
    used = web.post("/two-factor/verify/", {"method": "recovery", "code": codes[0].upper()})
    assert used.status_code == 302 and signed_in_as(web) == str(owner.pk)
    event = Event.objects.get(action="twofactor.recovery_used")
    assert event.extra == {"left": 9}

    again = password_step(owner)
    refused = again.post("/two-factor/verify/", {"method": "recovery", "code": codes[0]})
    assert refused.status_code == 400 and signed_in_as(again) is None
    assert Event.objects.filter(action="twofactor.failed", extra__method="recovery").count() == 1


def test_new_codes_void_the_old_ones(owner: User) -> None:
    with_totp(owner)
    old = fresh_codes(owner)
    new = fresh_codes(owner)
    assert not set(old) & set(new)
    web = password_step(owner)
    assert web.post("/two-factor/verify/", {"method": "recovery", "code": old[1]}).status_code == 400
    assert web.post("/two-factor/verify/", {"method": "recovery", "code": new[1]}).status_code == 302


def test_a_code_of_another_user_does_not_work(owner: User, member: User) -> None:
    with_totp(owner)
    with_totp(member)
    theirs = fresh_codes(member)
    web = password_step(owner)
    assert web.post("/two-factor/verify/", {"method": "recovery", "code": theirs[0]}).status_code == 400
    assert signed_in_as(web) is None


def test_no_codes_without_a_factor(owner: User) -> None:
    web = WebClient()
    web.force_login(owner)
    response = web.post("/two-factor/recovery-codes/", follow=True)
    assert "Set up an authenticator app or a passkey first" in response.content.decode()
    assert not RecoveryCode.objects.filter(user=owner).exists()
