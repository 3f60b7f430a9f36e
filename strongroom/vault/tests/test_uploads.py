"""Uploads through Django's own multipart parser: sealed as they stream in, no plaintext on any disk,
and every refused or abandoned file leaves nothing behind."""

from __future__ import annotations

import io
import os
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.vault.actions import read_blob
from strongroom.vault.models import Blob

pytestmark = [pytest.mark.django_db, pytest.mark.urls("strongroom.vault.tests.urls_for_tests")]
MiB = 1024 * 1024


def named(content: bytes, name: str) -> io.BytesIO:
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def url(view: str, owner: User, workspace: Workspace, **params: Any) -> str:
    query = {"user": owner.pk, "workspace": workspace.pk, **params}
    pairs = [(k, v) for k, vs in query.items() for v in (vs if isinstance(vs, list) else [vs])]
    return f"/{view}?" + "&".join(f"{k}={v}" for k, v in pairs)


def store_files() -> list[Path]:
    return [p for p in Path(settings.BLOB_DIR).rglob("*") if p.is_file()]


def files_holding(marker: bytes, root: Path, since: float) -> list[Path]:
    """Every readable regular file under `root` modified since `since` that contains `marker`."""
    found = []
    for folder, _dirs, names in os.walk(root, onerror=lambda error: None):
        for name in names:
            path = Path(folder) / name
            try:
                info = path.lstat()
                if not path.is_file() or path.is_symlink() or info.st_mtime < since:
                    continue
                if contains(path, marker):
                    found.append(path)
            except OSError:
                continue
    return found


def contains(path: Path, marker: bytes) -> bool:
    carry = b""
    with path.open("rb") as source:
        while block := source.read(MiB):
            if marker in carry + block:
                return True
            carry = block[-len(marker):]
    return False


def test_a_file_arrives_sealed_and_no_plaintext_touches_any_disk(owner: User, workspace: Workspace) -> None:
    marker = f"PLAINTEXT-MARKER-{secrets.token_hex(8)}".encode()
    content = b"%PDF-1.7\n" + (marker + b" line of the payslip\n") * 80_000  # ~3 MB
    started = time.time() - 1

    reply = Client().post(url("by-hand", owner, workspace),
                          {"note": "march", "files": named(content, ".payslip march.pdf")})

    assert reply.status_code == 200, reply.content
    body = reply.json()
    assert body["received"] == [{"name": "payslip march.pdf", "kind": "pdf", "size": len(content),
                                 "type": "application/pdf"}]
    assert body["fields"] == {"note": ["march"]}
    blob = Blob.objects.get(pk=body["stored"][0])
    assert b"".join(read_blob(blob)) == content
    assert blob.meta["name"] == "payslip march.pdf" and blob.meta["content_type"] == "application/pdf"
    assert blob.workspace_id == workspace.pk and blob.subject_id == owner.subject_id
    event = Event.objects.get(action="blob.stored", target_id=str(blob.pk))
    assert event.extra == {"size": len(content), "test": True}
    assert [p.parent.name for p in store_files()] == [blob.storage_name[2:4]]
    assert files_holding(marker, Path(settings.BLOB_DIR), 0) == []
    assert files_holding(marker, Path(tempfile.gettempdir()), started) == []


def test_an_oversize_file_is_cut_off_with_a_plain_message_and_nothing_is_kept(
    owner: User, workspace: Workspace
) -> None:
    reply = Client().post(url("by-hand", owner, workspace, max_size=MiB),
                          {"files": named(b"x" * (3 * MiB), "scan.pdf"), "after": "still parsed"})

    assert reply.status_code == 400
    body = reply.json()
    assert body["errors"] == [{"code": "too_large", "name": "scan.pdf",
                               "message": "The file is larger than the 1 MB allowed for this item."}]
    assert body["received"] == [] and body["fields"] == {"after": ["still parsed"]}
    assert Blob.objects.count() == 0
    assert store_files() == []


def test_files_beyond_the_limit_are_refused_and_the_view_keeps_none(
    owner: User, workspace: Workspace
) -> None:
    files = [named(f"file {n}\n".encode(), f"note-{n}.txt") for n in range(3)]

    reply = Client().post(url("by-hand", owner, workspace, max_files=2), {"files": files})

    assert reply.status_code == 400
    body = reply.json()
    assert [f["name"] for f in body["received"]] == ["note-0.txt", "note-1.txt"]
    assert [e["code"] for e in body["errors"]] == ["too_many"]
    assert "At most 2 file(s)" in body["errors"][0]["message"]
    assert Blob.objects.count() == 0
    assert store_files() == []


def test_without_a_target_no_file_is_received_or_stored(owner: User, workspace: Workspace) -> None:
    reply = Client().post(url("by-hand", owner, workspace, target="none"),
                          {"files": named(b"%PDF-1.7\nsecret", "a.pdf"), "name": "Olive"})

    body = reply.json()
    assert body["received"] == [] and body["fields"] == {"name": ["Olive"]}
    assert [e["code"] for e in body["errors"]] == ["not_expected"]
    assert Blob.objects.count() == 0
    assert store_files() == []


def test_a_kind_the_target_does_not_accept_is_refused_while_streaming(
    owner: User, workspace: Workspace
) -> None:
    program = b"\x7fELF\x02\x01\x01\x00" + bytes(200_000)

    reply = Client().post(url("by-hand", owner, workspace, kind=["pdf", "image"]),
                          {"files": [named(program, "invoice.pdf"), named(b"\x7fELF\x02", "tiny.pdf")]})

    assert reply.status_code == 400
    assert [(e["code"], e["name"]) for e in reply.json()["errors"]] == [
        ("not_accepted", "invoice.pdf"), ("not_accepted", "tiny.pdf")]
    assert Blob.objects.count() == 0
    assert store_files() == []


def test_files_read_but_not_kept_by_the_view_are_discarded(owner: User, workspace: Workspace) -> None:
    reply = Client().post(url("by-hand", owner, workspace),
                          {"files": [named(b"a" * 300_000, "a.txt"), named(b"b", "b.txt")], "fail": "1"})

    assert reply.status_code == 400 and len(reply.json()["received"]) == 2
    assert Blob.objects.count() == 0
    assert store_files() == []


def test_files_a_view_forgets_are_discarded_when_django_closes_the_request(
    owner: User, workspace: Workspace
) -> None:
    reply = Client().post(url("forgetful", owner, workspace), {"files": named(b"a" * 300_000, "a.txt")})

    assert reply.json() == {"received": 1}
    assert store_files() == []


def test_an_interrupted_upload_leaves_nothing(owner: User, workspace: Workspace) -> None:
    boundary = "BoUnDaRy"
    cut_short = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="files"; filename="first.txt"\r\n\r\n'
        f"complete first file\r\n--{boundary}\r\n"
        'Content-Disposition: form-data; name="files"; filename="second.txt"\r\n\r\n'
    ).encode() + b"y" * 200_000  # the connection dropped here: no closing boundary

    reply = Client().generic("POST", url("by-hand", owner, workspace), cut_short,
                             content_type=f"multipart/form-data; boundary={boundary}")

    assert reply.status_code == 400
    assert "interrupted" in [e["code"] for e in reply.json()["errors"]]
    assert Blob.objects.count() == 0
    assert store_files() == []


def test_the_decorator_sets_the_target_before_the_csrf_check_reads_the_body(
    owner: User, workspace: Workspace
) -> None:
    client = Client(enforce_csrf_checks=True)
    token = client.get("/token").content.decode()

    refused = client.post(url("decorated", owner, workspace), {"files": named(b"hello\n", "a.txt")})
    accepted = client.post(url("decorated", owner, workspace),
                           {"files": named(b"hello\n", "a.txt"), "csrfmiddlewaretoken": token})

    assert refused.status_code == 403
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["received"][0]["type"] == "text/plain; charset=utf-8"
    blob = Blob.objects.get()
    assert [p.name for p in store_files()] == [blob.storage_name]


def test_a_view_that_sets_its_target_behind_the_csrf_middleware_fails_loudly_and_keeps_nothing(
    owner: User, workspace: Workspace
) -> None:
    client = Client(enforce_csrf_checks=True)
    token = client.get("/token").content.decode()

    with pytest.raises(RuntimeError, match="after the request body was read"):
        client.post(url("behind-csrf-middleware", owner, workspace),
                    {"files": named(b"hello\n", "a.txt"), "csrfmiddlewaretoken": token})

    assert Blob.objects.count() == 0
    assert store_files() == []
