"""Staff sessions: listed with their device, ended by the user from anywhere, and ended on their
own after 30 minutes without activity or 12 hours after signing in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from strongroom.accounts.models import User
from strongroom.audit.models import Event
from strongroom.signin.models import StaffSession
from strongroom.signin.tests.helpers import age_session, session_row, signed_in

pytestmark = pytest.mark.django_db
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
ACCOUNT = reverse("rights:account")


def sent_to_login(response: Any) -> bool:
    return bool(response.status_code == 302 and response["Location"].startswith(reverse("login")))


def test_signing_in_opens_a_session_with_its_device_and_address_sealed(owner: User) -> None:
    browser = Client(HTTP_USER_AGENT=FIREFOX, REMOTE_ADDR="198.51.100.23")
    signing_in = browser.post(reverse("login"), {"username": "owner@firm-a.example", "password": PASSWORD})
    assert signing_in.status_code == 302

    row = session_row(browser)

    assert (row.user, row.device, row.ip) == (owner, "Firefox / Linux", "198.51.100.23")
    with connection.cursor() as cursor:
        cursor.execute("SELECT device, ip, key_hash FROM signin_staffsession")
        [(device, ip, key_hash)] = cursor.fetchall()
    assert b"Firefox" not in bytes(device) and b"198.51" not in bytes(ip)
    assert browser.session.session_key not in key_hash


def test_the_sessions_page_lists_the_users_sessions_and_marks_this_one(owner: User, member: User) -> None:
    here = Client(HTTP_USER_AGENT=FIREFOX)
    here.post(reverse("login"), {"username": "owner@firm-a.example", "password": PASSWORD})
    signed_in(owner)
    signed_in(member)
    assert reverse("signin:sessions") in here.get(ACCOUNT).content.decode()

    page = here.get(reverse("signin:sessions"))

    assert [row.user for row in page.context["rows"]] == [owner, owner]
    assert page.content.decode().count("(this device)") == 1
    assert "Firefox / Linux" in page.content.decode()


def test_a_revoked_session_stops_working_at_once(owner: User) -> None:
    here, elsewhere = signed_in(owner), signed_in(owner)
    other = session_row(elsewhere)

    done = here.post(reverse("signin:session_revoke", args=[other.pk]))

    assert done.status_code == 302
    assert sent_to_login(elsewhere.get(ACCOUNT))
    assert here.get(ACCOUNT).status_code == 200
    assert Event.objects.filter(action="session.revoked", target_id=str(other.pk)).count() == 1


def test_nobody_ends_another_users_session(owner: User, member: User) -> None:
    theirs = signed_in(member)
    row = session_row(theirs)

    refused = signed_in(owner).post(reverse("signin:session_revoke", args=[row.pk]))

    assert refused.status_code == 404
    assert theirs.get(ACCOUNT).status_code == 200
    assert not Event.objects.filter(action="session.revoked").exists()


def test_ending_all_other_sessions_keeps_this_one(owner: User, member: User) -> None:
    here, first, second, colleague = signed_in(owner), signed_in(owner), signed_in(owner), signed_in(member)

    here.post(reverse("signin:session_revoke_others"))

    assert sent_to_login(first.get(ACCOUNT)) and sent_to_login(second.get(ACCOUNT))
    assert here.get(ACCOUNT).status_code == 200
    assert colleague.get(ACCOUNT).status_code == 200
    assert Event.objects.get(action="session.others_revoked").extra == {"count": 2}


def test_signing_out_ends_the_session_row(owner: User) -> None:
    browser = signed_in(owner)
    row = session_row(browser)

    browser.post(reverse("logout"))

    row.refresh_from_db()
    assert row.end_reason == "signed_out"


def test_thirty_minutes_without_activity_end_the_session(owner: User) -> None:
    browser = signed_in(owner)
    row = session_row(browser)
    age_session(browser, idle=timedelta(minutes=29))
    assert browser.get(ACCOUNT).status_code == 200
    age_session(browser, idle=timedelta(minutes=31))

    ended = browser.get(ACCOUNT, follow=True)

    assert ended.redirect_chain[0][0].startswith(reverse("login"))
    assert "Your session ended after 30 minutes without activity." in ended.content.decode()
    row.refresh_from_db()
    assert row.end_reason == "idle"
    assert sent_to_login(browser.get(ACCOUNT))


def test_the_idle_limit_is_a_setting(owner: User, settings: Any) -> None:
    settings.STRONGROOM_SESSION_IDLE_MINUTES = 5
    browser = signed_in(owner)
    age_session(browser, idle=timedelta(minutes=6))

    assert "after 5 minutes without activity" in browser.get(ACCOUNT, follow=True).content.decode()


def test_a_session_ends_twelve_hours_after_signing_in_however_active(owner: User) -> None:
    browser = signed_in(owner)
    age_session(browser, age=timedelta(hours=11, minutes=59))
    assert browser.get(ACCOUNT).status_code == 200
    age_session(browser, age=timedelta(hours=12, minutes=1))

    ended = browser.get(ACCOUNT, follow=True)

    assert "Your session ended after 12 hours" in ended.content.decode()
    assert StaffSession.objects.get(user=owner).end_reason == "expired"


def test_the_client_portal_is_left_to_its_own_rules(owner: User) -> None:
    browser = signed_in(owner)
    age_session(browser, idle=timedelta(hours=2))

    portal = browser.get("/portal/")

    assert not sent_to_login(portal)
    assert StaffSession.objects.get(user=owner).ended_at is None


def test_the_session_and_csrf_cookies_are_out_of_scripts_reach_and_same_site(owner: User) -> None:
    browser = Client()
    browser.get(reverse("login"))
    signing_in = browser.post(reverse("login"), {"username": "owner@firm-a.example", "password": PASSWORD})

    session, csrf = signing_in.cookies["sessionid"], browser.cookies["csrftoken"]

    assert session["httponly"] and session["samesite"] == "Lax"
    assert csrf["httponly"] and csrf["samesite"] == "Lax"


def test_the_cookie_lives_as_long_as_the_longest_session_may(owner: User) -> None:
    response = Client().post(reverse("login"), {"username": "owner@firm-a.example", "password": PASSWORD})

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.STRONGROOM_SESSION_MAX_HOURS * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
