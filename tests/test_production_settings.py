"""Production mode refuses to start with unsafe settings, and says which one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from strongroom.config import env_bool, env_str, production_problems


def start(env_overrides: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRONGROOM_", "DATABASE_URL"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "strongroom.settings",
        "STRONGROOM_ENV": "production",
        "STRONGROOM_SECRET_KEY": "a" * 50,
        "STRONGROOM_ALLOWED_HOSTS": "portal.example.com",
        "STRONGROOM_DATA_DIR": str(tmp_path / "data"),
        "STRONGROOM_KEY_DIR": str(tmp_path / "keys"),
    })
    env.update(env_overrides)
    return subprocess.run([sys.executable, "-m", "strongroom", "check"], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def test_safe_production_settings_start(tmp_path: Path) -> None:
    done = start({}, tmp_path)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"STRONGROOM_SECRET_KEY": ""}, "STRONGROOM_SECRET_KEY is not set"),
        ({"STRONGROOM_DEBUG": "true"}, "STRONGROOM_DEBUG is on"),
        ({"STRONGROOM_DEMO": "true"}, "STRONGROOM_DEMO is on"),
        ({"STRONGROOM_ALLOWED_HOSTS": "*"}, "STRONGROOM_ALLOWED_HOSTS must name"),
        ({"STRONGROOM_KEY_DIR": "{data}/keys"}, "is inside the data folder"),
        ({"STRONGROOM_DEBUG": "perhaps"}, "STRONGROOM_DEBUG must be true or false"),
        ({"STRONGROOM_KEY_PROVIDER": "vault"}, "STRONGROOM_KEY_PROVIDER must be one of file, pkcs11"),
    ],
)
def test_unsafe_production_settings_are_refused_by_name(
    tmp_path: Path, overrides: dict[str, str], named: str
) -> None:
    overrides = {k: v.format(data=tmp_path / "data") for k, v in overrides.items()}

    done = start(overrides, tmp_path)

    assert done.returncode == 1
    assert named in done.stderr
    assert "Traceback" not in done.stderr


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    (keys / "master-x.key").write_text("00" * 32)
    (keys / "master-x.key").chmod(0o644)

    done = start({}, tmp_path)

    assert done.returncode == 1
    assert f"{keys / 'master-x.key'} can be read by users other than its owner" in done.stderr


def test_all_problems_are_listed_at_once(tmp_path: Path) -> None:
    problems = production_problems(secret_key_given=False, debug=True, data_dir=tmp_path,
                                   key_dir=tmp_path / "keys", key_provider="file", allowed_hosts=["*"])
    assert len(problems) == 4


def test_secrets_can_come_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("STRONGROOM_SECRET_KEY_FILE", str(secret))
    monkeypatch.setenv("STRONGROOM_DEBUG", "yes")

    assert env_str("STRONGROOM_SECRET_KEY") == "from-a-file"
    assert env_bool("STRONGROOM_DEBUG") is True


def test_an_unreadable_secret_file_is_named(tmp_path: Path) -> None:
    done = start({"STRONGROOM_SECRET_KEY_FILE": str(tmp_path / "missing")}, tmp_path)
    assert done.returncode == 1
    assert "STRONGROOM_SECRET_KEY_FILE points to" in done.stderr


def test_a_portal_token_in_a_404_is_not_logged(
    caplog: pytest.LogCaptureFixture, client: Any, db: Any
) -> None:
    with caplog.at_level("DEBUG"):
        reply = client.get("/p/a-token-that-must-stay-out-of-logs")

    assert reply.status_code == 404
    assert "a-token-that-must-stay-out-of-logs" not in caplog.text
