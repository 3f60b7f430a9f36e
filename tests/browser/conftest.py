"""Browser tests: Debian's Chromium driven by Playwright, never a downloaded browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server import LiveStrongroom

CHROMIUM = "/usr/bin/chromium"
STAFF_EMAIL, STAFF_PASSWORD = "olive@firm-a.example", "a long enough passphrase 42"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def artefacts() -> Path:
    """Screenshots of the key screens, kept after the run.

    The folder is STRONGROOM_TEST_ARTEFACTS, by default ./test-artefacts."""
    folder = Path(os.environ.get("STRONGROOM_TEST_ARTEFACTS", "test-artefacts")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def firm_a(live: LiveStrongroom) -> Iterator[LiveStrongroom]:
    """Starts the server with one owner (STAFF_EMAIL) of one workspace, "Firm A Lettings"; stops it after."""
    live.start()
    try:
        password = live.root / "password"
        password.write_text(STAFF_PASSWORD)
        live.run("users", "create", STAFF_EMAIL, "--name", "Olive Owner", "--password-file", str(password))
        live.run("workspaces", "create", "Firm A Lettings", "--owner", STAFF_EMAIL)
        yield live
    finally:
        live.stop()


@pytest.fixture
def strongroom(tmp_path: Path) -> Iterator[LiveStrongroom]:
    """A real Strongroom (server and worker) with Firm A's owner."""
    yield from firm_a(LiveStrongroom(tmp_path))
