"""End-to-end benchmark of a large portal upload into a real Strongroom, against two baselines.

Why: a client's upload is sealed chunk by chunk as it arrives; that must cost little next to the disk
and to plain Django, and the server's memory must not grow with the file.
Run: .venv/bin/python bench/bench_upload.py [--size-mib 1024] [--repeat 3]. Not part of the test suite.

A real Strongroom (`python -m strongroom serve --no-worker`: granian WSGI, 1 worker process) runs on
SQLite in a temporary folder. Staff and a workspace are made through the CLI; a client, a request
with one document item (any kind, large enough) and a portal link through `strongroom shell -c`.
A cookie-keeping client opens the link, then POSTs one multipart file of --size-mib MiB, streamed
from a repeated 1 MiB random block (with a marker string) over a raw HTTPConnection with a
precomputed Content-Length, so the client holds constant memory. Wall time: first byte sent to the
JSON answer read, so it includes the server's fsync and commit.

Baselines, in the same run and on the same disk: A) `dd if=/dev/zero bs=1M conv=fdatasync`;
B) plain Django (bench/plain_upload.py) served by granian with Strongroom's own flags, receiving
the same body unencrypted through Django's default TemporaryFileUploadHandler, then fsync.
Peak memory: RSS of the granian worker process(es), sampled every 0.1 s during the upload.
Checks: the answer is ok, the file is listed on GET /portal/, no file under the Strongroom folder
(blobs, database, keys, log) holds the marker, and the blob opens to the exact bytes sent.
MB/s with 1 MB = 10^6 bytes; memory in MB of 2^20 bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import (
    MIB,
    BaselineServer,
    BenchStrongroom,
    Browser,
    RssSampler,
    bench_lines,
    fmt_pids,
    fmt_ratio,
    git_state,
    granian_pids,
    load_average,
    process_labels,
    rate_mb_s,
)

DD_TARGET = 0.40
PLAIN_TARGET = 0.90
PEAK_TARGET_MB = 100

SETUP = """
from strongroom.accounts.models import User, Workspace
from strongroom.collection import clients, lifecycle
from strongroom.collection.models import RequestItem, RequestSection
from strongroom.portal import links, notice
user = User.objects.get(pk="{user}")
workspace = Workspace.objects.get(pk="{workspace}")
client = clients.do_create_client(workspace, user, name="Bench Client", email="bench.client@client.example")
request = lifecycle.do_create_request(workspace, user, client=client, title="Bench upload", template=None)
section = RequestSection.objects.create(request=request, title="Files", position=0)
item = RequestItem.objects.create(
    request=request, section=section, kind="document", label="Any large file", accepted_kinds=["any"],
    max_file_size={max_size}, max_files=10, position=0,
)
lifecycle.do_send_request(request, user)
link, token = links.do_issue_link(request, user)
notice.do_acknowledge(link, notice.notice_for(link, "en"))
print("BENCH", token, item.pk)
"""

VERIFY = """
import hashlib
from strongroom.collection.models import Upload
from strongroom.vault.actions import read_blob
for upload in Upload.objects.filter(item_id="{item}").select_related("blob").order_by("created_at"):
    digest = hashlib.sha256()
    for chunk in read_blob(upload.blob):
        digest.update(chunk)
    print("BENCH", upload.blob.meta["name"], upload.blob.size, upload.blob.sealed_size,
          upload.blob.storage_name, digest.hexdigest())
"""


@dataclass
class Upload:
    seconds: float
    status: int
    body: bytes
    peak_mb: float
    sampler: RssSampler
    workers: list[int]
    labels: dict[int, str]


def make_block(marker: bytes) -> bytes:
    """1 MiB of random bytes with the marker at the start and at a few odd offsets."""
    block = bytearray(os.urandom(MIB))
    for offset in (0, 4099, 65_000, 300_001, MIB - len(marker)):
        block[offset : offset + len(marker)] = marker
    return bytes(block)


def stream_upload(
    url: str, path: str, headers: dict[str, str], filename: str, block: bytes, total: int, server_root: int
) -> Upload:
    """POST one multipart file of `total` bytes (the block repeated), in constant client memory."""
    boundary = "strongroom-bench-" + secrets.token_hex(16)
    assert boundary.encode() not in block
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=900)
    _, workers = granian_pids(server_root)
    labels = process_labels(server_root)
    view = memoryview(block)
    with RssSampler(server_root) as sampler:
        start = time.perf_counter()
        conn.putrequest("POST", path, skip_accept_encoding=True)
        for name, value in (
            headers
            | {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(head) + total + len(tail)),
            }
        ).items():
            conn.putheader(name, value)
        conn.endheaders()
        try:
            conn.send(head)
            left = total
            while left:
                piece = view[: min(left, len(view))]
                conn.send(piece)
                left -= len(piece)
            conn.send(tail)
        except (BrokenPipeError, ConnectionResetError) as exc:  # the server answered early
            print(f"  ! the server stopped reading the body: {exc!r}")
        reply = conn.getresponse()
        body = reply.read()
        seconds = time.perf_counter() - start
    conn.close()
    return Upload(seconds, reply.status, body, sampler.peak_of(workers), sampler, workers, labels)


def dd_write(folder: Path, size_mib: int) -> float:
    target = folder / "dd.bin"
    os.sync()
    start = time.perf_counter()
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={size_mib}", "conv=fdatasync"],
        check=True,
        capture_output=True,
    )
    seconds = time.perf_counter() - start
    target.unlink()
    return seconds


def marker_files(folder: Path, marker: bytes) -> tuple[list[Path], int, int]:
    """(files holding `marker`, files scanned, bytes scanned) under `folder`."""
    found, files, scanned = [], 0, 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        files += 1
        carry = b""
        with path.open("rb") as source:
            while chunk := source.read(8 * MIB):
                scanned += len(chunk)
                if marker in carry + chunk:
                    found.append(path)
                    break
                carry = chunk[-(len(marker) - 1) :]
    return found, files, scanned


def expected_sha256(block: bytes, total: int) -> str:
    digest = hashlib.sha256()
    full, rest = divmod(total, len(block))
    for _ in range(full):
        digest.update(block)
    digest.update(block[:rest])
    return digest.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--size-mib", type=int, default=1024, help="upload size in MiB (default 1024)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds, best kept (default 3)")
    args = parser.parse_args()
    total = args.size_mib * MIB
    marker = b"STRONGROOM-BENCH-PLAINTEXT-" + secrets.token_hex(16).encode()
    block = make_block(marker)
    print(
        f"upload of {args.size_mib} MiB, {args.repeat} interleaved round(s), best kept; "
        f"code {git_state()}; {load_average()}"
    )

    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp_name:
        tmp = Path(tmp_name)
        strongroom = BenchStrongroom(tmp / "strongroom")
        plain: BaselineServer | None = None
        try:
            started = time.perf_counter()
            strongroom.start()
            user_id, workspace_id = strongroom.create_staff_and_workspace()
            lines = bench_lines(
                strongroom.shell(SETUP.format(user=user_id, workspace=workspace_id, max_size=total + MIB))
            )
            token, item_id = lines[0]
            plain = BaselineServer(
                "bench.plain_upload:app",
                tmp / "plain",
                strongroom.granian_command(),
                env_extra={"BENCH_UPLOAD_DIR": str(tmp / "plain" / "uploads")},
            )
            plain.start()
            print(
                f"  set-up {time.perf_counter() - started:.1f} s; granian: "
                + " ".join(strongroom.granian_command()[3:-1])
            )

            client = Browser(strongroom.url)
            status, landed, _ = client.get(f"/p/{token}")
            assert status == 200 and landed.endswith("/portal/"), (status, landed)
            csrf = client.cookie("csrftoken")
            assert csrf, "GET /portal/ set no CSRF cookie"
            headers = {"Cookie": client.cookie_header(), "X-CSRFToken": csrf, "Accept": "application/json"}
            upload_path = f"/portal/items/{item_id}/files/"
            assert strongroom.process is not None and plain.process is not None
            for _ in range(3):  # warm the worker: imports, templates, connections
                client.get("/portal/")
            _, sr_workers = granian_pids(strongroom.process.pid)
            idle = RssSampler(strongroom.process.pid)
            idle.sample()
            print(
                f"  Strongroom worker RSS before uploading: "
                f"{fmt_pids(idle, sr_workers, process_labels(strongroom.process.pid))}"
            )

            dd_s, plain_runs, sr_runs, names = [], [], [], []
            control: list[Path] = []
            for round_no in range(args.repeat):
                dd_s.append(dd_write(tmp, args.size_mib))
                os.sync()
                plain_runs.append(
                    stream_upload(
                        plain.url,
                        "/upload/",
                        {"Accept": "application/json"},
                        f"plain-{round_no}.bin",
                        block,
                        total,
                        plain.process.pid,
                    )
                )
                if round_no == 0:  # control: the scan finds the marker in a plaintext copy
                    control, _, _ = marker_files(tmp / "plain" / "uploads", marker)
                for leftover in (tmp / "plain" / "uploads").glob("*.bin"):
                    leftover.unlink()
                os.sync()
                names.append(f"bench-upload-{round_no}-{secrets.token_hex(4)}.bin")
                sr_runs.append(
                    stream_upload(
                        strongroom.url, upload_path, headers, names[-1], block, total, strongroom.process.pid
                    )
                )
                print(
                    f"  round {round_no + 1}: dd {rate_mb_s(total, dd_s[-1]):.0f} MB/s, "
                    f"plain Django {rate_mb_s(total, plain_runs[-1].seconds):.0f} MB/s, "
                    f"Strongroom {rate_mb_s(total, sr_runs[-1].seconds):.0f} MB/s"
                )

            problems = check_answers(plain_runs, sr_runs)
            status, _, home = client.get("/portal/")
            listed = [name for name in names if name in home]
            if status != 200 or len(listed) != len(names):
                problems.append(f"GET /portal/ ({status}) lists {len(listed)} of {len(names)} uploads")
            leaks, files, scanned = marker_files(strongroom.root, marker)
            if len(control) != 1:
                problems.append("control failed: the marker was not found in plain Django's stored file")
            if leaks:
                problems.append("plaintext marker found in: " + ", ".join(str(p) for p in leaks))
            blob_dir = strongroom.root / "var" / "data" / "blobs"
            incoming = list((blob_dir / "incoming").glob("*"))
            if incoming:
                problems.append(f"{len(incoming)} object(s) left in blobs/incoming")
            want = expected_sha256(block, total)
            stored = bench_lines(strongroom.shell(VERIFY.format(item=item_id)))
            intact = [s for s in stored if s[0] in names and int(s[1]) == total and s[4] == want]
            if len(intact) != len(names):
                problems.append(f"{len(intact)} of {len(names)} stored blobs open to the bytes sent")
            print(
                f"  checks: {len(listed)}/{len(names)} listed on /portal/; marker scanned in {files} files "
                f"({scanned / 1e9:.2f} GB) under the Strongroom folder, found in {len(leaks)} "
                f"(control: found in plain Django's copy: {len(control) == 1}); "
                f"{len(intact)}/{len(names)} blobs decrypt to the sent SHA-256; "
                f"sealed size {stored[0][2] if stored else '?'} bytes for {total}"
            )
        finally:
            if plain is not None:
                plain.stop()
            strongroom.stop()

    return report(total, min(dd_s), plain_runs, sr_runs, problems)


def check_answers(plain_runs: list[Upload], sr_runs: list[Upload]) -> list[str]:
    problems = []
    for label, runs in (("plain Django", plain_runs), ("Strongroom", sr_runs)):
        for run in runs:
            try:
                answer = json.loads(run.body)
            except ValueError:
                answer = {}
            if run.status != 200 or not answer.get("ok"):
                problems.append(f"{label} answered {run.status}: {run.body[:300]!r}")
    return problems


def report(
    total: int, dd_s: float, plain_runs: list[Upload], sr_runs: list[Upload], problems: list[str]
) -> int:
    plain = min(plain_runs, key=lambda u: u.seconds)
    sr = min(sr_runs, key=lambda u: u.seconds)
    dd_rate, plain_rate, sr_rate = (
        rate_mb_s(total, dd_s),
        rate_mb_s(total, plain.seconds),
        rate_mb_s(total, sr.seconds),
    )
    sr_peak = max(u.peak_mb for u in sr_runs)
    plain_peak = max(u.peak_mb for u in plain_runs)
    print(f"  {'dd bs=1M conv=fdatasync (disk)':<44} {dd_rate:8.0f} MB/s  {dd_s:6.2f} s")
    print(
        f"  {'plain Django, unencrypted, + fsync':<44} {plain_rate:8.0f} MB/s  {plain.seconds:6.2f} s  "
        f"peak worker RSS {plain_peak:.0f} MB"
    )
    print(
        f"  {'Strongroom portal upload, sealed':<44} {sr_rate:8.0f} MB/s  {sr.seconds:6.2f} s  "
        f"peak worker RSS {sr_peak:.0f} MB"
    )
    print(
        f"  Strongroom processes, peak RSS in the best round: "
        f"{fmt_pids(sr.sampler, sorted(sr.sampler.peaks), sr.labels)} ({sr.sampler.samples} samples)"
    )
    print(f"  after the run: {load_average()}")
    for problem in problems:
        print(f"  ! {problem}")
    of_dd, of_plain = sr_rate / dd_rate, sr_rate / plain_rate
    ok = of_dd >= DD_TARGET and of_plain >= PLAIN_TARGET and sr_peak < PEAK_TARGET_MB and not problems
    print(
        f"upload {sr_rate:.0f} MB/s: {fmt_ratio(of_dd)} of dd (target >= {DD_TARGET:.2f}), "
        f"{fmt_ratio(of_plain)} of plain Django (target >= {PLAIN_TARGET:.2f}); "
        f"peak worker RSS {sr_peak:.0f} MB (target < {PEAK_TARGET_MB} MB); "
        f"checks {'passed' if not problems else 'FAILED'}"
        f"{'' if ok else '  MISSED'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
