"""AES-256-GCM for small values (fields and wrapped keys).

Format: one version byte, a 12-byte random nonce, then ciphertext with its 16-byte tag. The
associated data binds the ciphertext to where it belongs, so moving it anywhere else fails.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strongroom.crypto.errors import DecryptionFailed

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_V1 = b"\x01"


def random_key() -> bytes:
    return os.urandom(KEY_BYTES)


def seal(key: bytes, plaintext: bytes, aad: bytes, *, nonce: bytes | None = None) -> bytes:
    """Encrypt `plaintext` under `key`, bound to `aad`. `nonce` is for known-answer tests only."""
    nonce = nonce if nonce is not None else os.urandom(NONCE_BYTES)
    return FORMAT_V1 + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def unseal(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Decrypt what `seal` produced; raise DecryptionFailed unless key, bytes and aad all match."""
    if len(sealed) < 1 + NONCE_BYTES + 16 or sealed[:1] != FORMAT_V1:
        raise DecryptionFailed("not a Strongroom ciphertext (unknown format or too short)")
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise DecryptionFailed(
            "ciphertext failed authentication: it was altered, moved from another record, "
            "or the key is wrong"
        ) from None


def derive_key(key: bytes, purpose: str) -> bytes:
    """A key for one purpose, derived from `key` with HKDF-SHA256, independent of every other purpose."""
    return HKDF(algorithm=SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode()).derive(key)


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()
