"""The worker, run as an operator runs it, sends queued e-mails and the reminders that fell due."""

from __future__ import annotations

import json
from pathlib import Path

from tests.server import LiveStrongroom

SETUP = """
import json
from datetime import date
from strongroom.accounts.models import User, Workspace
from strongroom.collection.clients import do_create_client
from strongroom.collection.lifecycle import do_create_request, do_send_request
from strongroom.collection.models import RequestItem, RequestSection
owner = User.objects.get()
workspace = Workspace.objects.get()
client = do_create_client(workspace, owner, name="Wendy Worker", email="wendy@client.example")
request = do_create_request(workspace, owner, client=client, title="Due today", due_date=date.today())
section = RequestSection.objects.create(request=request, title="Files")
RequestItem.objects.create(request=request, section=section, kind="question", question_type="short_text",
                           label="Tax number")
do_send_request(request, owner)
print(json.dumps({"request": str(request.pk)}))
"""


def test_worker_once_sends_the_invitation_and_the_reminder_due(tmp_path: Path) -> None:
    live = LiveStrongroom(tmp_path)
    live.run("migrate", "-v0")
    password = tmp_path / "password"
    password.write_text("a long enough passphrase 42")
    live.run("users", "create", "olive@firm.example", "--password-file", str(password))
    live.run("workspaces", "create", "Firm", "--owner", "olive@firm.example")
    json.loads(live.run("shell", "-c", SETUP).strip().splitlines()[-1])
    assert "wendy@client.example" not in live.run("outbox", "list")  # queued, not sent yet

    first = live.run("worker", "--once")
    again = live.run("worker", "--once")

    assert "reminders: 1 reminder(s) queued" in first
    assert "reminders" not in again
    listing = [line for line in live.run("outbox", "list").splitlines() if "wendy@client.example" in line]
    assert len(listing) == 2  # the invitation, then the reminder on the due date
    assert all("/p/" in live.link_in(live.run("outbox", "show", line.split()[0])) for line in listing)
