"""The second factors a staff user signs in with: an authenticator app (TOTP), passkeys or security
keys (WebAuthn), and single-use recovery codes for when both are out of reach."""

from __future__ import annotations

import uuid

from django.db import models

from strongroom.accounts.models import ACCOUNT_LIFETIME, STAFF_ACCOUNTS, User
from strongroom.crypto.fields import EncryptedTextField
from strongroom.privacy.datamap import DataMap, LegalBasis


class TotpDevice(models.Model):
    """One authenticator app per user; it counts only once confirmed with a first code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    # The shared secret, sealed under the user's subject key (see `totp.seal_secret`): a credential,
    # opened only to check a code and never exported.
    secret_sealed = models.BinaryField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last time step accepted: a code of that step or an earlier one is a replay.
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "user": "reference to a staff user",
            "secret_sealed": "authenticator secret, a credential sealed under the user's subject key",
            "confirmed_at": "time the authenticator was confirmed",
            "last_step": "counter of 30-second steps, against replayed codes",
            "created_at": "time",
        }
    )

    def __str__(self) -> str:
        return f"authenticator {self.id}"


class RecoveryCode(models.Model):
    """A single-use code; only its keyed hash is kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    data_map = DataMap(
        not_personal={
            "id": "random identifier",
            "user": "reference to a staff user",
            "code_hash": "HMAC-SHA256 of a random code under an installation key, not reversible",
            "used_at": "time the code was spent",
            "created_at": "time",
        }
    )

    def __str__(self) -> str:
        return f"recovery code {self.id}"


class Passkey(models.Model):
    """A WebAuthn credential (passkey or security key); the private key never leaves the device."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.CharField(max_length=1400, unique=True)
    public_key = models.BinaryField()
    sign_count = models.PositiveBigIntegerField(default=0)
    nickname = EncryptedTextField(category="user.authorization.credentials")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    data_map = DataMap(
        subject="user__subject",
        subject_kind="staff",
        purpose=STAFF_ACCOUNTS,
        legal_basis=LegalBasis.CONTRACT,
        retention=ACCOUNT_LIFETIME,
        export_with=("created_at", "last_used_at"),
        not_personal={
            "id": "random identifier",
            "user": "reference to a staff user",
            "credential_id": "random identifier the authenticator chose (base64url)",
            "public_key": "public key (COSE); verifies signatures, reveals nothing",
            "sign_count": "authenticator's signature counter",
            "created_at": "time",
            "last_used_at": "time",
        },
    )

    def __str__(self) -> str:
        return f"passkey {self.id}"
