"""Test helpers: staff with factors set up, sign-in through the web client, and a software
authenticator that answers WebAuthn ceremonies as a browser with a passkey would."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client as WebClient

from conftest import PASSWORD
from strongroom.accounts.models import User
from strongroom.twofactor import actions, totp


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def with_totp(user: User) -> bytes:
    """Give `user` a confirmed authenticator; returns its secret (the step just used is spent)."""
    device = actions.do_start_totp(user)
    secret = totp.secret_of(device)
    actions.do_confirm_totp(user, totp.code_at(secret, time.time()))
    return secret


def next_code(secret: bytes) -> str:
    """The code of the next time step: still accepted, and not spent by the enrolment."""
    return totp.code_at(secret, time.time() + totp.STEP_SECONDS)


def wrong_code(secret: bytes) -> str:
    """Six digits that are not the code of the previous, current or next time step."""
    now = time.time()
    window = {totp.code_at(secret, now + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222", "333333", "444444", "555555", "666666")
                if code not in window)


def password_step(user: User, web: WebClient | None = None) -> WebClient:
    """A web client that got through the password step (and only that) as `user`."""
    web = web or WebClient()
    response = web.post("/login/", {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()
    return web


def signed_in_as(web: WebClient) -> Any:
    return web.session.get("_auth_user_id")


@dataclass
class SoftAuthenticator:
    """An authenticator with one P-256 key, "none" attestation; `origin`/`rp_id` are what it claims."""

    origin: str = "http://127.0.0.1:8000"
    rp_id: str = "127.0.0.1"
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    sign_count: int = 0

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin}).encode()

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})  # EC2 key, ES256, curve P-256

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.sign_count) + attested

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        """The answer to navigator.credentials.create(options)."""
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
        attested += self._cose_key()
        auth_data = self._auth_data(0x01 | 0x04 | 0x40, attested)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
            "response": {
                "clientDataJSON": b64url(self._client_data("webauthn.create", options["challenge"])),
                "attestationObject": b64url(attestation),
            },
            "clientExtensionResults": {},
        }

    def get(self, options: dict[str, Any], user_handle: bytes = b"") -> dict[str, Any]:
        """The answer to navigator.credentials.get(options)."""
        self.sign_count += 1
        auth_data = self._auth_data(0x01 | 0x04)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(self.credential_id), "rawId": b64url(self.credential_id), "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data), "authenticatorData": b64url(auth_data),
                "signature": b64url(signature), "userHandle": b64url(user_handle),
            },
            "clientExtensionResults": {},
        }
