"""Where sealed bytes live. Only ciphertext ever reaches a storage backend.

A backend MUST: write a new object only under a name it was given, make it visible only when
`commit` is called (a crash mid-write leaves nothing under the final name), never overwrite an
existing object, and return the exact bytes written when read.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import BinaryIO, Protocol

from django.conf import settings


class BlobStorage(Protocol):
    def new_name(self) -> str: ...
    def open_write(self, name: str) -> BinaryIO: ...
    def commit(self, name: str) -> None: ...
    def discard(self, name: str) -> None: ...
    def open_read(self, name: str) -> BinaryIO: ...
    def delete(self, name: str) -> None: ...
    def exists(self, name: str) -> bool: ...


class LocalBlobStorage:
    """Sealed blobs in a folder: `<root>/ab/cd/<name>`, written to `<root>/incoming/` first."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def new_name(self) -> str:
        return secrets.token_hex(20)

    def _final(self, name: str) -> Path:
        if len(name) < 8 or not name.isalnum():
            raise ValueError(f"{name!r} is not a blob name")
        return self.root / name[:2] / name[2:4] / name

    def _incoming(self, name: str) -> Path:
        return self.root / "incoming" / name

    def open_write(self, name: str) -> BinaryIO:
        path = self._incoming(name)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        return os.fdopen(fd, "wb")

    def commit(self, name: str) -> None:
        final = self._final(name)
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if final.exists():
            raise FileExistsError(f"blob {name} already exists")
        self._incoming(name).replace(final)

    def discard(self, name: str) -> None:
        for path in (self._incoming(name), self._final(name)):
            path.unlink(missing_ok=True)

    def open_read(self, name: str) -> BinaryIO:
        return self._final(name).open("rb")

    def delete(self, name: str) -> None:
        self._final(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self._final(name).exists()


def get_storage() -> BlobStorage:
    return LocalBlobStorage(settings.BLOB_DIR)
