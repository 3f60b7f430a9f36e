"""A forgotten password: the same answer for any e-mail, a link that works once and for an hour,
and every session of the account ended when the new password is set."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from strongroom.accounts.models import User
from strongroom.audit.models import Event
from strongroom.collection.tests.factories import use_outbox
from strongroom.mail import outbox
from strongroom.portal.tests.test_portal_url_permissions import body_of
from strongroom.signin.passwords import reset_path
from strongroom.signin.tests.helpers import signed_in

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "correct horse battery staple 7"


@pytest.fixture(autouse=True)
def mail_folder(settings: Any, tmp_path: Path) -> Path:
    return use_outbox(settings, tmp_path)


def ask_for_link(email: str, capture: Callable[..., Any]) -> Any:
    with capture(execute=True):
        return Client().post(reverse("signin:password_reset"), {"email": email})


def reset_link() -> str:
    [listed] = outbox.list_messages()
    links = outbox.find_links(outbox.read_message(listed.id))
    [link] = [found for found in links if "/password/reset/" in found]
    return urlsplit(link).path


def can_sign_in(password: str) -> bool:
    return Client().login(username="owner@firm-a.example", password=password)


def test_the_login_page_offers_a_reset(db: Any) -> None:
    page = Client().get(reverse("login")).content.decode()

    assert reverse("signin:password_reset") in page and "Forgot your password?" in page


def test_a_known_and_an_unknown_e_mail_get_the_same_page_and_only_the_account_gets_mail(
    owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    unknown = ask_for_link("ghost@firm-a.example", django_capture_on_commit_callbacks)
    assert outbox.list_messages() == []
    known = ask_for_link("Owner@Firm-A.example", django_capture_on_commit_callbacks)

    assert known.status_code == unknown.status_code == 200
    assert body_of(known) == body_of(unknown)  # but for the page's CSP nonce
    [listed] = outbox.list_messages()
    assert listed.to == ["owner@firm-a.example"]
    events = Event.objects.filter(action="password.reset_requested").order_by("seq")
    assert [(e.target_id, e.extra) for e in events] == [
        ("", {"known": False}), (str(owner.pk), {"known": True})
    ]
    assert "ghost" not in str(list(events.values()))


def test_the_link_sets_a_new_password_once(owner: User, django_capture_on_commit_callbacks: Any) -> None:
    ask_for_link("owner@firm-a.example", django_capture_on_commit_callbacks)
    link = reset_link()

    form = Client().get(link)
    done = Client().post(link, {"new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    second = "a second new password 99"
    again = Client().post(link, {"new_password": second, "new_password2": second})

    assert form.status_code == 200
    assert done.status_code == 302 and done["Location"] == reverse("login")
    assert again.status_code == 404 and "expired or was already used" in again.content.decode()
    assert can_sign_in(NEW_PASSWORD) and not can_sign_in(PASSWORD)
    assert Event.objects.filter(action="password.reset", target_id=str(owner.pk)).count() == 1


def test_the_link_expires_after_an_hour(owner: User, monkeypatch: Any) -> None:
    issued = datetime.now()
    monkeypatch.setattr(default_token_generator, "_now", lambda: issued)
    link = reset_path(owner)
    monkeypatch.setattr(default_token_generator, "_now", lambda: issued + timedelta(hours=1, seconds=1))

    expired = Client().post(link, {"new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert expired.status_code == 404
    assert can_sign_in(PASSWORD)


def test_a_weak_new_password_is_refused_and_the_link_still_works(
    owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    ask_for_link("owner@firm-a.example", django_capture_on_commit_callbacks)
    link = reset_link()

    weak = Client().post(link, {"new_password": "password1234", "new_password2": "password1234"})

    assert weak.status_code == 400 and "too common" in weak.content.decode()
    assert can_sign_in(PASSWORD)
    assert not Event.objects.filter(action="password.reset").exists()
    assert Client().get(link).status_code == 200


def test_setting_the_new_password_ends_every_session(
    owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    elsewhere = signed_in(owner)
    assert elsewhere.get(reverse("rights:account")).status_code == 200
    ask_for_link("owner@firm-a.example", django_capture_on_commit_callbacks)

    Client().post(reset_link(), {"new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    after = elsewhere.get(reverse("rights:account"))
    assert after.status_code == 302 and after["Location"].startswith(reverse("login"))


def test_asking_again_and_again_fills_nobodys_mailbox(
    owner: User, django_capture_on_commit_callbacks: Any
) -> None:
    answers = [ask_for_link("owner@firm-a.example", django_capture_on_commit_callbacks) for _ in range(5)]

    assert len({body_of(answer) for answer in answers}) == 1  # the same page every time
    assert len(outbox.list_messages()) == 3  # RESET_MAILS_PER_HOUR
    assert Event.objects.filter(action="password.reset_throttled", subject=owner.subject_id).count() == 2
