"""Time-based one-time codes (RFC 6238: SHA-1, six digits, 30-second steps), as authenticator apps
make them. A code is accepted one step either side of now, and each step only once."""

from __future__ import annotations

import base64
import hmac
import io
import os
import time

import segno
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from strongroom.accounts.models import User
from strongroom.crypto import keys, primitives
from strongroom.twofactor.models import TotpDevice

DIGITS = 6
STEP_SECONDS = 30
SECRET_BYTES = 20
ISSUER = "Strongroom"


def _totp(secret: bytes) -> TOTP:
    return TOTP(secret, DIGITS, SHA1(), STEP_SECONDS, enforce_key_length=False)  # noqa: S303


def _aad(device: TotpDevice, user: User) -> bytes:
    return f"strongroom:totp:{device.pk}:{user.subject_id}".encode()


def new_device(user: User) -> TotpDevice:
    """An unconfirmed device with a fresh secret sealed under the user's subject key (not saved)."""
    device = TotpDevice(user=user)
    device.secret_sealed = primitives.seal(keys.subject_key(user.subject), os.urandom(SECRET_BYTES),
                                           _aad(device, user))
    return device


def secret_of(device: TotpDevice) -> bytes:
    user = device.user
    return primitives.unseal(keys.subject_key(user.subject), bytes(device.secret_sealed), _aad(device, user))


def secret_text(device: TotpDevice) -> str:
    """The secret in base32, grouped by four, for typing into an app by hand."""
    plain = base64.b32encode(secret_of(device)).decode().rstrip("=")
    return " ".join(plain[i : i + 4] for i in range(0, len(plain), 4))


def provisioning_uri(device: TotpDevice) -> str:
    return _totp(secret_of(device)).get_provisioning_uri(device.user.email, ISSUER)


def qr_svg(device: TotpDevice) -> bytes:
    """The provisioning URI as an SVG QR code, served from its own URL (no inline data)."""
    out = io.BytesIO()
    segno.make(provisioning_uri(device), error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False)
    return out.getvalue()


def code_at(secret: bytes, at: float) -> str:
    return _totp(secret).generate(int(at)).decode()


def matching_step(device: TotpDevice, code: str, now: float | None = None) -> int | None:
    """The time step `code` belongs to (now, or one step either side), or None."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = time.time() if now is None else now
    current = int(now) // STEP_SECONDS
    secret = secret_of(device)
    found = None
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(code_at(secret, step * STEP_SECONDS), code):
            found = step
    return found
