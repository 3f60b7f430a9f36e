"""A server killed in the middle of an upload leaves no row, no file in the store, and no plaintext
anywhere on disk: only sealed bytes in the store's incoming area, which the periodic sweep removes."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path

from tests.server import LiveStrongroom

SETUP = """
import json
from strongroom.accounts.models import User, Workspace
from strongroom.collection.clients import do_create_client
from strongroom.collection.lifecycle import do_create_request, do_send_request
from strongroom.collection.models import RequestItem, RequestSection
from strongroom.portal.links import do_issue_link
from strongroom.portal.notice import do_acknowledge, notice_for
owner = User.objects.get()
workspace = Workspace.objects.get()
client = do_create_client(workspace, owner, name="Kim Killed", email="kim@client.example")
request = do_create_request(workspace, owner, client=client, title="Big file")
section = RequestSection.objects.create(request=request, title="Files")
item = RequestItem.objects.create(request=request, section=section, kind="document", label="Archive",
                                  accepted_kinds=["any"], max_file_size=2 * 1024**3, max_files=5)
do_send_request(request, owner)
link, token = do_issue_link(request, owner)
do_acknowledge(link, notice_for(link, "en"))
print(json.dumps({"token": token, "item": str(item.pk)}))
"""

COUNT = """
from strongroom.collection.models import Upload
from strongroom.vault.models import Blob
print(Upload.objects.count(), Blob.objects.count())
"""


def descendants(pid: int) -> list[int]:
    found = []
    for child in subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True,
                                check=False).stdout.split():
        found += [int(child), *descendants(int(child))]
    return found


def session_for(live: LiveStrongroom, token: str) -> tuple[str, str]:
    """The portal session cookie and CSRF token a browser would hold after following the link."""
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
    conn.request("GET", f"/p/{token}")
    reply = conn.getresponse()
    reply.read()
    cookies = SimpleCookie()
    for header in reply.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    session = cookies["sessionid"].value
    conn.request("GET", "/portal/", headers={"Cookie": f"sessionid={session}"})
    page = conn.getresponse()
    body = page.read().decode()
    for header in page.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    csrf = cookies["csrftoken"].value
    assert re.search(r"csrfmiddlewaretoken", body)
    return session, csrf


def test_killing_the_server_mid_upload_leaves_nothing_readable(tmp_path: Path) -> None:
    live = LiveStrongroom(tmp_path)
    live.start()
    password = tmp_path / "password"
    password.write_text("a long enough passphrase 42")
    live.run("users", "create", "olive@firm.example", "--password-file", str(password))
    live.run("workspaces", "create", "Firm", "--owner", "olive@firm.example")
    ids = json.loads(live.run("shell", "-c", SETUP).strip().splitlines()[-1])
    session, csrf = session_for(live, ids["token"])
    marker = b"KILLED-UPLOAD-MARKER-" + secrets.token_hex(8).encode()
    boundary = "----strongroom" + secrets.token_hex(8)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n{csrf}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.bin\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    chunk = (marker * (65536 // len(marker) + 1))[:65536]
    total = len(head) + 200 * 1024 * 1024
    started = time.time()

    # when the server is killed while a large upload is half-way
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
    conn.putrequest("POST", f"/portal/items/{ids['item']}/files/")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(total))
    conn.putheader("Cookie", f"sessionid={session}; csrftoken={csrf}")
    conn.putheader("X-CSRFToken", csrf)
    conn.putheader("Accept", "application/json")
    conn.endheaders()
    conn.send(head)
    incoming = tmp_path / "var" / "data" / "blobs" / "incoming"
    for _ in range(160):  # 10 MiB in: the handler is sealing by now
        conn.send(chunk)
    for _ in range(100):
        if incoming.exists() and any(p.stat().st_size > 1024 * 1024 for p in incoming.iterdir()):
            break
        time.sleep(0.05)
    assert live.process is not None
    for pid in reversed(descendants(live.process.pid)):  # the process handling the upload first
        os.kill(pid, signal.SIGKILL)
    live.process.kill()
    live.process.wait(timeout=10)
    conn.close()

    # then nothing of it is in the database or the store, and no plaintext is anywhere on disk
    assert live.run("shell", "-c", COUNT).strip().splitlines()[-1].split() == ["0", "0"]
    blobs = tmp_path / "var" / "data" / "blobs"
    stored = [p for p in blobs.rglob("*") if p.is_file()]
    assert stored and all(p.parent.name == "incoming" for p in stored)  # sealed, half-written, swept later
    suspects = [p for folder in (tmp_path, Path(tempfile.gettempdir()))
                for p in folder.rglob("*") if p.is_file() and p.stat().st_mtime >= started - 1]
    for path in suspects:
        try:
            assert marker not in path.read_bytes(), f"plaintext of the upload found in {path}"
        except (PermissionError, FileNotFoundError, OSError):
            continue
    swept = live.run("shell", "-c", "from datetime import timedelta\nfrom strongroom.vault.writer import "
                     "sweep_incoming\nprint(sweep_incoming(timedelta(0)))")
    assert swept.strip().splitlines()[-1] == str(len(stored))
    assert not [p for p in blobs.rglob("*") if p.is_file()]
