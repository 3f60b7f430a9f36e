"""Two-factor sign-in in a real browser: an authenticator app set up from the page's key, then a
passkey made by Chromium's virtual authenticator; after each, signing out and in again with it.

WebAuthn needs a secure context and a domain for its relying party id, so this server is reached
as http://localhost (never an IP address)."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD, firm_a
from tests.server import LiveStrongroom


@pytest.fixture
def strongroom_on_localhost(tmp_path: Path) -> Iterator[LiveStrongroom]:
    yield from firm_a(LiveStrongroom(tmp_path, host="localhost"))


def code_for(secret_text: str, at: float) -> str:
    """What an authenticator app shows for the key the page displays (base32, in groups)."""
    plain = secret_text.replace(" ", "")
    secret = base64.b32decode(plain + "=" * (-len(plain) % 8))
    return TOTP(secret, 6, SHA1(), 30, enforce_key_length=False).generate(int(at)).decode()


def sign_in(page: Any, url: str) -> None:
    page.goto(url + "/login/")
    page.get_by_label("E-mail").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/")


def test_authenticator_app_then_passkey(browser: Any, strongroom_on_localhost: LiveStrongroom,
                                        artefacts: Path) -> None:
    url = strongroom_on_localhost.url
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
    }})

    # No factor yet: the password alone signs in.
    sign_in(page, url)
    page.wait_for_url("**/w/*/")
    page.goto(url + "/account/")
    page.get_by_role("link", name="Manage two-factor sign-in").click()
    page.get_by_role("link", name="Set up an authenticator app").click()
    page.wait_for_function("() => document.querySelector('img.qr').naturalWidth > 0")
    secret = page.locator("#totp-secret").inner_text()
    page.screenshot(path=str(artefacts / "2fa-01-authenticator.png"))
    page.get_by_label("The six-digit code your app shows now").fill(code_for(secret, time.time()))
    page.get_by_role("button", name="Turn it on").click()
    codes = page.locator(".recovery-codes code")
    assert codes.count() == 10
    page.screenshot(path=str(artefacts / "2fa-02-recovery-codes.png"))

    sign_out(page)
    sign_in(page, url)
    page.wait_for_url("**/two-factor/verify/")
    # The code just used at set-up is spent; the next one is accepted.
    page.get_by_label("The six-digit code your app shows now").fill(code_for(secret, time.time() + 30))
    page.locator("form:has(input[value=totp]) button").click()
    page.wait_for_url("**/w/*/")

    page.goto(url + "/two-factor/")
    page.get_by_label("Name of the new passkey").fill("Virtual key")
    page.get_by_role("button", name="Add a passkey").click()
    page.wait_for_selector("text=Your passkey is registered.")
    assert page.locator("ul.passkeys li strong").inner_text() == "Virtual key"
    page.screenshot(path=str(artefacts / "2fa-03-passkey.png"))

    sign_out(page)
    sign_in(page, url)
    page.wait_for_url("**/two-factor/verify/")
    page.screenshot(path=str(artefacts / "2fa-04-verify.png"))
    page.get_by_role("button", name="Use my passkey").click()
    page.wait_for_url("**/w/*/")
    assert page.get_by_role("button", name="Sign out").is_visible()
    context.close()
