"""Test helpers: signed-in browsers, and moving a session's clock by editing what it stored."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from strongroom.accounts.models import User
from strongroom.signin.models import StaffSession
from strongroom.signin.sessions import REAUTH_AT, SESSION_ID


def signed_in(user: User) -> Client:
    """A browser where `user` just signed in (a fresh sign-in counts as a recent one)."""
    client = Client()
    client.force_login(user)
    return client


def session_row(client: Client) -> StaffSession:
    return StaffSession.objects.get(pk=client.session[SESSION_ID])


def age_session(client: Client, *, idle: timedelta = timedelta(0), age: timedelta = timedelta(0)) -> None:
    """As if the session's last request was `idle` ago and its sign-in `age` ago."""
    now = timezone.now()
    StaffSession.objects.filter(pk=client.session[SESSION_ID]).update(
        last_seen_at=now - idle, created_at=now - max(age, idle)
    )


def set_reauthenticated(client: Client, ago: timedelta = timedelta(0)) -> None:
    """As if the user signed in or entered their password again `ago` ago."""
    session = client.session
    session[REAUTH_AT] = (timezone.now() - ago).timestamp()
    session.save()
