"""The data map: what personal data Strongroom holds, whose it is, why, on what basis, for how long.

Each model declares its map beside its fields:

    class Client(models.Model):
        subject = models.OneToOneField("crypto.SubjectKey", ...)
        email = EncryptedTextField(category="user.contact.email")
        data_map = DataMap(subject="subject", subject_kind="client", purpose=COLLECTION,
                           legal_basis=LegalBasis.CONTRACT, retention=Retention(...),
                           not_personal={"id": "random identifier", ...})

Personal fields are the encrypted fields (`strongroom.crypto.fields`), each with a category from
the taxonomy; they are sealed under the subject's key. Every other concrete field must be listed in
`not_personal` with the reason. The registry reads these declarations and answers for export,
erasure and the record of processing; a test fails if any field of any model is unclassified.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet


class LegalBasis(StrEnum):
    """GDPR Art. 6(1) lawful bases."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"


@dataclass(frozen=True)
class Purpose:
    code: str
    description: str


@dataclass(frozen=True)
class Retention:
    """How long data is kept: `days` after `counted_from`, or for as long as `counted_from` lasts."""

    description: str
    counted_from: str
    days: int | None = None


# The taxonomy of personal data categories (dotted, after the Fideslang data categories).
CATEGORIES: dict[str, str] = {
    "user.name": "Name",
    "user.contact.email": "E-mail address",
    "user.contact.phone_number": "Telephone number",
    "user.contact.address": "Postal address",
    "user.government_id": "Government identifier (passport, ID card, tax or social security number)",
    "user.financial": "Financial information (income, bank details, payslips)",
    "user.demographic.date_of_birth": "Date of birth",
    "user.employment": "Employment information",
    "user.content.document": "Documents supplied by the person",
    "user.content.document.metadata": "Names and types of documents supplied by the person",
    "user.content.answer": "Answers given by the person",
    "user.content.message": "Messages written by or to the person",
    "user.content.note": "Notes kept by staff about the person",
    "user.authorization.credentials": "Sign-in credentials",
    "user.behavior.activity": "Record of actions taken",
    "user.device.ip_address": "Network (IP) address",
    # Special categories (Art. 9) and criminal records (Art. 10): a DPIA is expected before collecting them.
    "user.health": "Health data (special category)",
    "user.genetic": "Genetic data (special category)",
    "user.biometric": "Biometric data used to identify a person (special category)",
    "user.demographic.racial_ethnic_origin": "Racial or ethnic origin (special category)",
    "user.political_opinion": "Political opinions (special category)",
    "user.religious_belief": "Religious or philosophical beliefs (special category)",
    "user.trade_union_membership": "Trade union membership (special category)",
    "user.sexual_orientation": "Sex life or sexual orientation (special category)",
    "user.criminal_history": "Criminal convictions and offences (Art. 10)",
}

# Art. 9(1) and Art. 10 data: collecting it needs an Art. 9(2) condition and, here, a validated DPIA.
SPECIAL_CATEGORIES: frozenset[str] = frozenset({
    "user.health", "user.genetic", "user.biometric", "user.demographic.racial_ethnic_origin",
    "user.political_opinion", "user.religious_belief", "user.trade_union_membership",
    "user.sexual_orientation", "user.criminal_history",
})
# Data whose collection at scale needs a DPIA although it is not a special category (CNIL list).
DPIA_CATEGORIES: frozenset[str] = SPECIAL_CATEGORIES | {"user.government_id", "user.financial"}


@dataclass(frozen=True)
class Personal:
    """The declaration of one personal field: its category, and overrides of the model's defaults."""

    category: str
    purpose: Purpose | None = None
    legal_basis: LegalBasis | None = None
    retention: Retention | None = None


@dataclass(frozen=True)
class DataMap:
    """A model's declaration. `subject` is the path (`a__b`) to the row's `crypto.SubjectKey`."""

    subject: str | None = None
    subject_kind: str | None = None
    purpose: Purpose | None = None
    legal_basis: LegalBasis | None = None
    retention: Retention | None = None
    not_personal: Mapping[str, str] = field(default_factory=dict)
    # Personal data the row points to but does not hold itself (a sealed file in the blob store).
    sealed_content: Personal | None = None
    # Personal data of whoever acted (not of the row's subject), sealed under the workspace key:
    # the network address in the audit log. Listed for the record of processing.
    actor_data: Mapping[str, Personal] = field(default_factory=dict)
    # Why rows of this model outlive their subject's erasure (their sealed fields become
    # unreadable with the subject's key); empty: erasure deletes them.
    kept_on_erasure: str = ""
    # Fields that are not personal but give the person's data its meaning in their access package
    # (the question an answer replies to, the title of a request).
    export_with: tuple[str, ...] = ()
    # Whether a restriction of the subject (Art. 18) freezes these rows; False for the records of
    # the rights themselves and for the thread the workspace still talks to the person through.
    frozen_by_restriction: bool = True

    def resolve(self, personal: Personal) -> Personal:
        """A field's declaration with the model's defaults filled in."""
        return Personal(
            category=personal.category,
            purpose=personal.purpose or self.purpose,
            legal_basis=personal.legal_basis or self.legal_basis,
            retention=personal.retention or self.retention,
        )


@dataclass(frozen=True)
class ProcessingActivity:
    """One line of the record of processing: a purpose and everything done for it."""

    purpose: Purpose
    legal_bases: tuple[LegalBasis, ...]
    categories: tuple[str, ...]
    subject_kinds: tuple[str, ...]
    retention: tuple[str, ...]
    models: tuple[str, ...]
    subject_count: int


_external: dict[str, DataMap] = {}


def declare(model_label: str, data_map: DataMap) -> None:
    """Declare the map of a model Strongroom does not own (Django's own apps, libraries)."""
    _external[model_label.lower()] = data_map


def declaration(model: type[Model]) -> DataMap | None:
    own = model.__dict__.get("data_map")
    if isinstance(own, DataMap):
        return own
    return _external.get(model._meta.label_lower)


def personal_fields(model: type[Model]) -> dict[str, Personal]:
    """The model's personal fields by name, each with the model's defaults filled in."""
    data_map = declaration(model)
    found = {}
    for model_field in model._meta.concrete_fields:
        personal = getattr(model_field, "personal", None)
        if isinstance(personal, Personal):
            found[model_field.name] = data_map.resolve(personal) if data_map else personal
    return found


def unclassified_fields(model: type[Model]) -> list[str]:
    """Problems with the model's declaration, each naming the field: the map-drift test uses this."""
    label = model._meta.label
    data_map = declaration(model)
    if data_map is None:
        return [f"{label}: no data map declared"]
    personal = personal_fields(model)
    problems = []
    for model_field in model._meta.concrete_fields:
        name = model_field.name
        if name in personal and name in data_map.not_personal:
            problems.append(f"{label}.{name}: declared both personal and not personal")
        elif name in data_map.actor_data:
            continue
        elif name not in personal and name not in data_map.not_personal:
            problems.append(f"{label}.{name}: unclassified (declare it personal or not personal)")
    known = {f.name for f in model._meta.concrete_fields}
    problems += [f"{label}.{n}: declared but no such field" for n in data_map.not_personal if n not in known]
    problems += [
        f"{label}.{n}: exported with but no such field" for n in data_map.export_with if n not in known
    ]
    for name, declared in personal.items():
        if declared.category not in CATEGORIES:
            problems.append(f"{label}.{name}: unknown category {declared.category!r}")
        if declared.purpose is None or declared.legal_basis is None or declared.retention is None:
            problems.append(f"{label}.{name}: personal field without purpose, legal basis or retention")
    if (personal or data_map.sealed_content) and not data_map.subject:
        problems.append(f"{label}: holds personal data but names no subject")
    return problems


def personal_models() -> Iterator[type[Model]]:
    """Models that hold personal data of a subject (in their fields or in a sealed file)."""
    from django.apps import apps

    for model in apps.get_models():
        data_map = declaration(model)
        if data_map and data_map.subject and (personal_fields(model) or data_map.sealed_content):
            yield model


def _models_with_personal_data() -> Iterator[type[Model]]:
    from django.apps import apps

    for model in apps.get_models():
        data_map = declaration(model)
        if data_map and (personal_fields(model) or data_map.sealed_content or data_map.actor_data):
            yield model


def subject_of(instance: Model) -> Any:
    """The `crypto.SubjectKey` a row belongs to, following the declared path."""
    data_map = declaration(type(instance))
    if data_map is None or not data_map.subject:
        raise LookupError(f"{type(instance)._meta.label} declares no subject")
    value: Any = instance
    for part in data_map.subject.split("__"):
        value = getattr(value, part)
        if value is None:
            return None
    return value


def rows_of_subject(subject: Any) -> dict[str, QuerySet[Any]]:
    """Every row holding personal data of `subject`, by model label: what export and erasure walk."""
    rows = {}
    for model in personal_models():
        path = declaration(model).subject  # type: ignore[union-attr]
        rows[model._meta.label] = model._default_manager.filter(**{str(path): subject})
    return rows


def blobs_of_subject(subject: Any) -> QuerySet[Any]:
    """Every sealed file of `subject`."""
    from strongroom.vault.models import Blob

    return Blob.objects.filter(subject=subject)


def processing_activities(workspace: Any) -> list[ProcessingActivity]:
    """The record of processing of `workspace`, derived from the declarations, one line per purpose."""
    from strongroom.crypto.models import SubjectKey

    grouped: dict[str, dict[str, Any]] = {}
    for model in _models_with_personal_data():
        data_map = declaration(model)
        assert data_map is not None
        declared = list(personal_fields(model).values())
        if data_map.sealed_content:
            declared.append(data_map.resolve(data_map.sealed_content))
        declared += [data_map.resolve(p) for p in data_map.actor_data.values()]
        for item in declared:
            assert item.purpose is not None and item.legal_basis is not None
            entry = grouped.setdefault(
                item.purpose.code,
                {"purpose": item.purpose, "bases": set(), "categories": set(), "kinds": set(),
                 "retention": set(), "models": set()},
            )
            entry["bases"].add(item.legal_basis)
            entry["categories"].add(item.category)
            kinds = (data_map.subject_kind or "unspecified").split(",")
            entry["kinds"].update(kind.strip() for kind in kinds)
            entry["retention"].add(item.retention.description if item.retention else "")
            entry["models"].add(model._meta.label)
    subjects = SubjectKey.objects.filter(keyring__workspace=workspace)
    staff = SubjectKey.objects.filter(user__memberships__workspace=workspace)
    activities = []
    for entry in grouped.values():
        count = 0
        for kind in entry["kinds"]:
            count += (staff if kind == "staff" else subjects.filter(kind=kind)).distinct().count()
        activities.append(
            ProcessingActivity(
                purpose=entry["purpose"],
                legal_bases=tuple(sorted(entry["bases"])),
                categories=tuple(sorted(entry["categories"])),
                subject_kinds=tuple(sorted(entry["kinds"])),
                retention=tuple(sorted(entry["retention"])),
                models=tuple(sorted(entry["models"])),
                subject_count=count,
            )
        )
    return sorted(activities, key=lambda a: a.purpose.code)
