"""The subject secret store: one random 256-bit secret per data subject, kept outside the database.

A subject key is wrapped under a key derived from its keyring key *and* its secret (see keys.py).
Deleting the secret therefore makes every copy of the wrapped subject key useless, including the
copies in database backups taken before the erasure, while the keyring key stays available to
open everybody else's.

The store is a folder of the key folder (STRONGROOM_KEY_DIR), with either key provider:

    <key folder>/subjects/                       mode 0700
        3f/                                      first two hex digits of the subject id, mode 0700
            3f2a41c0-....-....-....-....secret   64 hex digits and a newline, mode 0600

The store MUST (and this class does):
- make a secret appear under its final name only complete and on disk: it is written to a
  temporary file (O_EXCL, 0600), fsynced, then hard-linked to its final name, which never replaces
  an existing file, and the folder is fsynced. A secret, once there, is never rewritten, so any key
  ever wrapped with it stays valid until the secret is deleted;
- delete a secret only through `delete`, and make the deletion durable (fsync of the folder);
- refuse a secret file that users other than its owner could read.

It knows nothing of the database: which secrets belong to live subjects is keys.py's business.
"""

from __future__ import annotations

import functools
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from django.conf import settings

from strongroom.crypto import primitives
from strongroom.crypto.errors import KeyProviderError, SubjectSecretMissing

FOLDER = "subjects"
SUFFIX = ".secret"
TEMPORARY = ".tmp-"
_TEXT_BYTES = 2 * primitives.KEY_BYTES + 1  # hex digits and a newline


@dataclass(frozen=True)
class StoredSecret:
    """A file found in the store: a subject's secret, or a temporary file a crash left behind."""

    subject_id: UUID | None  # None for a temporary file
    path: Path
    modified: float  # st_mtime


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SubjectSecretStore:
    """Subject secrets as files under `<key folder>/subjects/`."""

    def __init__(self, key_dir: Path) -> None:
        self.key_dir = Path(key_dir)
        self.root = self.key_dir / FOLDER
        self._root_text = os.fspath(self.root) + os.sep

    def describe(self) -> str:
        return f"subject secrets in {self.root}"

    def path(self, subject_id: UUID) -> Path:
        return Path(self._path_text(subject_id))

    def _path_text(self, subject_id: UUID | str) -> str:
        # Strings, not Path objects: `read` runs for every subject a page shows.
        name = str(subject_id)
        return f"{self._root_text}{name[:2]}{os.sep}{name}{SUFFIX}"

    def read(self, subject_id: UUID | str) -> bytes | None:
        """The subject's secret, or None if the store has none for it (never made, or deleted)."""
        path = self._path_text(subject_id)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise KeyProviderError(
                f"the subject secret {path} cannot be read ({exc.strerror}); the key folder "
                f"{self.key_dir} must belong to the user Strongroom runs as"
            ) from None
        try:
            mode = os.fstat(fd).st_mode & 0o777
            raw = os.read(fd, _TEXT_BYTES + 1)
        finally:
            os.close(fd)
        if mode & 0o077:
            raise KeyProviderError(
                f"the subject secret {path} has mode {mode:04o}; other users could read it. "
                f"Run: chmod -R go-rwx {self.root}"
            )
        try:
            secret = bytes.fromhex(raw.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            secret = b""
        if len(secret) != primitives.KEY_BYTES:
            raise SubjectSecretMissing(
                f"the subject secret {path} is damaged: it does not hold a 256-bit secret. Restore "
                f"the {FOLDER}/ folder of the key folder from your key backup"
            )
        return secret

    def create(self, subject_id: UUID) -> bytes:
        """Make a new secret for `subject_id`, durably on disk before returning it.

        FileExistsError if the subject already has one: a secret is never replaced.
        """
        try:
            return self._write(self.path(subject_id))
        except FileExistsError:
            raise
        except OSError as exc:
            raise KeyProviderError(
                f"could not write a subject secret in {self.root} ({exc.strerror or exc}); the key "
                f"folder {self.key_dir} (STRONGROOM_KEY_DIR) must be writable by the user Strongroom "
                "runs as, on a filesystem with hard links"
            ) from exc

    def _write(self, final: Path) -> bytes:
        self._make_folders(final.parent)
        secret = primitives.random_key()
        temporary = final.parent / f"{TEMPORARY}{final.name}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secret.hex() + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            # A hard link never replaces an existing file, and the final name only ever names a
            # complete secret: a crash leaves at worst a temporary file, which `sweep` removes.
            final.hardlink_to(temporary)
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_folder(final.parent)
        return secret

    def delete(self, subject_id: UUID) -> bool:
        """Delete the subject's secret for good (durably); False if there was none."""
        return self._unlink(self.path(subject_id))

    def remove(self, found: StoredSecret) -> bool:
        """Delete a file `scan` found (a secret or a temporary file); False if it was already gone."""
        return self._unlink(found.path)

    def _unlink(self, path: Path) -> bool:
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        _fsync_folder(path.parent)
        return True

    def scan(self) -> Iterator[StoredSecret]:
        """Every secret and temporary file in the store; files it did not make are not listed."""
        try:
            shards = sorted(os.scandir(self.root), key=lambda entry: entry.name)
        except FileNotFoundError:
            return
        for shard in shards:
            if not shard.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(shard.path):
                found = self._recognise(entry)
                if found is not None:
                    yield found

    @staticmethod
    def _recognise(entry: os.DirEntry[str]) -> StoredSecret | None:
        if not entry.is_file(follow_symlinks=False):
            return None
        subject_id: UUID | None = None
        if not entry.name.startswith(TEMPORARY):
            if not entry.name.endswith(SUFFIX):
                return None
            try:
                subject_id = UUID(entry.name[: -len(SUFFIX)])
            except ValueError:
                return None
        try:
            modified = entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            return None  # deleted meanwhile
        return StoredSecret(subject_id=subject_id, path=Path(entry.path), modified=modified)

    def check_permissions(self) -> None:
        """Refuse a store other users of this machine could reach (its folders are 0700)."""
        for folder in (self.root, *sorted(p for p in self.root.glob("??") if p.is_dir())):
            self._check_folder(folder)

    def _check_folder(self, folder: Path) -> None:
        try:
            mode = stat.S_IMODE(folder.stat().st_mode)
        except FileNotFoundError:
            return
        if mode & 0o077:
            raise KeyProviderError(
                f"the subject secret folder {folder} has mode {mode:04o}; other users could "
                f"reach subject secrets. Run: chmod -R go-rwx {self.root}"
            )

    def _make_folders(self, shard: Path) -> None:
        """The key folder, the store and the shard, each 0700; a new folder is made durable."""
        if not self.key_dir.is_dir():
            # With the PKCS#11 provider the key folder may hold nothing else yet.
            self.key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for folder in (self.root, shard):
            try:
                folder.mkdir(mode=0o700)
            except FileExistsError:
                continue
            folder.chmod(0o700)  # whatever the umask
            _fsync_folder(folder.parent)
        self._check_folder(self.root)


def secret_store() -> SubjectSecretStore:
    """The store of this installation, in the configured key folder (looked up on each call, so a
    changed setting is followed; the store object itself holds no secret and is kept per folder)."""
    return _store_in(settings.KEY_DIR)


@functools.lru_cache(maxsize=8)
def _store_in(key_dir: Path) -> SubjectSecretStore:
    return SubjectSecretStore(key_dir)
