"""A real browser against the embedded HTTPS server: a plain-HTTP address leads to HTTPS, staff sign
in (secure cookies, CSRF over HTTPS), and the pages work under the Content-Security-Policy with not
one violation reported, the workspace colour (the nonce-carrying <style>) included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD, firm_a
from tests.server import LiveStrongroom, free_port


@pytest.fixture
def https_strongroom(tmp_path: Path) -> Iterator[LiveStrongroom]:
    serve_args = ("--no-worker", "--http-port", str(free_port()))
    yield from firm_a(LiveStrongroom(tmp_path, tls=True, serve_args=serve_args))


def test_staff_sign_in_over_https_with_no_policy_violation(
    browser: Any, https_strongroom: LiveStrongroom
) -> None:
    context = browser.new_context(ignore_https_errors=True)  # the self-signed certificate
    page = context.new_page()
    complaints: list[str] = []  # what the browser refused (CSP violations are console errors)
    page.on("console", lambda message: complaints.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text else None)
    missing: list[str] = []  # Chromium asks for /favicon.ico on its own; Strongroom has none
    page.on("response", lambda reply: missing.append(reply.url)
            if reply.status >= 400 and not reply.url.endswith("/favicon.ico") else None)
    http_port = https_strongroom.serve_args[-1]

    page.goto(f"http://127.0.0.1:{http_port}/login/")
    assert page.url == f"{https_strongroom.url}/login/"
    page.get_by_label("E-mail").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Clients").click()
    page.wait_for_load_state()

    assert page.get_by_role("button", name="Sign out").is_visible()
    assert page.url.startswith(f"{https_strongroom.url}/w/")
    header = page.locator("header.top").evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert header == "rgb(31, 78, 121)"  # the accent colour from the <style> block
    cookies = {cookie["name"]: cookie for cookie in context.cookies()}
    assert cookies["sessionid"]["secure"] and cookies["csrftoken"]["secure"]
    assert complaints == []
    assert missing == []
    context.close()
