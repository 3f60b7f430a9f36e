"""Actions of the workspace administration pages: invitations, workspace settings and the logo.

An invitation's token is 256 random bits: it exists in plaintext only in the e-mail (sent after
commit, from a closure, so it is never stored, queued or logged); the database keeps its SHA-256.
An unknown, expired, revoked or already accepted token is indistinguishable: `find_invitation`
answers None for all of them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import timedelta
from typing import Any, Final

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from strongroom.accounts.actions import add_membership, do_create_user, require_manager, require_owner_for
from strongroom.accounts.models import Invitation, Membership, Role, User, Workspace
from strongroom.audit.actions import record
from strongroom.crypto import keys
from strongroom.crypto.models import Keyring, SubjectKey
from strongroom.vault.actions import delete_blob
from strongroom.vault.imagesize import image_size

log = logging.getLogger(__name__)

INVITATION_LIFETIME: Final = timedelta(days=7)
TOKEN_BYTES: Final = 32
LOGO_MAX_SIZE: Final = 1024 * 1024
LOGO_TYPES: Final = frozenset({"image/png", "image/jpeg"})
# Every portal page shows the logo, so every client's browser decodes it: 4096 x 4096 is already
# 64 MB of pixels, and an image declaring 100,000 x 100,000 would take 40 GB.
LOGO_MAX_SIDE: Final = 4096
_KEEP: Final = object()
COLOUR: Final = re.compile(r"#[0-9a-fA-F]{6}")
# What `do_update_workspace_settings` may change; anything else is a programming error.
SETTINGS_FIELDS: Final = frozenset({
    "name", "accent_colour", "privacy_policy_url", "dpo_contact", "controller_contact", "default_language",
    "remind_days_before", "remind_on_due_date", "remind_every_days_after", "remind_max_after",
    "require_client_code", "link_days_after_close", "require_two_factor", "logo",
})


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


# --- invitations ---------------------------------------------------------------------------------


def pending_invitations(workspace: Workspace) -> Any:
    """Invitations of the workspace that can still be accepted, newest first."""
    return (
        Invitation.objects.filter(workspace=workspace, accepted_at=None, revoked_at=None,
                                  expires_at__gt=timezone.now())
        .select_related("user")
        .order_by("-created_at")
    )


def _invitee(email: str, actor: Any) -> User:
    """The user with this e-mail; a new one, inactive and without a password, when there is none."""
    existing = User.objects.with_email(email).first()
    if existing is not None:
        return existing
    user = do_create_user(email, None, actor)
    user.is_active = False
    user.save(update_fields=["is_active"])
    return user


def do_invite(workspace: Workspace, email: str, role: str, actor: Any) -> tuple[Invitation, str]:
    """Invite `email` to `workspace` as `role`; returns the invitation and its token.

    Only owners and admins invite, and only owners invite owners. A newer invitation of the same
    person replaces their pending one. The e-mail leaves after commit; the token is in it only.
    """
    email = email.strip()
    validate_email(email)
    if role not in Role.values:
        raise ValidationError(_("Choose a role."))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        require_manager(workspace, actor)
        require_owner_for(role, workspace, actor)
        user = _invitee(email, actor)
        if Membership.objects.filter(workspace=workspace, user=user).exists():
            raise ValidationError(_("This person is already a member of the workspace."))
        now = timezone.now()
        replaced = Invitation.objects.filter(
            workspace=workspace, user=user, accepted_at=None, revoked_at=None
        ).update(revoked_at=now)
        invitation = Invitation.objects.create(
            workspace=workspace, user=user, role=role, token_hash=token_hash(token),
            invited_by=actor if isinstance(actor, User) else None, expires_at=now + INVITATION_LIFETIME,
        )
        record(actor, "membership.invited", invitation, subject=user.subject_id, workspace=workspace,
               user=str(user.pk), role=role, replaced=replaced)
        inviter = actor.name if isinstance(actor, User) else ""
        # A closure, not a task: the token must not be stored anywhere, a task queue included.
        transaction.on_commit(lambda: _send_invitation(invitation, email, inviter, token))
    return invitation, token


def _send_invitation(invitation: Invitation, email: str, inviter: str, token: str) -> None:
    """E-mail the accept link. A failure is logged by type only (mailer errors quote addresses);
    the invitation stays pending and inviting again sends a new link."""
    from strongroom.mail.render import send_mail_in_language

    workspace = invitation.workspace
    accept_url = settings.BASE_URL + reverse("admin_pages:invitation_accept", args=[token])
    try:
        send_mail_in_language(
            to=[email],
            template="staff_invitation",
            language=workspace.default_language,
            context={
                "workspace_name": workspace.name,
                "inviter_name": inviter or gettext_lazy("A colleague"),
                "accept_url": accept_url,
                "role": Role(invitation.role).label,
            },
        )
    except Exception as exc:
        log.warning("invitation %s: e-mail not sent (%s)", invitation.pk, type(exc).__name__)


def find_invitation(token: str) -> Invitation | None:
    """The pending invitation with this token, or None for anything else."""
    if not token or len(token) > 100:
        return None
    found = (
        Invitation.objects.select_related("workspace", "user", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )
    return found if found is not None and _pending(found) else None


def _pending(invitation: Invitation) -> bool:
    return (invitation.accepted_at is None and invitation.revoked_at is None
            and invitation.expires_at > timezone.now())


def needs_password(invitation: Invitation) -> bool:
    """Whether accepting sets up a new account (created by the invitation, never signed in)."""
    user = invitation.user
    return not user.is_active and not user.has_usable_password()


def do_accept_invitation(invitation: Invitation, actor: Any, *, password: str | None = None) -> Membership:
    """Join the workspace. A new account chooses its password here and is activated; an existing
    account must be the one signed in (`actor`). Raises ValidationError when it is no longer pending.
    """
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().select_related("user", "workspace").get(
            pk=invitation.pk
        )
        if not _pending(locked):
            raise ValidationError(_("This invitation is no longer valid."))
        user = locked.user
        if needs_password(locked):
            validate_password(password or "", user)
            user.set_password(password)
            user.is_active = True
            user.save(update_fields=["password", "is_active"])
            actor = user
        elif not user.is_active:
            raise PermissionDenied(_("This account is disabled; ask the workspace's owner."))
        elif not isinstance(actor, User) or actor.pk != user.pk:
            raise PermissionDenied(_("Sign in as the invited account to accept this invitation."))
        membership = Membership.objects.filter(workspace=locked.workspace, user=user).first()
        if membership is None:
            membership = add_membership(locked.workspace, user, locked.role, actor)
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        record(actor, "membership.invitation_accepted", locked, subject=user.subject_id,
               user=str(user.pk), role=membership.role)
    invitation.accepted_at = locked.accepted_at
    return membership


def do_revoke_invitation(invitation: Invitation, actor: Any) -> None:
    """Owners and admins withdraw a pending invitation (an owner's invitation: owners only)."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
        require_manager(locked.workspace, actor)
        require_owner_for(locked.role, locked.workspace, actor)
        if not _pending(locked):
            raise ValidationError(_("This invitation is no longer pending."))
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        record(actor, "membership.invitation_revoked", locked, user=str(locked.user_id))
    invitation.revoked_at = locked.revoked_at


# --- workspace settings --------------------------------------------------------------------------


def _require_owner(workspace: Workspace, actor: Any) -> None:
    if isinstance(actor, User) and not Membership.objects.filter(
        workspace=workspace, user=actor, role=Role.OWNER
    ).exists():
        raise PermissionDenied(_("Only owners change the workspace's settings."))


def _lock(workspace: Workspace) -> Workspace:
    return Workspace.objects.select_for_update().get(pk=workspace.pk)


def workspace_subject(workspace: Workspace, actor: Any) -> SubjectKey:
    """The subject key that seals the workspace's own files (its logo); made on first use."""
    existing = _workspace_subject(workspace)
    if existing is not None:
        return existing
    with transaction.atomic():
        _lock(workspace)  # two first uses at once make one key
        existing = _workspace_subject(workspace)
        if existing is not None:
            return existing
        subject = keys.create_subject(Keyring.objects.get(workspace=workspace), SubjectKey.Kind.WORKSPACE)
        record(actor, "workspace.subject_created", workspace, subject=subject)
    return subject


def _workspace_subject(workspace: Workspace) -> SubjectKey | None:
    return (
        SubjectKey.objects.filter(keyring__workspace=workspace, kind=SubjectKey.Kind.WORKSPACE,
                                  destroyed_at=None)
        .order_by("created_at")
        .first()
    )


def logo_dimensions_problem(upload: Any) -> str | None:
    """Why this sealed PNG or JPEG cannot be the logo because of its size in pixels, or None.

    Read from the header bytes the upload kept: the image is never decoded.
    """
    size = image_size(upload.writer.head)
    if size is None:
        return _("The logo's size in pixels could not be read: save it again as a plain PNG or JPEG image.")
    width, height = size
    if not 0 < width <= LOGO_MAX_SIDE or not 0 < height <= LOGO_MAX_SIDE:
        message = _("The logo must be at most %(max)d pixels wide and high; "
                    "this one is %(width)d by %(height)d.")
        return message % {"max": LOGO_MAX_SIDE, "width": width, "height": height}
    return None


def _check_logo(upload: Any) -> None:
    content_type = getattr(upload, "content_type", None)
    if content_type not in LOGO_TYPES or not hasattr(upload, "finish"):
        raise ValidationError({"logo": _("The logo must be a PNG or JPEG image.")})
    if upload.size > LOGO_MAX_SIZE:
        raise ValidationError({"logo": _("The logo must be 1 MB or smaller.")})
    if problem := logo_dimensions_problem(upload):
        raise ValidationError({"logo": problem})


def _check_settings(changes: dict[str, Any]) -> None:
    if unknown := set(changes) - SETTINGS_FIELDS:
        raise ValueError(f"not workspace settings: {', '.join(sorted(unknown))}")
    if "name" in changes and not str(changes["name"]).strip():
        raise ValidationError({"name": _("A workspace needs a name.")})
    if "accent_colour" in changes and not COLOUR.fullmatch(str(changes["accent_colour"])):
        raise ValidationError({"accent_colour": _("Enter a colour as #rrggbb, for example #1f4e79.")})
    if changes.get("logo") is not None:
        _check_logo(changes["logo"])


def do_update_workspace_settings(workspace: Workspace, actor: Any, **changes: Any) -> Workspace:
    """Change workspace settings (owners only); `logo` takes a sealed upload, or None to remove it.

    Records "workspace.settings_changed" with the names of the fields that changed, never values;
    nothing is recorded when nothing changed. The new logo is kept in the same transaction.
    """
    _check_settings(changes)
    with transaction.atomic():
        _require_owner(workspace, actor)
        locked = _lock(workspace)
        logo = changes.pop("logo", _KEEP)
        changed = [name for name, value in changes.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, changes[name])
        locked.full_clean(exclude=[f.name for f in Workspace._meta.fields if f.name not in changed],
                          validate_unique=False)
        replaced = locked.logo
        if logo is None and locked.logo_id is not None:
            locked.logo = None
            changed.append("logo")
        elif logo is not None and logo is not _KEEP:
            locked.logo = logo.finish(actor=actor, audit_extra={"use": "workspace_logo"})
            changed.append("logo")
        if changed:
            locked.save(update_fields=changed)
            record(actor, "workspace.settings_changed", locked, fields=sorted(changed))
        if "logo" in changed and replaced is not None:  # the old logo goes with its replacement
            delete_blob(replaced)
    return locked
