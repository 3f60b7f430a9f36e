"""Recovery codes: ten random single-use codes, shown once, kept as keyed hashes only."""

from __future__ import annotations

import secrets

from strongroom.accounts.models import User
from strongroom.crypto import keys, primitives

COUNT = 10
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GROUP = 5


def new_codes() -> list[str]:
    """`COUNT` codes like `k7m2p-xq9rd` (about 49 bits each, without look-alike characters)."""
    return [
        "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP)) for _ in range(2))
        for _ in range(COUNT)
    ]


def normalise(code: str) -> str:
    plain = "".join(ch for ch in code.lower() if ch.isalnum())
    return f"{plain[:GROUP]}-{plain[GROUP:]}"


def code_hash(user: User, code: str) -> str:
    """HMAC-SHA256 under a key derived from the installation key, bound to the user."""
    key = primitives.derive_key(keys.keyring_key(keys.installation_keyring().id), "twofactor-recovery")
    return primitives.hmac_sha256(key, f"{user.pk}:{normalise(code)}".encode()).hex()
