"""Benchmark: building an access package costs what the subject holds, not what the database holds.

Why: a package is built from the data map (every row and file tied to the subject's key). If any
step scanned the whole database, a big firm's clients would wait longer for the same answer.
Run: .venv/bin/python bench/bench_access_package.py [--others 10000] [--small 100] [--repeat 3].
Not part of the test suite.

In one process, on SQLite in a temporary folder (keys too), with the real actions: a workspace, the
subject (a client with one request of 200 answered questions and 50 sealed PDF files of 64 KiB),
and --small other clients, each with a request of 3 answered questions, a message and one sealed
file. The package (the sealed ZIP with CSV, XLSX, XML, JSON, README and the 50 files) is built
--repeat times and the best time kept. Then other clients are added up to --others and the same
package is built again. The ratio large/small should stay close to 1 (target <= 1.25).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RATIO_TARGET = 1.25
FILE_SIZE = 64 * 1024


def setup_django(folder: Path) -> None:
    os.environ["STRONGROOM_DATA_DIR"] = str(folder / "data")
    os.environ["STRONGROOM_KEY_DIR"] = str(folder / "keys")
    os.environ["DJANGO_SETTINGS_MODULE"] = "strongroom.settings"
    os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from strongroom.crypto.keys import ensure_master_key

    ensure_master_key()


def pdf(tag: str, size: int) -> bytes:
    head = f"%PDF-1.7\n% {tag}\n".encode()
    return head + b"0" * (size - len(head) - 6) + b"\n%%EOF"


def make_client(workspace, owner, number: int, questions: int, files: int, file_size: int):  # type: ignore[no-untyped-def]
    import io

    from strongroom.collection.clients import do_create_client
    from strongroom.collection.models import Message, Request, RequestItem, RequestSection, Upload
    from strongroom.vault.actions import do_store_blob

    client = do_create_client(
        workspace, owner, name=f"Client {number:05d}", email=f"c{number:05d}@bench.example"
    )
    request = Request.objects.create(workspace=workspace, client=client, owner=owner, title="Bench request")
    section = RequestSection.objects.create(request=request, title="Section", position=0)
    for q in range(questions):
        item = RequestItem(
            request=request,
            section=section,
            position=q,
            kind="question",
            question_type="short_text",
            label=f"Question {q}",
        )
        item.answer = f"Answer {q} of client {number}"
        item.state = "pending"
        item.save()
    doc = RequestItem.objects.create(
        request=request,
        section=section,
        position=questions,
        kind="document",
        question_type="",
        label="Documents",
        max_files=max(files, 1),
    )
    for f in range(files):
        blob = do_store_blob(
            client.subject,
            io.BytesIO(pdf(f"{number}-{f}", file_size)),
            name=f"doc-{f}.pdf",
            content_type="application/pdf",
            actor=owner,
            workspace=workspace,
        )
        Upload.objects.create(item=doc, blob=blob)
    message = Message(request=request)
    message.body = f"Hello from client {number}"
    message.save()
    return client


def build_once(rights_request) -> float:  # type: ignore[no-untyped-def]
    from django.db import transaction

    from strongroom.rights.packages import build_package
    from strongroom.vault.actions import delete_blob

    started = time.perf_counter()
    package, _token = build_package(rights_request)
    took = time.perf_counter() - started
    with transaction.atomic():
        blob = package.blob
        package.delete()
        if blob is not None:
            delete_blob(blob)
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--others", type=int, default=10_000, help="other subjects in the large database")
    parser.add_argument("--small", type=int, default=100, help="other subjects in the small database")
    parser.add_argument("--repeat", type=int, default=3, help="builds per size, best kept")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-package-"))
    try:
        setup_django(folder)
        from django.db import connection
        from django.utils import timezone

        from strongroom.accounts.actions import do_create_user, do_create_workspace
        from strongroom.audit.actors import operator
        from strongroom.rights.models import Channel, RightsRequest, RightsState

        owner = do_create_user("owner@bench.example", None, operator("bench"), name="Bench Owner")
        workspace = do_create_workspace("Bench Workspace", owner, operator("bench"))
        subject = make_client(workspace, owner, 0, questions=200, files=50, file_size=FILE_SIZE)
        now = timezone.now()
        rights_request = RightsRequest(
            workspace=workspace,
            subject=subject.subject,
            client=subject,
            kind="access",
            channel=Channel.PORTAL,
            state=RightsState.IN_PROGRESS,
            received_at=now,
            due_on=timezone.localdate(),
            original_due_on=timezone.localdate(),
        )
        rights_request.save(force_insert=True)

        def grow(to: int, made: int) -> int:
            started = time.perf_counter()
            for number in range(made + 1, to + 1):
                make_client(workspace, owner, number, questions=3, files=1, file_size=1024)
            print(f"  {to} other subjects ({to - made} made in {time.perf_counter() - started:.0f} s)")
            return to

        def measure(label: str) -> float:
            times = [build_once(rights_request) for _ in range(args.repeat)]
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM crypto_subjectkey")
                subjects = cursor.fetchone()[0]
            best = min(times)
            print(
                f"  {label}: best {best * 1000:.0f} ms of {', '.join(f'{t * 1000:.0f}' for t in times)} ms "
                f"({subjects} subject keys in the database)"
            )
            return best

        print(f"access package for 1 subject with 200 answers and 50 files of {FILE_SIZE // 1024} KiB")
        made = grow(args.small, 0)
        small = measure(f"with {args.small} other subjects")
        grow(args.others, made)
        large = measure(f"with {args.others} other subjects")
        ratio = large / small
        verdict = "met" if ratio <= RATIO_TARGET else "MISSED"
        print(
            f"package build {large * 1000:.0f} ms with {args.others} others vs {small * 1000:.0f} ms with "
            f"{args.small}: ratio {ratio:.2f} (target <= {RATIO_TARGET:.2f}) {verdict}"
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
