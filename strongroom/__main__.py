"""`python -m strongroom <command>`: serve, or any management command (keys, audit, users, ...)."""

from __future__ import annotations

import os
import sys


def serve(argv: list[str]) -> None:
    """Prepare the database and the master key, then run the WSGI server in this process."""
    import argparse

    from django.core.management import call_command

    parser = argparse.ArgumentParser(prog="strongroom serve")
    parser.add_argument("--host", default=os.environ.get("STRONGROOM_HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("STRONGROOM_PORT", "8000"))
    parser.add_argument("--workers", default=os.environ.get("STRONGROOM_WORKERS", "1"))
    parser.add_argument("--threads", default=os.environ.get("STRONGROOM_THREADS", "8"))
    args = parser.parse_args(argv)

    call_command("migrate", interactive=False, verbosity=0)
    call_command("keys", "init")
    print(f"Strongroom is listening on http://{args.host}:{args.port}/", flush=True)
    os.execv(sys.executable, [  # noqa: S606 - replaces this process with the server
        sys.executable, "-m", "granian", "--interface", "wsgi", "--host", args.host,
        "--port", str(args.port), "--workers", str(args.workers), "--no-ws",
        "--blocking-threads", str(args.threads), "--backpressure", str(args.threads),
        "strongroom.wsgi:application",
    ])


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "strongroom.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        sys.exit(f"strongroom: {exc}")
    argv = sys.argv[1:]
    if argv and argv[0] == "serve":
        serve(argv[1:])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["strongroom", *argv])


if __name__ == "__main__":
    main()
