"""Sealed files: stored without plaintext, read back intact, and any damage or swap is a clear error."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from strongroom.accounts.models import User, Workspace
from strongroom.audit.actors import operator
from strongroom.audit.models import Event
from strongroom.crypto.errors import SealedStreamError
from strongroom.vault.actions import do_store_blob, read_blob
from strongroom.vault.models import Blob
from strongroom.vault.storage import LocalBlobStorage

pytestmark = pytest.mark.django_db
ACTOR = operator("test")
CONTENT = b"PAYSLIP-MARKER " * 200_000  # 3 MB: several chunks


def store(user: User, workspace: Workspace, content: bytes = CONTENT, name: str = "payslip.pdf") -> Blob:
    return do_store_blob(user.subject, io.BytesIO(content), name=name, content_type="application/pdf",
                         actor=ACTOR, workspace=workspace)


def blob_path(blob: Blob) -> Path:
    return LocalBlobStorage(settings.BLOB_DIR)._final(blob.storage_name)


def store_files() -> list[Path]:
    return [p for p in Path(settings.BLOB_DIR).rglob("*") if p.is_file()]


def test_a_stored_file_reads_back_and_its_name_is_sealed(workspace: Workspace, owner: User) -> None:
    blob = store(owner, workspace, name="olive-payslip-march.pdf")

    again = Blob.objects.get(pk=blob.pk)

    assert b"".join(read_blob(again)) == CONTENT
    assert again.meta["name"] == "olive-payslip-march.pdf" and again.size == len(CONTENT)
    sealed = blob_path(blob).read_bytes()
    assert b"PAYSLIP-MARKER" not in sealed and b"olive" not in sealed
    assert blob.storage_name not in "olive-payslip-march.pdf" and len(blob.storage_name) == 40
    assert Event.objects.filter(action="blob.stored", target_id=str(blob.pk)).exists()


def test_a_file_swapped_with_another_blobs_file_is_refused(workspace: Workspace, owner: User) -> None:
    first, second = store(owner, workspace), store(owner, workspace, b"other content")
    first_bytes = blob_path(first).read_bytes()
    blob_path(first).write_bytes(blob_path(second).read_bytes())
    blob_path(second).write_bytes(first_bytes)

    with pytest.raises(SealedStreamError):
        b"".join(read_blob(first))
    with pytest.raises(SealedStreamError):
        b"".join(read_blob(second))


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (lambda b: b[: len(b) // 2], "truncated"),
        (lambda b: b[:-1], "failed authentication"),
        (lambda b: b[:100] + bytes([b[100] ^ 1]) + b[101:], "failed authentication"),
        (lambda b: b"not a sealed file at all", "not a sealed"),
    ],
    ids=["cut in half", "last byte missing", "one bit flipped", "foreign file"],
)
def test_a_damaged_file_is_a_clear_error(workspace: Workspace, owner: User, damage: Any, named: str) -> None:
    blob = store(owner, workspace)
    blob_path(blob).write_bytes(damage(blob_path(blob).read_bytes()))

    with pytest.raises(SealedStreamError, match=named):
        b"".join(read_blob(blob))


def test_a_failed_read_of_the_source_leaves_nothing(workspace: Workspace, owner: User) -> None:
    class BrokenUpload(io.RawIOBase):
        sent = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            if self.sent > 2_000_000:
                raise OSError("connection reset by the client")
            self.sent += len(buffer)
            buffer[:] = b"x" * len(buffer)
            return len(buffer)

    blobs_before = Blob.objects.count()

    with pytest.raises(OSError, match="connection reset"):
        do_store_blob(owner.subject, io.BufferedReader(BrokenUpload()), name="big.bin",
                      content_type="application/octet-stream", actor=ACTOR, workspace=workspace)

    assert Blob.objects.count() == blobs_before
    assert store_files() == []


def test_a_failed_transaction_leaves_no_file(workspace: Workspace, owner: User,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("strongroom.vault.actions.record", refuse)

    with pytest.raises(RuntimeError, match="audit log unavailable"):
        store(owner, workspace)

    assert Blob.objects.count() == 0
    assert store_files() == []
