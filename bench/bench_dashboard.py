"""End-to-end benchmark of the staff dashboard under load, against a bare "hello" Django view.

Why: the dashboard is the page staff keep open and reload; with 50 requests a page, each row's client
name decrypted, it must stay a sizeable fraction of what the server and framework can do at all.
Run: .venv/bin/python bench/bench_dashboard.py [--requests 1000] [--seconds 15] [--connections 4]
[--client auto|wrk|python]. Not part of the test suite.

A real Strongroom (`python -m strongroom serve --no-worker`: granian WSGI, 1 worker process) runs on
SQLite in a temporary folder. Staff and a workspace are made through the CLI, then --requests
requests, each for a client of its own, through `strongroom shell -c` calling the actions in
batches (one document item each; 4 in 5 sent, the rest drafts; due dates spread from 30 days ago
to 60 days ahead, 1 in 10 without one, so some are overdue). A cookie-keeping client signs in
(POST /login/ with the CSRF token), then GET /w/<workspace>/ (the first page of 50) is requested by
--connections concurrent keep-alive connections for --seconds, after a 3 s warm-up.

Baseline, in the same run: bench/hello_app.py (bare Django, one view answering "hello", no
middleware or database) served by granian with Strongroom's own flags, measured the same way and
sent the same headers; for reference, the same app's page of one template and one query too. The
load comes from `wrk` when installed (it costs the 2 CPUs little), else from Python threads (which
compete with the server for the CPUs: the baseline then reads lower).
Every response is checked: wrk's non-2xx/3xx count and its bytes per response (a redirect to the
sign-in page would be tiny), the Python client's status codes and body sizes.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.benchlib import (
    STAFF_EMAIL,
    STAFF_PASSWORD,
    BaselineServer,
    BenchStrongroom,
    Browser,
    bench_lines,
    csrf_from_html,
    fmt_ratio,
    git_state,
    load_average,
)

RATIO_TARGET = 0.35
WARM_UP_SECONDS = 3.0

BULK = """
import random
from datetime import timedelta
from django.db import transaction
from django.utils import timezone
from strongroom.accounts.models import User, Workspace
from strongroom.collection import clients, lifecycle
from strongroom.collection.models import Request, RequestItem, RequestSection
user = User.objects.get(pk="{user}")
workspace = Workspace.objects.get(pk="{workspace}")
rng = random.Random(7)
surnames = ["Martin", "Okafor", "Nguyen", "Dubois", "Kowalski", "Smith", "Haddad", "Rossi", "Sato"]
today = timezone.localdate()
for start in range(0, {n}, 100):
    with transaction.atomic():
        for i in range(start, min(start + 100, {n})):
            client = clients.do_create_client(
                workspace, user, name=f"Client{{i:04d}} {{rng.choice(surnames)}}",
                email=f"client{{i:04d}}@client.example",
            )
            due = today + timedelta(days=rng.randint(-30, 60)) if i % 10 else None
            request = lifecycle.do_create_request(
                workspace, user, client=client, title=f"Tenancy application {{i:04d}}", template=None,
                due_date=due,
            )
            section = RequestSection.objects.create(request=request, title="Documents", position=0)
            RequestItem.objects.create(
                request=request, section=section, kind="document", label="Proof of income", position=0
            )
            if i % 5:
                lifecycle.do_send_request(request, user)
print("BENCH", Request.objects.filter(workspace=workspace).count())
"""


@dataclass
class Load:
    tool: str
    rps: float
    requests: int
    seconds: float
    bytes_per_response: float
    bad: int  # responses that were not 200 with a full body (or errors)
    latency_ms: dict[str, float] = field(default_factory=dict)


def wrk_load(url: str, headers: dict[str, str], connections: int, seconds: float) -> Load:
    threads = max(1, min(connections, os.cpu_count() or 1))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read", out)
    if not done:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    count = int(done.group(1))
    took = float(done.group(2)) * {"s": 1, "ms": 1e-3, "m": 60}.get(done.group(3), 1)
    read = float(done.group(4)) * {"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[done.group(5)]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    bad = (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, errors.groups())) if errors else 0)
    latency = {
        p: _ms(float(v), unit)
        for p, v, unit in re.findall(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    }
    return Load("wrk", count / took, count, took, read / max(count, 1), bad, latency)


def _ms(value: float, unit: str) -> float:
    return value * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def python_load(url: str, headers: dict[str, str], connections: int, seconds: float, min_body: int) -> Load:
    """`connections` threads, each with one keep-alive HTTPConnection, GET in a loop until time is up."""
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, port = host_port.split(":")
    path = "/" + path
    lock = threading.Lock()
    latencies: list[float] = []
    totals = {"count": 0, "bytes": 0, "bad": 0}
    ready = threading.Barrier(connections + 1)
    deadline = [0.0]

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        mine: list[float] = []
        count = size = bad = 0
        ready.wait()
        while (now := time.perf_counter()) < deadline[0]:
            try:
                conn.request("GET", path, headers=headers)
                reply = conn.getresponse()
                body = reply.read()
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)
                continue
            mine.append(time.perf_counter() - now)
            count += 1
            size += len(body)
            bad += reply.status != 200 or len(body) < min_body
        conn.close()
        with lock:
            latencies.extend(mine)
            totals["count"] += count
            totals["bytes"] += size
            totals["bad"] += bad

    workers = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in workers:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    start = time.perf_counter()
    ready.wait()
    for thread in workers:
        thread.join()
    took = time.perf_counter() - start
    latency = {}
    if len(latencies) >= 2:
        cuts = statistics.quantiles(latencies, n=100)
        latency = {"50": cuts[49] * 1e3, "90": cuts[89] * 1e3, "99": cuts[98] * 1e3}
    count = totals["count"]
    return Load("python", count / took, count, took, totals["bytes"] / max(count, 1), totals["bad"], latency)


def measure(
    tool: str, url: str, headers: dict[str, str], connections: int, seconds: float, body_size: int
) -> Load:
    """Warm up, then measure; a wrk run whose responses are shorter than the page counts them bad."""
    if tool == "wrk":
        wrk_load(url, headers, connections, WARM_UP_SECONDS)
        load = wrk_load(url, headers, connections, seconds)
        if load.bytes_per_response < body_size:  # wrk counts headers too: always more than the body
            load.bad = max(load.bad, load.requests)
        return load
    python_load(url, headers, connections, WARM_UP_SECONDS, body_size)
    return python_load(url, headers, connections, seconds, body_size)


def sign_in(url: str, workspace_id: str) -> tuple[Browser, str]:
    """A signed-in staff browser and the dashboard's HTML."""
    staff = Browser(url)
    status, _, page = staff.get("/login/")
    token = csrf_from_html(page)
    assert status == 200 and token, f"GET /login/ answered {status} without a CSRF token"
    status, landed, page = staff.post_form(
        "/login/", {"username": STAFF_EMAIL, "password": STAFF_PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert status == 200 and landed.endswith(f"/w/{workspace_id}/"), f"sign-in ended at {landed} ({status})"
    return staff, page


def describe(label: str, load: Load) -> str:
    lat = ", ".join(f"p{k} {v:.1f} ms" for k, v in load.latency_ms.items())
    return (
        f"  {label:<34} {load.rps:8.1f} req/s  ({load.requests} in {load.seconds:.1f} s, "
        f"{load.bytes_per_response / 1024:.1f} KiB each; {lat}; bad {load.bad})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=1000, help="requests to create (default 1000)")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per page (default 15)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections (default 4)")
    parser.add_argument(
        "--client",
        choices=("auto", "wrk", "python"),
        default="auto",
        help="load generator (default: wrk when installed, else Python threads)",
    )
    args = parser.parse_args()
    tool = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")
    if tool == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install -y wrk), use --client python")
    print(
        f"dashboard with {args.requests} requests; {args.connections} connections for {args.seconds:g} s "
        f"with {tool}; code {git_state()}; {load_average()}"
    )

    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp_name:
        tmp = Path(tmp_name)
        strongroom = BenchStrongroom(tmp / "strongroom")
        hello: BaselineServer | None = None
        try:
            started = time.perf_counter()
            strongroom.start()
            user_id, workspace_id = strongroom.create_staff_and_workspace()
            print(f"  server started and staff created in {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            made = bench_lines(
                strongroom.shell(BULK.format(user=user_id, workspace=workspace_id, n=args.requests))
            )
            print(
                f"  {made[0][0]} requests (with their clients) created in "
                f"{time.perf_counter() - started:.1f} s"
            )
            hello = BaselineServer("bench.hello_app:app", tmp / "hello", strongroom.granian_command())
            hello.start()

            staff, page = sign_in(strongroom.url, workspace_id)
            rows = len(re.findall(rf'href="/w/{workspace_id}/requests/[0-9a-f-]{{36}}/"', page))
            headers = {"Cookie": staff.cookie_header(), "Accept": "text/html"}
            dashboard_url = f"{strongroom.url}/w/{workspace_id}/"
            body_size = len(page.encode())
            print(f"  dashboard page: {rows} request rows, {body_size / 1024:.1f} KiB")

            board = measure(tool, dashboard_url, headers, args.connections, args.seconds, body_size)
            base = measure(tool, hello.url + "/", headers, args.connections, args.seconds, len(b"hello"))
            one_query = measure(
                tool, hello.url + "/one-query/", headers, args.connections, args.seconds, len(b"<h1>")
            )
            status, landed, _ = staff.get(f"/w/{workspace_id}/")
            still_signed_in = status == 200 and landed == dashboard_url
        finally:
            if hello is not None:
                hello.stop()
            strongroom.stop()

    print(f"  after the run: {load_average()}")
    print(describe("Strongroom dashboard GET /w/<ws>/", board))
    print(describe("bare Django 'hello' (baseline)", base))
    print(describe("bare Django, 1 template + 1 query", one_query))
    problems = []
    if rows != 50:
        problems.append(f"the dashboard showed {rows} rows, not 50")
    if board.bad or base.bad or one_query.bad:
        problems.append(
            f"bad responses: dashboard {board.bad}, hello {base.bad}, one-query page {one_query.bad}"
        )
    if not still_signed_in:
        problems.append("the staff session did not survive the run")
    for problem in problems:
        print(f"  ! {problem}")
    ratio = board.rps / base.rps if base.rps else 0.0
    ok = ratio >= RATIO_TARGET and not problems
    print(
        f"dashboard {board.rps:.0f} req/s vs hello {base.rps:.0f} req/s ({tool}, {args.connections} "
        f"connections): {fmt_ratio(ratio)} (target >= {RATIO_TARGET:.2f}); "
        f"checks {'passed' if not problems else 'FAILED'}{'' if ok else '  MISSED'}"
    )
    one_query_ratio = one_query.rps / base.rps if base.rps else 0.0
    board_to_one_query = board.rps / one_query.rps if one_query.rps else 0.0
    print(
        f"for reference: one template + one query reaches {fmt_ratio(one_query_ratio)} of hello; "
        f"the dashboard reaches {fmt_ratio(board_to_one_query)} of that page"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
