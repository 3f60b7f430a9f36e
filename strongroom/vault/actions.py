"""Storing and reading sealed files."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any, BinaryIO

from django.db import transaction

from strongroom.audit.actions import record
from strongroom.crypto import keys, primitives
from strongroom.crypto.models import SubjectKey
from strongroom.crypto.streams import StreamSealer, open_stream
from strongroom.vault.models import Blob
from strongroom.vault.storage import get_storage

READ_SIZE = 1024 * 1024


def _file_key_aad(blob: Blob) -> bytes:
    return f"strongroom:file-key:{blob.id}:{blob.subject_id}".encode()


def _stream_aad(blob: Blob) -> bytes:
    return f"strongroom:blob:{blob.id}:{blob.subject_id}".encode()


def _seal_into_store(blob: Blob, file_key: bytes, source: BinaryIO) -> tuple[int, int, str]:
    """Seal `source` into the store's incoming area; (plaintext size, sealed size, sha256)."""
    storage = get_storage()
    digest, size = hashlib.sha256(), 0
    with storage.open_write(blob.storage_name) as sink:
        sealer = StreamSealer(file_key, sink, _stream_aad(blob))
        while chunk := source.read(READ_SIZE):
            digest.update(chunk)
            size += len(chunk)
            sealer.write(chunk)
        sealer.close()
        sealed_size = sink.tell()
    return size, sealed_size, digest.hexdigest()


def do_store_blob(
    subject: SubjectKey, source: BinaryIO, *, name: str, content_type: str, actor: Any,
    workspace: Any = None,
) -> Blob:
    """Seal `source` under a fresh file key and keep it; the row and its audit event commit together.

    On any failure nothing remains: no row, no object in the store.
    """
    storage = get_storage()
    blob = Blob(subject=subject, workspace=workspace, storage_name=storage.new_name())
    file_key = primitives.random_key()
    blob.wrapped_file_key = primitives.seal(keys.subject_key(subject), file_key, _file_key_aad(blob))
    try:
        blob.size, blob.sealed_size, sha256 = _seal_into_store(blob, file_key, source)
        blob.meta = {"name": name, "content_type": content_type, "sha256": sha256}
        with transaction.atomic():
            storage.commit(blob.storage_name)
            blob.save(force_insert=True)
            record(actor, "blob.stored", blob, subject=subject, workspace=workspace, size=blob.size)
    except BaseException:
        storage.discard(blob.storage_name)
        raise
    return blob


def _file_key(blob: Blob) -> bytes:
    subject_key = keys.subject_key(blob.subject)
    return primitives.unseal(subject_key, bytes(blob.wrapped_file_key), _file_key_aad(blob))


def read_blob(blob: Blob) -> Iterator[bytes]:
    """The plaintext, chunk by chunk, each authenticated before it is yielded."""
    file_key = _file_key(blob)
    with get_storage().open_read(blob.storage_name) as source:
        yield from open_stream(file_key, source, _stream_aad(blob))
