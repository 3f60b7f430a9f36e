"""Signing in does not tell whether an account exists: same message, similar time."""

from __future__ import annotations

import statistics
import time
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.test import Client
from django.urls import reverse

from strongroom.accounts.models import User
from strongroom.signin.models import LoginThrottle

pytestmark = pytest.mark.django_db


def test_an_unknown_e_mail_and_a_wrong_password_get_the_same_answer(owner: User) -> None:
    login = reverse("login")
    wrong = Client().post(login, {"username": "owner@firm-a.example", "password": "wrong guess 1234"})
    unknown = Client().post(login, {"username": "ghost@firm-a.example", "password": "wrong guess 1234"})

    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


def test_an_unknown_e_mail_costs_a_password_hash_like_a_known_one(owner: User, settings: Any) -> None:
    # The production hasher, so the hash dominates the time: without the dummy hash for unknown
    # accounts, their answer would come several times faster.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    owner.set_password("the right password 42")
    owner.save(update_fields=["password"])

    def median(email: str) -> float:
        times = []
        for _ in range(3):
            LoginThrottle.objects.all().delete()
            started = time.perf_counter()
            assert authenticate(None, username=email, password="a wrong guess 1234") is None
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    authenticate(None, username="owner@firm-a.example", password="warming up keys")
    known, unknown = median("owner@firm-a.example"), median("ghost@firm-a.example")

    assert 0.5 < unknown / known < 2, (known, unknown)
