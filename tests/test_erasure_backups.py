"""Acceptance: an erasure reaches backups. Two clients who share nothing are seeded through the real
commands; the database is backed up (a copy of the SQLite file, or pg_dump); one client is erased.
The live stores hold nothing of them, the other client is intact, and the old backup, restored to a
scratch database and opened with the installation's own key folder, cannot decrypt the erased
client's data while it still opens the other client's."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.services import postgres_admin_url, require_postgres
from tests.test_acceptance_no_plaintext import base_env, files_under, start_and_stop, strongroom

SEED = """
import io, sys
from strongroom.accounts.actions import do_create_user, do_create_workspace
from strongroom.audit.actors import operator
from strongroom.collection.clients import do_create_client
from strongroom.collection.models import Request, RequestItem, RequestSection, Upload
from strongroom.vault.actions import do_store_blob
actor = operator("acceptance")
owner = do_create_user("owner@firm.example", None, actor, name="Olive Owner")
workspace = do_create_workspace("Backup Firm", owner, actor)
for tag in sys.argv[1:]:
    client = do_create_client(workspace, owner, name=f"Name {tag}", email=f"{tag.lower()}@client.example",
                              notes=f"notes {tag}")
    request = Request.objects.create(workspace=workspace, client=client, owner=owner, title="File")
    section = RequestSection.objects.create(request=request, title="S", position=0)
    item = RequestItem(request=request, section=section, position=0, kind="question",
                       question_type="short_text", label="Employer")
    item.answer = f"Employer {tag}"
    item.save()
    doc = RequestItem.objects.create(request=request, section=section, position=1, kind="document",
                                     question_type="", label="Payslip")
    blob = do_store_blob(client.subject, io.BytesIO(f"%PDF-1.7 {tag}".encode() * 500), name=f"{tag}.pdf",
                         content_type="application/pdf", actor=owner, workspace=workspace)
    Upload.objects.create(item=doc, blob=blob)
    print("client", tag, client.pk)
"""

ERASE = """
import sys
from strongroom.audit.actors import operator
from strongroom.collection.models import Client
from strongroom.rights.erasure import erase_client, forget_mails
report = erase_client(Client.objects.get(pk=sys.argv[1]), operator("acceptance"))
forget_mails(report)
print("erased", report.files, "files")
"""

READ = """
import sys
from strongroom.collection.models import Client, RequestItem
from strongroom.crypto.errors import CryptoError
from strongroom.vault.actions import read_blob
from strongroom.collection.models import Upload
for pk in sys.argv[1:]:
    client = Client.objects.get(pk=pk)
    try:
        answers = [i.answer for i in RequestItem.objects.filter(request__client=client, kind="question")]
        uploads = Upload.objects.filter(item__request__client=client)
        files = [b"".join(read_blob(u.blob))[:12] for u in uploads]
        print("READ", pk, client.name, client.email, answers, files)
    except CryptoError as exc:
        print("UNREADABLE", pk, type(exc).__name__)
"""


def run_script(env: dict[str, str], tmp_path: Path, name: str, code: str, *args: str) -> str:
    script = tmp_path / f"{name}.py"
    script.write_text(code)
    return strongroom(
        env,
        "shell",
        "-c",
        f"import runpy, sys; sys.argv = ['x', *{list(args)!r}]; runpy.run_path({str(script)!r})",
    )


def seed(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    start_and_stop(env)
    out = run_script(env, tmp_path, "seed", SEED, "ERASEDMARKER", "KEPTMARKER")
    return {line.split()[1]: line.split()[2] for line in out.splitlines() if line.startswith("client ")}


def check_backup_reads(env: dict[str, str], tmp_path: Path, ids: dict[str, str]) -> None:
    out = run_script(env, tmp_path, "read", READ, ids["ERASEDMARKER"], ids["KEPTMARKER"])
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith(("READ", "UNREADABLE"))}
    assert lines[ids["ERASEDMARKER"]].startswith("UNREADABLE"), out
    assert "SubjectSecretMissing" in lines[ids["ERASEDMARKER"]]
    kept = lines[ids["KEPTMARKER"]]
    assert kept.startswith("READ") and "Name KEPTMARKER" in kept and "Employer KEPTMARKER" in kept, out
    assert "%PDF-1.7 KEP" in kept


def check_live_stores(
    env: dict[str, str], tmp_path: Path, data_dir: Path, ids: dict[str, str], database: bytes
) -> None:
    assert b"ERASEDMARKER".lower() not in database.lower() and b"erasedmarker@" not in database
    for path in files_under(data_dir):
        assert b"ERASEDMARKER" not in path.read_bytes(), path
    out = run_script(env, tmp_path, "read-live", READ, ids["KEPTMARKER"])
    assert "Name KEPTMARKER" in out and "Employer KEPTMARKER" in out


def test_an_old_sqlite_backup_cannot_decrypt_an_erased_client(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    ids = seed(env, tmp_path)
    data_dir = tmp_path / "var" / "data"
    backup = tmp_path / "backup"  # the whole data folder: the database and the sealed files
    shutil.copytree(data_dir, backup)

    assert "erased 1 files" in run_script(env, tmp_path, "erase", ERASE, ids["ERASEDMARKER"])

    database = b"".join(p.read_bytes() for p in data_dir.glob("strongroom.sqlite3*"))
    check_live_stores(env, tmp_path, data_dir, ids, database)
    # the backup restored as the data folder of a scratch installation with the same key folder
    scratch = tmp_path / "scratch"
    shutil.copytree(backup, scratch)
    check_backup_reads(env | {"STRONGROOM_DATA_DIR": str(scratch)}, tmp_path, ids)


@pytest.fixture
def postgres_databases() -> Iterator[tuple[str, str]]:
    require_postgres()
    import secrets

    import psycopg

    names = [f"strongroom_backup_{secrets.token_hex(4)}", f"strongroom_scratch_{secrets.token_hex(4)}"]
    with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    base = postgres_admin_url().rsplit("/", 1)[0]
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with psycopg.connect(postgres_admin_url(), autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_an_old_postgresql_dump_cannot_decrypt_an_erased_client(
    tmp_path: Path, postgres_databases: tuple[str, str]
) -> None:
    live, scratch = postgres_databases
    env = base_env(tmp_path) | {"DATABASE_URL": live}
    ids = seed(env, tmp_path)
    dump = subprocess.run(
        ["pg_dump", "--no-owner", live], capture_output=True, check=True, timeout=120
    ).stdout
    files_backup = tmp_path / "files-backup"  # the sealed files, backed up with the dump
    shutil.copytree(tmp_path / "var" / "data", files_backup)

    assert "erased 1 files" in run_script(env, tmp_path, "erase", ERASE, ids["ERASEDMARKER"])

    after = subprocess.run(
        ["pg_dump", "--no-owner", live], capture_output=True, check=True, timeout=120
    ).stdout
    check_live_stores(env, tmp_path, tmp_path / "var" / "data", ids, after)
    restored = subprocess.run(
        ["psql", "--quiet", "-v", "ON_ERROR_STOP=1", scratch],
        input=dump,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert restored.returncode == 0, restored.stderr.decode()[-2000:]
    check_backup_reads(
        env | {"DATABASE_URL": scratch, "STRONGROOM_DATA_DIR": str(files_backup)}, tmp_path, ids
    )
