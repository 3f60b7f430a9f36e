"""The sealed outbox: where the embedded default "sends" e-mail, and how operators and tests read it.

Format. Each message is one file ``<UTC yyyymmddTHHMMSS.ffffff>-<16 hex>.eml.sealed`` holding the
full RFC 822 message, sealed with `primitives.seal` (AES-256-GCM) under a key derived from the
installation's keyring key for the purpose ``strongroom:outbox``. The associated data is
``b"strongroom:outbox:" + file name``, so a file renamed or copied under another name fails to
open. Nothing readable is outside the sealed bytes: addresses, subject lines and links are all inside.

A message's id is its file name without ``.eml.sealed``. Files are written under a temporary name
(``.tmp-...``) and renamed when complete, so a crash never leaves a half message under a final name.
"""

from __future__ import annotations

import contextlib
import email.policy
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

from django.conf import settings

from strongroom.crypto import keys, primitives
from strongroom.crypto.errors import DecryptionFailed

SUFFIX = ".eml.sealed"
TEMP_PREFIX = ".tmp-"
BACKEND_PATH = "strongroom.mail.backends.SealedOutboxBackend"
_STAMP = "%Y%m%dT%H%M%S.%f"
_ID = re.compile(r"\d{8}T\d{6}\.\d{6}-[0-9a-f]{16}")
# http(s) URLs up to whitespace or a character that cannot end a link in plain text.
_URL = re.compile(r"https?://[^\s<>\"'`]+")
_TRAILING = ".,;:!?)]}"


@dataclass(frozen=True)
class OutboxMessage:
    """One message as `list_messages` shows it. `problem` is set (and to/subject empty) when the
    file cannot be opened, so one damaged file never hides the others."""

    id: str
    sent_at: datetime
    to: list[str] = field(default_factory=list)
    subject: str = ""
    problem: str = ""


def outbox_key() -> bytes:
    """The outbox key: derived from the installation keyring key, used for nothing else."""
    installation = keys.installation_keyring()
    return primitives.derive_key(keys.keyring_key(installation.id), "strongroom:outbox")


def _aad(file_name: str) -> bytes:
    return b"strongroom:outbox:" + file_name.encode()


def outbox_folder() -> Path:
    """The folder of the default mailer when it is the sealed outbox, else `settings.OUTBOX_DIR`."""
    default = getattr(settings, "MAILERS", {}).get("default", {})
    if default.get("BACKEND") == BACKEND_PATH and default.get("OPTIONS", {}).get("folder"):
        return Path(default["OPTIONS"]["folder"])
    return Path(settings.OUTBOX_DIR)


def outbox_in_use() -> bool:
    """Whether the default mailer writes to the outbox (False when SMTP is configured)."""
    default = getattr(settings, "MAILERS", {}).get("default", {})
    return bool(default.get("BACKEND") == BACKEND_PATH)


def ensure_folder(folder: Path) -> None:
    """Create the outbox folder, readable by this user only, if it is missing."""
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode is filtered by the umask


def write_sealed(folder: Path, data: bytes, key: bytes) -> str:
    """Seal `data` into a new file in `folder`; return the message id.

    Atomic: the sealed bytes go to a temporary file (mode 0600) that is flushed to disk and then
    renamed. On any failure the temporary file is removed, so no file is left behind.
    """
    message_id = f"{datetime.now(UTC).strftime(_STAMP)}-{secrets.token_hex(8)}"
    final_name = message_id + SUFFIX
    sealed = primitives.seal(key, data, _aad(final_name))
    temp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(sealed)
            out.flush()
            os.fsync(out.fileno())
        temp.replace(folder / final_name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    _sync_folder(folder)
    return message_id


def _sync_folder(folder: Path) -> None:
    """Make the rename durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _sent_at(message_id: str) -> datetime:
    return datetime.strptime(message_id.split("-", 1)[0], _STAMP).replace(tzinfo=UTC)


def _ids(folder: Path) -> list[str]:
    """Message ids in `folder`, newest first (the timestamp prefix sorts by time)."""
    if not folder.is_dir():
        return []
    found = (p.name[: -len(SUFFIX)] for p in folder.iterdir() if p.name.endswith(SUFFIX))
    return sorted((i for i in found if _ID.fullmatch(i)), reverse=True)


def list_messages(limit: int | None = None, *, folder: Path | None = None) -> list[OutboxMessage]:
    """Messages in the outbox, newest first; at most `limit` of them (only those are opened)."""
    where = folder or outbox_folder()
    ids = _ids(where)
    if limit is not None:
        ids = ids[: max(limit, 0)]
    if not ids:
        return []
    key = outbox_key()
    listed = []
    for message_id in ids:
        try:
            msg = _open(where, message_id, key)
        except DecryptionFailed as exc:
            listed.append(OutboxMessage(message_id, _sent_at(message_id), problem=str(exc)))
            continue
        to = [addr for _name, addr in getaddresses(msg.get_all("To", []))]
        listed.append(OutboxMessage(message_id, _sent_at(message_id), to, str(msg.get("Subject", ""))))
    return listed


def read_message(message_id: str, *, folder: Path | None = None) -> EmailMessage:
    """The message `message_id`, parsed with the `email` package (policy=default).

    Raises LookupError for an id that names no message, DecryptionFailed for a damaged file.
    """
    where = folder or outbox_folder()
    if not _ID.fullmatch(message_id) or not (where / (message_id + SUFFIX)).is_file():
        raise LookupError(f"no message {message_id} in the outbox")
    return _open(where, message_id, outbox_key())


def _open(folder: Path, message_id: str, key: bytes) -> EmailMessage:
    name = message_id + SUFFIX
    data = primitives.unseal(key, (folder / name).read_bytes(), _aad(name))
    parsed = BytesParser(EmailMessage, policy=email.policy.default).parsebytes(data)
    return parsed


def body_text(msg: EmailMessage) -> str:
    """The text/plain body of `msg` ("" when it has none)."""
    part = msg.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    content = part.get_content()
    return content if isinstance(content, str) else ""


def find_links(msg: EmailMessage) -> list[str]:
    """The http(s) URLs in the text body, in order of appearance, each once."""
    links: list[str] = []
    for match in _URL.finditer(body_text(msg)):
        url = match.group(0).rstrip(_TRAILING)
        if url not in links:
            links.append(url)
    return links


def delete_messages_to(address: str, *, folder: Path | None = None) -> int:
    """Remove every message addressed to `address` (an erased person's mail); the count removed.

    Addresses compare case-insensitively. A file that cannot be opened is left alone.
    """
    where = folder or outbox_folder()
    wanted = address.strip().casefold()
    removed = 0
    for message in list_messages(folder=where):
        if any(to.strip().casefold() == wanted for to in message.to):
            with contextlib.suppress(FileNotFoundError):
                (where / (message.id + SUFFIX)).unlink()
            removed += 1
    if removed:
        _sync_folder(where)
    return removed
