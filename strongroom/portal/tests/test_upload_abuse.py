"""Abusive uploads through the real portal upload endpoint: hostile file names, polyglots, a ZIP bomb,
a decompression-bomb image and malformed multipart bodies.

Each is refused with a clear message or kept harmlessly, and a refusal leaves nothing: no Upload row,
no blob, no file in the store (its incoming area included), and nothing written outside the store.
"""

from __future__ import annotations

import io
import json
import secrets
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as WebClient
from django.urls import reverse

from strongroom.accounts.models import User, Workspace
from strongroom.collection.lifecycle import do_send_request
from strongroom.collection.models import Request, RequestItem, Upload
from strongroom.collection.tests.factories import acknowledged_link, document, item, make_client, make_request
from strongroom.vault.actions import read_blob
from strongroom.vault.models import Blob

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
JSON = "application/json"
Portal = tuple[RequestItem, WebClient]  # an item, and the client's browser on its portal


# --- the world -----------------------------------------------------------------------------------


def sent_request(workspace: Workspace, owner: User, accepted: list[str], max_files: int = 5) -> Request:
    client = make_client(workspace, owner)
    request = make_request(workspace, owner, client, [
        document("Scans", accepted_kinds=accepted, max_files=max_files, max_file_size=10 * 1024 * 1024),
    ])
    do_send_request(request, owner)
    return Request.objects.get(pk=request.pk)


@pytest.fixture
def pdf_item(owner: User, workspace: Workspace) -> Portal:
    return portal_for(sent_request(workspace, owner, ["pdf"]))


@pytest.fixture
def any_item(owner: User, workspace: Workspace) -> Portal:
    return portal_for(sent_request(workspace, owner, ["any"]))


def portal_for(request: Request) -> Portal:
    _link, token = acknowledged_link(request)
    web = WebClient()
    assert web.get(reverse("portal:enter", kwargs={"token": token})).status_code == 302
    return item(request, "Scans"), web


def multipart(parts: list[tuple[bytes, bytes]], boundary: bytes = b"strongroom-abuse") -> tuple[bytes, str]:
    """A body built by hand (the test client would clean the file names): (part headers, content)."""
    body = b"".join(b"--%b\r\n%b\r\n\r\n%b\r\n" % (boundary, head, content) for head, content in parts)
    return body + b"--" + boundary + b"--\r\n", f"multipart/form-data; boundary={boundary.decode()}"


def file_part(name: bytes, content: bytes, field: bytes = b"files") -> tuple[bytes, bytes]:
    head = b'Content-Disposition: form-data; name="' + field + b'"; filename="' + name + b'"\r\n'
    return head + b"Content-Type: application/pdf", content


def post(web: WebClient, target: RequestItem, body: bytes, content_type: str) -> Any:
    url = reverse("portal:upload", kwargs={"item_id": target.pk})
    return web.generic("POST", url, body, content_type=content_type, HTTP_ACCEPT=JSON)


def store_files() -> list[Path]:
    return sorted(p for p in Path(settings.BLOB_DIR).rglob("*") if p.is_file())


def assert_nothing_kept(before: int = 0) -> None:
    assert Upload.objects.count() == before
    assert Blob.objects.count() == before
    kept = [p for p in store_files() if "incoming" in p.parts]
    assert not kept, f"left in the incoming area: {kept}"
    assert len(store_files()) == before


def still_answering(web: WebClient) -> None:
    assert web.get(reverse("portal:home")).status_code == 200


# --- file names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("sent", "kept"), [
    (b"../../etc/passwd.pdf", "passwd.pdf"),
    (b"..\\..\\x.pdf", "x.pdf"),
    (b"/absolute/path/scan.pdf", "scan.pdf"),
    (b"a\x00.pdf", "a.pdf"),
    ("invoice\u202egpj.pdf".encode(), "invoicegpj.pdf"),
    (b"...", "file"),
])
def test_hostile_file_names_are_cleaned_and_nothing_lands_outside_the_store(
    pdf_item: Portal, tmp_path: Path, sent: bytes, kept: str,
) -> None:
    target, web = pdf_item
    before = {p for p in tmp_path.rglob("*")}
    # when the client sends a PDF under a name that tries to leave the store or hide its extension
    body, content_type = multipart([file_part(sent, PDF)])
    response = post(web, target, body, content_type)
    # then the PDF is kept under a cleaned name, and the only new files are the store's own
    assert response.status_code == 200, response.content
    upload = Upload.objects.get()
    assert upload.blob.meta["name"] == kept
    assert b"".join(read_blob(upload.blob)) == PDF
    new = {p for p in tmp_path.rglob("*") if p.is_file()} - before
    assert new and all(Path(settings.BLOB_DIR) in p.parents for p in new)
    assert not any("incoming" in p.parts for p in new)
    assert not any(p.name in {"passwd.pdf", "x.pdf"} for p in tmp_path.rglob("*"))


def test_a_very_long_file_name_is_shortened_keeping_its_extension(pdf_item: Portal) -> None:
    target, web = pdf_item
    body, content_type = multipart([file_part(b"A" * 600 + b".pdf", PDF)])
    assert post(web, target, body, content_type).status_code == 200
    name = Upload.objects.get().blob.meta["name"]
    assert len(name) == 150 and name.endswith("A.pdf")


# --- polyglots -----------------------------------------------------------------------------------

HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
PDF_HTML = b"%PDF-1.4\n" + HTML + b"\n%%EOF\n"
GIF_HTML = b"GIF89a/*\x00\x00\x00\x00*/=1;" + HTML


def test_html_named_pdf_is_refused_by_its_bytes_and_nothing_is_stored(
    pdf_item: Portal,
) -> None:
    target, web = pdf_item
    body, content_type = multipart([file_part(b"scan.pdf", HTML)])
    response = post(web, target, body, content_type)
    assert response.status_code == 400
    assert "“scan.pdf” is not a kind of file accepted here." in json.loads(response.content)["message"]
    assert_nothing_kept()
    still_answering(web)


def test_a_gif_html_polyglot_is_refused_where_pdfs_are_asked_for(pdf_item: Portal) -> None:
    target, web = pdf_item
    body, content_type = multipart([file_part(b"photo.pdf", GIF_HTML)])
    assert post(web, target, body, content_type).status_code == 400
    assert_nothing_kept()


@pytest.mark.parametrize("download", [False, True])
def test_a_pdf_html_polyglot_is_served_sandboxed_or_as_a_download_never_as_html(
    pdf_item: Portal, owner: User, workspace: Workspace, download: bool,
) -> None:
    target, web = pdf_item
    body, content_type = multipart([file_part(b"scan.html", PDF_HTML)])
    assert post(web, target, body, content_type).status_code == 200
    upload = Upload.objects.get()
    assert upload.blob.meta["content_type"] == "application/pdf"  # the bytes decided, not the name
    staff = WebClient()
    staff.force_login(owner)
    url = reverse("staff:upload_file", kwargs={"workspace_id": workspace.pk, "upload_id": upload.pk})
    response = staff.get(url + ("?download=1" if download else ""))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "html" not in response["Content-Type"]
    if download:
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment")
    else:
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Security-Policy"].startswith("sandbox;")


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'


@pytest.mark.parametrize(("name", "content"), [(b"page.html", GIF_HTML), (b"page.html", HTML),
                                               (b"image.svg", SVG)])
def test_active_content_taken_as_any_file_is_only_ever_a_download(
    any_item: Portal, owner: User, workspace: Workspace, name: bytes, content: bytes,
) -> None:
    target, web = any_item
    body, content_type = multipart([file_part(name, content)])
    assert post(web, target, body, content_type).status_code == 200
    upload = Upload.objects.get()
    staff = WebClient()
    staff.force_login(owner)
    url = reverse("staff:upload_file", kwargs={"workspace_id": workspace.pk, "upload_id": upload.pk})
    response = staff.get(url)  # asked inline: still a download
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


# --- a ZIP bomb ----------------------------------------------------------------------------------


def zip_bomb() -> bytes:
    """A ZIP of 64 MiB of zeros (64 KiB on disk), its sizes then rewritten to declare 4 GiB - 1.

    An extractor trusting the header would reserve 4 GiB; one that inflates gets 64 MiB per entry.
    """
    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)
    with archive, archive.open("zeros.bin", "w") as entry:
        for _ in range(64):
            entry.write(bytes(1024 * 1024))
    data = bytearray(buffer.getvalue())
    huge = struct.pack("<I", 0xFFFFFFFF)
    data[22:26] = huge  # local header: uncompressed size
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = huge
    return bytes(data)


def test_a_zip_bomb_is_refused_where_zips_are_not_accepted(pdf_item: Portal) -> None:
    target, web = pdf_item
    body, content_type = multipart([file_part(b"invoices.pdf", zip_bomb())])
    response = post(web, target, body, content_type)
    assert response.status_code == 400
    assert "is not a kind of file accepted here" in json.loads(response.content)["message"]
    assert_nothing_kept()


def test_a_zip_bomb_taken_as_any_file_is_never_inflated_even_in_the_download_of_all_files(
    any_item: Portal, owner: User, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, web = any_item
    bomb = zip_bomb()

    opened = zipfile._get_decompressor  # type: ignore[attr-defined]

    def no_inflating(compress_type: int) -> Any:
        assert compress_type == zipfile.ZIP_STORED, "Strongroom inflated a file it received"
        return opened(compress_type)

    monkeypatch.setattr(zipfile, "_get_decompressor", no_inflating)
    # when the client sends it, and staff download every file of the request as one ZIP
    body, content_type = multipart([file_part(b"archive.zip", bomb)])
    assert post(web, target, body, content_type).status_code == 200
    staff = WebClient()
    staff.force_login(owner)
    url = reverse("staff:request_zip", kwargs={"workspace_id": workspace.pk, "request_id": target.request_id})
    response = staff.get(url)
    archive = response.getvalue()
    monkeypatch.undo()
    # then the bomb is in it byte for byte, stored as it came, not expanded
    with zipfile.ZipFile(io.BytesIO(archive)) as outer:
        (info,) = outer.infolist()
        assert info.compress_type == zipfile.ZIP_STORED and info.file_size == len(bomb)
        assert outer.read(info) == bomb
    assert len(archive) < len(bomb) + 4096


# --- a decompression-bomb image ----------------------------------------------------------------------


def png_declaring(width: int, height: int) -> bytes:
    """A valid PNG header declaring `width` x `height`, with one tiny IDAT: tiny on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(1024)))
            + chunk(b"IEND", b""))


def test_an_image_declaring_ten_billion_pixels_is_stored_as_sent_without_decoding(
    owner: User, workspace: Workspace,
) -> None:
    target, web = portal_for(sent_request(workspace, owner, ["image"]))
    bomb = png_declaring(100_000, 100_000)
    body, content_type = multipart([file_part(b"photo.png", bomb)])
    assert post(web, target, body, content_type).status_code == 200
    blob = Upload.objects.get().blob
    assert blob.meta["content_type"] == "image/png" and b"".join(read_blob(blob)) == bomb


def test_a_logo_declaring_ten_billion_pixels_is_refused_with_a_clear_message(
    owner: User, workspace: Workspace
) -> None:
    staff = WebClient()
    staff.force_login(owner)
    logo = io.BytesIO(png_declaring(100_000, 100_000))
    logo.name = "logo.png"
    form = {"name": "Firm A", "accent_colour": "#1f4e79", "default_language": "en", "remind_days_before": 3,
            "remind_every_days_after": 7, "remind_max_after": 3, "link_days_after_close": 30, "logo": logo}
    response = staff.post(reverse("admin_pages:settings", kwargs={"workspace_id": workspace.pk}), form)
    assert response.status_code == 400
    assert "The logo must be at most 4096 pixels wide and high; this one is 100000 by 100000." in (
        response.content.decode())
    workspace.refresh_from_db()
    assert workspace.logo is None
    assert Blob.objects.count() == 0 and not store_files()


# --- malformed multipart bodies ------------------------------------------------------------------------


def test_a_one_megabyte_part_header_gets_a_clear_400_and_nothing_is_stored(
    pdf_item: Portal,
) -> None:
    target, web = pdf_item
    padding = b"X-Padding: " + b"a" * 1024 * 1024
    head = b'Content-Disposition: form-data; name="files"; filename="scan.pdf"\r\n' + padding
    body, content_type = multipart([(head, PDF)])
    response = post(web, target, body, content_type)
    assert response.status_code == 400
    assert_nothing_kept()
    still_answering(web)


def test_thousands_of_fields_get_a_400_and_nothing_is_stored(pdf_item: Portal) -> None:
    target, web = pdf_item
    fields = [(f'Content-Disposition: form-data; name="f{n}"'.encode(), b"x") for n in range(5000)]
    body, content_type = multipart([file_part(b"scan.pdf", PDF), *fields])
    response = post(web, target, body, content_type)
    assert response.status_code == 400
    assert_nothing_kept()
    still_answering(web)


def test_thousands_of_file_parts_get_a_400_and_nothing_is_stored(any_item: Portal) -> None:
    target, web = any_item
    files = [file_part(f"scan-{n}.pdf".encode(), PDF) for n in range(3000)]
    body, content_type = multipart(files)
    response = post(web, target, body, content_type)
    assert response.status_code == 400
    assert_nothing_kept()
    still_answering(web)


def test_a_body_cut_off_inside_a_file_keeps_nothing(pdf_item: Portal) -> None:
    target, web = pdf_item
    marker = secrets.token_hex(16).encode()
    body, content_type = multipart([file_part(b"scan.pdf", PDF + marker * 10_000)])
    response = post(web, target, body[: len(body) // 2], content_type)
    assert response.status_code == 400
    assert_nothing_kept()


def test_a_file_followed_by_an_oversized_field_gets_a_400_and_the_file_is_not_kept(pdf_item: Portal) -> None:
    target, web = pdf_item
    big_field = (b'Content-Disposition: form-data; name="note"', b"x" * (3 * 1024 * 1024))
    body, content_type = multipart([file_part(b"scan.pdf", PDF * 1000), big_field])
    response = post(web, target, body, content_type)
    assert response.status_code == 400
    assert_nothing_kept()
    still_answering(web)
