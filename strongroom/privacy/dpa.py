"""The Data Processing Agreement (Art. 28): a versioned text shipped with Strongroom, its annex filled
from the workspace, signed in the application by an owner.

Signing records who (the owner and the role they state), when, from which address (in the audit
trail, sealed) and the SHA-256 of the exact text signed (agreement and annex); the result is a PDF with
a PAdES signature of the installation (strongroom.privacy.signing), kept sealed under the workspace's
own key and downloadable by its owners. A new version asks the owners to sign again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.audit.actions import record
from strongroom.privacy import records
from strongroom.privacy.models import DpaSignature

TEXTS = Path(__file__).resolve().parent / "dpa"
CURRENT_VERSION = "2026-11"


@cache
def agreement_text(version: str = CURRENT_VERSION) -> str:
    path = TEXTS / f"{version}.md"
    if not path.is_file():
        raise ValidationError(_("There is no agreement version %(version)s.") % {"version": version})
    return path.read_text(encoding="utf-8")


def annex(workspace: Workspace) -> list[tuple[str, str]]:
    """The annex (Art. 28(3)): what is processed for this workspace, read from its record."""
    record = records.controller_record(workspace)
    activities = record.activities
    checklist = [a for a in activities if a.purpose.startswith("Requesting, collecting")]
    kinds = checklist[0].data_categories if checklist else "; ".join(a.data_categories for a in activities)
    subjects = sorted(
        {part.strip() for a in activities for part in a.data_subjects.split(";") if part.strip()}
    )
    from strongroom.privacy.subprocessors import current

    processors = "; ".join(f"{p.name} ({p.purpose}, {p.location}; {p.safeguards})" for p in current())
    return [
        ("Customer (controller)", f"{workspace.name}. {workspace.controller_contact}".strip()),
        ("Provider (processor)", f"{settings.OPERATOR_NAME}. {settings.OPERATOR_CONTACT}".strip(". ")),
        (
            "Subject matter",
            "Hosting and running the Strongroom client portal for the Customer: requesting, "
            "collecting, storing and reviewing documents and information from its clients.",
        ),
        (
            "Duration",
            "For as long as the Customer's workspace exists, and until its data is deleted or returned.",
        ),
        ("Nature and purpose", "; ".join(a.purpose for a in activities)),
        ("Kinds of personal data", kinds),
        ("Categories of data subjects", "; ".join(subjects)),
        ("Sub-processors", processors or "None"),
        ("Where the data is", settings.DATA_LOCATION or "The Provider's own servers"),
        ("Security measures", record.security),
    ]


def signed_text(workspace: Workspace, version: str = CURRENT_VERSION) -> str:
    """Exactly what is signed: the agreement and its annex as filled in now."""
    rows = "\n".join(f"- {label}: {value}" for label, value in annex(workspace))
    return f"{agreement_text(version)}\n## Annex\n\n{rows}\n"


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Status:
    current_version: str
    signature: DpaSignature | None  # the workspace's signature of the current version
    earlier: list[DpaSignature]
    owners: list[User]


def status(workspace: Workspace) -> Status:
    signatures = list(DpaSignature.objects.filter(workspace=workspace).select_related("signed_by"))
    current = next((s for s in signatures if s.version == CURRENT_VERSION), None)
    owners = [
        m.user for m in Membership.objects.filter(workspace=workspace, role=Role.OWNER).select_related("user")
    ]
    return Status(CURRENT_VERSION, current, [s for s in signatures if s.version != CURRENT_VERSION], owners)


def unsigned_workspaces() -> list[Workspace]:
    """Workspaces that have not signed the current version: for the operator."""
    signed = DpaSignature.objects.filter(version=CURRENT_VERSION).values("workspace_id")
    return list(Workspace.objects.exclude(pk__in=signed).order_by("name"))


def _pdf(
    workspace: Workspace, text: str, version: str, name: str, role: str, when: Any, digest: str
) -> bytes:
    from strongroom.privacy.pdf import Document

    doc = Document(f"Data Processing Agreement, version {version}", subject=f"Signed for {workspace.name}")
    for block in text.split("\n\n"):
        line = block.strip()
        if line.startswith("#"):
            doc.heading(line.lstrip("# "))
        elif line:
            doc.paragraph(line.replace("\n", " "))
    doc.heading("Signature")
    doc.rows(
        [
            ("Signed for the Customer by", f"{name}, {role}"),
            ("Signed on", f"{when:%Y-%m-%d %H:%M:%S} UTC"),
            ("SHA-256 of the text signed", digest),
        ]
    )
    return doc.output()


def do_sign(
    workspace: Workspace, actor: User, *, version: str, name: str, role: str, ip: str | None
) -> DpaSignature:
    """An owner signs `version` for the workspace. Only the current version can be signed."""
    from strongroom.accounts.invitations import workspace_subject
    from strongroom.privacy.signing import sign_pdf
    from strongroom.vault.actions import do_store_blob

    if not Membership.objects.filter(workspace=workspace, user=actor, role=Role.OWNER).exists():
        raise PermissionDenied(_("Only the workspace's owners sign the agreement."))
    if version != CURRENT_VERSION:
        raise ValidationError(
            _(
                "Version %(version)s is not the current agreement (%(current)s): "
                "read and sign the current one."
            )
            % {"version": version, "current": CURRENT_VERSION},
            code="outdated",
        )
    name, role = name.strip(), role.strip()
    if not name or not role:
        raise ValidationError(_("Give your name and your position in the organisation."), code="required")
    if DpaSignature.objects.filter(workspace=workspace, version=version).exists():
        raise ValidationError(_("This version is already signed for the workspace."), code="signed")
    text = signed_text(workspace, version)
    digest = text_digest(text)
    when = timezone.now()
    pdf = sign_pdf(
        _pdf(workspace, text, version, name, role, when, digest),
        reason=f"Data Processing Agreement {version} signed for {workspace.name}",
        signer_name=name,
    )
    import io

    with transaction.atomic():
        blob = do_store_blob(
            workspace_subject(workspace, actor),
            io.BytesIO(pdf),
            name=f"dpa-{version}-{workspace.pk}.pdf",
            content_type="application/pdf",
            actor=actor,
            workspace=workspace,
        )
        signature = DpaSignature.objects.create(
            workspace=workspace,
            version=version,
            text_sha256=digest,
            signed_by=actor,
            signer_role=role[:200],
            pdf=blob,
        )
        record(actor, "dpa.signed", signature, workspace=workspace.pk, ip=ip, version=version, sha256=digest)
    return signature
