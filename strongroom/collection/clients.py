"""Clients: creating, changing and finding them (by exact e-mail or name, through blind indexes)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from strongroom.accounts.access import require_member
from strongroom.accounts.models import Language, Workspace
from strongroom.audit.actions import record
from strongroom.collection.models import Client
from strongroom.crypto import keys
from strongroom.crypto.blind import lookup
from strongroom.crypto.models import Keyring, SubjectKey

EDITABLE = ("name", "email", "phone", "language", "notes")


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    if "name" in cleaned and not cleaned["name"]:
        raise ValidationError({"name": _("A client needs a name.")})
    if "email" in cleaned:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    if "language" in cleaned and cleaned["language"] not in Language.values:
        raise ValidationError({"language": _("Choose English or French.")})
    return cleaned


def _email_taken(workspace: Workspace, email: str, *, exclude: Any = None) -> bool:
    ring = Keyring.objects.get(workspace=workspace).id
    found = Client.objects.filter(workspace=workspace, email_index=lookup(Client, "email", ring, email))
    return found.exclude(pk=exclude).exists() if exclude else found.exists()


def do_create_client(workspace: Workspace, actor: Any, **values: Any) -> Client:
    require_member(workspace, actor)
    values = _clean({"name": "", "email": ""} | {k: v for k, v in values.items() if k in EDITABLE})
    with transaction.atomic():
        if _email_taken(workspace, values["email"]):
            raise ValidationError({"email": _("A client with this e-mail address already exists.")})
        subject = keys.create_subject(Keyring.objects.get(workspace=workspace), SubjectKey.Kind.CLIENT)
        client = Client(workspace=workspace, subject=subject, created_by=_staff(actor), **values)
        client.save()
        record(actor, "client.created", client, subject=subject)
    return client


def do_update_client(client: Client, actor: Any, **changes: Any) -> Client:
    require_member(client.workspace_id, actor)
    changes = _clean({k: v for k, v in changes.items() if k in EDITABLE})
    with transaction.atomic():
        if "email" in changes and _email_taken(client.workspace, changes["email"], exclude=client.pk):
            raise ValidationError({"email": _("A client with this e-mail address already exists.")})
        changed = [name for name, value in changes.items() if getattr(client, name) != value]
        for name in changed:
            setattr(client, name, changes[name])
        fields = changed + [f"{n}_index" for n in changed if n in ("name", "email")]
        if changed:
            client.save(update_fields=fields)
            record(actor, "client.updated", client, subject=client.subject_id, fields=sorted(changed))
    return client


def find_clients(workspace: Workspace, query: str) -> QuerySet[Client]:
    """Clients whose e-mail or whole name is `query` (case and spacing aside): exact match only."""
    query = query.strip()
    if not query:
        return Client.objects.filter(workspace=workspace)
    ring = Keyring.objects.get(workspace=workspace).id
    return Client.objects.filter(workspace=workspace).filter(
        Q(email_index=lookup(Client, "email", ring, query))
        | Q(name_index=lookup(Client, "name", ring, query))
    )


def _staff(actor: Any) -> Any:
    from strongroom.accounts.models import User

    return actor if isinstance(actor, User) else None
