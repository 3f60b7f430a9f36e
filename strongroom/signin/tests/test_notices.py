"""Every change to how someone signs in is mailed to them at once, so a change made by someone else
is noticed: the mail names the change and when, and links to the reset and sessions pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from conftest import PASSWORD
from strongroom.accounts.models import User
from strongroom.collection.tests.factories import use_outbox
from strongroom.mail import outbox
from strongroom.signin.tests.helpers import signed_in
from strongroom.twofactor import actions
from strongroom.twofactor.tests.helpers import with_totp

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "correct horse battery staple 7"


@pytest.fixture(autouse=True)
def mail_folder(settings: Any, tmp_path: Path) -> Path:
    return use_outbox(settings, tmp_path)


def mails() -> list[tuple[list[str], str, str]]:
    return [
        (listed.to, listed.subject, outbox.body_text(outbox.read_message(listed.id)))
        for listed in sorted(outbox.list_messages(), key=lambda m: m.sent_at)
    ]


def change_password(browser: Client, current: str) -> Any:
    return browser.post(reverse("signin:password_change"), {
        "current_password": current, "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })


def test_a_password_change_is_mailed_naming_only_the_change(
    owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    browser = signed_in(owner)
    with django_capture_on_commit_callbacks(execute=True):
        refused = change_password(browser, "not my password 12")
    assert refused.status_code == 400
    assert mails() == []  # nothing changed, nothing said

    with django_capture_on_commit_callbacks(execute=True):
        done = change_password(browser, PASSWORD)

    assert done.status_code == 302
    [(to, subject, body)] = mails()
    assert to == ["owner@firm-a.example"]
    assert subject == "How you sign in to Strongroom has changed"
    assert "The password of your Strongroom account was changed" in body
    assert reverse("signin:sessions") in body and reverse("signin:password_reset") in body
    assert NEW_PASSWORD not in body and PASSWORD not in body


def test_second_factors_added_removed_and_new_codes_are_each_mailed(
    owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        with_totp(owner)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_regenerate_recovery_codes(owner)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_remove_totp(owner)

    bodies = [body for _, _, body in mails()]
    assert len(bodies) == 3
    assert "An authenticator app was added" in bodies[0]
    assert "New recovery codes were made" in bodies[1]
    assert "The authenticator app of your Strongroom account was removed" in bodies[2]


def test_the_notice_speaks_the_language_of_the_page_it_came_from(
    owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        with_totp(owner)

    [(_, subject, body)] = mails()
    assert subject == "Votre façon de vous connecter à Strongroom a changé"
    assert "Une application d'authentification a été ajoutée" in body
