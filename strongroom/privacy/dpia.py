"""Data protection impact assessments (Art. 35), guided in the CNIL's structure (PIA method):

1. context: the processing, its data, who is responsible, the standards followed;
2. fundamental principles: necessity and proportionality (purpose, basis, minimisation, accuracy,
   retention) and the measures protecting the people's rights;
3. risks: illegitimate access, unwanted modification, disappearance of data, each with its likelihood
   and severity (1 negligible, 2 limited, 3 significant, 4 maximum) and the measures against it;
4. validation, with an opinion, and an action plan.

A new assessment starts filled from the data map, the checklist's items and Strongroom's own security
measures; people complete and correct it. A checklist collecting special categories or identity
papers (DPIA_CATEGORIES) is flagged until an assessment of it is validated.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.models import Membership, Role, User, Workspace
from strongroom.audit.actions import record
from strongroom.privacy.datamap import CATEGORIES, DPIA_CATEGORIES, SPECIAL_CATEGORIES
from strongroom.privacy.models import Dpia, RetentionRule
from strongroom.privacy.records import SECURITY_MEASURES

CONTEXT = (
    ("processing", "The processing: what it is for and how it works"),
    ("data", "The personal data processed, their recipients and how long they are kept"),
    ("responsibilities", "Who is responsible (controller, processor, sub-processors)"),
    ("standards", "Codes of conduct or standards followed"),
)
PRINCIPLES = (
    ("purpose", "Specified, explicit and legitimate purposes"),
    ("basis", "Lawful basis, and the Art. 9 condition for special categories"),
    ("minimisation", "Only the data needed (minimisation)"),
    ("accuracy", "Accurate and up-to-date data"),
    ("retention", "Storage limited in time"),
    ("information", "How people are informed"),
    (
        "rights",
        "How people exercise their rights (access, portability, rectification, erasure, "
        "restriction, objection)",
    ),
    ("processors", "Processors and their contracts (Art. 28)"),
    ("transfers", "Transfers outside the EU/EEA"),
)
RISKS = (
    ("illegitimate_access", "Illegitimate access to data"),
    ("unwanted_modification", "Unwanted modification of data"),
    ("disappearance", "Disappearance of data"),
)
RISK_FIELDS = (
    ("sources", "Risk sources (who or what could cause it)"),
    ("impacts", "Potential impacts on the people"),
    ("threats", "Threats that could lead to it"),
    ("measures", "Measures that address it"),
)
LEVELS = {1: _("Negligible"), 2: _("Limited"), 3: _("Significant"), 4: _("Maximum")}
MEASURES = {
    "illegitimate_access": SECURITY_MEASURES,
    "unwanted_modification": (
        "Each sealed field and file is authenticated (AES-GCM): a change outside the application fails "
        "to open. Every change through the application is recorded in the hash-chained audit trail; "
        "items carry a version, so two reviewers cannot overwrite each other."
    ),
    "disappearance": (
        "Database and blob store backed up by the operator; the master key and the key folder are backed "
        "up separately. Deletion happens only through the retention rules, the erasure of a person, or "
        "the closing of the workspace, each recorded; legal holds keep what the law requires."
    ),
}


def categories_of(template: Any) -> set[str]:
    from strongroom.collection.models import TemplateItem

    items = TemplateItem.objects.filter(section__template=template).exclude(category="")
    return set(items.values_list("category", flat=True))


def needs_dpia(template: Any) -> bool:
    return bool(categories_of(template) & DPIA_CATEGORIES)


def is_validated(template: Any) -> bool:
    return Dpia.objects.filter(template=template, state=Dpia.State.VALIDATED).exists()


def flagged_templates(workspace: Workspace) -> list[Any]:
    """The workspace's checklists that need an assessment and have no validated one."""
    from strongroom.collection.models import Template

    candidates = Template.objects.filter(workspace=workspace).order_by("name")
    return [t for t in candidates if needs_dpia(t) and not is_validated(t)]


def _labels(codes: set[str]) -> str:
    return "; ".join(CATEGORIES.get(c, c) for c in sorted(codes)) or "none named"


def prefilled(template: Any) -> dict[str, Any]:
    """A starting point from what the system knows; every answer can be changed."""
    from strongroom.privacy.subprocessors import current

    workspace = template.workspace
    categories = categories_of(template)
    special = categories & SPECIAL_CATEGORIES
    rules = RetentionRule.objects.filter(workspace=workspace).filter(template__in=[template, None])
    processors = "; ".join(f"{p.name} ({p.purpose}, {p.location}; {p.safeguards})" for p in current())
    context = {
        "processing": f"The checklist \u201c{template.name}\u201d: {workspace.name} asks its clients for "
        "documents and answers through the Strongroom client portal, and reviews them.",
        "data": f"Kinds of data: {_labels(categories)}. Seen by the workspace's staff members whose role "
        "allows it; kept as the retention rules say.",
        "responsibilities": f"Controller: {workspace.name}. Processor: the operator of this Strongroom "
        f"installation. Sub-processors: {processors or 'none'}.",
        "standards": "",
    }
    principles = {
        "purpose": f"The service {workspace.name} provides its clients, which needs these documents.",
        "basis": "Contract or legal obligation (Art. 6(1)(b)/(c))"
        + (f"; for {_labels(special)}: the Art. 9(2) condition must be named." if special else "."),
        "minimisation": "Each item says why it is asked; optional items are marked; conditional items are "
        "asked only when an earlier answer makes them relevant.",
        "accuracy": "Clients correct their answers through the portal; staff review every document.",
        "retention": "; ".join(f"{r.get_action_display()} ({r.days} days)" for r in rules)
        or "No retention rule yet: add one on the Retention page.",
        "information": "A privacy notice is shown and acknowledged before anything is given; it names the "
        "workspace's privacy policy and data protection officer.",
        "rights": "\u201cYour privacy rights\u201d on every portal page: access and portability packages, "
        "rectification, erasure, restriction and objection, with their deadlines.",
        "processors": "A Data Processing Agreement with the operator (signed in the application); the "
        "sub-processors are listed publicly and announced in advance.",
        "transfers": "See the sub-processors and their safeguards.",
    }
    risks = {
        code: {
            "likelihood": 2 if code == "illegitimate_access" else 1,
            "severity": 3 if special else 2,
            "sources": "",
            "impacts": "",
            "threats": "",
            "measures": MEASURES[code],
        }
        for code, _label in RISKS
    }
    return {"context": context, "principles": principles, "risks": risks}


def _require_manager(workspace: Workspace, actor: User, *, owner: bool = False) -> None:
    roles = (Role.OWNER,) if owner else (Role.OWNER, Role.ADMIN)
    if not Membership.objects.filter(workspace=workspace, user=actor, role__in=roles).exists():
        raise PermissionDenied(
            _("Only the workspace's owners validate an assessment.")
            if owner
            else _("Only owners and admins write impact assessments.")
        )


def do_start(template: Any, actor: User) -> Dpia:
    """A new draft for `template`, filled in from what the system knows."""
    _require_manager(template.workspace, actor)
    with transaction.atomic():
        dpia = Dpia.objects.create(workspace=template.workspace, template=template, **prefilled(template))
        record(actor, "dpia.started", dpia, workspace=template.workspace_id, template=str(template.pk))
    return dpia


def _level(value: Any) -> int:
    try:
        level = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("Likelihood and severity are 1, 2, 3 or 4.")) from None
    if level not in LEVELS:
        raise ValidationError(_("Likelihood and severity are 1, 2, 3 or 4."))
    return level


def do_save(dpia: Dpia, actor: User, answers: dict[str, Any]) -> Dpia:
    """Save the answers of a draft; a validated assessment is not changed (start a new one)."""
    _require_manager(dpia.workspace, actor)
    context = {key: str(answers.get(f"context.{key}", "")).strip() for key, _label in CONTEXT}
    principles = {key: str(answers.get(f"principles.{key}", "")).strip() for key, _label in PRINCIPLES}
    risks = {
        code: {
            "likelihood": _level(answers.get(f"risks.{code}.likelihood")),
            "severity": _level(answers.get(f"risks.{code}.severity")),
            **{key: str(answers.get(f"risks.{code}.{key}", "")).strip() for key, _label in RISK_FIELDS},
        }
        for code, _label in RISKS
    }
    with transaction.atomic():
        locked = Dpia.objects.select_for_update(of=("self",)).get(pk=dpia.pk)
        if locked.state == Dpia.State.VALIDATED:
            raise ValidationError(_("This assessment is validated; start a new one to change it."))
        locked.context, locked.principles, locked.risks = context, principles, risks
        locked.action_plan = str(answers.get("action_plan", "")).strip()
        locked.save()
        record(actor, "dpia.saved", locked, workspace=locked.workspace_id)
    return locked


def missing(dpia: Dpia) -> list[str]:
    """What must be answered before the assessment can be validated."""
    labels = dict(CONTEXT) | dict(PRINCIPLES)
    found = [
        labels[k]
        for k, _l in (*CONTEXT, *PRINCIPLES)
        if k != "standards" and not ({**dpia.context, **dpia.principles}.get(k) or "").strip()
    ]
    for code, label in RISKS:
        risk = dpia.risks.get(code, {})
        for key, field_label in RISK_FIELDS:
            if not str(risk.get(key, "")).strip():
                found.append(f"{label}: {field_label}")
    return found


def do_validate(dpia: Dpia, actor: User, opinion: str) -> Dpia:
    """An owner validates a complete assessment, with an opinion; the checklist is no longer flagged."""
    _require_manager(dpia.workspace, actor, owner=True)
    opinion = opinion.strip()
    if not opinion:
        raise ValidationError(_("Give the opinion on which the assessment is validated."))
    with transaction.atomic():
        locked = Dpia.objects.select_for_update(of=("self",)).get(pk=dpia.pk)
        if locked.state == Dpia.State.VALIDATED:
            raise ValidationError(_("This assessment is already validated."))
        gaps = missing(locked)
        if gaps:
            raise ValidationError(_("Still to answer: %(gaps)s.") % {"gaps": "; ".join(gaps)})
        locked.state, locked.validation_opinion = Dpia.State.VALIDATED, opinion
        locked.validated_by, locked.validated_at = actor, timezone.now()
        locked.save()
        record(
            actor, "dpia.validated", locked, workspace=locked.workspace_id, template=str(locked.template_id)
        )
    return locked


def to_pdf(dpia: Dpia) -> bytes:
    from strongroom.privacy.pdf import Document

    doc = Document(
        f"Data protection impact assessment: {dpia.template.name}",
        subject=f"{dpia.workspace.name}, GDPR Art. 35",
    )
    state = (
        f"Validated on {dpia.validated_at:%Y-%m-%d} by {dpia.validated_by.name or dpia.validated_by.email}"
        if dpia.validated_at and dpia.validated_by
        else "Draft, not validated"
    )
    doc.paragraph(f"{dpia.workspace.name}. {state}.")
    doc.heading("1. Context")
    doc.rows([(label, dpia.context.get(key, "")) for key, label in CONTEXT])
    doc.heading("2. Fundamental principles")
    doc.rows([(label, dpia.principles.get(key, "")) for key, label in PRINCIPLES])
    doc.heading("3. Risks")
    for code, label in RISKS:
        risk = dpia.risks.get(code, {})
        doc.heading(label)
        doc.rows(
            [
                ("Likelihood", str(LEVELS.get(risk.get("likelihood", 0), "—"))),
                ("Severity", str(LEVELS.get(risk.get("severity", 0), "—"))),
                *[(field_label, str(risk.get(key, ""))) for key, field_label in RISK_FIELDS],
            ]
        )
    doc.heading("4. Validation and action plan")
    doc.rows([("Opinion", dpia.validation_opinion), ("Action plan", dpia.action_plan)])
    return doc.output()
