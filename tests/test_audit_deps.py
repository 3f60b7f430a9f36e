"""bin/audit-deps: fails on a known vulnerability, honours accepted findings, and never calls a run that
checked nothing a pass. pip-audit is replaced by a stand-in printing the report each test chooses."""

from __future__ import annotations

import json
import os
import subprocess
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
    environment |= {"PYTHONPATH": str(tmp_path), **env}
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
