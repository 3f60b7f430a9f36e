"""Where the test suite finds PostgreSQL, and what it does when it is absent.

On a developer's machine without PostgreSQL the tests that need it are skipped with a message;
under CI (CI=true) a missing server is a failure, never a silent skip.
"""

from __future__ import annotations

import os

import pytest

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test"


def postgres_admin_url() -> str:
    return os.environ.get("STRONGROOM_TEST_POSTGRES_URL", DEFAULT_URL)


def require_postgres() -> None:
    try:
        import psycopg

        with psycopg.connect(postgres_admin_url(), connect_timeout=3):
            return
    except Exception as exc:
        message = f"PostgreSQL is not reachable at {postgres_admin_url()}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must provide it: see .ci/run)")
        pytest.skip(message)
