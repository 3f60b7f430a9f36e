"""Sealing a file that arrives in pieces (an upload), in constant memory.

A `BlobWriter` seals every piece as it arrives into the blob store's incoming area; plaintext is
never written anywhere. Only `finish()` makes the file visible: it moves the sealed object to its
final name, saves its `Blob` row and records "blob.stored", all in one transaction, or leaves
nothing at all.

Life of a writer::

    writer = BlobWriter(subject, workspace=ws, max_size=limit)
    writer.write(piece)            # any number of times; FileTooLarge past `max_size`
    blob = writer.finish(name=..., content_type=..., actor=...)
    # or, on any path that does not keep the file:
    writer.abort()                 # idempotent; safe in `finally`

Crash safety: a process killed mid-upload leaves one file under the store's `incoming/` folder,
holding sealed bytes whose file key only ever existed in that process's memory, so nobody can open
it. `sweep_incoming()` deletes such leftovers; run it periodically (e.g. daily, with an age well
above the longest upload you allow, so live uploads are never swept).
"""

from __future__ import annotations

import enum
import logging
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO, Final

from django.db import DatabaseError, transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from strongroom.audit.actions import record
from strongroom.crypto import keys, primitives
from strongroom.crypto.models import SubjectKey
from strongroom.crypto.streams import StreamSealer
from strongroom.vault.models import Blob
from strongroom.vault.storage import LocalBlobStorage, get_storage

log = logging.getLogger(__name__)

HEAD_SIZE: Final = 8 * 1024  # plaintext kept in memory for content sniffing (vault.filekinds)
_RESERVED_EXTRA: Final = frozenset({"size", "subject", "workspace", "ip"})  # set by finish or record


def file_key_aad(blob: Blob) -> bytes:
    return f"strongroom:file-key:{blob.id}:{blob.subject_id}".encode()


def stream_aad(blob: Blob) -> bytes:
    return f"strongroom:blob:{blob.id}:{blob.subject_id}".encode()


def human_size(size: int) -> str:
    """"20 MB", "1.5 GB": binary units, with Django's own (translated) unit labels."""
    for label, factor in ((_("%s GB"), 1 << 30), (_("%s MB"), 1 << 20), (_("%s KB"), 1 << 10)):
        if size >= factor:
            value = size / factor
            places = 0 if value == int(value) else 1
            return label % number_format(round(value, places), places)
    return _("%(size)d bytes") % {"size": size}


class FileTooLarge(ValueError):
    """A file went past the size allowed for it; its message is fit to show to the person."""

    def __init__(self, limit: int, size: int | None = None) -> None:
        self.limit = limit
        self.size = size
        self.message = _("The file is larger than the %(limit)s allowed for this item.") % {
            "limit": human_size(limit)
        }
        super().__init__(self.message)


class _State(enum.Enum):
    OPEN = "open"  # accepting pieces; sealed bytes in incoming/
    SEALED = "sealed"  # final chunk written; still in incoming/
    COMMITTED = "committed"  # moved to its final name and its row saved (maybe not yet committed)
    ABORTED = "aborted"  # nothing left in the store


class BlobWriter:
    """Seals one file arriving in pieces; see the module docstring for its life.

    Guarantees: memory stays constant (two stream chunks and `HEAD_SIZE` bytes of head) whatever
    the file's size; no plaintext byte reaches the store or the disk; past `max_size` the write
    raises `FileTooLarge` and everything written so far is discarded at once; the stored object
    becomes visible only in `finish()`, in the same transaction as its row and audit event.

    Not thread-safe: one writer belongs to one request.
    """

    def __init__(self, subject: SubjectKey, *, workspace: Any = None, max_size: int | None = None) -> None:
        self.max_size = max_size
        self._storage = get_storage()
        self.blob = Blob(subject=subject, workspace=workspace, storage_name=self._storage.new_name())
        file_key = primitives.random_key()
        self.blob.wrapped_file_key = primitives.seal(keys.subject_key(subject), file_key,
                                                     file_key_aad(self.blob))
        self._size = 0
        self._head = bytearray()
        self._durable = False
        self._sink: BinaryIO | None = self._storage.open_write(self.blob.storage_name)
        try:
            self._sealer: StreamSealer | None = StreamSealer(file_key, self._sink, stream_aad(self.blob))
        except BaseException:
            self._sink.close()
            self._storage.discard(self.blob.storage_name)
            raise
        self._state = _State.OPEN

    @property
    def size(self) -> int:
        """Plaintext bytes written so far."""
        return self._size

    @property
    def head(self) -> bytes:
        """The first `HEAD_SIZE` bytes of plaintext (fewer for a smaller file), for sniffing."""
        return bytes(self._head)

    @property
    def finished(self) -> bool:
        """True once the object is at its final name with its row saved."""
        return self._state is _State.COMMITTED

    def write(self, data: bytes) -> None:
        """Count and seal `data`. Past `max_size`: discard everything, raise FileTooLarge."""
        if self._state is not _State.OPEN or self._sealer is None:
            raise RuntimeError(f"blob writer is {self._state.value}: it takes no more data")
        size = self._size + len(data)
        if self.max_size is not None and size > self.max_size:
            self.abort()
            raise FileTooLarge(self.max_size, size)
        try:
            self._sealer.write(data)
        except BaseException:
            self.abort()
            raise
        self._size = size
        if len(self._head) < HEAD_SIZE:
            self._head += data[: HEAD_SIZE - len(self._head)]

    def seal(self, *, name: str, content_type: str) -> Blob:
        """Write the final chunk and close the object, still in incoming/; return the unsaved Blob.

        Most callers want `finish()`. On failure the writer is aborted.
        """
        if self._state is not _State.OPEN or self._sealer is None or self._sink is None:
            raise RuntimeError(f"blob writer is {self._state.value}: it cannot be sealed")
        try:
            self._sealer.close()
            self._sealer = None
            self.blob.sealed_size = self._sink.tell()
            _close_durably(self._sink)
            self._sink = None
        except BaseException:
            self.abort()
            raise
        self.blob.size = self._size
        # No plaintext digest: hashing every byte again cost a third of the upload path, and the
        # sealed stream already authenticates every chunk and the file's end.
        self.blob.meta = {"name": name, "content_type": content_type}
        self._state = _State.SEALED
        return self.blob

    def commit(self) -> Blob:
        """Move the sealed object to its final name and save its row.

        MUST run inside `transaction.atomic()`, together with the audit event that records it;
        if that transaction rolls back, call `abort()` afterwards to remove the object.
        """
        if self._state is not _State.SEALED:
            raise RuntimeError(f"blob writer is {self._state.value}: seal it before committing")
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("BlobWriter.commit must run inside the transaction that records it")
        self._storage.commit(self.blob.storage_name)
        self._state = _State.COMMITTED
        self.blob.save(force_insert=True)
        transaction.on_commit(self._mark_durable, robust=True)
        return self.blob

    def finish(
        self, *, name: str, content_type: str, actor: Any, audit_extra: dict[str, Any] | None = None
    ) -> Blob:
        """Seal the last chunk; then in one transaction commit the object, save the Blob (its
        meta: name, content_type) and record "blob.stored". On any failure nothing remains.

        Called inside a caller's transaction, the row and event commit with it; if that outer
        transaction rolls back, the caller MUST call `abort()` afterwards (it removes the object).
        """
        extra = dict(audit_extra or {})
        if reserved := _RESERVED_EXTRA.intersection(extra):
            raise ValueError(f"audit_extra cannot set {', '.join(sorted(reserved))}")
        self.seal(name=name, content_type=content_type)
        try:
            with transaction.atomic():
                self.commit()
                record(actor, "blob.stored", self.blob, subject=self.blob.subject,
                       workspace=self.blob.workspace, size=self.blob.size, **extra)
        except BaseException:
            self._discard()
            raise
        return self.blob

    def abort(self) -> None:
        """Discard the file unless it was kept; idempotent, and safe to call on every path.

        An unfinished writer loses everything. A finished one is left alone while its row exists
        (committed, or pending in the current transaction); if the transaction that saved the row
        rolled back, its object is removed.
        """
        if self._state is _State.ABORTED or (self._state is _State.COMMITTED and self._durable):
            return
        if self._state is _State.COMMITTED:
            try:
                if Blob.objects.filter(pk=self.blob.pk).exists():
                    return
            except DatabaseError:
                # Cannot tell whether the row was kept: leave the object rather than risk losing it.
                log.warning("blob %s: could not check its row; object left in place",
                            self.blob.storage_name)
                return
        self._discard()

    def _discard(self) -> None:
        """Drop the object wherever it is (incoming or final) and forget the plaintext we hold."""
        self._state = _State.ABORTED
        if self._sealer is not None:
            # Abandon the stream: it zeroes its plaintext buffer and never writes a final chunk.
            self._sealer.__exit__(RuntimeError, None, None)
            self._sealer = None
        self._head[:] = bytes(len(self._head))
        self._head = bytearray()
        try:
            if self._sink is not None:
                self._sink.close()
                self._sink = None
        finally:
            self._storage.discard(self.blob.storage_name)

    def _mark_durable(self) -> None:
        self._durable = True

    def __repr__(self) -> str:
        return f"<BlobWriter {self.blob.storage_name} {self._state.value} {self._size} bytes>"


def _close_durably(sink: BinaryIO) -> None:
    """Flush the sealed bytes to disk before the row that points at them can commit."""
    try:
        sink.flush()
        os.fsync(sink.fileno())
    except (AttributeError, OSError, ValueError):
        pass  # not a plain file (another backend's stream): its own close makes it durable
    finally:
        sink.close()


def sweep_incoming(older_than: timedelta) -> int:
    """Delete incoming objects not modified for `older_than`; return how many were deleted.

    They are what a crashed or killed upload leaves behind: sealed bytes nobody can open (their
    file key died with the process). A live upload touches its object at least once per sealed
    chunk (1 MiB), so an age of hours is safe; a swept live upload fails cleanly at `finish()`.
    Only the local store has an incoming folder to sweep; other backends keep their own.
    """
    storage = get_storage()
    if not isinstance(storage, LocalBlobStorage):
        return 0
    folder = Path(storage.root) / "incoming"
    cutoff = time.time() - older_than.total_seconds()
    deleted = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        try:
            if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                Path(entry.path).unlink()
                deleted += 1
        except FileNotFoundError:
            continue  # finished or swept meanwhile
    if deleted:
        log.info("swept %d stale incoming blob(s)", deleted)
    return deleted
