"""Key providers: where the master key lives, and the only code that uses it.

A provider holds one or more master keys, each with an id; one of them is current. Workspace keys
are wrapped (encrypted) under a master key and only the wrapped form is stored in the database.

A provider implementation MUST:
- never write a master key into the database, the data folder or a log;
- never overwrite or delete an existing master key except through `destroy_master_key`;
- raise `MasterKeyError` when a key id is unknown or a wrapped key does not open with it,
  and `KeyProviderError` when the provider itself cannot be used (permissions, PIN, module);
- bind every wrapped key to the associated data it was given.
"""

from __future__ import annotations

import functools
import os
import secrets
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from django.conf import settings

from strongroom.crypto import primitives
from strongroom.crypto.errors import DecryptionFailed, KeyProviderError, MasterKeyError


class KeyProvider(Protocol):
    """What the key hierarchy needs from wherever the master key is kept."""

    name: str

    def describe(self) -> str:
        """A line for `keys status`: where the keys are, without any secret."""

    def key_ids(self) -> list[str]:
        """Every master key id this provider holds, oldest first."""

    def current_key_id(self) -> str | None:
        """The id new workspace keys are wrapped under, or None before the first key exists."""

    def create_master_key(self) -> str:
        """Create a new master key, make it current, and return its id."""

    def destroy_master_key(self, key_id: str) -> None:
        """Destroy a master key that is no longer current."""

    def wrap(self, key_id: str, key: bytes, aad: bytes) -> bytes:
        """Encrypt `key` under master key `key_id`, bound to `aad`."""

    def unwrap(self, key_id: str, wrapped: bytes, aad: bytes) -> bytes:
        """Reverse `wrap`; MasterKeyError if the key is missing or does not open `wrapped`."""


def new_key_id() -> str:
    """Sortable, readable master key ids: creation time plus randomness."""
    now = datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f".{now.microsecond:06d}Z-" + secrets.token_hex(3)


class FileKeyProvider:
    """Master keys as files in a folder of their own (mode 0700, files 0600), apart from the data."""

    name = "file"
    CURRENT = "CURRENT"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def describe(self) -> str:
        return f"key files in {self.folder}"

    def _path(self, key_id: str) -> Path:
        if not key_id or "/" in key_id or key_id.startswith(".") or len(key_id) > 48:
            raise MasterKeyError(f"{key_id!r} is not a master key id")
        return self.folder / f"master-{key_id}.key"

    def _check_permissions(self) -> None:
        """Refuse keys that other users of this machine could read."""
        if not self.folder.is_dir():
            return
        mode = stat.S_IMODE(self.folder.stat().st_mode)
        if mode & 0o077:
            raise KeyProviderError(
                f"the key folder {self.folder} has mode {mode:04o}; other users could reach the "
                f"master key. Run: chmod 700 {self.folder}"
            )
        for path in self.folder.iterdir():
            file_mode = stat.S_IMODE(path.stat().st_mode)
            if path.is_file() and file_mode & 0o077:
                raise KeyProviderError(
                    f"the key file {path} has mode {file_mode:04o}; other users could read it. "
                    f"Run: chmod 600 {path}"
                )

    def key_ids(self) -> list[str]:
        self._check_permissions()
        if not self.folder.is_dir():
            return []
        ids = [p.name[len("master-") : -len(".key")] for p in self.folder.glob("master-*.key")]
        return sorted(ids)

    def current_key_id(self) -> str | None:
        self._check_permissions()
        pointer = self.folder / self.CURRENT
        if not pointer.exists():
            return None
        key_id = pointer.read_text(encoding="ascii").strip()
        if not self._path(key_id).exists():
            raise MasterKeyError(
                f"the current master key {key_id} is missing from {self.folder} "
                f"(expected {self._path(key_id).name}); restore it from your key backup"
            )
        return key_id

    def _read(self, key_id: str) -> bytes:
        self._check_permissions()
        path = self._path(key_id)
        try:
            text = path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            raise MasterKeyError(
                f"master key {key_id} is missing: {path} does not exist. Restore it from your "
                "key backup, or point STRONGROOM_KEY_DIR at the folder that holds it"
            ) from None
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) != primitives.KEY_BYTES:
            raise MasterKeyError(f"the key file {path} is damaged: it does not hold a 256-bit key")
        return key

    def create_master_key(self) -> str:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        self._check_permissions()
        key_id = new_key_id()
        path = self._path(key_id)
        # O_EXCL: an existing key is never overwritten.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(primitives.random_key().hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self._set_current(key_id)
        return key_id

    def _set_current(self, key_id: str) -> None:
        tmp = self.folder / f".{self.CURRENT}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key_id + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.folder / self.CURRENT)

    def destroy_master_key(self, key_id: str) -> None:
        if key_id == self.current_key_id():
            raise MasterKeyError(f"master key {key_id} is current; rotate to a new one first")
        self._path(key_id).unlink()

    def wrap(self, key_id: str, key: bytes, aad: bytes) -> bytes:
        return primitives.seal(self._read(key_id), key, aad)

    def unwrap(self, key_id: str, wrapped: bytes, aad: bytes) -> bytes:
        master = self._read(key_id)
        try:
            return primitives.unseal(master, wrapped, aad)
        except DecryptionFailed:
            raise MasterKeyError(
                f"the master key {key_id} in {self.folder} does not open this workspace key: "
                "the key file was replaced or damaged, or belongs to another installation"
            ) from None


def build_provider() -> KeyProvider:
    """The provider the settings name."""
    if settings.KEY_PROVIDER == "pkcs11":
        from strongroom.crypto.pkcs11 import Pkcs11KeyProvider

        return Pkcs11KeyProvider(
            module=settings.PKCS11_MODULE,
            token_label=settings.PKCS11_TOKEN_LABEL,
            pin=settings.PKCS11_PIN,
        )
    return FileKeyProvider(settings.KEY_DIR)


@functools.cache
def get_provider() -> KeyProvider:
    return build_provider()
