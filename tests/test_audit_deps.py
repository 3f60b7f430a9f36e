"""bin/audit-deps: fails on a known vulnerability, honours accepted findings, and never calls a run that
checked nothing a pass. pip-audit is replaced by a stand-in printing the report each test chooses."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import threading
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def audit(tmp_path: Path, report: dict[str, Any], **env: str) -> subprocess.CompletedProcess[str]:
    stand_in = tmp_path / "pip_audit"
    stand_in.mkdir(exist_ok=True)
    (stand_in / "__init__.py").write_text("")
    (stand_in / "__main__.py").write_text(
        "import json, sys\n"
        f"report = json.loads({json.dumps(json.dumps(report))})\n"
        "ignored = [sys.argv[i + 1] for i, a in enumerate(sys.argv) if a == '--ignore-vuln']\n"
        "for dep in report['dependencies']:\n"
        "    dep['vulns'] = [v for v in dep.get('vulns', []) if v['id'] not in ignored]\n"
        "print(json.dumps(report))\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "STRONGROOM_AUDIT_OFFLINE_OK"}
    # No project pages unless a test serves some: nothing here depends on the network.
    environment |= {"PYTHONPATH": str(tmp_path), "STRONGROOM_AUDIT_PYPI_URL": "http://127.0.0.1:9", **env}
    return subprocess.run([str(ROOT / "bin" / "audit-deps")], capture_output=True, text=True, env=environment,
                          timeout=60, check=False)


CLEAN = {"dependencies": [{"name": "django", "version": "6.0", "vulns": []}]}
VULNERABLE = {"dependencies": [{"name": "django", "version": "6.0", "vulns": [
    {"id": "GHSA-test-0000-0000", "fix_versions": ["6.0.1"], "aliases": [], "description": ""}]}]}
UNREACHABLE = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found on PyPI"}]}


def test_a_clean_audit_passes(tmp_path: Path) -> None:
    done = audit(tmp_path, CLEAN)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no known vulnerabilities" in done.stdout


def test_a_known_vulnerability_fails_and_is_named(tmp_path: Path) -> None:
    done = audit(tmp_path, VULNERABLE, STRONGROOM_AUDIT_OFFLINE_OK="1")
    assert done.returncode == 1
    assert "VULNERABLE django 6.0: GHSA-test-0000-0000 (fixed in 6.0.1)" in done.stdout


def test_an_audit_that_checked_nothing_is_not_a_pass_unless_declared_acceptable(tmp_path: Path) -> None:
    done = audit(tmp_path, UNREACHABLE)
    assert done.returncode == 2
    assert done.stdout.count("\n") == 1 and "NOT AUDITED" in done.stdout
    accepted = audit(tmp_path, UNREACHABLE, STRONGROOM_AUDIT_OFFLINE_OK="1")
    assert accepted.returncode == 0 and "NOT AUDITED" in accepted.stdout


def pinned_django() -> str:
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.lower().startswith("django=="):
            return line.split("==")[1].strip()
    raise AssertionError("Django is not pinned")


class ProjectPages:
    """A stand-in for PyPI's project pages (/<name>/json), answering with the page a test chooses."""

    def __init__(self, page: dict[str, Any]) -> None:
        body = json.dumps(page).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = self.path.rstrip("/").lower() == "/django/json"
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body if found else b"{}")

            def log_message(self, *args: Any) -> None:
                """Quiet: the tests read the audit's output, not this server's log."""

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()


def test_where_release_pages_do_not_answer_the_project_page_of_the_pinned_release_decides(
    tmp_path: Path,
) -> None:
    advisory = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-1"], "fixed_in": ["99.0"], "withdrawn": None}
    outcomes = {}
    pages_by_label: dict[str, dict[str, Any]] = {
        "clean": {"info": {"version": pinned_django()}, "vulnerabilities": []},
        "vulnerable": {"info": {"version": pinned_django()}, "vulnerabilities": [advisory]},
        "newer release": {"info": {"version": "99.0"}, "vulnerabilities": [advisory]},
    }
    for label, page in pages_by_label.items():
        pages = ProjectPages(page)
        try:
            outcomes[label] = audit(tmp_path, UNREACHABLE, STRONGROOM_AUDIT_PYPI_URL=pages.url)
        finally:
            pages.close()

    assert outcomes["clean"].returncode == 0, outcomes["clean"].stdout
    assert "1 of them through PyPI's project pages" in outcomes["clean"].stdout
    assert outcomes["vulnerable"].returncode == 1
    named = f"VULNERABLE django {pinned_django()}: PYSEC-2099-1 (fixed in 99.0)"
    assert named in outcomes["vulnerable"].stdout
    # The page describes another release: nothing can be said of the pinned one.
    assert outcomes["newer release"].returncode == 2 and "NOT AUDITED" in outcomes["newer release"].stdout
