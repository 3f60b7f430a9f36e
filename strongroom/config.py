"""Typed readers for Strongroom's environment variables, and the production safety checks.

Every setting comes from the environment. A variable `NAME` may instead be given as `NAME_FILE`,
the path of a file holding the value (how container secrets are mounted).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    """The value of `name`, or of the file named by `name_FILE`, or `default`."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            message = f"{name}_FILE points to {file_name}, which cannot be read: {exc}"
            raise ImproperlyConfigured(message) from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = env_str(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = env_str(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = env_str(name, "")
    return Path(raw).expanduser().resolve() if raw else default.resolve()


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = env_str(name, default).strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}.")
    return value


def is_inside(child: Path, parent: Path) -> bool:
    child, parent = child.resolve(), parent.resolve()
    return child == parent or parent in child.parents


def loose_permission_files(folder: Path) -> list[Path]:
    """Files in `folder` (and the folder itself) that users other than the owner can reach."""
    if not folder.exists():
        return []
    found = [folder] if folder.stat().st_mode & 0o077 else []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            found.append(path)
    return found


def production_problems(
    *,
    secret_key_given: bool,
    debug: bool,
    data_dir: Path,
    key_dir: Path,
    key_provider: str,
    allowed_hosts: list[str],
    demo: bool = False,
    tls: bool = True,
    proxy_ssl_header: str = "",
) -> list[str]:
    """Every reason the given configuration is unsafe to run in production, as sentences."""
    problems = []
    if not secret_key_given:
        problems.append("STRONGROOM_SECRET_KEY is not set")
    if debug:
        problems.append("STRONGROOM_DEBUG is on")
    if demo:
        problems.append("STRONGROOM_DEMO is on (it lets owners read every workspace's e-mail)")
    if "*" in allowed_hosts or not allowed_hosts:
        problems.append("STRONGROOM_ALLOWED_HOSTS must name the site's host names, not '*' or nothing")
    if not tls and not proxy_ssl_header:
        problems.append(
            "STRONGROOM_TLS is off and no STRONGROOM_PROXY_SSL_HEADER names the header by which "
            "a reverse proxy marks HTTPS requests; Strongroom would be served over plain HTTP"
        )
    # The key folder holds the master keys (file provider) and, with either provider, the subject
    # secrets that crypto-shredding deletes: a backup of the data folder must never carry them.
    what = "key folder" if key_provider == "file" else "key folder (it holds the subject secrets)"
    if is_inside(key_dir, data_dir):
        problems.append(
            f"the {what} {key_dir} is inside the data folder {data_dir}; "
            "keep keys apart from the data they protect"
        )
    for path in loose_permission_files(key_dir) + loose_permission_files(key_dir / "subjects"):
        problems.append(f"{path} can be read by users other than its owner (run chmod go-rwx on it)")
    return problems


def refuse_unsafe_production(problems: list[str]) -> None:
    if problems:
        raise ImproperlyConfigured(
            "Strongroom refuses to start in production mode: " + "; ".join(problems) + "."
        )


def development_secret_key(key_dir: Path) -> str:
    """The signing key of a development installation, created on first use (mode 0600)."""
    path = key_dir / "django-secret-key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value + "\n")
    return value
