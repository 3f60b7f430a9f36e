"""The records of processing activities (Art. 30), generated from the system itself.

The controller's record (Art. 30(1)) of a workspace comes from the data map (purposes, legal bases,
categories, retention), the kinds of data its checklists collect (each item names its category), its
settings (controller and DPO contacts), its retention rules and the installation's sub-processors.
The processor's record (Art. 30(2)) of the installation's operator lists every workspace it serves.
Both carry the fields the CNIL's template adds: the data's source, special categories, lawful basis,
whether a DPIA is needed, and where the data is.

`problems()` names every mandatory field still empty; the compliance page shows them until fixed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from django.conf import settings
from django.utils import timezone

from strongroom.privacy.datamap import (
    CATEGORIES,
    DPIA_CATEGORIES,
    SPECIAL_CATEGORIES,
    ProcessingActivity,
    processing_activities,
)

# The purpose whose data is what the workspace's checklists collect.
CHECKLIST_PURPOSE = "client-service"
EEA = frozenset(
    {
        "austria",
        "belgium",
        "bulgaria",
        "croatia",
        "cyprus",
        "czechia",
        "czech republic",
        "denmark",
        "estonia",
        "finland",
        "france",
        "germany",
        "greece",
        "hungary",
        "ireland",
        "italy",
        "latvia",
        "lithuania",
        "luxembourg",
        "malta",
        "netherlands",
        "poland",
        "portugal",
        "romania",
        "slovakia",
        "slovenia",
        "spain",
        "sweden",
        "iceland",
        "liechtenstein",
        "norway",
        "eu",
        "eea",
        "european union",
    }
)
SUBJECT_KINDS = {
    "client": "Clients of the workspace",
    "contributor": "People a client involves in a request (a spouse, an employer)",
    "staff": "Staff members of the workspace",
    "unspecified": "Other people",
}
SOURCES = {
    CHECKLIST_PURPOSE: "The person, through the client portal; staff entering what the person sent them",
    "rights-handling": "The person's own request, through the portal or by letter, e-mail or telephone",
}
SECURITY_MEASURES = (
    "Every personal field is encrypted with AES-256-GCM under a key of its own person, bound to its "
    "record; files are encrypted as they arrive (chunked AES-256-GCM), never written in clear. Person "
    "keys are wrapped by a workspace key, itself wrapped by a master key kept in a key file or an HSM "
    "outside the database, and by a per-person secret kept outside the database, so an erasure also "
    "reaches backups. Searches use keyed hashes. Staff sign in with argon2-hashed passwords; access is "
    "limited to the workspace's members by role; clients use single-person links (only a hash is "
    "stored), optionally a password and an e-mailed code, with throttling. Every access and change is "
    "written to a hash-chained audit trail the database refuses to alter."
)


@dataclass(frozen=True)
class Activity:
    """One line of a record: a purpose and everything the law asks about it."""

    purpose: str
    legal_bases: str
    data_subjects: str
    data_categories: str
    special_categories: str
    source: str
    recipients: str
    transfers: str
    retention: str
    dpia_needed: str
    location: str
    controller: str = ""  # the processor's record: on whose behalf (name and contact details)

    COLUMNS = (
        ("purpose", "Purpose of the processing (Art. 30(1)(b))"),
        ("legal_bases", "Lawful basis (Art. 6)"),
        ("data_subjects", "Categories of data subjects (Art. 30(1)(c))"),
        ("data_categories", "Categories of personal data (Art. 30(1)(c))"),
        ("special_categories", "Special categories (Art. 9) and offences (Art. 10)"),
        ("source", "Source of the data"),
        ("recipients", "Recipients (Art. 30(1)(d))"),
        ("transfers", "Transfers outside the EU/EEA and their safeguards (Art. 30(1)(e))"),
        ("retention", "Time limits for erasure (Art. 30(1)(f))"),
        ("dpia_needed", "Is a DPIA needed? (Art. 35)"),
        ("location", "Where the data is"),
    )
    MANDATORY = (
        "purpose",
        "legal_bases",
        "data_subjects",
        "data_categories",
        "recipients",
        "transfers",
        "retention",
    )

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name) for name, _ in (*self.COLUMNS, CONTROLLER_COLUMN)}


CONTROLLER_COLUMN = ("controller", "Controller on whose behalf, and its contact details (Art. 30(2)(a))")


@dataclass
class Record:
    """A record of processing: who keeps it, the activities, the security measures."""

    kind: str  # "controller" (Art. 30(1)) or "processor" (Art. 30(2))
    title: str
    header: list[tuple[str, str, bool]]  # (label, value, mandatory)
    activities: list[Activity]
    security: str
    generated_at: datetime = field(default_factory=timezone.now)

    def problems(self) -> list[str]:
        """Every mandatory field still empty, as a sentence naming it."""
        found = [f"{label} is empty." for label, value, mandatory in self.header if mandatory and not value]
        labels = dict(Activity.COLUMNS)
        for activity in self.activities:
            for name in Activity.MANDATORY:
                if not getattr(activity, name):
                    found.append(f"{labels[name]} is empty for \u201c{activity.purpose}\u201d.")
            if self.kind == "processor" and activity.controller.rstrip().endswith(":"):
                found.append(
                    f"The controller's contact details are empty for \u201c{activity.purpose}\u201d."
                )
        if not self.security:
            found.append("The description of the security measures (Art. 30(1)(g)) is empty.")
        return found


def _is_transfer(location: str) -> bool:
    return not any(part.strip().casefold() in EEA for part in location.replace("/", ",").split(","))


def _subprocessors() -> list[Any]:
    from strongroom.privacy.subprocessors import current

    return list(current())


def _recipients_and_transfers(workspace_name: str) -> tuple[str, str]:
    operator = settings.OPERATOR_NAME or "the operator of this Strongroom installation"
    recipients = [f"Staff members of {workspace_name} (internal)", f"{operator} (processor, hosting)"]
    transfers = []
    for processor in _subprocessors():
        recipients.append(f"{processor.name} (sub-processor: {processor.purpose}; {processor.location})")
        if _is_transfer(processor.location):
            transfers.append(f"{processor.name}, {processor.location}: {processor.safeguards}")
    return "; ".join(recipients), "; ".join(transfers) or "None: no data leaves the EU/EEA"


def checklist_categories(workspace: Any) -> set[str]:
    """The kinds of data the workspace's checklists collect: its own templates and its requests."""
    from strongroom.collection.models import RequestItem, TemplateItem

    own = TemplateItem.objects.filter(section__template__workspace=workspace).exclude(category="")
    used = RequestItem.objects.filter(request__workspace=workspace).exclude(category="")
    return set(own.values_list("category", flat=True)) | set(used.values_list("category", flat=True))


def _retention_rules(workspace: Any) -> list[str]:
    from strongroom.privacy.models import RetentionRule

    rules = RetentionRule.objects.filter(workspace=workspace).select_related("template").order_by("action")
    return [
        f"{rule.get_action_display().replace('N days', f'{rule.days} days')}"
        f"{f' (checklist {rule.template.name})' if rule.template else ''}"
        for rule in rules
    ]


def _labels(codes: Iterable[str]) -> str:
    return "; ".join(CATEGORIES.get(code, code) for code in sorted(codes))


def _activity(
    entry: ProcessingActivity,
    workspace: Any,
    extra_categories: set[str],
    recipients: str,
    transfers: str,
    extra_retention: list[str],
) -> Activity:
    categories = set(entry.categories) | extra_categories
    special = categories & SPECIAL_CATEGORIES
    needs_dpia = categories & DPIA_CATEGORIES
    retention = [r for r in entry.retention if r] + extra_retention
    return Activity(
        purpose=entry.purpose.description,
        legal_bases="; ".join(b.value.replace("_", " ") for b in entry.legal_bases),
        data_subjects="; ".join(SUBJECT_KINDS.get(k, k) for k in entry.subject_kinds),
        data_categories=_labels(categories),
        special_categories=_labels(special) if special else "None",
        source=SOURCES.get(entry.purpose.code, "Strongroom itself, as the service is used"),
        recipients=recipients,
        transfers=transfers,
        retention="; ".join(retention),
        dpia_needed=f"Yes: {_labels(needs_dpia)}" if needs_dpia else "No",
        location=settings.DATA_LOCATION,
    )


def controller_record(workspace: Any) -> Record:
    """The workspace's record of processing, as controller of its clients' data (Art. 30(1))."""
    recipients, transfers = _recipients_and_transfers(workspace.name)
    collected = checklist_categories(workspace)
    rules = _retention_rules(workspace)
    activities = [
        _activity(
            entry,
            workspace,
            collected if entry.purpose.code == CHECKLIST_PURPOSE else set(),
            recipients,
            transfers,
            rules if entry.purpose.code == CHECKLIST_PURPOSE else [],
        )
        for entry in processing_activities(workspace)
    ]
    header = [
        ("Controller", workspace.name, True),
        ("Controller's contact details (Art. 30(1)(a))", workspace.controller_contact.strip(), True),
        ("Data protection officer (Art. 30(1)(a))", workspace.dpo_contact.strip(), False),
        ("Privacy policy", workspace.privacy_policy_url, False),
        ("Where the data is", settings.DATA_LOCATION, True),
    ]
    return Record(
        "controller",
        f"Record of processing activities of {workspace.name}",
        header,
        activities,
        SECURITY_MEASURES,
    )


def processor_record() -> Record:
    """The operator's record, as processor for every workspace (Art. 30(2))."""
    from strongroom.accounts.models import Workspace

    activities = []
    _, transfers = _recipients_and_transfers("each workspace")
    for workspace in Workspace.objects.order_by("name"):
        purposes = "; ".join(a.purpose.description for a in processing_activities(workspace))
        controller = f"{workspace.name}: {workspace.controller_contact.strip()}"
        if workspace.dpo_contact:
            controller += f" (DPO: {workspace.dpo_contact})"
        activities.append(
            Activity(
                purpose=f"On behalf of {workspace.name}: {purposes}",
                legal_bases="Processing under the controller's instructions (Art. 28)",
                data_subjects="; ".join(SUBJECT_KINDS[k] for k in ("client", "contributor", "staff")),
                data_categories=_labels(checklist_categories(workspace)) or "See the controller's record",
                special_categories=_labels(checklist_categories(workspace) & SPECIAL_CATEGORIES) or "None",
                source="The controller and its clients",
                recipients="; ".join(f"{p.name} ({p.purpose})" for p in _subprocessors()) or "None",
                transfers=transfers,
                retention="As the controller's rules and instructions say",
                dpia_needed="The controller decides",
                location=settings.DATA_LOCATION,
                controller=controller,
            )
        )
    header = [
        ("Processor", settings.OPERATOR_NAME, True),
        ("Processor's contact details (Art. 30(2)(a))", settings.OPERATOR_CONTACT, True),
        ("Where the data is", settings.DATA_LOCATION, True),
    ]
    return Record(
        "processor",
        "Record of processing activities carried out as processor",
        header,
        activities,
        SECURITY_MEASURES,
    )


# --- exports -------------------------------------------------------------------------------------


_FORMULA_STARTS: Final = frozenset("=+-@\t\r")


def _columns(record: Record) -> list[tuple[str, str]]:
    columns = list(Activity.COLUMNS)
    if record.kind == "processor":
        columns.insert(0, CONTROLLER_COLUMN)
    return columns


def _as_text(value: str) -> str:
    """A value a spreadsheet shows as typed (a workspace named "=HYPERLINK(...)" runs nothing):
    one beginning with =, +, -, @, a tab or a carriage return is given a leading apostrophe."""
    return "'" + value if value[:1] in _FORMULA_STARTS else value


def to_csv(record: Record) -> bytes:
    """One row per activity, the header fields repeated on each so every row stands alone."""
    out = io.StringIO()
    writer = csv.writer(out)
    head = [label for label, _, _ in record.header]
    columns = _columns(record)
    writer.writerow([*head, *(label for _, label in columns), "Security measures (Art. 30(1)(g))"])
    values = [value for _, value, _ in record.header]
    for activity in record.activities:
        row = activity.values()
        cells = [*values, *(row[name] for name, _ in columns), record.security]
        writer.writerow([_as_text(str(cell)) for cell in cells])
    return out.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet software read UTF-8


def to_xlsx(record: Record) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Record"
    sheet.append([record.title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([f"Generated on {record.generated_at:%Y-%m-%d %H:%M} UTC"])
    sheet.append([])
    for label, value, _ in record.header:
        sheet.append([label, value])
    sheet.append(["Security measures (Art. 30(1)(g))", record.security])
    sheet.append([])
    columns = _columns(record)
    sheet.append([label for _, label in columns])
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for activity in record.activities:
        values = activity.values()
        sheet.append([values[name] for name, _ in columns])
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            cell.data_type = "s" if isinstance(cell.value, str) else cell.data_type
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter in "ABCDEFGHIJK":
        sheet.column_dimensions[letter].width = 36
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(record: Record) -> bytes:
    from strongroom.privacy.pdf import Document

    doc = Document(record.title, subject="Record of processing activities (GDPR Art. 30)")
    doc.paragraph(
        f"Generated by Strongroom on {record.generated_at:%Y-%m-%d %H:%M} UTC from the system's "
        "own data map, settings and sub-processor list."
    )
    doc.rows([(label, value) for label, value, _ in record.header])
    problems = record.problems()
    if problems:
        doc.heading("Still to complete")
        for problem in problems:
            doc.paragraph(f"- {problem}")
    columns = _columns(record)
    for number, activity in enumerate(record.activities, start=1):
        doc.heading(f"{number}. {activity.purpose}")
        row = activity.values()
        doc.rows([(label, row[name]) for name, label in columns if name != "purpose"])
    doc.heading("Security measures (Art. 30(1)(g))")
    doc.paragraph(record.security)
    if not doc.unicode:
        doc.paragraph('(Characters the PDF\'s font cannot show are printed as "?".)')
    return doc.output()
