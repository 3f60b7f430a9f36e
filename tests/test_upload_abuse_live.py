"""Abusive request bodies against the real server (WSGI server in a subprocess): a boundary far over
the standard's 70 characters, and a slow upload trickling a few bytes a second (slowloris).

The server keeps answering others meanwhile, and the abusive request leaves no row, no blob and
nothing in the store's incoming area.

Known limit: the embedded WSGI server has no timeout on reading a request body. A slow upload holds
one of the `--threads` request threads (8 by default) for as long as its client keeps sending; it
is cut off when the client goes away, leaving nothing behind. Behind a reverse proxy, set the
proxy's body timeout (nginx `client_body_timeout`) to bound it.
"""

from __future__ import annotations

import http.client
import json
import secrets
import socket
import time
import urllib.request
from collections.abc import Iterator

import pytest

from tests.server import LiveStrongroom
from tests.test_killed_upload import COUNT, SETUP, session_for

Live = tuple[LiveStrongroom, dict[str, str], str, str]  # the server, the item's ids, session and CSRF token


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("abuse")
    server = LiveStrongroom(root)
    server.start()
    password = root / "password"
    password.write_text("a long enough passphrase 42")
    server.run("users", "create", "olive@firm.example", "--password-file", str(password))
    server.run("workspaces", "create", "Firm", "--owner", "olive@firm.example")
    ids = json.loads(server.run("shell", "-c", SETUP).strip().splitlines()[-1])
    session, csrf = session_for(server, ids["token"])
    yield server, ids, session, csrf
    server.stop()


def healthy(server: LiveStrongroom) -> float:
    """Seconds /healthz took to answer "ok"."""
    started = time.monotonic()
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as reply:
        assert reply.read() == b"ok"
    return time.monotonic() - started


def nothing_kept(server: LiveStrongroom) -> None:
    assert server.run("shell", "-c", COUNT).strip().splitlines()[-1].split() == ["0", "0"]
    blobs = server.root / "var" / "data" / "blobs"
    assert not [p for p in blobs.rglob("*") if p.is_file()] if blobs.exists() else True


def upload_head(ids: dict[str, str], session: str, csrf: str, boundary: str, length: int) -> bytes:
    return (f"POST /portal/items/{ids['item']}/files/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n"
            f"Cookie: sessionid={session}; csrftoken={csrf}\r\nX-CSRFToken: {csrf}\r\n"
            "Accept: application/json\r\n\r\n").encode()


def test_a_boundary_far_too_long_gets_a_400_and_the_server_goes_on(live: Live) -> None:
    server, ids, session, csrf = live
    boundary = "b" * 100_000
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.pdf\"\r\n\r\n"
            f"%PDF-1.4\n\r\n--{boundary}--\r\n").encode()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("POST", f"/portal/items/{ids['item']}/files/", body=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": f"sessionid={session}",
        "X-CSRFToken": csrf, "Accept": "application/json"})
    reply = conn.getresponse()
    reply.read()
    conn.close()
    assert reply.status in (400, 431), reply.status
    assert healthy(server) < 5
    nothing_kept(server)


def test_a_slow_upload_does_not_stop_others_and_leaves_nothing_when_cut_off(live: Live) -> None:
    server, ids, session, csrf = live
    boundary = "slow" + secrets.token_hex(8)
    part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"slow.pdf\"\r\n"
            "Content-Type: application/pdf\r\n\r\n%PDF-1.4\n").encode()
    sockets = []
    # when four clients trickle an upload of 1 MB a few bytes at a time
    for _ in range(4):
        slow = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        slow.sendall(upload_head(ids, session, csrf, boundary, 1024 * 1024) + part)
        sockets.append(slow)
    timings = []
    for _ in range(10):
        for slow in sockets:
            slow.sendall(b"x" * 8)
        timings.append(healthy(server))  # then everyone else is still served at once
        time.sleep(0.3)
    assert max(timings) < 2, timings
    # and when the slow clients go away, nothing of their uploads is kept
    for slow in sockets:
        slow.close()
    deadline = time.monotonic() + 20
    incoming = server.root / "var" / "data" / "blobs" / "incoming"
    while time.monotonic() < deadline and incoming.exists() and any(incoming.iterdir()):
        time.sleep(0.2)
    nothing_kept(server)
    assert healthy(server) < 5


def test_the_server_answers_a_request_whose_body_never_comes(live: Live) -> None:
    server, ids, session, csrf = live
    silent = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    silent.sendall(upload_head(ids, session, csrf, "never", 10_000))
    assert healthy(server) < 2
    silent.close()
    nothing_kept(server)

