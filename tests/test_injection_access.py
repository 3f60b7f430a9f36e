"""Hostile strings in what this release lets people type or send: the operator's support reason
(shown to owners), a passkey's name (shown to its owner) and the browser's User-Agent (summarised on
"Your sessions"): each comes out escaped, never run."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as WebClient
from django.urls import reverse
from django.utils.html import escape

from conftest import PASSWORD
from strongroom.accounts.models import User, Workspace
from strongroom.operator.tests.helpers import ask, make_operator
from strongroom.twofactor.tests.helpers import SoftAuthenticator
from strongroom.twofactor.tests.test_passkeys import register
from tests.test_injection import PAYLOADS

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> WebClient:
    web = WebClient()
    web.force_login(user)
    return web


def assert_escaped(payload: str, page: str) -> None:
    assert escape(payload) in page
    assert escape(payload) == payload or payload not in page


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_support_reason_reaches_the_owner_escaped(payload: str, workspace: Workspace, owner: User) -> None:
    ask(workspace, make_operator(), reason=f"Ticket 1: {payload}")

    page = signed_in(owner).get(reverse("support:grants", args=[workspace.pk])).content.decode()

    assert_escaped(payload, page)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_passkey_name_is_shown_escaped(payload: str, settings: Any, owner: User) -> None:
    settings.BASE_URL = "http://127.0.0.1:8000"
    web = signed_in(owner)
    assert register(web, SoftAuthenticator(), nickname=payload).status_code == 200

    assert_escaped(payload, web.get(reverse("twofactor:setup")).content.decode())


@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_hostile_user_agent_is_never_shown_as_sent(payload: str, owner: User) -> None:
    web = WebClient(HTTP_USER_AGENT=f"Mozilla/5.0 (X11; Linux) {payload}")
    signing_in = web.post(reverse("login"), {"username": "owner@firm-a.example", "password": PASSWORD})
    assert signing_in.status_code == 302

    page = web.get(reverse("signin:sessions")).content.decode()

    assert "Mozilla/5.0" not in page  # only a summary of the device is kept and shown
    assert payload not in page or escape(payload) == payload
