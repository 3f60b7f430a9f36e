"""Erasure of a client (Art. 17), driven by the data map, finished by crypto-shredding.

Every row the data map ties to the client's subject key is deleted, every sealed file of that
subject removed, and then the subject key itself destroyed, so copies of the sealed data in backups
can no longer be opened either. Rows whose model the data map keeps on erasure (the rights requests
themselves, the proof they were answered) stay, and their sealed fields become unreadable.

Legal holds: a collection request the workspace must keep by law is not erased. Its rows and files,
and the client's name and e-mail that say whose they are, are moved under a fresh subject key
(values re-sealed, files re-encrypted), and the old key is destroyed all the same: the held records
stay readable, nothing else of the person does, and old backups open nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from strongroom.audit.actions import record
from strongroom.collection.models import Client, Contributor, Request, Upload
from strongroom.crypto import keys
from strongroom.crypto.models import SubjectKey
from strongroom.mail import outbox
from strongroom.privacy.datamap import declaration, personal_fields, personal_models, rows_of_subject
from strongroom.rights.models import AccessPackage, LegalHold
from strongroom.vault.actions import delete_blob, read_blob
from strongroom.vault.models import Blob
from strongroom.vault.writer import BlobWriter


@dataclass
class ErasureReport:
    """What an erasure did, in counts and codes: it goes to the audit log, so never a value."""

    rows: Counter[str] = field(default_factory=Counter)
    files: int = 0
    held_requests: int = 0
    contributors: int = 0
    mails: int = 0
    # Where mail to the person and their contributors went: for `forget_mails`, never stored.
    addresses: list[str] = field(default_factory=list, repr=False)

    def as_outcome(self) -> dict[str, Any]:
        return {
            "rows": dict(sorted(self.rows.items())),
            "files": self.files,
            "held_requests": self.held_requests,
            "contributors": self.contributors,
            "mails": self.mails,
        }


def active_holds(client: Client) -> models.QuerySet[LegalHold]:
    today = timezone.localdate()
    return LegalHold.objects.filter(request__client=client, lifted_at=None).filter(
        models.Q(until=None) | models.Q(until__gte=today)
    )


def erase_client(client: Client, actor: Any) -> ErasureReport:
    """Erase everything of `client` but what a legal hold keeps; see the module docstring.

    Runs in one transaction: either all of it happens or none. Sealed files are removed from the
    store after the commit; call `forget_mails(report)` then to remove the outbox's copies of mail
    to the person.
    """
    from strongroom.rights.restriction import changes_allowed

    report = ErasureReport()
    with transaction.atomic(), changes_allowed():  # erasure ends a restriction's freeze too
        found = (
            Client.objects.select_for_update(of=("self",))
            .select_related("subject", "workspace")
            .filter(pk=client.pk)
        )
        if not found.exists():
            raise ValueError("this client's data has already been erased")
        client = found.get()
        subject = client.subject
        if subject.is_destroyed:
            raise ValueError("this client's data has already been erased")
        address = client.email
        held = set(active_holds(client).values_list("request_id", flat=True))
        report.held_requests = len(held)

        # Files first: uploads point at blobs and protect them.
        for upload in (
            Upload.objects.filter(item__request__client=client)
            .exclude(item__request_id__in=held)
            .select_related("blob")
        ):
            blob = upload.blob
            upload.delete()
            delete_blob(blob)
            report.files += 1
        for package in AccessPackage.objects.filter(rights_request__subject=subject).exclude(blob=None):
            held_blob = package.blob
            assert held_blob is not None
            package.blob, package.erased_at = None, timezone.now()
            package.save(update_fields=["blob", "erased_at"])
            delete_blob(held_blob)
            report.files += 1

        contributors = list(
            Contributor.objects.filter(request__client=client)
            .exclude(request_id__in=held)
            .select_related("subject")
        )
        addresses = [address, *(c.email for c in contributors)]
        erased_requests = Request.objects.filter(client=client).exclude(pk__in=held)
        report.rows["collection.Request"] = erased_requests.count()
        erased_requests.delete()  # items, sections, messages, links, contributors go with them

        if held:
            _move_held_records(client, held, report, actor)
        else:
            for label, rows in _erasable_rows(subject).items():
                report.rows[label] += rows.count()
                rows.delete()
            for blob in Blob.objects.filter(subject=subject):
                delete_blob(blob)
                report.files += 1
        for contributor in contributors:
            keys.destroy_subject_key(contributor.subject, actor, reason="erasure")
            report.contributors += 1
        keys.destroy_subject_key(subject, actor, reason="erasure")
        record(
            actor,
            "rights.erased",
            None,
            subject=subject,
            workspace=client.workspace_id,
            files=report.files,
            held_requests=report.held_requests,
            contributors=report.contributors,
        )
        report.addresses = addresses
    return report


def _erasable_rows(subject: SubjectKey) -> dict[str, models.QuerySet[Any]]:
    """The subject's rows the data map does not keep on erasure, dependents before what they point to."""
    rows = {
        label: queryset
        for label, queryset in rows_of_subject(subject).items()
        if not declaration(queryset.model).kept_on_erasure  # type: ignore[union-attr]
        and queryset.model is not Blob
    }
    # Rows pointing (PROTECT) at another model of the list go first: a request before its client.
    return dict(sorted(rows.items(), key=lambda item: _depth(item[1].model), reverse=True))


def _depth(model: type[models.Model]) -> int:
    path = declaration(model).subject or ""  # type: ignore[union-attr]
    return path.count("__")


def forget_mails(report: ErasureReport) -> int:
    """Remove the outbox's copies of mail to the erased people; call it once the erasure committed."""
    if outbox.outbox_in_use():
        report.mails = sum(outbox.delete_messages_to(address) for address in report.addresses)
    report.addresses = []
    return report.mails


def _move_held_records(client: Client, held: set[Any], report: ErasureReport, actor: Any) -> None:
    """Re-seal what the holds keep (the client's name and e-mail, the held requests' rows, their files)
    under a new subject key, so the old one can be destroyed."""
    old = client.subject
    new = keys.create_subject(old.keyring, SubjectKey.Kind.CLIENT)
    # Read every kept value while the old key still opens it.
    kept: list[tuple[type[models.Model], Any, dict[str, Any]]] = []
    for model in personal_models():
        data_map = declaration(model)
        assert data_map is not None
        if data_map.kept_on_erasure or model is Blob:
            continue
        names = list(personal_fields(model))
        for row in rows_of_subject(old)[model._meta.label]:
            kept.append((model, row.pk, {name: getattr(row, name) for name in names}))
    uploads = list(Upload.objects.filter(item__request_id__in=held).select_related("blob__subject"))

    for model, _pk, values in kept:
        if model is Client:  # phone and notes are not needed to say whose the held records are
            values |= {"phone": "", "notes": ""}
    Client.objects.filter(pk=client.pk).update(subject=new)
    for model, pk, values in kept:
        row = model._default_manager.get(pk=pk)
        for name, value in values.items():
            setattr(row, name, value)
        row.save(update_fields=list(values))
        report.rows[f"{model._meta.label} re-sealed"] += 1
    for upload in uploads:
        old_blob = upload.blob
        writer = BlobWriter(new, workspace=old_blob.workspace)
        try:
            for chunk in read_blob(old_blob):
                writer.write(chunk)
            writer.seal(name=old_blob.meta["name"], content_type=old_blob.meta["content_type"])
            upload.blob = writer.commit()
        except BaseException:
            writer.abort()
            raise
        upload.save(update_fields=["blob"])
        delete_blob(old_blob)
        report.files += 1
        report.rows["vault.Blob re-sealed"] += 1
    leftovers = Blob.objects.filter(subject=old)
    for blob in leftovers:
        delete_blob(blob)
        report.files += 1
    record(
        actor,
        "rights.held_records_moved",
        client,
        subject=new,
        workspace=client.workspace_id,
        requests=len(held),
    )


# --- one request at a time (retention) -----------------------------------------------------------


class RequestKept(ValueError):
    """The request may not be erased: a legal hold keeps it, or its client's data is restricted."""

    def __init__(self, why: str) -> None:
        super().__init__(f"this request is kept ({why})")
        self.why = why  # "legal_hold" or "restricted"


def held_request_ids(requests: Any, on: date | None = None) -> set[Any]:
    """Ids among `requests` (a queryset or ids) that a legal hold keeps on `on` (today by default).

    The same rule as `active_holds`: a hold keeps until it is lifted, or past its end date.
    """
    day = on or timezone.localdate()
    return set(
        LegalHold.objects.filter(request__in=requests, lifted_at=None)
        .filter(models.Q(until=None) | models.Q(until__gte=day))
        .values_list("request_id", flat=True)
    )


def _erasable_request(request: Request) -> Request:
    """The request, locked; ValueError once it is gone, RequestKept when something keeps it."""
    from strongroom.rights.restriction import is_restricted

    locked = (
        Request.objects.select_for_update(of=("self",)).select_related("client").filter(pk=request.pk).first()
    )
    if locked is None:
        raise ValueError("this request has already been erased")
    if held_request_ids([locked.pk]):
        raise RequestKept("legal_hold")
    if is_restricted(locked.client.subject_id):
        raise RequestKept("restricted")
    return locked


def _delete_uploads(request: Request) -> int:
    """Every uploaded file of the request: the row, then its sealed blob (gone from the store on commit)."""
    deleted = 0
    for upload in Upload.objects.filter(item__request=request).select_related("blob"):
        blob = upload.blob
        upload.delete()  # the upload protects its blob
        delete_blob(blob)
        deleted += 1
    return deleted


def erase_request_documents(request: Request, actor: Any, *, reason: str, **codes: Any) -> ErasureReport:
    """Erase the files uploaded to `request` (Upload rows and sealed blobs); the request, its items,
    answers, review states and thread stay.

    One transaction, audited as `request.documents_erased` with `reason` and `codes` (flat codes and
    ids); the files leave the blob store once it commits. Raises RequestKept for a request under an
    active legal hold or whose client's data is restricted, ValueError for one already erased.
    """
    report = ErasureReport()
    with transaction.atomic():
        locked = _erasable_request(request)
        report.files = _delete_uploads(locked)
        report.rows["collection.Upload"] = report.files
        record(
            actor,
            "request.documents_erased",
            locked,
            subject=locked.client.subject_id,
            workspace=locked.workspace_id,
            files=report.files,
            reason=reason,
            **codes,
        )
    return report


def erase_request(request: Request, actor: Any, *, reason: str, **codes: Any) -> ErasureReport:
    """Erase `request` whole: its files, items and answers, sections, thread, links and contributors,
    whose subject keys are destroyed. The client stays: they may have other requests.

    One transaction, audited as `request.erased`; files and key secrets leave their stores once it
    commits. Call `forget_mails(report)` then to remove the outbox's copies of mail to the
    contributors. Raises RequestKept or ValueError as `erase_request_documents` does.
    """
    report = ErasureReport()
    with transaction.atomic():
        locked = _erasable_request(request)
        report.files = _delete_uploads(locked)
        contributors = list(Contributor.objects.filter(request=locked).select_related("subject"))
        report.addresses = [c.email for c in contributors if not c.subject.is_destroyed]
        report.rows.update(
            {
                "collection.Request": 1,
                "collection.RequestItem": locked.items.count(),
                "collection.Message": locked.messages.count(),
                "collection.Contributor": len(contributors),
                "collection.Upload": report.files,
            }
        )
        # Items, sections, messages, links, contributors, reminders go with it.
        Request.objects.filter(pk=locked.pk).delete()
        for contributor in contributors:
            for blob in Blob.objects.filter(subject=contributor.subject):
                delete_blob(blob)
                report.files += 1
            keys.destroy_subject_key(contributor.subject, actor, reason=reason)
            report.contributors += 1
        record(
            actor,
            "request.erased",
            locked,
            subject=locked.client.subject_id,
            workspace=locked.workspace_id,
            files=report.files,
            items=report.rows["collection.RequestItem"],
            messages=report.rows["collection.Message"],
            contributors=report.contributors,
            reason=reason,
            **codes,
        )
    return report
