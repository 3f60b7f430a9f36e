"""Leaving Strongroom: an owner closes the workspace, after exporting everything or not.

Export: one ZIP in the rights engine's formats (CSV, XLSX, XML with its XSD, JSON, a README) holding
every personal row of every client, the rights records, and every file, decrypted, streamed to the
owner and never stored.

Delete: every client is erased through the rights engine (rows, files, subject keys and their
secrets), the workspace's own files and records go, and then the workspace key itself is destroyed,
so whatever any backup still holds of the workspace cannot be opened. A certificate of deletion is
issued: what was deleted (counts), when, by whom, and the head of the workspace's audit chain, as a
PDF signed by the installation (PAdES). Records the law makes the workspace keep (legal holds) block
the deletion until they are lifted or exported and handed over.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.audit.actions import record
from strongroom.privacy.datamap import personal_models
from strongroom.rights.formats import Column, ColumnType, SubjectExport, Table


def _require_owner(workspace: Workspace, actor: User, password: str) -> None:
    from strongroom.rights.account import check_password

    if not Membership.objects.filter(workspace=workspace, user=actor, role=Role.OWNER).exists():
        raise PermissionDenied(_("Only the workspace's owners export or delete everything."))
    check_password(actor, password)


def _subjects(workspace: Workspace) -> list[Any]:
    from strongroom.collection.models import Client, Contributor

    clients = [c.subject for c in Client.objects.filter(workspace=workspace).select_related("subject")]
    contributors = Contributor.objects.filter(request__workspace=workspace).select_related("subject")
    return [s for s in clients + [c.subject for c in contributors] if not s.is_destroyed]


def workspace_export(workspace: Workspace) -> tuple[SubjectExport, list[tuple[str, Any]]]:
    """Every personal row of the workspace's people, one table per model, and every file."""
    from strongroom.rights.packages import model_table
    from strongroom.vault.filenames import clean_filename
    from strongroom.vault.models import Blob

    subjects = _subjects(workspace)
    tables: list[Table] = []
    for model in sorted(personal_models(), key=lambda m: m._meta.label):
        if model is Blob or model._meta.label == "accounts.User":
            continue
        merged: Table | None = None
        rows: list[Any] = []
        for subject in subjects:
            table = model_table(model, subject)
            merged = merged or table
            rows.extend(table.rows)
        if merged is not None and rows:
            tables.append(
                Table(
                    merged.name,
                    merged.title,
                    f"All {merged.title.lower()} of the workspace.",
                    merged.columns,
                    tuple(rows),
                )
            )
    files = []
    for number, blob in enumerate(Blob.objects.filter(workspace=workspace).order_by("created_at", "pk"), 1):
        if blob.subject.is_destroyed:
            continue
        name = clean_filename(str(blob.meta.get("name", "file"))) or "file"
        files.append((f"files/{number:05d}-{name}", blob))
    tables.append(
        Table(
            "files",
            "Documents",
            "Every file of the workspace, decrypted.",
            (
                Column("path", "Path in this package", ColumnType.TEXT),
                Column("subject", "Person (subject key id)", ColumnType.TEXT),
                Column("file_name", "File name", ColumnType.TEXT),
                Column("size_bytes", "Size in bytes", ColumnType.INTEGER),
            ),
            tuple(
                {
                    "path": p,
                    "subject": str(b.subject_id),
                    "file_name": str(b.meta.get("name", "")),
                    "size_bytes": b.size,
                }
                for p, b in files
            ),
        )
    )
    title = f"Everything held for {workspace.name}"
    return SubjectExport(title=title, generated_at=timezone.now(), tables=tuple(tables)), files


def do_export_everything(workspace: Workspace, actor: User, password: str) -> Iterator[bytes]:
    from strongroom.rights.packages import archive

    _require_owner(workspace, actor, password)
    export, files = workspace_export(workspace)
    with transaction.atomic():
        record(actor, "workspace.exported", workspace, tables=len(export.tables), files=len(files))
    return archive(export, files)


@dataclass(frozen=True)
class Deletion:
    clients: int
    files: int
    requests: int
    chain_seq: int
    chain_hash: str
    certificate: bytes


def do_delete_everything(workspace: Workspace, actor: User, password: str, confirm_name: str) -> Deletion:
    """Erase the workspace and destroy its key; return the signed certificate of deletion."""
    from strongroom.audit.models import ChainHead
    from strongroom.collection.models import Client, Request, Template
    from strongroom.crypto import keys
    from strongroom.crypto.models import Keyring
    from strongroom.rights.erasure import erase_client, forget_mails
    from strongroom.rights.models import LegalHold
    from strongroom.rights.restriction import changes_allowed
    from strongroom.vault.actions import delete_blob
    from strongroom.vault.models import Blob

    _require_owner(workspace, actor, password)
    if confirm_name.strip() != workspace.name:
        raise ValidationError(_("Type the workspace's name exactly to confirm."), code="confirm")
    holds = LegalHold.objects.filter(workspace=workspace, lifted_at=None).exclude(
        until__lt=timezone.localdate()
    )
    if holds.exists():
        raise ValidationError(
            _(
                "%(n)d request(s) are under a legal hold: the law requires keeping them. Export them, lift "
                "the holds, then delete."
            )
            % {"n": holds.count()},
            code="held",
        )
    requests = Request.objects.filter(workspace=workspace).count()
    clients = files = 0
    with transaction.atomic(), changes_allowed():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        if locked.closed_at is not None:
            raise ValidationError(_("This workspace is already closed."), code="closed")
        for client in Client.objects.filter(workspace=locked):
            report = erase_client(client, actor)
            transaction.on_commit(lambda report=report: forget_mails(report))  # type: ignore[misc]
            clients += 1
            files += report.files
        Workspace.objects.filter(pk=locked.pk).update(logo=None)
        for blob in Blob.objects.filter(workspace=locked):
            delete_blob(blob)
            files += 1
        Template.objects.filter(workspace=locked).delete()
        Membership.objects.filter(workspace=locked).delete()
        locked.invitations.all().delete()
        locked.closed_at = timezone.now()
        locked.save(update_fields=["closed_at"])
        record(actor, "workspace.deleted", locked, clients=clients, files=files, requests=requests)
        head = ChainHead.objects.get(chain=str(locked.pk))
        Keyring.objects.filter(workspace=locked).update(wrapped_key=None, destroyed_at=timezone.now())
        keys.forget_cached_keys()
        certificate = _certificate(locked, actor, clients, files, requests, head.seq, head.hash)
        from strongroom.privacy.models import DeletionCertificate

        DeletionCertificate.store(locked, certificate)
    return Deletion(clients, files, requests, head.seq, head.hash, certificate)


def _certificate(
    workspace: Workspace, actor: User, clients: int, files: int, requests: int, seq: int, head: str
) -> bytes:
    from strongroom.privacy.pdf import Document
    from strongroom.privacy.signing import sign_pdf

    when = workspace.closed_at or timezone.now()
    doc = Document("Certificate of deletion", subject=f"Workspace {workspace.name}")
    doc.paragraph(
        "This Strongroom installation certifies that the workspace below was deleted at its owner's "
        "request: every client's personal data and files were erased, each person's key and the "
        "workspace's own key were destroyed, so no copy of its data, in the live system or in any "
        "backup, can be opened any more."
    )
    doc.rows(
        [
            ("Workspace", f"{workspace.name} ({workspace.pk})"),
            ("Deleted on", f"{when:%Y-%m-%d %H:%M:%S} UTC"),
            ("Deleted by", f"{actor.name or ''} <{actor.email}>".strip()),
            ("Clients erased", str(clients)),
            ("Requests deleted", str(requests)),
            ("Files deleted", str(files)),
            ("Audit chain of the workspace", f"event {seq}, head hash {head}"),
        ]
    )
    doc.paragraph(
        "The audit trail keeps that these deletions happened, never what was deleted. The head "
        "hash above lets anyone holding the trail check it was not altered afterwards."
    )
    return sign_pdf(doc.output(), reason=f"Deletion of workspace {workspace.pk}", signer_name="Strongroom")
