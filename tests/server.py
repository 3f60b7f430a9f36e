"""A real Strongroom for end-to-end tests: `python -m strongroom serve` (WSGI server and worker) in a
subprocess, with its own data and key folders and database, driven as an operator would."""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(root: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRONGROOM_", "DATABASE_URL"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "strongroom.settings",
        "STRONGROOM_DATA_DIR": str(root / "var" / "data"),
        "STRONGROOM_KEY_DIR": str(root / "var" / "keys"),
    }
    return env | extra


@dataclass
class LiveStrongroom:
    root: Path
    port: int = field(default_factory=free_port)
    # The name browsers use; "localhost" where a domain is needed (a WebAuthn RP id cannot be an IP).
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None
    # Plain HTTP unless asked for: the embedded server's own TLS is tested in tests/test_transport.py.
    tls: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)
    serve_args: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        tls = {} if self.tls else {"STRONGROOM_TLS": "off"}
        return clean_env(self.root, STRONGROOM_BASE_URL=self.url, **tls) | self.extra_env

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "strongroom", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"strongroom {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self) -> None:
        log = (self.root / "server.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "strongroom", "serve", "--port", str(self.port), *self.serve_args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(300):
            try:
                health = f"{self.url}/healthz"
                with urllib.request.urlopen(health, timeout=1, context=self.client_tls) as reply:
                    if reply.read() == b"ok":
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("Strongroom did not start:\n" + (self.root / "server.log").read_text())

    @property
    def client_tls(self) -> ssl.SSLContext | None:
        """Trusts this server's own certificate (self-signed unless configured), and nothing else."""
        if not self.tls:
            return None
        configured = self.extra_env.get("STRONGROOM_TLS_CERT")
        cert = Path(configured) if configured else self.root / "var" / "keys" / "tls" / "self-signed.crt"
        if not cert.exists():
            raise OSError("no certificate yet")
        return ssl.create_default_context(cafile=str(cert))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def wait_for_mail(self, to: str, subject_has: str = "", after: int = 0, timeout: float = 60) -> str:
        """The text of the `after`-th+1 message to `to` (the worker sends them), waiting for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = [
                line for line in self.run("outbox", "list").splitlines() if to in line and subject_has in line
            ]
            if len(lines) > after:
                message_id = sorted(lines)[after].split()[0]
                return self.run("outbox", "show", message_id)
            time.sleep(0.5)
        raise AssertionError(f"no e-mail to {to} arrived:\n{self.run('outbox', 'list')}")

    def link_in(self, mail: str) -> str:
        found = re.search(re.escape(self.url) + r"/p/[A-Za-z0-9_\-]+", mail)
        assert found, f"no portal link in:\n{mail}"
        return found.group(0)
