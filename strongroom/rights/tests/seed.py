"""A client with something of everything the data map knows: profile, a sent request with answers,
files, a message, a contributor, and mail in the outbox. Used by the rights tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from strongroom.accounts.models import User, Workspace
from strongroom.collection.answers import do_add_upload, do_save_answer
from strongroom.collection.lifecycle import do_add_contributor, do_send_request
from strongroom.collection.models import Client, Request
from strongroom.collection.tests.factories import (
    acknowledged_link,
    document,
    item,
    make_client,
    make_request,
    question,
    sealed_file,
)
from strongroom.collection.threads import do_post_message

_numbers = itertools.count(1)


@dataclass
class Seeded:
    client: Client
    request: Request
    marker: str
    email: str
    name: str
    files: dict[str, bytes]


def pdf(marker: str) -> bytes:
    return b"%PDF-1.7\n1 0 obj\n<< /Marker (" + marker.encode() + b") >>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def seed_client(workspace: Workspace, owner: User, capture: Any, label: str = "") -> Seeded:
    """A client with a sent request: two answers, two files, a message and a contributor."""
    number = next(_numbers)
    marker = f"MARKER-{label or 'client'}-{number}-7Q"
    name = f"Zoé {label or 'Client'} Marker{number}"
    email = f"zoe.{label or 'client'}.{number}@subject.example"
    client = make_client(
        workspace, owner, name=name, email=email, phone="+33 6 12 34 56 78", notes=f"notes {marker}"
    )
    request = make_request(
        workspace,
        owner,
        client,
        [
            question("Employer"),
            question("Date of birth", "date"),
            document("Payslips", max_files=5),
        ],
        title="Mortgage application",
    )
    with capture(execute=True):
        do_send_request(request, owner)
        do_add_contributor(
            request, owner, name=f"Spouse of {marker}", email=f"spouse.{number}@subject.example"
        )
    link, _ = acknowledged_link(request)
    do_save_answer(link, item(request, "Employer"), f"Employer {marker}")
    do_save_answer(link, item(request, "Date of birth"), "1985-03-31")
    files = {f"payslip-{marker}.pdf": pdf(marker), "second.pdf": pdf(marker + "-2")}
    for file_name, data in files.items():
        do_add_upload(link, item(request, "Payslips"), sealed_file(request, data, file_name, "pdf"))
    with capture(execute=True):
        do_post_message(request, link, body=f"Message with {marker}")
    return Seeded(client, request, marker, email, name, files)
