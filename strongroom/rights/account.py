"""A staff user's own rights over their account (Strongroom's operator is the controller of it):
download my data, correct my profile, close my account. Each needs the password again.

Closing erases: the user's name and e-mail are replaced by a placeholder sealed under a fresh key
and the old key is destroyed, so old backups cannot open them either. The row itself stays, since
requests and audit events point to it. The last owner of a workspace that others still use cannot
leave it ownerless: they hand it on first.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.accounts.models import Membership, Role, User
from strongroom.audit.actions import record
from strongroom.audit.models import Event
from strongroom.crypto import keys
from strongroom.crypto.models import SubjectKey
from strongroom.privacy.datamap import personal_models
from strongroom.rights.formats import Column, ColumnType, SubjectExport, Table
from strongroom.rights.lifecycle import RightsError
from strongroom.rights.packages import RIGHTS_TEXT, SUPERVISORY_AUTHORITY, archive, model_table
from strongroom.twofactor.actions import delete_factors

ERASED_DOMAIN = "erased.invalid"


def check_password(user: User, password: str) -> None:
    """Re-entering the password proves it is the account's holder, not a borrowed session."""
    if not password or not user.check_password(password):
        with transaction.atomic():
            record(user, "account.password_check_failed", user, subject=user.subject_id)
        raise PermissionDenied(_("That password is not right."))


def staff_export(user: User) -> SubjectExport:
    """Everything Strongroom holds about a staff user: profile, memberships, and their actions."""
    subject = user.subject
    tables = []
    for model in sorted(personal_models(), key=lambda m: m._meta.label):
        table = model_table(model, subject)
        if table.rows:
            tables.append(table)
    memberships = Membership.objects.filter(user=user).select_related("workspace").order_by("created_at")
    tables.append(
        Table(
            "memberships",
            "Workspaces",
            "The workspaces you belong to, and your role in each.",
            (
                Column("workspace", "Workspace", ColumnType.TEXT),
                Column("role", "Role", ColumnType.TEXT),
                Column("privacy_officer", "Privacy officer", ColumnType.BOOLEAN),
                Column("since", "Member since (UTC)", ColumnType.DATETIME),
            ),
            tuple(
                {
                    "workspace": m.workspace.name,
                    "role": m.role,
                    "privacy_officer": m.privacy_officer,
                    "since": m.created_at,
                }
                for m in memberships
            ),
        )
    )
    events = Event.objects.filter(actor_kind="staff", actor_id=str(user.pk)).order_by("id")
    tables.append(
        Table(
            "activity",
            "Activity",
            "What you did in Strongroom, from its audit trail (codes, no content).",
            (
                Column("at", "When (UTC)", ColumnType.DATETIME),
                Column("action", "Action", ColumnType.TEXT),
                Column("record_type", "On what", ColumnType.TEXT),
            ),
            tuple(
                {"at": e.created_at, "action": e.action, "record_type": e.target_type}
                for e in events.iterator()
            ),
        )
    )
    info = [
        ("controller", "The operator of this Strongroom installation"),
        (
            "purpose",
            "Your staff account: signing in, and recording what you do, as the workspaces' "
            "security and accountability require.",
        ),
        ("retention", "For as long as your account is open; the audit trail for as long as the workspace's."),
        (
            "your_rights",
            RIGHTS_TEXT.replace("the client portal's 'Your privacy rights' page", "your account page"),
        ),
        ("complaint", SUPERVISORY_AUTHORITY),
    ]
    tables.append(
        Table(
            "information",
            "Information",
            "What the law says you must be told (Art. 15 GDPR).",
            (
                Column("topic", "Topic", ColumnType.TEXT),
                Column("information", "Information", ColumnType.TEXT),
            ),
            tuple({"topic": t, "information": i} for t, i in info),
        )
    )
    return SubjectExport(
        title="Your personal data in Strongroom", generated_at=timezone.now(), tables=tuple(tables)
    )


def do_download_my_data(user: User, password: str) -> Iterator[bytes]:
    """The ZIP of `staff_export` (four formats and a README), streamed to the user; audited."""
    check_password(user, password)
    export = staff_export(user)
    with transaction.atomic():
        record(user, "account.data_downloaded", user, subject=user.subject_id, tables=len(export.tables))
    return archive(export, [])


def do_correct_profile(user: User, password: str, *, name: str, email: str) -> User:
    """Correct one's own name or e-mail (Art. 16); audited with the fields' names only."""
    check_password(user, password)
    name, email = name.strip(), email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    with transaction.atomic():
        locked = User.objects.select_for_update(of=("self",)).get(pk=user.pk)
        changed = [f for f, v in (("name", name), ("email", email)) if getattr(locked, f) != v]
        if "email" in changed and User.objects.with_email(email).exclude(pk=user.pk).exists():
            raise ValidationError({"email": _("Another account already uses this e-mail address.")})
        locked.name, locked.email = name, email
        if changed:
            locked.save(update_fields=[*changed, *(["email_index"] if "email" in changed else [])])
            record(user, "account.profile_corrected", locked, subject=locked.subject_id, fields=changed)
    return locked


def _ownerless_workspaces(user: User) -> list[str]:
    """Workspaces the user is the last owner of while others still use them."""
    stuck = []
    for membership in Membership.objects.filter(user=user, role=Role.OWNER).select_related("workspace"):
        owners = Membership.objects.filter(workspace=membership.workspace, role=Role.OWNER).exclude(user=user)
        others = Membership.objects.filter(workspace=membership.workspace).exclude(user=user)
        if others.exists() and not owners.exists():
            stuck.append(membership.workspace.name)
    return stuck


def do_close_account(user: User, password: str) -> None:
    """Close the account and erase its personal data; see the module docstring."""
    check_password(user, password)
    stuck = _ownerless_workspaces(user)
    if stuck:
        raise RightsError(
            _(
                "You are the last owner of %(names)s: make another member an owner first, so the workspace "
                "is not left without one."
            )
            % {"names": ", ".join(stuck)},
            code="last_owner",
        )
    with transaction.atomic():
        locked = (
            User.objects.select_for_update(of=("self",)).select_related("subject__keyring").get(pk=user.pk)
        )
        old = locked.subject
        fresh = keys.create_subject(old.keyring, SubjectKey.Kind.STAFF)
        memberships = list(Membership.objects.filter(user=locked).values_list("workspace_id", flat=True))
        Membership.objects.filter(user=locked).delete()
        delete_factors(locked)
        User.objects.filter(pk=locked.pk).update(subject=fresh, is_active=False)
        placeholder = User.objects.get(pk=locked.pk)
        placeholder.name = ""
        placeholder.email = f"{locked.pk}@{ERASED_DOMAIN}"
        placeholder.set_unusable_password()
        placeholder.save(update_fields=["name", "email", "email_index", "password"])
        keys.destroy_subject_key(old, user, reason="account closed")
        record(user, "account.closed", placeholder, subject=old.pk, workspaces=[str(w) for w in memberships])
