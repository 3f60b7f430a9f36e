"""Storing and reading sealed files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from django.db import transaction

from strongroom.audit.actions import record
from strongroom.crypto import keys, primitives
from strongroom.crypto.models import SubjectKey
from strongroom.crypto.streams import open_stream
from strongroom.vault.models import Blob
from strongroom.vault.storage import get_storage
from strongroom.vault.writer import BlobWriter, file_key_aad, stream_aad

READ_SIZE = 1024 * 1024


def do_store_blob(
    subject: SubjectKey, source: BinaryIO, *, name: str, content_type: str, actor: Any,
    workspace: Any = None,
) -> Blob:
    """Seal `source` under a fresh file key and keep it; the row and its audit event commit together.

    On any failure nothing remains: no row, no object in the store.
    """
    writer = BlobWriter(subject, workspace=workspace)
    try:
        while chunk := source.read(READ_SIZE):
            writer.write(chunk)
        blob = writer.seal(name=name, content_type=content_type)
        with transaction.atomic():
            writer.commit()
            record(actor, "blob.stored", blob, subject=subject, workspace=workspace, size=blob.size)
    except BaseException:
        writer.abort()  # the transaction rolled back: the object goes too
        raise
    return blob


def delete_blob(blob: Blob) -> None:
    """Remove the row now and the stored object once the caller's transaction commits.

    MUST run inside the transaction that records why the file went (its audit event): if that
    rolls back, the row comes back and the object was never touched.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("delete_blob must run inside the transaction that records it")
    storage_name = blob.storage_name
    blob.delete()
    transaction.on_commit(lambda: get_storage().delete(storage_name), robust=True)


def _file_key(blob: Blob) -> bytes:
    subject_key = keys.subject_key(blob.subject)
    return primitives.unseal(subject_key, bytes(blob.wrapped_file_key), file_key_aad(blob))


def read_blob(blob: Blob) -> Iterator[bytes]:
    """The plaintext, chunk by chunk, each authenticated before it is yielded."""
    file_key = _file_key(blob)
    with get_storage().open_read(blob.storage_name) as source:
        yield from open_stream(file_key, source, stream_aad(blob))
