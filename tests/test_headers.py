"""Every response tells the browser to run only Strongroom's own files, to never sniff, frame or
share the page's address, and to deny device features; uploaded files never run as pages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as WebClient
from django.urls import reverse

from strongroom.accounts.models import User, Workspace
from strongroom.collection.lifecycle import do_send_request
from strongroom.collection.models import Request, Upload
from strongroom.collection.tests.factories import (
    acknowledged_link,
    document,
    item,
    make_client,
    make_request,
)

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>fetch('/w/')</script>Invoice</body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def directives(response: Any) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.partition(" ")[2] for part in policy.split("; ")}


def assert_browser_headers(response: Any) -> None:
    """The headers every Strongroom response carries, whatever produced it."""
    csp = directives(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert re.fullmatch(r"'self'( 'nonce-[A-Za-z0-9_\-]+')?", csp["style-src"])
    assert csp["img-src"] == "'self'"
    assert (csp["object-src"], csp["base-uri"]) == ("'none'", "'none'")
    assert (csp["form-action"], csp["frame-ancestors"]) == ("'self'", "'none'")
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    denied = dict(rule.split("=") for rule in response["Permissions-Policy"].split(", "))
    devices = ("camera", "microphone", "geolocation", "payment", "usb")
    assert {denied[feature] for feature in devices} == {"()"}


@pytest.fixture
def sent(workspace: Workspace, owner: User) -> Request:
    client = make_client(workspace, owner)
    request = make_request(workspace, owner, client, [document("Payslips", max_files=5)])
    do_send_request(request, owner)
    return request


@pytest.fixture
def staff(owner: User) -> WebClient:
    web = WebClient()
    web.force_login(owner)
    return web


def portal_visitor(request: Request) -> WebClient:
    _, token = acknowledged_link(request)
    web = WebClient()
    assert web.get(reverse("portal:enter", kwargs={"token": token})).status_code == 302
    return web


def test_a_staff_page_carries_the_headers_and_its_style_block_the_nonce(
    staff: WebClient, workspace: Workspace
) -> None:
    response = staff.get(reverse("staff:dashboard", args=[workspace.pk]))

    assert response.status_code == 200
    assert_browser_headers(response)
    nonce = re.search(r"'nonce-([^']+)'", directives(response)["style-src"])
    assert nonce is not None
    assert f'<style nonce="{nonce.group(1)}">' in response.content.decode()


def test_a_portal_page_carries_the_headers(sent: Request) -> None:
    response = portal_visitor(sent).get(reverse("portal:home"))

    assert response.status_code == 200
    assert_browser_headers(response)
    assert b"<progress" in response.content


def test_error_pages_carry_the_headers(staff: WebClient, workspace: Workspace, other_workspace: Workspace,
                                       member: User) -> None:
    missing = staff.get("/no-such-page/")
    other = staff.get(reverse("staff:dashboard", args=[other_workspace.pk]))
    web = WebClient()
    web.force_login(member)
    refused = web.get(reverse("admin_pages:settings", args=[workspace.pk]))

    assert (missing.status_code, other.status_code, refused.status_code) == (404, 404, 403)
    for response in (missing, other, refused):
        assert_browser_headers(response)


def test_a_static_file_carries_the_headers(client: WebClient) -> None:
    response = client.get("/static/strongroom/site.css")

    assert response.status_code == 200
    assert_browser_headers(response)


def test_pages_are_never_stored_by_browsers_but_static_files_are_cached(
    staff: WebClient, workspace: Workspace, sent: Request
) -> None:
    pages = [
        staff.get(reverse("staff:dashboard", args=[workspace.pk])),
        staff.get(reverse("staff:request", args=[workspace.pk, sent.pk])),
        portal_visitor(sent).get(reverse("portal:home")),
        staff.get("/no-such-page/"),
    ]
    static = WebClient().get("/static/strongroom/site.css")

    assert [page.status_code for page in pages] == [200, 200, 200, 404]
    for page in pages:
        assert "no-store" in page["Cache-Control"], page["Cache-Control"]
    assert "no-store" not in static.get("Cache-Control", "")


def upload(web: WebClient, request: Request, name: str, data: bytes) -> Upload:
    target = reverse("portal:upload", args=[item(request, "Payslips").pk])
    response = web.post(target, {"files": SimpleUploadedFile(name, data, "text/html")},
                        HTTP_ACCEPT="application/json")
    assert response.status_code == 200, response.content
    return Upload.objects.filter(item__request=request).latest("pk")


@pytest.mark.parametrize(("name", "data"), [("invoice.html", HTML), ("logo.svg", SVG)])
def test_an_uploaded_page_or_drawing_is_only_ever_a_download(
    sent: Request, staff: WebClient, workspace: Workspace, name: str, data: bytes
) -> None:
    # given a client uploads an HTML page or an SVG drawing that carries a script
    uploaded = upload(portal_visitor(sent), sent, name, data)

    # when staff open it (the preview link, not the download link)
    response = staff.get(reverse("staff:upload_file", args=[workspace.pk, uploaded.pk]))

    # then the browser is told to save it, as opaque bytes, never to render it
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == data  # type: ignore[attr-defined]


def test_a_file_shown_inline_is_sandboxed(sent: Request, staff: WebClient, workspace: Workspace) -> None:
    uploaded = upload(portal_visitor(sent), sent, "scan.png", PNG)

    preview = staff.get(reverse("staff:upload_file", args=[workspace.pk, uploaded.pk]))
    download = staff.get(reverse("staff:upload_file", args=[workspace.pk, uploaded.pk]) + "?download")

    assert preview["Content-Type"] == "image/png"
    assert preview["Content-Disposition"].startswith("inline;")
    policy = preview["Content-Security-Policy"]
    assert policy.startswith("sandbox;") and "script-src" not in policy and "default-src 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert download["Content-Disposition"].startswith("attachment;")
    for response in (preview, download):
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert "camera=()" in response["Permissions-Policy"]


def templates() -> list[Path]:
    """Every page template. E-mail templates are left out: mail clients need inline styles and run
    no Content-Security-Policy."""
    found = sorted((ROOT / "strongroom").rglob("templates/**/*.html"))
    return [path for path in found if "/mail/templates/" not in path.as_posix()]


INLINE_CODE = (r"<script(?![^>]*\bsrc=)[^>]*>", r"\sstyle\s*=", r"\son[a-z]+\s*=", r"javascript:",
               r"<style(?![^>]*nonce=\"\{\{ csp_nonce \}\}\")[^>]*>")


def inline_code(text: str) -> list[str]:
    """Inline scripts, event handlers, style attributes and <style> blocks without the nonce."""
    return [m.group(0) for pattern in INLINE_CODE for m in re.finditer(pattern, text, re.I)]


def test_no_template_has_inline_script_or_style_attributes() -> None:
    offending = [f"{path.relative_to(ROOT)}: {found}" for path in templates()
                 for found in inline_code(path.read_text(encoding="utf-8"))]

    assert len(templates()) > 50
    assert offending == []


def test_the_template_check_finds_what_it_looks_for() -> None:
    samples = ['<script>alert(1)</script>', '<p style="color:red">', '<a onclick="x()">',
               '<a href="javascript:x()">', '<style>p{}</style>']

    assert [sample for sample in samples if inline_code(sample)] == samples
    assert inline_code('<script src="/static/x.js" defer></script><style nonce="{{ csp_nonce }}">') == []
