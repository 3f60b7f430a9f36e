"""`python -m strongroom <command>`: serve, worker, or any management command (keys, audit, users, ...)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from typing import Any


def _serve_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="strongroom serve")
    parser.add_argument("--host", default=os.environ.get("STRONGROOM_HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("STRONGROOM_PORT", "8000"))
    parser.add_argument("--workers", default=os.environ.get("STRONGROOM_WORKERS", "1"))
    parser.add_argument("--threads", default=os.environ.get("STRONGROOM_THREADS", "8"))
    parser.add_argument("--no-worker", action="store_true", help="do not run a background worker")
    parser.add_argument(
        "--http-port",
        default=os.environ.get("STRONGROOM_HTTP_PORT", ""),
        help="also listen for plain HTTP here, answering every request with a redirect to HTTPS",
    )
    return parser.parse_args(argv)


def _tls_arguments(args: argparse.Namespace) -> list[str]:
    """granian's TLS options (TLS 1.2 and 1.3 only; rustls offers AEAD ciphers only), with the
    operator's certificate or this machine's self-signed one. Exits with a clear message when the
    configured files cannot be used."""
    from django.conf import settings

    from strongroom.transport.certificates import CertificateError, server_certificate

    if not settings.TLS:
        if args.http_port:
            sys.exit("strongroom: --http-port (STRONGROOM_HTTP_PORT) redirects to HTTPS; "
                     "it needs STRONGROOM_TLS on")
        return []
    try:
        found = server_certificate(settings.TLS_CERT, settings.TLS_KEY, settings.KEY_DIR)
    except CertificateError as exc:
        sys.exit(f"strongroom: {exc}.")
    if found.self_signed:
        print(f"Serving HTTPS with a self-signed certificate for localhost ({found.cert}): "
              "browsers will warn until you set STRONGROOM_TLS_CERT and STRONGROOM_TLS_KEY.", flush=True)
    return ["--ssl-certificate", str(found.cert), "--ssl-keyfile", str(found.key),
            "--ssl-protocol-min", "tls1.2"]


def _start_redirect(args: argparse.Namespace) -> Any:
    from django.conf import settings

    from strongroom.transport.redirect import start_redirect_listener

    base_url = os.environ.get("STRONGROOM_BASE_URL") or f"https://localhost:{args.port}"
    try:
        return start_redirect_listener(args.host, int(args.http_port), https_port=int(args.port),
                                       allowed_hosts=settings.ALLOWED_HOSTS, base_url=base_url)
    except (OSError, ValueError) as exc:
        sys.exit(f"strongroom: cannot listen for plain HTTP on {args.host}:{args.http_port}: {exc}")


def serve(argv: list[str]) -> None:
    """Prepare the database, the master key and the shipped templates; then run the WSGI server
    (WSGI: under ASGI Django spools request bodies to /tmp in plaintext) and one background worker."""
    from django.core.management import call_command

    args = _serve_options(argv)
    tls = _tls_arguments(args)
    # The server and the worker read their settings afresh: links they write name this port.
    os.environ["STRONGROOM_PORT"] = str(args.port)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("keys", "init")
    call_command("templates", "install")
    call_command("collectstatic", interactive=False, verbosity=0)
    server = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--workers",
        str(args.workers),
        "--no-ws",
        "--blocking-threads",
        str(args.threads),
        "--backpressure",
        str(args.threads),
        *tls,
        "strongroom.wsgi:application",
    ]
    redirect = _start_redirect(args) if args.http_port else None
    children = [subprocess.Popen(server)]  # noqa: S603 - our own interpreter and arguments
    if not args.no_worker:
        worker = [sys.executable, "-m", "strongroom", "worker"]
        children.append(subprocess.Popen(worker))  # noqa: S603
    scheme = "https" if tls else "http"
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Strongroom is listening on {scheme}://{host}:{args.port}/", flush=True)
    if redirect is not None:
        print(f"Plain HTTP on port {args.http_port} redirects to it.", flush=True)
    try:
        _supervise(children)
    finally:
        if redirect is not None:
            redirect.shutdown()


def _supervise(children: list[subprocess.Popen[Any]]) -> None:
    """Stop everything when asked to, or when one part stops on its own."""
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping and all(child.poll() is None for child in children):
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
    failed = [c.returncode for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
    sys.exit(1 if failed and not stopping else 0)


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
