"""The plain-HTTP listener beside the HTTPS server: every request gets a permanent redirect to the
same path over HTTPS, and nothing else (no page, no cookie, no log line: paths carry portal tokens)."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from django.http.request import split_domain_port, validate_host


def https_location(host_header: str, path: str, *, https_port: int, allowed_hosts: list[str],
                   base_url: str) -> str:
    """Where a plain-HTTP request for `path` belongs. A Host outside ALLOWED_HOSTS is not echoed
    (no open redirect): such requests go to STRONGROOM_BASE_URL instead."""
    domain, _ = split_domain_port(host_header)
    if not path.startswith("/"):
        path = "/" + path
    if domain and validate_host(domain, allowed_hosts):
        host = f"[{domain}]" if ":" in domain and not domain.startswith("[") else domain
        port = "" if https_port == 443 else f":{https_port}"
        return f"https://{host}{port}{path}"
    origin = urlsplit(base_url)
    return f"https://{origin.netloc}{path}"


def start_redirect_listener(host: str, port: int, *, https_port: int, allowed_hosts: list[str],
                            base_url: str) -> ThreadingHTTPServer:
    """Listen on `host:port` in a background thread; the caller shuts the server down."""

    class Redirect(BaseHTTPRequestHandler):
        def version_string(self) -> str:
            return "Strongroom"

        def answer(self) -> None:
            location = https_location(self.headers.get("Host", ""), self.path, https_port=https_port,
                                      allowed_hosts=allowed_hosts, base_url=base_url)
            self.send_response(301)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = answer

        def log_message(self, format: str, *args: object) -> None:
            """Silent: request lines hold portal tokens."""

    class Listener(ThreadingHTTPServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        daemon_threads = True

    server = Listener((host, port), Redirect)
    threading.Thread(target=server.serve_forever, name="http-redirect", daemon=True).start()
    return server
