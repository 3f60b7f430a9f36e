"""Failed sign-ins slow down further attempts, per account and per network address, with the same
words whether or not the account exists; refusals come before the password is checked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from strongroom.accounts.models import User
from strongroom.audit.models import Event
from strongroom.signin import throttle
from strongroom.signin.models import LoginThrottle, ThrottleScope

pytestmark = pytest.mark.django_db


def sign_in(email: str, password: str, ip: str = "198.51.100.7") -> Any:
    return Client(REMOTE_ADDR=ip).post(reverse("login"), {"username": email, "password": password})


def signed_in(response: Any) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def fail(email: str, times: int, ip: str = "198.51.100.7") -> None:
    for _ in range(times):
        assert not signed_in(sign_in(email, "not the password at all", ip))


def unlock_all() -> None:
    """As if every refusal in force had just run out."""
    LoginThrottle.objects.update(locked_until=timezone.now() - timedelta(seconds=1))


def test_five_failures_refuse_the_right_password_for_a_minute_and_audit_it(owner: User) -> None:
    fail("owner@firm-a.example", 5)

    refused = sign_in("owner@firm-a.example", PASSWORD)

    assert not signed_in(refused)
    assert "Too many attempts; try again in 1 minute." in refused.content.decode()
    throttled = Event.objects.get(action="login.throttled")
    assert throttled.target_id == str(owner.pk)
    assert throttled.extra == {"scope": "account", "minutes": 1}
    # the refusal did not count as one more failure, nor check the password
    assert Event.objects.filter(action="login.failed").count() == 5


def test_four_failures_still_let_the_right_password_in_and_success_clears_the_count(owner: User) -> None:
    fail("owner@firm-a.example", 4)

    assert signed_in(sign_in("owner@firm-a.example", PASSWORD))
    fail("owner@firm-a.example", 4)
    assert signed_in(sign_in("owner@firm-a.example", PASSWORD))


def test_an_unknown_account_is_refused_in_the_same_words(owner: User) -> None:
    fail("owner@firm-a.example", 5)
    fail("nobody@firm-a.example", 5)

    known = sign_in("owner@firm-a.example", "another guess entirely").content.decode()
    unknown = sign_in("nobody@firm-a.example", "another guess entirely").content.decode()

    assert "Too many attempts; try again in 1 minute." in known
    assert "Too many attempts; try again in 1 minute." in unknown


def test_the_delay_doubles_with_each_failure_after_a_refusal_up_to_an_hour(owner: User) -> None:
    fail("owner@firm-a.example", 5)
    waits = []
    for _ in range(9):
        unlock_all()
        fail("owner@firm-a.example", 1)
        refusal = throttle.refusal("owner@firm-a.example", None)
        assert refusal is not None
        waits.append(refusal.minutes)

    assert waits == [2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert "try again in 60 minutes" in sign_in("owner@firm-a.example", PASSWORD).content.decode()


def test_a_quiet_quarter_of_an_hour_forgets_the_failures(owner: User) -> None:
    fail("owner@firm-a.example", 4)
    LoginThrottle.objects.update(last_failure_at=timezone.now() - timedelta(minutes=16))

    fail("owner@firm-a.example", 1)

    assert throttle.refusal("owner@firm-a.example", None) is None
    assert signed_in(sign_in("owner@firm-a.example", PASSWORD))


def test_many_failures_from_one_address_refuse_every_account_from_it_only(owner: User, member: User) -> None:
    for number in range(throttle.IP_LIMIT):
        fail(f"guess{number}@firm-a.example", 1, ip="203.0.113.9")

    from_there = sign_in("member@firm-a.example", PASSWORD, ip="203.0.113.9")
    elsewhere = sign_in("member@firm-a.example", PASSWORD, ip="192.0.2.44")

    assert not signed_in(from_there)
    assert "Too many attempts" in from_there.content.decode()
    assert Event.objects.get(action="login.throttled").extra["scope"] == "ip"
    assert signed_in(elsewhere)


def test_counters_keep_neither_the_e_mail_nor_the_address(owner: User) -> None:
    fail("owner@firm-a.example", 2, ip="203.0.113.9")

    rows = list(LoginThrottle.objects.values_list("scope", "key"))

    assert sorted(scope for scope, _ in rows) == [ThrottleScope.ACCOUNT, ThrottleScope.IP]
    assert all(len(key) == 64 and "owner" not in key and "203.0" not in key for _, key in rows)
    assert (ThrottleScope.ACCOUNT, owner.email_index) in rows


def through_proxy(email: str, password: str, forwarded: str) -> Any:
    """A sign-in relayed by a reverse proxy at 10.0.0.2, which appends the client's address."""
    return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded).post(
        reverse("login"), {"username": email, "password": password}
    )


def test_behind_a_proxy_the_address_it_forwards_is_throttled_not_the_proxys(
    settings: Any, owner: User, member: User
) -> None:
    settings.PROXY_CLIENT_IP_HEADER = "X-Forwarded-For"
    for number in range(throttle.IP_LIMIT):
        # The first address is the attacker's own claim; the proxy appended the real one.
        through_proxy(f"guess{number}@firm-a.example", "wrong", forwarded=f"192.0.2.{number}, 203.0.113.9")

    attacker = through_proxy("member@firm-a.example", PASSWORD, forwarded="192.0.2.200, 203.0.113.9")
    colleague = through_proxy("member@firm-a.example", PASSWORD, forwarded="192.0.2.44")

    assert not signed_in(attacker)
    assert signed_in(colleague)


def test_without_the_setting_a_forwarded_address_is_not_believed(settings: Any, owner: User) -> None:
    settings.PROXY_CLIENT_IP_HEADER = ""
    for number in range(throttle.IP_LIMIT):
        through_proxy(f"guess{number}@firm-a.example", "wrong", forwarded=f"192.0.2.{number}")

    refused = through_proxy("owner@firm-a.example", PASSWORD, forwarded="192.0.2.250")

    assert not signed_in(refused)  # every attempt counted against the one address that connected
    assert "Too many attempts" in refused.content.decode()
