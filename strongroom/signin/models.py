"""Failed sign-in counters and the staff's open sessions."""

from __future__ import annotations

import uuid

from django.db import models

from strongroom.accounts.models import ACCOUNT_LIFETIME, STAFF_ACCOUNTS
from strongroom.crypto.fields import EncryptedTextField
from strongroom.privacy.datamap import DataMap, LegalBasis


class ThrottleScope(models.TextChoices):
    ACCOUNT = "account", "account"
    IP = "ip", "network address"


class LoginThrottle(models.Model):
    """Recent failed sign-ins of one account or one network address, and how long they are refused.

    `key` is a keyed hash: the e-mail's blind index for an account, an HMAC of the address for an IP.
    """

    id = models.BigAutoField(primary_key=True)
    scope = models.CharField(max_length=16, choices=ThrottleScope.choices)
    key = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    data_map = DataMap(
        not_personal={
            "id": "sequence number",
            "scope": "what the counter is about: an account or a network address",
            "key": "keyed hash of an e-mail or an address; not reversible without the installation key",
            "failures": "count",
            "last_failure_at": "time",
            "locked_until": "time",
        }
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="one_throttle_per_key")]

    def __str__(self) -> str:
        return f"login throttle {self.pk}"


class StaffSession(models.Model):
    """A signed-in browser of a staff user: listed on "Your sessions", revocable, timed out."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="staff_sessions")
    key_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    device = EncryptedTextField(category="user.behavior.activity", blank=True, default="")
    ip = EncryptedTextField(category="user.device.ip_address", blank=True, default="")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True)

    data_map = DataMap(
        subject="user__subject",
        subject_kind="staff",
        purpose=STAFF_ACCOUNTS,
        legal_basis=LegalBasis.CONTRACT,
        retention=ACCOUNT_LIFETIME,
        not_personal={
            "id": "random identifier",
            "user": "reference to a staff user",
            "key_hash": "SHA-256 of the session key",
            "created_at": "sign-in time",
            "last_seen_at": "time of the last request",
            "ended_at": "time the session ended",
            "end_reason": "code: signed out, timed out, revoked, password changed",
        },
    )

    def __str__(self) -> str:
        return f"staff session {self.id}"
