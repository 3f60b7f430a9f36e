"""Password rules, and changing one's password: the current one first, other sessions ended."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from strongroom.accounts.models import User
from strongroom.audit.models import Event
from strongroom.signin.tests.helpers import session_row, signed_in

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "plum orchard under snow 31"


def refusal(password: str, user: User | None = None) -> str:
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    return " ".join(refused.value.messages)


def test_short_common_numeric_and_personal_passwords_are_refused(owner: User) -> None:
    assert "at least 12 characters" in refusal("short pass")
    assert "too common" in refusal("password1234")
    assert "too common" in refusal("startfinding")  # twelve characters, on the offline list
    assert "entirely numeric" in refusal("839201746615")
    # the e-mail and the name are sealed fields: read decrypted for the comparison
    assert "too similar to the email" in refusal("owner@firm-a.example", owner)
    assert "too similar to the name" in refusal("Olive Owner 2026", owner)


def test_a_long_uncommon_password_passes(owner: User) -> None:
    validate_password(NEW_PASSWORD, owner)


def test_changing_the_password_needs_the_current_one(owner: User) -> None:
    browser = signed_in(owner)

    refused = browser.post(reverse("signin:password_change"), {
        "current_password": "not my password 12", "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert refused.status_code == 400 and "current password is not right" in refused.content.decode()
    assert Client().login(username="owner@firm-a.example", password=PASSWORD)
    assert not Event.objects.filter(action="password.changed").exists()


def test_a_weak_new_password_changes_nothing(owner: User) -> None:
    browser = signed_in(owner)

    refused = browser.post(reverse("signin:password_change"), {
        "current_password": PASSWORD, "new_password": "qwerty123456", "new_password2": "qwerty123456",
    })

    assert refused.status_code == 400 and "too common" in refused.content.decode()
    assert Client().login(username="owner@firm-a.example", password=PASSWORD)


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(owner: User) -> None:
    here, elsewhere = signed_in(owner), signed_in(owner)
    here_row, elsewhere_row = session_row(here), session_row(elsewhere)
    account = reverse("rights:account")
    assert reverse("signin:password_change") in here.get(account).content.decode()

    done = here.post(reverse("signin:password_change"), {
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert done.status_code == 302 and done["Location"] == account
    assert here.get(account).status_code == 200
    assert elsewhere.get(account)["Location"].startswith(reverse("login"))
    elsewhere_row.refresh_from_db()
    here_row.refresh_from_db()
    assert elsewhere_row.end_reason == "password_changed"
    assert here_row.ended_at is None
    assert Client().login(username="owner@firm-a.example", password=NEW_PASSWORD)
    assert Event.objects.get(action="password.changed").extra == {"sessions_ended": 1}
