"""Acceptance: after Strongroom has started and stored personal data and a sealed file, neither the
file's marker nor the user's e-mail or name can be found in the database file, a PostgreSQL dump,
or the blob folder. Runs the real commands in fresh processes, as an operator would."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import postgres_admin_url, require_postgres

STORE_FILE = """
import io, sys
from strongroom.accounts.models import User, Workspace
from strongroom.audit.actors import operator
from strongroom.vault.actions import do_store_blob, read_blob
user = User.objects.with_email(sys.argv[1]).get()
workspace = Workspace.objects.get()
blob = do_store_blob(user.subject, io.BytesIO(sys.argv[2].encode() * 1000), name=sys.argv[3],
                     content_type="text/plain", actor=operator("acceptance"), workspace=workspace)
assert b"".join(read_blob(blob)).startswith(sys.argv[2].encode())
print("stored", blob.pk)
"""


def strongroom(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "strongroom", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, f"strongroom {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_and_stop(env: dict[str, str]) -> None:
    """Run the start command until it answers, as a first start does, then stop it."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "strongroom", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as reply:
                    assert reply.read() == b"ok"
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("Strongroom did not start")
    finally:
        server.terminate()
        server.wait(timeout=20)


def populate(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    token = secrets.token_hex(6)
    secrets_ = {
        "email": f"marker.{token}@example.org",
        "name": f"Zelda Markerson{token}",
        "file": f"STRONGROOM-CONTENT-MARKER-{token}",
        "filename": f"passport-of-zelda-{token}.txt",
    }
    start_and_stop(env)
    password = tmp_path / "password"
    password.write_text("a long enough passphrase 42")
    strongroom(env, "users", "create", secrets_["email"], "--name", secrets_["name"],
               "--password-file", str(password))
    strongroom(env, "workspaces", "create", "Acceptance Firm", "--owner", secrets_["email"])
    script = tmp_path / "store.py"
    script.write_text(STORE_FILE)
    strongroom(env, "shell", "-c", f"import runpy, sys; sys.argv = ['x', {secrets_['email']!r}, "
               f"{secrets_['file']!r}, {secrets_['filename']!r}]; runpy.run_path({str(script)!r})")
    return secrets_


def needles(found: dict[str, str]) -> list[bytes]:
    values = [found["email"], found["name"], found["file"], found["filename"], "Markerson", "zelda"]
    return [v.encode() for v in values] + [v.encode("utf-16-le") for v in values]


def assert_absent(blob: bytes, found: dict[str, str], where: str) -> None:
    lowered = blob.lower()
    for needle in needles(found):
        assert needle.lower() not in lowered, f"{needle!r} found in {where}"


def files_under(folder: Path) -> Iterator[Path]:
    return (p for p in folder.rglob("*") if p.is_file())


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRONGROOM_", "DATABASE_URL"))}
    env["DJANGO_SETTINGS_MODULE"] = "strongroom.settings"
    env["STRONGROOM_DATA_DIR"] = str(tmp_path / "var" / "data")
    env["STRONGROOM_KEY_DIR"] = str(tmp_path / "var" / "keys")
    env["STRONGROOM_TLS"] = "off"  # checked over plain HTTP, as behind a reverse proxy
    return env


def test_sqlite_database_and_blob_folder_hold_no_plaintext(tmp_path: Path) -> None:
    env = base_env(tmp_path)

    found = populate(env, tmp_path)

    data_dir = tmp_path / "var" / "data"
    database_files = list(data_dir.glob("strongroom.sqlite3*"))
    assert database_files, "the SQLite database was not created in the data folder"
    database = b"".join(path.read_bytes() for path in database_files)
    assert b"Acceptance Firm" in database  # the search does see what is stored in clear
    for path in database_files:
        assert_absent(path.read_bytes(), found, str(path))
    blobs = list(files_under(data_dir / "blobs"))
    assert len(blobs) == 1 and blobs[0].stat().st_size > 16000
    for path in files_under(data_dir):
        assert_absent(path.read_bytes(), found, str(path))
    keys = tmp_path / "var" / "keys"
    assert keys.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in files_under(keys))


@pytest.fixture
def postgres_database() -> Iterator[str]:
    require_postgres()
    import psycopg

    name = f"strongroom_accept_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = postgres_admin_url().rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgresql_dump_and_blob_folder_hold_no_plaintext(tmp_path: Path, postgres_database: str) -> None:
    env = base_env(tmp_path)
    env["DATABASE_URL"] = postgres_database

    found = populate(env, tmp_path)

    dump = subprocess.run(["pg_dump", "--no-owner", postgres_database], capture_output=True, check=True,
                          timeout=120).stdout
    assert b"accounts_user" in dump and b"Acceptance Firm" in dump
    assert_absent(dump, found, "the PostgreSQL dump")
    for path in files_under(tmp_path / "var" / "data"):
        assert_absent(path.read_bytes(), found, str(path))
