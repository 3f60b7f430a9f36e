"""BlobWriter: a file sealed piece by piece, in constant memory, kept only by `finish`, and leaving
nothing behind on any other path."""

from __future__ import annotations

import hashlib
import os
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction

from strongroom.accounts.models import User, Workspace
from strongroom.audit.actors import operator
from strongroom.audit.models import Event
from strongroom.crypto.streams import sealed_size
from strongroom.vault.actions import read_blob
from strongroom.vault.models import Blob
from strongroom.vault.writer import HEAD_SIZE, BlobWriter, FileTooLarge, human_size, sweep_incoming

pytestmark = pytest.mark.django_db
ACTOR = operator("test")
PIECE = 64 * 1024
MiB = 1024 * 1024
CONTENT = b"PAYSLIP-MARKER " * 200_000  # 3 MB


def pieces(content: bytes, size: int = PIECE) -> list[bytes]:
    return [content[i : i + size] for i in range(0, len(content), size)]


def store_files() -> list[Path]:
    return [p for p in Path(settings.BLOB_DIR).rglob("*") if p.is_file()]


def incoming() -> list[Path]:
    return [p for p in store_files() if p.parent.name == "incoming"]


def written(owner: User, workspace: Workspace, content: bytes = CONTENT, **kwargs: Any) -> BlobWriter:
    writer = BlobWriter(owner.subject, workspace=workspace, **kwargs)
    for piece in pieces(content):
        writer.write(piece)
    return writer


def test_a_file_written_in_pieces_reads_back_whole(owner: User, workspace: Workspace) -> None:
    writer = written(owner, workspace)

    blob = writer.finish(name="payslip.pdf", content_type="application/pdf", actor=ACTOR,
                         audit_extra={"item": "42"})

    assert b"".join(read_blob(Blob.objects.get(pk=blob.pk))) == CONTENT
    assert writer.head == CONTENT[:HEAD_SIZE] and writer.finished
    assert blob.meta == {"name": "payslip.pdf", "content_type": "application/pdf"}
    assert (blob.size, blob.sealed_size) == (len(CONTENT), sealed_size(len(CONTENT)))
    assert Event.objects.get(action="blob.stored", target_id=str(blob.pk)).extra == {
        "size": len(CONTENT), "item": "42"}
    assert store_files() == [Path(settings.BLOB_DIR) / blob.storage_name[:2] / blob.storage_name[2:4]
                             / blob.storage_name]
    assert b"PAYSLIP-MARKER" not in store_files()[0].read_bytes()


def test_until_finish_only_sealed_bytes_wait_in_incoming(owner: User, workspace: Workspace) -> None:
    writer = written(owner, workspace)

    assert [p.name for p in store_files()] == [writer.blob.storage_name]
    assert incoming() == store_files()
    assert b"PAYSLIP-MARKER" not in incoming()[0].read_bytes()
    assert Blob.objects.count() == 0
    writer.abort()


def test_memory_stays_small_whatever_the_file_size(owner: User, workspace: Workspace) -> None:
    piece = os.urandom(PIECE)
    count = 50 * MiB // PIECE
    digest = hashlib.sha256()
    tracemalloc.start()
    try:
        writer = BlobWriter(owner.subject, workspace=workspace)
        for _ in range(count):
            writer.write(piece)
            digest.update(piece)
        blob = writer.finish(name="big.bin", content_type="application/octet-stream", actor=ACTOR)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < 8 * MiB, f"peak {peak / MiB:.1f} MiB"
    assert blob.size == 50 * MiB
    assert hashlib.sha256(b"".join(read_blob(blob))).hexdigest() == digest.hexdigest()
    assert blob.sealed_size == sealed_size(50 * MiB)


def test_past_the_limit_the_file_is_discarded_at_once(owner: User, workspace: Workspace) -> None:
    writer = BlobWriter(owner.subject, workspace=workspace, max_size=MiB)
    with pytest.raises(FileTooLarge) as raised:
        for piece in pieces(CONTENT):
            writer.write(piece)

    assert str(raised.value) == "The file is larger than the 1 MB allowed for this item."
    assert (raised.value.limit, raised.value.size) == (MiB, MiB + PIECE)  # the 17th piece
    assert store_files() == [] and Blob.objects.count() == 0
    with pytest.raises(RuntimeError, match="aborted"):
        writer.write(b"more")


def test_a_file_exactly_at_the_limit_is_kept(owner: User, workspace: Workspace) -> None:
    writer = written(owner, workspace, content=b"z" * MiB, max_size=MiB)

    blob = writer.finish(name="z.txt", content_type="text/plain; charset=utf-8", actor=ACTOR)

    assert blob.size == MiB


def test_abort_is_idempotent_and_final(owner: User, workspace: Workspace) -> None:
    writer = written(owner, workspace)

    writer.abort()
    writer.abort()

    assert store_files() == [] and Blob.objects.count() == 0
    assert writer.head == b""
    with pytest.raises(RuntimeError):
        writer.finish(name="a", content_type="text/plain", actor=ACTOR)


def test_audit_extras_cannot_replace_what_finish_records(owner: User, workspace: Workspace) -> None:
    writer = written(owner, workspace)

    with pytest.raises(ValueError, match="size, workspace"):
        writer.finish(name="a", content_type="text/plain", actor=ACTOR,
                      audit_extra={"size": 1, "workspace": None, "item": "1"})

    writer.abort()
    assert store_files() == []


def test_abort_after_finish_keeps_the_file(owner: User, workspace: Workspace) -> None:
    writer = written(owner, workspace)
    blob = writer.finish(name="a.pdf", content_type="application/pdf", actor=ACTOR)

    writer.abort()

    assert b"".join(read_blob(blob)) == CONTENT


def test_a_failed_finish_leaves_nothing(owner: User, workspace: Workspace,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("strongroom.vault.writer.record", refuse)
    writer = written(owner, workspace)

    with pytest.raises(RuntimeError, match="audit log unavailable"):
        writer.finish(name="a.pdf", content_type="application/pdf", actor=ACTOR)

    assert store_files() == [] and Blob.objects.count() == 0
    writer.abort()


def test_a_finish_whose_outer_transaction_rolls_back_is_undone_by_abort(
    owner: User, workspace: Workspace
) -> None:
    writer = written(owner, workspace)

    with pytest.raises(ValueError, match="later step failed"), transaction.atomic():
        writer.finish(name="a.pdf", content_type="application/pdf", actor=ACTOR)
        raise ValueError("a later step failed")
    writer.abort()

    assert store_files() == [] and Blob.objects.count() == 0


def test_sweep_deletes_stale_incoming_files_only(owner: User, workspace: Workspace) -> None:
    stale, live = written(owner, workspace), written(owner, workspace, content=b"live")
    kept = written(owner, workspace).finish(name="k", content_type="text/plain", actor=ACTOR)
    hours_ago = time.time() - 3 * 3600
    stale_path = next(p for p in incoming() if p.name == stale.blob.storage_name)
    os.utime(stale_path, (hours_ago, hours_ago))
    os.utime(Path(settings.BLOB_DIR) / kept.storage_name[:2] / kept.storage_name[2:4] / kept.storage_name,
             (hours_ago, hours_ago))

    assert sweep_incoming(timedelta(hours=1)) == 1

    assert [p.name for p in incoming()] == [live.blob.storage_name]
    assert b"".join(read_blob(kept)) == CONTENT
    assert sweep_incoming(timedelta(hours=1)) == 0
    live.abort()
    stale.abort()


def test_sweep_without_an_incoming_folder_finds_nothing() -> None:
    assert sweep_incoming(timedelta(0)) == 0


@pytest.mark.parametrize(("size", "said"), [(20 * MiB, "20 MB"), (100 * MiB, "100 MB"),
                                            (1536 * 1024, "1.5 MB"), (2 << 30, "2 GB"),
                                            (500, "500 bytes"), (10 * 1024, "10 KB")])
def test_sizes_are_said_in_plain_words(size: int, said: str) -> None:
    assert human_size(size) == said
