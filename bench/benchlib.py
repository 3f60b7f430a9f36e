"""Shared pieces of the end-to-end benchmarks (bench_upload.py, bench_dashboard.py).

A real Strongroom (`python -m strongroom serve --no-worker`) in a temporary folder, a baseline WSGI
app served by granian with exactly the flags Strongroom's own granian runs with (copied from its
command line), a cookie-keeping HTTP client, and an RSS sampler for a process tree.
Not part of the test suite.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.server import LiveStrongroom, clean_env, free_port  # noqa: E402

MIB = 1 << 20
STAFF_EMAIL, STAFF_PASSWORD = "bench.owner@firm.example", "a long enough bench passphrase 42"


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, path: str = "/healthz") -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"server exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + path, timeout=1) as reply:
                if reply.status == 200:
                    return
        except (OSError, http.client.HTTPException):
            time.sleep(0.1)
    raise RuntimeError("server did not start:\n" + log.read_text()[-4000:])


def stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """Terminate one process we started (it stops its own children) and wait for it."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    out, todo = [], children_of(pid)
    while todo:
        child = todo.pop()
        out.append(child)
        todo += children_of(child)
    return out


def cmdline(pid: int) -> list[str]:
    try:
        return [a.decode() for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
    except OSError:
        return []


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def granian_pids(root: int) -> tuple[int | None, list[int]]:
    """(granian main process, its worker processes) under the process `root`."""
    main = next((p for p in [root, *descendants(root)] if "granian" in cmdline(p)), None)
    if main is None:
        return None, []
    return main, descendants(main)


@dataclass
class RssSampler:
    """Samples the RSS of every process under `root` (and `root` itself) every `interval` s."""

    root: int
    interval: float = 0.1
    peaks: dict[int, float] = field(default_factory=dict)
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        for pid in [self.root, *descendants(self.root)]:
            value = rss_mb(pid)
            if value is not None:
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), value)
        self.samples += 1

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.peaks.clear()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()

    def peak_of(self, pids: list[int]) -> float:
        return max((self.peaks.get(p, 0.0) for p in pids), default=0.0)


class BenchStrongroom(LiveStrongroom):
    """tests.server.LiveStrongroom, started with `serve --no-worker` (no background worker competing
    for the CPU; queued e-mails just wait) and a `shell` that runs Python in the same environment."""

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        log = self.root / "server.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "strongroom", "serve", "--no-worker", "--port", str(self.port)],
            env=self.env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        wait_healthy(self.url, self.process, log)

    def shell(self, code: str, timeout: float = 600) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "strongroom", "shell", "-c", code],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=REPO,
        )
        if done.returncode != 0:
            raise RuntimeError(f"strongroom shell failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def granian_command(self) -> list[str]:
        assert self.process is not None
        main, _ = granian_pids(self.process.pid)
        if main is None:
            raise RuntimeError("no granian process under the Strongroom server")
        return cmdline(main)

    def create_staff_and_workspace(self) -> tuple[str, str]:
        """(user id, workspace id) of a new owner and their workspace, made through the CLI."""
        password = self.root / "staff-password"
        password.write_text(STAFF_PASSWORD)
        user = self.run(
            "users", "create", STAFF_EMAIL, "--name", "Bench Owner", "--password-file", str(password)
        )
        workspace = self.run("workspaces", "create", "Bench Workspace", "--owner", STAFF_EMAIL)
        return _created_id(user, "user"), _created_id(workspace, "workspace")


def _created_id(output: str, what: str) -> str:
    found = re.search(rf"{what} (\S+) created", output)
    if not found:
        raise RuntimeError(f"no {what} id in: {output!r}")
    return found.group(1)


def bench_lines(output: str) -> list[list[str]]:
    """The `BENCH ...` lines a shell script printed, split into words."""
    return [line.split()[1:] for line in output.splitlines() if line.startswith("BENCH ")]


@dataclass
class BaselineServer:
    """A baseline WSGI app served by granian with the same flags as Strongroom's own granian."""

    target: str  # module:attribute, e.g. bench.hello_app:app
    root: Path
    strongroom_granian: list[str]
    env_extra: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        args = self.strongroom_granian[:]
        args[0] = sys.executable
        args[args.index("--port") + 1] = str(self.port)
        app = [i for i, a in enumerate(args) if re.fullmatch(r"[\w.]+:\w+", a)]
        if not app:
            raise RuntimeError(f"no app target in Strongroom's granian command: {args}")
        args[app[-1]] = self.target
        return args

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in clean_env(self.root).items() if k != "DJANGO_SETTINGS_MODULE"}
        log = self.root / "server.log"
        self.process = subprocess.Popen(
            self.command(),
            env=env | self.env_extra,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
        wait_healthy(self.url, self.process, log, path="/")

    def stop(self) -> None:
        stop_process(self.process)


class Browser:
    """A cookie-keeping HTTP client (urllib + CookieJar), following redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
        """(status, final URL, body)."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with self.opener.open(request, timeout=60) as reply:
                return reply.status, reply.geturl(), reply.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode(errors="replace")

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(fields).encode()
        headers = {"X-CSRFToken": self.cookie("csrftoken") or "", "Referer": self.base + path}
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method="POST")
        try:
            with self.opener.open(request, timeout=60) as reply:
                return reply.status, reply.geturl(), reply.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode(errors="replace")

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar if c.value is not None)


def csrf_from_html(html: str) -> str | None:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else None


def git_state() -> str:
    done = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


def fmt_pids(sampler: RssSampler, pids: list[int], labels: dict[int, str] | None = None) -> str:
    names = labels or {}
    return ", ".join(f"{names.get(p, 'pid')} {p}: {sampler.peaks.get(p, 0.0):.0f} MB" for p in pids) or "none"


def rate_mb_s(total: int, seconds: float) -> float:
    return total / seconds / 1e6


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.4f}"


def load_average() -> str:
    """The machine's 1-minute load average against its CPUs: other work skews every figure."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"


def process_labels(root: int) -> dict[int, str]:
    """A name for each process of a `python -m strongroom serve` (or bare granian) tree."""
    main, workers = granian_pids(root)
    labels = {root: "serve" if "strongroom" in cmdline(root) else "granian main"}
    if main is not None:
        labels[main] = "granian main"
    labels |= {w: "granian worker" for w in workers}
    return labels
