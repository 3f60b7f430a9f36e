"""Sensitive actions ask for the password again when the last sign-in is more than 10 minutes old,
then bring the user back: to the same address for a download, to the form's page for a POST."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from conftest import PASSWORD
from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.tests.factories import make_client, make_request
from strongroom.signin.tests.helpers import set_reauthenticated, signed_in
from strongroom.twofactor import actions
from strongroom.twofactor.models import TotpDevice
from strongroom.twofactor.tests.helpers import SoftAuthenticator, next_code, with_totp, wrong_code
from strongroom.twofactor.tests.test_passkeys import post_json, register

pytestmark = pytest.mark.django_db
REAUTH = reverse("signin:reauth")


def reauth_url(next_url: str) -> str:
    return f"{REAUTH}?{urlencode({'next': next_url})}"


def test_a_download_after_ten_minutes_asks_for_the_password_then_comes_back(
    owner: User, workspace: Workspace
) -> None:
    request = make_request(workspace, owner, make_client(workspace, owner))
    zip_url = reverse("staff:request_zip", args=[workspace.pk, request.pk])
    browser = signed_in(owner)
    set_reauthenticated(browser, ago=timedelta(minutes=11))

    asked = browser.get(zip_url)
    wrong = browser.post(reauth_url(zip_url), {"password": "not my password 12", "next": zip_url})
    confirmed = browser.post(reauth_url(zip_url), {"password": PASSWORD, "next": zip_url})

    assert asked.status_code == 302 and asked["Location"] == reauth_url(zip_url)
    assert not Event.objects.filter(action="request.files_downloaded").exists()
    assert wrong.status_code == 400 and "not your password" in wrong.content.decode()
    assert confirmed.status_code == 302 and confirmed["Location"] == zip_url
    assert browser.get(zip_url).status_code == 200
    assert Event.objects.filter(action="login.reauthenticated", target_id=str(owner.pk)).count() == 1


def test_a_fresh_sign_in_counts_as_recent(owner: User, workspace: Workspace) -> None:
    request = make_request(workspace, owner, make_client(workspace, owner))

    download = signed_in(owner).get(reverse("staff:request_zip", args=[workspace.pk, request.pk]))

    assert download.status_code == 200


def test_a_post_goes_back_to_the_page_of_its_form_and_changes_nothing(
    owner: User, member: User, workspace: Workspace
) -> None:
    membership = Membership.objects.get(user=member, workspace=workspace)
    members_page = reverse("admin_pages:members", args=[workspace.pk])
    browser = signed_in(owner)
    set_reauthenticated(browser, ago=timedelta(minutes=30))

    asked = browser.post(
        reverse("admin_pages:member_role", args=[workspace.pk, membership.pk]), {"role": Role.ADMIN},
        HTTP_REFERER=f"http://testserver{members_page}",
    )
    back = browser.post(REAUTH, {"password": PASSWORD, "next": members_page})

    assert asked["Location"] == reauth_url(members_page)
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER
    assert back["Location"] == members_page
    browser.post(reverse("admin_pages:member_role", args=[workspace.pk, membership.pk]), {"role": Role.ADMIN})
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_another_sites_referer_or_next_leads_home(owner: User, workspace: Workspace) -> None:
    browser = signed_in(owner)
    set_reauthenticated(browser, ago=timedelta(minutes=30))

    asked = browser.post(reverse("compliance:close", args=[workspace.pk]), {"action": "delete"},
                         HTTP_REFERER="https://evil.example/close/")
    back = browser.post(REAUTH, {"password": PASSWORD, "next": "https://evil.example/"})

    assert asked["Location"] == reauth_url(reverse("home"))
    assert back["Location"] == reverse("home")
    assert Workspace.objects.get(pk=workspace.pk).closed_at is None


@pytest.mark.parametrize("page", ["members", "close"])
def test_looking_at_a_sensitive_page_needs_no_password(owner: User, workspace: Workspace, page: str) -> None:
    browser = signed_in(owner)
    set_reauthenticated(browser, ago=timedelta(hours=1))
    url = {"members": reverse("admin_pages:members", args=[workspace.pk]),
           "close": reverse("compliance:close", args=[workspace.pk])}[page]

    assert browser.get(url).status_code == 200


def test_wrong_passwords_on_the_confirmation_count_towards_the_throttle(owner: User) -> None:
    browser = signed_in(owner)
    for _ in range(5):
        browser.post(REAUTH, {"password": "not my password 12"})

    refused = browser.post(REAUTH, {"password": PASSWORD})

    assert refused.status_code == 400 and "Too many attempts" in refused.content.decode()


@pytest.mark.parametrize(("name", "method"), [
    ("staff:request_zip", "get"), ("rights:approve", "post"), ("compliance:close", "post"),
    ("admin_pages:members", "post"), ("admin_pages:member_role", "post"),
    ("admin_pages:member_privacy_officer", "post"), ("admin_pages:member_remove", "post"),
    ("admin_pages:invitation_revoke", "post"),
])
def test_every_sensitive_action_asks_again(owner: User, workspace: Workspace, name: str, method: str) -> None:
    # The question comes first: the object named need not even exist.
    args: list[object] = [workspace.pk]
    if name not in ("compliance:close", "admin_pages:members"):
        args.append(uuid.uuid4())
    url = reverse(name, args=args)
    browser = signed_in(owner)
    set_reauthenticated(browser, ago=timedelta(minutes=11))
    events = Event.objects.count()

    asked = getattr(browser, method)(url)

    assert asked.status_code == 302 and asked["Location"].startswith(REAUTH)
    assert Event.objects.count() == events


@pytest.mark.parametrize(("name", "method"), [
    ("twofactor:totp_enrol", "get"), ("twofactor:totp_remove", "post"),
    ("twofactor:recovery_regenerate", "post"), ("twofactor:passkey_remove", "post"),
])
def test_changing_how_one_signs_in_asks_again(owner: User, name: str, method: str) -> None:
    """A borrowed open session must not be enough to add or remove a second factor."""
    secret = with_totp(owner)
    url = reverse(name, args=[uuid.uuid4()] if name == "twofactor:passkey_remove" else [])
    browser = signed_in(owner)
    set_reauthenticated(browser, ago=timedelta(minutes=11))

    asked = getattr(browser, method)(url)

    assert asked.status_code == 302 and asked["Location"].startswith(REAUTH)
    assert TotpDevice.objects.get(user=owner).confirmed_at is not None
    assert actions.check_totp(owner, next_code(secret))  # the app still works, untouched


def test_a_page_script_is_told_where_to_confirm(owner: User) -> None:
    browser = signed_in(owner)
    set_reauthenticated(browser, ago=timedelta(minutes=11))

    asked = browser.post(reverse("twofactor:passkey_register_options"), HTTP_ACCEPT="application/json")

    assert asked.status_code == 403 and asked.json()["redirect"].startswith(REAUTH)


def test_with_an_authenticator_app_the_confirmation_also_takes_a_code(
    owner: User, workspace: Workspace
) -> None:
    secret = with_totp(owner)
    codes = actions.do_regenerate_recovery_codes(owner)
    request = make_request(workspace, owner, make_client(workspace, owner))
    zip_url = reverse("staff:request_zip", args=[workspace.pk, request.pk])
    browser = signed_in(owner)

    def confirm(**fields: str) -> Any:
        set_reauthenticated(browser, ago=timedelta(minutes=11))
        return browser.post(reauth_url(zip_url), {"next": zip_url, **fields})

    password_only = confirm(password=PASSWORD)
    wrong_second = confirm(password=PASSWORD, code=wrong_code(secret))
    wrong_password = confirm(password="not my password 12", code=codes[0])
    with_app = confirm(password=PASSWORD, code=next_code(secret))
    with_recovery = confirm(password=PASSWORD, code=codes[0])
    recovery_again = confirm(password=PASSWORD, code=codes[0])

    assert password_only.status_code == 400
    assert wrong_second.status_code == 400 and "not right" in wrong_second.content.decode()
    assert wrong_password.status_code == 400  # and the recovery code it carried is not spent:
    assert with_app.status_code == 302 and with_app["Location"] == zip_url
    assert with_recovery.status_code == 302
    assert recovery_again.status_code == 400
    assert Event.objects.filter(action="login.reauth_failed", extra__reason="second factor").count() == 2


def test_a_passkey_alone_confirms_and_a_passkey_only_user_needs_a_recovery_code_with_the_password(
    settings: Any, owner: User, workspace: Workspace
) -> None:
    settings.BASE_URL = "http://127.0.0.1:8000"
    key = SoftAuthenticator()
    browser = signed_in(owner)
    assert register(browser, key).status_code == 200
    codes = actions.do_regenerate_recovery_codes(owner)
    request = make_request(workspace, owner, make_client(workspace, owner))
    zip_url = reverse("staff:request_zip", args=[workspace.pk, request.pk])
    set_reauthenticated(browser, ago=timedelta(minutes=11))

    page = browser.get(reauth_url(zip_url)).content.decode()
    password_only = browser.post(reauth_url(zip_url), {"password": PASSWORD, "next": zip_url})
    options = post_json(browser, reverse("signin:reauth_passkey_options")).json()
    stranger = post_json(browser, f"{reverse('signin:reauth_passkey')}?next={zip_url}",
                         {"credential": SoftAuthenticator().get(options, owner.pk.bytes)})
    options = post_json(browser, reverse("signin:reauth_passkey_options")).json()
    confirmed = post_json(browser, f"{reverse('signin:reauth_passkey')}?next={zip_url}",
                          {"credential": key.get(options, owner.pk.bytes)})

    assert "Use my passkey" in page and "One of your recovery codes" in page
    assert password_only.status_code == 400  # a recovery code is needed with it
    assert stranger.status_code == 400 and "not registered" in stranger.json()["error"]
    assert confirmed.status_code == 200 and confirmed.json() == {"redirect": zip_url}
    assert browser.get(zip_url).status_code == 200
    assert Event.objects.filter(action="login.reauthenticated", extra__method="passkey").count() == 1
    assert Event.objects.filter(action="login.reauth_failed", extra__reason="passkey").count() == 1

    set_reauthenticated(browser, ago=timedelta(minutes=11))
    with_code = browser.post(reauth_url(zip_url), {"password": PASSWORD, "code": codes[0], "next": zip_url})
    assert with_code.status_code == 302 and with_code["Location"] == zip_url
