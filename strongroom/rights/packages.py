"""Access and portability packages (Art. 15, Art. 20): everything held about a person, in one ZIP.

What goes in is read from the data map, never from a list kept here: every row of every model that
holds the subject's personal data, every sealed file of theirs, and the Art. 15 information
(purposes, categories, recipients, retention, source, rights). Structured data is written four
times, as CSV, XLSX, XML (with its XSD) and JSON, with a README explaining each file.

The ZIP is streamed straight into a sealed blob under the subject's own key: no plaintext copy is
made on disk or held whole in memory. The download link's token exists only in the task that
e-mails it; only its hash is kept. Packages expire after seven days and are then erased.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from zipstream import ZIP_DEFLATED, ZIP_STORED, ZipStream

from strongroom.audit.actions import record
from strongroom.audit.actors import SYSTEM
from strongroom.crypto.fields import EncryptedDateField, EncryptedJSONField
from strongroom.privacy.datamap import (
    CATEGORIES,
    declaration,
    personal_fields,
    personal_models,
    processing_activities,
    rows_of_subject,
)
from strongroom.privacy.subprocessors import current as current_subprocessors
from strongroom.rights import formats
from strongroom.rights.formats import Column, ColumnType, SubjectExport, Table
from strongroom.rights.models import AccessPackage, RightsRequest
from strongroom.vault.actions import delete_blob, read_blob
from strongroom.vault.filenames import clean_filename
from strongroom.vault.models import Blob
from strongroom.vault.writer import BlobWriter

PACKAGE_VALID_FOR = timedelta(days=7)
SUPERVISORY_AUTHORITY = (
    "You have the right to lodge a complaint with a supervisory authority, in particular in the EU "
    "member state of your habitual residence, place of work or of the alleged infringement (Art. 77 "
    "GDPR); in France the CNIL (www.cnil.fr), in the United Kingdom the ICO (ico.org.uk)."
)
RIGHTS_TEXT = (
    "You may ask the controller for access to your personal data, its rectification or erasure, the "
    "restriction of its processing, to object to its processing, and for a copy to take elsewhere "
    "(Art. 15 to 21 GDPR), through the client portal's 'Your privacy rights' page or by writing to "
    "the controller."
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _column_type(model_field: models.Field[Any, Any]) -> ColumnType:
    if isinstance(model_field, EncryptedDateField):
        return ColumnType.DATE
    if isinstance(model_field, models.DateTimeField):
        return ColumnType.DATETIME
    if isinstance(model_field, models.DateField):
        return ColumnType.DATE
    if isinstance(model_field, models.BooleanField):
        return ColumnType.BOOLEAN
    if isinstance(model_field, models.IntegerField):
        return ColumnType.INTEGER
    return ColumnType.TEXT


def _cell(value: Any, column_type: ColumnType, model_field: models.Field[Any, Any]) -> Any:
    if value is None:
        return None
    if isinstance(model_field, EncryptedJSONField):
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    if column_type is ColumnType.TEXT:
        return str(value)
    if isinstance(value, Decimal | bool | int | date | datetime):
        return value
    return str(value)


def _table_name(model: type[models.Model]) -> str:
    return f"{model._meta.app_label}_{model._meta.model_name}"


def model_table(model: type[models.Model], subject: Any) -> Table:
    """One table per model: the row's id, the context the map lists, and every personal field."""
    data_map = declaration(model)
    assert data_map is not None
    personal = personal_fields(model)
    context = [f for f in data_map.export_with if f not in personal]
    fields = [model._meta.get_field(name) for name in [*context, *personal]]
    columns = [Column("record_id", "Record identifier", ColumnType.TEXT)]
    for model_field in fields:
        assert isinstance(model_field, models.Field)
        title = str(model_field.verbose_name).capitalize()
        if model_field.name in personal:
            title = f"{title} ({CATEGORIES[personal[model_field.name].category]})"
        columns.append(Column(model_field.name, title, _column_type(model_field)))
    rows = []
    queryset = rows_of_subject(subject)[model._meta.label].order_by("pk")
    for row in queryset:
        values: dict[str, Any] = {"record_id": str(row.pk)}
        for model_field, column in zip(fields, columns[1:], strict=True):
            assert isinstance(model_field, models.Field)
            values[column.name] = _cell(getattr(row, model_field.attname), column.type, model_field)
        rows.append(values)
    return Table(
        name=_table_name(model),
        title=str(model._meta.verbose_name_plural).capitalize(),
        description=f"Your personal data held in the workspace's {model._meta.verbose_name_plural}.",
        columns=tuple(columns),
        rows=tuple(rows),
    )


def _files_table(blobs: list[tuple[str, Blob]]) -> Table:
    columns = (
        Column("path", "Path in this package", ColumnType.TEXT),
        Column("file_name", "File name as received", ColumnType.TEXT),
        Column("content_type", "Type", ColumnType.TEXT),
        Column("size_bytes", "Size in bytes", ColumnType.INTEGER),
        Column("received_at", "Received (UTC)", ColumnType.DATETIME),
    )
    rows: tuple[dict[str, formats.Value], ...] = tuple(
        {
            "path": path,
            "file_name": str(blob.meta.get("name", "")),
            "content_type": str(blob.meta.get("content_type", "")),
            "size_bytes": blob.size,
            "received_at": blob.created_at,
        }
        for path, blob in blobs
    )
    return Table("files", "Documents", "The original documents you supplied, decrypted.", columns, rows)


def _information_tables(rights_request: RightsRequest) -> list[Table]:
    """Art. 15(1)(a)-(h): purposes, categories, recipients, retention, source, rights, complaint."""
    workspace = rights_request.workspace
    processing_columns = (
        Column("purpose", "Purpose", ColumnType.TEXT),
        Column("legal_basis", "Legal basis (Art. 6 GDPR)", ColumnType.TEXT),
        Column("categories", "Categories of personal data", ColumnType.TEXT),
        Column("retention", "How long it is kept", ColumnType.TEXT),
    )
    processing_rows = tuple(
        {
            "purpose": activity.purpose.description,
            "legal_basis": ", ".join(b.value.replace("_", " ") for b in activity.legal_bases),
            "categories": "; ".join(CATEGORIES[c] for c in activity.categories),
            "retention": "; ".join(r for r in activity.retention if r),
        }
        for activity in processing_activities(workspace)
    )
    recipient_columns = (
        Column("name", "Recipient", ColumnType.TEXT),
        Column("role", "Role", ColumnType.TEXT),
        Column("purpose", "Why it receives data", ColumnType.TEXT),
        Column("location", "Where", ColumnType.TEXT),
    )
    recipients = [
        {
            "name": workspace.name,
            "role": "controller",
            "purpose": "the services you asked it for",
            "location": "",
        },
        {
            "name": "Strongroom installation operator",
            "role": "processor",
            "purpose": "hosting the client portal and its encrypted storage",
            "location": "",
        },
        *(
            {"name": p.name, "role": "sub-processor", "purpose": p.purpose, "location": p.location}
            for p in current_subprocessors()
        ),
    ]
    info_columns = (
        Column("topic", "Topic", ColumnType.TEXT),
        Column("information", "Information", ColumnType.TEXT),
    )
    info = [
        ("controller", workspace.name),
        ("data_protection_officer", workspace.dpo_contact or "not designated"),
        ("privacy_policy", workspace.privacy_policy_url or "not published"),
        (
            "source",
            "Given by you through the client portal, or entered by the workspace's staff from "
            "what you sent them.",
        ),
        ("automated_decisions", "None: no decision about you is taken by automated means."),
        ("your_rights", RIGHTS_TEXT),
        ("complaint", SUPERVISORY_AUTHORITY),
        ("request_received", rights_request.received_at.isoformat()),
    ]
    return [
        Table(
            "processing",
            "Processing",
            "Why your data is processed, on what basis, for how long.",
            processing_columns,
            processing_rows,
        ),
        Table("recipients", "Recipients", "Who receives your data.", recipient_columns, tuple(recipients)),
        Table(
            "information",
            "Information",
            "What the law says you must be told (Art. 15 GDPR).",
            info_columns,
            tuple({"topic": t, "information": i} for t, i in info),
        ),
    ]


def _package_files(subject: Any) -> list[tuple[str, Blob]]:
    blobs = (
        Blob.objects.filter(subject=subject)
        .exclude(pk__in=AccessPackage.objects.exclude(blob=None).values("blob_id"))
        .order_by("created_at", "pk")
    )
    named = []
    for number, blob in enumerate(blobs, start=1):
        name = clean_filename(str(blob.meta.get("name", "file"))) or "file"
        named.append((f"files/{number:04d}-{name}", blob))
    return named


def build_export(rights_request: RightsRequest) -> tuple[SubjectExport, list[tuple[str, Blob]]]:
    """The structured export of the subject of `rights_request`, and their files with their paths."""
    subject = rights_request.subject
    tables = []
    for model in sorted(personal_models(), key=_table_name):
        if model is Blob:
            continue
        table = model_table(model, subject)
        if table.rows:
            tables.append(table)
    files = _package_files(subject)
    tables.append(_files_table(files))
    tables += _information_tables(rights_request)
    workspace_name = rights_request.workspace.name
    export = SubjectExport(
        title=f"Your personal data held by {workspace_name}",
        generated_at=timezone.now(),
        tables=tuple(tables),
    )
    return export, files


def archive(export: SubjectExport, files: list[tuple[str, Blob]]) -> Iterator[bytes]:
    archive = ZipStream(sized=False, compress_type=ZIP_DEFLATED)
    paths = [path for path, _ in files]
    archive.add(formats.render_readme(export, paths).encode("utf-8"), arcname=formats.README_FILE)
    archive.add(formats.render_json(export), arcname=formats.JSON_FILE)
    archive.add(formats.render_xml(export), arcname=formats.XML_FILE)
    archive.add(formats.XSD_PATH.read_bytes(), arcname=formats.XSD_FILE)
    archive.add(formats.render_xlsx(export), arcname=formats.XLSX_FILE, compress_type=ZIP_STORED)
    for name, data in formats.render_csv(export).items():
        archive.add(data, arcname=f"{formats.CSV_DIRECTORY}{name}")
    for path, blob in files:
        archive.add(read_blob(blob), arcname=path, compress_type=ZIP_STORED)
    yield from archive


def build_package(rights_request: RightsRequest) -> tuple[AccessPackage, str]:
    """Seal a new package for the subject; return it and the download token (to e-mail, never store)."""
    export, files = build_export(rights_request)
    writer = BlobWriter(rights_request.subject, workspace=rights_request.workspace)
    try:
        for chunk in archive(export, files):
            writer.write(chunk)
        stamp = timezone.localdate().isoformat()
        writer.seal(name=f"personal-data-{stamp}.zip", content_type="application/zip")
        token = secrets.token_urlsafe(32)
        with transaction.atomic():
            blob = writer.commit()
            package = AccessPackage.objects.create(
                rights_request=rights_request,
                blob=blob,
                token_hash=token_hash(token),
                expires_at=timezone.now() + PACKAGE_VALID_FOR,
            )
            record(
                SYSTEM,
                "rights.package_built",
                package,
                subject=rights_request.subject,
                workspace=rights_request.workspace,
                files=len(files),
                tables=len(export.tables),
                size=blob.size,
            )
    except BaseException:
        writer.abort()
        raise
    return package, token


def find_package(token: str) -> AccessPackage | None:
    """The live package a download link names; None for an unknown, expired or erased one."""
    package = (
        AccessPackage.objects.select_related(
            "rights_request__workspace__keyring", "rights_request__client", "blob__subject"
        )
        .filter(token_hash=token_hash(token))
        .first()
    )
    if package is None or package.blob is None or package.expires_at <= timezone.now():
        return None
    return package


def erase_expired_packages() -> int:
    """Remove the sealed ZIP of every package past its expiry; the row stays as a record."""
    erased = 0
    expired = AccessPackage.objects.filter(expires_at__lte=timezone.now()).exclude(blob=None)
    for package in expired.select_related("blob", "rights_request"):
        with transaction.atomic():
            locked = (
                AccessPackage.objects.select_for_update(of=("self",))
                .select_related("blob")
                .get(pk=package.pk)
            )
            if locked.blob is None:
                continue
            blob = locked.blob
            locked.blob, locked.erased_at = None, timezone.now()
            locked.save(update_fields=["blob", "erased_at"])
            delete_blob(blob)
            record(SYSTEM, "rights.package_erased", locked, workspace=package.rights_request.workspace_id)
            erased += 1
    return erased


PACKAGE_CODE_VALID_FOR = timedelta(minutes=15)
MAX_PACKAGE_CODE_FAILURES = 5


def _package_code_digest(package: AccessPackage, code: str) -> str:
    import hmac

    from strongroom.crypto import keys, primitives

    keyring = package.rights_request.workspace.keyring
    key = primitives.derive_key(keys.keyring_key(keyring.id), "strongroom:package-code")
    return hmac.new(key, f"{package.pk}:{code}".encode(), "sha256").hexdigest()


def issue_package_code(package: AccessPackage) -> str:
    """A fresh six-digit code for the person's e-mail; only its keyed hash is kept."""
    code = f"{secrets.randbelow(10**6):06d}"
    locked = (
        AccessPackage.objects.select_for_update(of=("self",))
        .select_related("rights_request__workspace__keyring")
        .get(pk=package.pk)
    )
    locked.code_hash = _package_code_digest(locked, code)
    locked.code_expires_at = timezone.now() + PACKAGE_CODE_VALID_FOR
    locked.code_failures = 0
    locked.save(update_fields=["code_hash", "code_expires_at", "code_failures"])
    record(SYSTEM, "rights.package_code_sent", locked, workspace=locked.rights_request.workspace_id)
    return code


def check_package_code(package: AccessPackage, code: str, ip: str | None = None) -> bool:
    """True once for the right, unexpired code; five wrong tries use it up. Audited either way."""
    import hmac

    from strongroom.audit.actors import Actor

    with transaction.atomic():
        locked = (
            AccessPackage.objects.select_for_update(of=("self",))
            .select_related("rights_request__workspace__keyring")
            .get(pk=package.pk)
        )
        actor = Actor("client", str(locked.rights_request.client_id or locked.rights_request.subject_id))
        fresh = locked.code_expires_at is not None and locked.code_expires_at > timezone.now()
        usable = bool(fresh and locked.code_hash and locked.code_failures < MAX_PACKAGE_CODE_FAILURES)
        cleaned = "".join((code or "").split())
        if usable and hmac.compare_digest(locked.code_hash, _package_code_digest(locked, cleaned)):
            locked.code_hash, locked.code_expires_at, locked.code_failures = "", None, 0
            locked.save(update_fields=["code_hash", "code_expires_at", "code_failures"])
            record(
                actor,
                "rights.package_code_accepted",
                locked,
                workspace=locked.rights_request.workspace_id,
                ip=ip,
            )
            return True
        if usable:
            locked.code_failures += 1
            if locked.code_failures >= MAX_PACKAGE_CODE_FAILURES:
                locked.code_hash = ""
            locked.save(update_fields=["code_failures", "code_hash"])
        record(
            actor,
            "rights.package_code_failed",
            locked,
            workspace=locked.rights_request.workspace_id,
            ip=ip,
            why="wrong" if usable else "expired_or_used_up",
        )
    return False
