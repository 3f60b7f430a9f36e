"""Test helpers for the collection and the portal: clients, draft requests built item by item, links
the client has acknowledged, and the settings that make mail and tasks observable in a test.

Requests are built directly (one section, items from spec dicts), not from templates, so these
helpers do not depend on `checklists.copy_template`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import connection

from strongroom.accounts.models import User, Workspace
from strongroom.audit.models import Event
from strongroom.collection.clients import do_create_client
from strongroom.collection.models import Client, Request, RequestItem, RequestSection
from strongroom.collection.models.common import ItemKind, QuestionType
from strongroom.portal.links import do_issue_link
from strongroom.portal.models import PortalLink
from strongroom.portal.notice import do_acknowledge, notice_for

OUTBOX_BACKEND = "strongroom.mail.backends.SealedOutboxBackend"
IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

_numbers = itertools.count(1)

SPEC_KEYS = {
    "kind", "question_type", "label", "instructions", "required", "accepted_kinds", "max_file_size",
    "max_files", "choices", "condition_item", "condition_value",
}


# --- settings ------------------------------------------------------------------------------------


def use_outbox(settings: Any, tmp_path: Path) -> Path:
    """The default mailer is the sealed outbox, in a folder of this test's own."""
    folder = tmp_path / "outbox"
    settings.MAILERS = {"default": {"BACKEND": OUTBOX_BACKEND, "OPTIONS": {"folder": str(folder)}}}
    settings.OUTBOX_DIR = folder
    return folder


def use_immediate_tasks(settings: Any) -> None:
    """`enqueue` runs the task at once (wrap actions in `django_capture_on_commit_callbacks`)."""
    settings.TASKS = IMMEDIATE_TASKS


# --- clients and requests ------------------------------------------------------------------------


def make_client(workspace: Workspace, actor: Any, **values: Any) -> Client:
    """A client of `workspace` made through `do_create_client`; name and e-mail unique by default."""
    number = next(_numbers)
    values.setdefault("name", f"Camille Dupont {number}")
    values.setdefault("email", f"camille.dupont.{number}@client.example")
    return do_create_client(workspace, actor, **values)


def question(label: str, question_type: str = QuestionType.SHORT_TEXT, **spec: Any) -> dict[str, Any]:
    return {"kind": ItemKind.QUESTION, "question_type": question_type, "label": label, **spec}


def document(label: str, **spec: Any) -> dict[str, Any]:
    return {"kind": ItemKind.DOCUMENT, "label": label, **spec}


def make_request(
    workspace: Workspace, owner: User, client: Client, items: Iterable[dict[str, Any]] = (),
    *, title: str = "Tax return 2025", **fields: Any,
) -> Request:
    """A draft request with one section holding `items`, built directly from spec dicts.

    A spec's `condition_item` names an earlier item of the list by its label (or its index).
    """
    request = Request.objects.create(
        workspace=workspace, client=client, owner=owner, title=title,
        remind_days_before=workspace.remind_days_before, remind_on_due_date=workspace.remind_on_due_date,
        remind_every_days_after=workspace.remind_every_days_after,
        remind_max_after=workspace.remind_max_after, **fields,
    )
    section = RequestSection.objects.create(request=request, title="Documents", position=0)
    made: list[RequestItem] = []
    for position, given in enumerate(items):
        unknown = set(given) - SPEC_KEYS
        if unknown:
            raise TypeError(f"unknown item spec keys: {sorted(unknown)}")
        spec = dict(given)
        condition = spec.pop("condition_item", None)
        if isinstance(condition, int):
            spec["condition_item"] = made[condition]
        elif isinstance(condition, str):
            spec["condition_item"] = next(i for i in made if i.label == condition)
        spec.setdefault("question_type", "")
        made.append(RequestItem.objects.create(request=request, section=section, position=position, **spec))
    return request


def item(request: Request, label: str) -> RequestItem:
    """The item of `request` with this label, fresh from the database."""
    return RequestItem.objects.get(request=request, label=label)


def acknowledged_link(request: Request, actor: Any = None, **issue: Any) -> tuple[PortalLink, str]:
    """A link to `request` whose holder acknowledged the English privacy notice; (link, token)."""
    link, token = do_issue_link(request, actor if actor is not None else request.owner, **issue)
    do_acknowledge(link, notice_for(link, "en"))
    return link, token


def sealed_file(request: Request, data: bytes, name: str, kind: str | None) -> Any:
    """A file as the sealing upload handler hands it to an action: sealed under the client's key in
    the blob store's incoming area, not kept yet (a `vault.uploads.SealedUploadedFile`)."""
    from strongroom.vault.uploads import SealedUploadedFile
    from strongroom.vault.writer import BlobWriter

    writer = BlobWriter(request.client.subject, workspace=request.workspace)
    writer.write(data)
    content_type = {"pdf": "application/pdf", "image": "image/png"}.get(kind or "", "")
    return SealedUploadedFile(writer, field_name="files", name=name, size=len(data), kind=kind,
                              content_type=content_type or "application/octet-stream")


# --- observing -----------------------------------------------------------------------------------


def raw_row(table: str, pk: Any) -> dict[str, Any]:
    """One row as the database holds it, read with SQL (no model field opens anything)."""
    with connection.cursor() as cursor:
        quoted = connection.ops.quote_name(table)
        pk_value = pk.hex if connection.vendor == "sqlite" and hasattr(pk, "hex") else pk
        cursor.execute(f"SELECT * FROM {quoted} WHERE id = %s", [pk_value])
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone()
    assert row is not None, f"no row {pk} in {table}"
    return dict(zip(names, row, strict=True))


def raw_bytes(table: str, pk: Any) -> bytes:
    """Every column of the row, as bytes, joined: what a search for plaintext looks through."""
    parts: list[bytes] = []
    for value in raw_row(table, pk).values():
        if isinstance(value, bytes | bytearray | memoryview):
            parts.append(bytes(value))
        else:
            parts.append(str(value).encode("utf-8"))
    return b"\x00".join(parts)


def events(action: str, target: Any = None) -> list[Event]:
    """Audit events with this code (on `target`, when given), oldest first."""
    found = Event.objects.filter(action=action)
    if target is not None:
        found = found.filter(target_id=str(target.pk))
    return list(found.order_by("id"))
