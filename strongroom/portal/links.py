"""Portal links: issuing, finding, revoking, and the optional password and e-mailed code.

A link's token is 256 random bits, shown once (in the e-mail) and stored only as its SHA-256. An
unknown, expired or revoked token is indistinguishable from the outside: `find_link` answers None.
Wrong passwords and codes are counted per link and lock it for a while; every attempt is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from strongroom.audit.actions import record
from strongroom.crypto import keys, primitives
from strongroom.portal.models import PortalLink

TOKEN_BYTES = 32
MAX_FAILURES = 5
LOCK_FOR = timedelta(minutes=15)
CODE_VALID_FOR = timedelta(minutes=10)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def live_links(request: Any, contributor: Any = None) -> Any:
    now = timezone.now()
    return (
        PortalLink.objects.filter(request=request, contributor=contributor, revoked_at=None)
        .exclude(expires_at__lte=now)
        .order_by("-created_at")
    )


def do_issue_link(
    request: Any, actor: Any, *, contributor: Any = None, issue_key: UUID | None = None, fresh: bool = False
) -> tuple[PortalLink, str]:
    """A new link to `request` for its client (or a contributor); returns the link and its token.

    The token exists in plaintext only in the return value: the caller puts it in the e-mail.
    A new link keeps the portal password the person chose on their earlier links, so a reminder's
    link is no weaker than the first one. `fresh=True` (staff issuing a new link for someone who
    lost their password) revokes the person's earlier links and starts without a password.
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        earlier = live_links(request, contributor)
        password = ""
        if fresh:
            earlier.update(revoked_at=timezone.now())
        else:
            password = next((link.password for link in earlier if link.password), "")
        link = PortalLink.objects.create(
            request=request,
            contributor=contributor,
            token_hash=token_hash(token),
            issue_key=issue_key,
            password=password,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        record(
            actor,
            "portal.link_issued",
            link,
            workspace=request.workspace_id,
            subject=request.client.subject_id,
            request=str(request.pk),
        )
    return link, token


def usable(link: PortalLink) -> bool:
    now = timezone.now()
    return link.revoked_at is None and (link.expires_at is None or link.expires_at > now)


def find_link(token: str) -> PortalLink | None:
    """The live link with this token, or None for anything else (unknown, expired, revoked)."""
    if not token or len(token) > 100:
        return None
    link = (
        PortalLink.objects.select_related("request__workspace", "request__client__subject", "contributor")
        .filter(token_hash=token_hash(token))
        .first()
    )
    return link if link is not None and usable(link) else None


def do_revoke_link(link: PortalLink, actor: Any) -> None:
    with transaction.atomic():
        locked = PortalLink.objects.select_for_update().get(pk=link.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            record(actor, "portal.link_revoked", locked, workspace=link.request.workspace_id)
        link.revoked_at = locked.revoked_at


def expire_links_of(request: Any, when: Any) -> None:
    """Links of a closed request stop working `link_days_after_close` days after it closed."""
    days = request.workspace.link_days_after_close
    PortalLink.objects.filter(request=request, expires_at=None).update(expires_at=when + timedelta(days=days))


def is_locked(link: PortalLink) -> bool:
    return link.locked_until is not None and link.locked_until > timezone.now()


def _count_failure(link: PortalLink, what: str, ip: str | None) -> None:
    with transaction.atomic():
        locked = PortalLink.objects.select_for_update().get(pk=link.pk)
        locked.failed_attempts += 1
        if locked.failed_attempts >= MAX_FAILURES:
            locked.locked_until = timezone.now() + LOCK_FOR
            locked.failed_attempts = 0
        locked.save(update_fields=["failed_attempts", "locked_until"])
        record(
            locked,
            f"portal.{what}_failed",
            locked,
            workspace=link.request.workspace_id,
            ip=ip,
            locked=locked.locked_until is not None and locked.locked_until > timezone.now(),
        )
    link.failed_attempts, link.locked_until = locked.failed_attempts, locked.locked_until


def _clear_failures(link: PortalLink) -> None:
    if link.failed_attempts:
        link.failed_attempts = 0
        link.save(update_fields=["failed_attempts"])


def do_set_password(link: PortalLink, password: str) -> None:
    """The client chooses a portal password (once; staff issue a new link if it is lost).

    It protects every live link of this person for this request.
    """
    if link.password:
        raise ValidationError(
            _("This link already has a password. If it is lost, ask the sender for a new link.")
        )
    validate_password(password)
    with transaction.atomic():
        link.password = make_password(password)
        link.save(update_fields=["password"])
        live_links(link.request, link.contributor).update(password=link.password)
        record(link, "portal.password_set", link, workspace=link.request.workspace_id)


def _record_locked_attempt(link: PortalLink, what: str, ip: str | None) -> None:
    with transaction.atomic():
        record(link, f"portal.{what}_failed", link, workspace=link.request.workspace_id, ip=ip, locked=True)


def check_link_password(link: PortalLink, password: str, ip: str | None = None) -> bool:
    """True when right; counts failures and locks the link after MAX_FAILURES of them."""
    if is_locked(link):
        _record_locked_attempt(link, "password", ip)
        return False
    if link.password and check_password(password, link.password):
        _clear_failures(link)
        return True
    _count_failure(link, "password", ip)
    return False


def _code_digest(link: PortalLink, code: str) -> str:
    key = primitives.derive_key(keys.keyring_key(link.request.workspace.keyring.id), "strongroom:portal-code")
    return hmac.new(key, f"{link.pk}:{code}".encode(), "sha256").hexdigest()


def do_issue_code(link: PortalLink) -> str:
    """A fresh six-digit code for the client's e-mail; only its keyed hash is stored."""
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        link.code_hash = _code_digest(link, code)
        link.code_expires_at = timezone.now() + CODE_VALID_FOR
        link.save(update_fields=["code_hash", "code_expires_at"])
        record(link, "portal.code_sent", link, workspace=link.request.workspace_id)
    return code


def check_code(link: PortalLink, code: str, ip: str | None = None) -> bool:
    """True once for the right, unexpired code: the row is locked, so two tries cannot both use it."""
    if is_locked(link):
        _record_locked_attempt(link, "code", ip)
        return False
    with transaction.atomic():
        current = PortalLink.objects.select_for_update().get(pk=link.pk)
        fresh = current.code_expires_at is not None and current.code_expires_at > timezone.now()
        digest = _code_digest(link, code.strip())
        if fresh and current.code_hash and hmac.compare_digest(current.code_hash, digest):
            current.code_hash, current.code_expires_at, current.failed_attempts = "", None, 0
            current.save(update_fields=["code_hash", "code_expires_at", "failed_attempts"])
            link.code_hash, link.code_expires_at, link.failed_attempts = "", None, 0
            return True
    _count_failure(link, "code", ip)
    return False
