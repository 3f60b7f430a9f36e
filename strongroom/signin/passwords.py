"""Passwords: the rules a new one must pass, changing it, and resetting a forgotten one by e-mail.

A reset link carries Django's token, which is made from the password hash and its time: it dies
once used (the hash changes) and after PASSWORD_RESET_TIMEOUT. Setting a password, by reset or by
change, ends the user's other sessions.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from strongroom.accounts.models import User
from strongroom.audit.actions import record
from strongroom.audit.actors import ANONYMOUS
from strongroom.crypto.errors import CryptoError
from strongroom.signin import notices, sessions
from strongroom.signin.models import StaffSession
from strongroom.signin.sessions import EndReason

log = logging.getLogger(__name__)


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    """Django's check against the user's e-mail and name, which are sealed fields here: read them
    decrypted, and skip them when they cannot be read (an erased account)."""

    DEFAULT_USER_ATTRIBUTES = ("email", "name")

    def __init__(self, user_attributes: Any = DEFAULT_USER_ATTRIBUTES, max_similarity: float = 0.7) -> None:
        super().__init__(user_attributes, max_similarity)

    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        values = {}
        for attribute in self.user_attributes:
            try:
                value = getattr(user, attribute, None)
            except CryptoError:
                value = None
            if isinstance(value, str) and value:
                values[attribute] = value
        super().validate(password, _Readable(values))  # type: ignore[arg-type]


class _Readable:
    """The decrypted attributes, as the validator reads them; `_meta` names them for its message."""

    def __init__(self, values: dict[str, str]) -> None:
        self.__dict__.update(values)
        self._meta = User._meta


# --- change ------------------------------------------------------------------------------------------


def do_change_password(user: User, current: str, new: str, keep: StaffSession | None) -> None:
    """Change a signed-in user's password: the current one first; every other session ends."""
    if not user.check_password(current):
        raise PermissionDenied(_("Your current password is not right."))
    password_validation.validate_password(new, user)
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        ended = sessions.end_all(user, EndReason.PASSWORD, keep=keep)
        record(user, "password.changed", user, subject=user.subject_id, sessions_ended=ended)
        notices.tell_user(user, "password_changed")


# --- reset -------------------------------------------------------------------------------------------


def reset_path(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("signin:password_reset_confirm", args=[uid, default_token_generator.make_token(user)])


# A mailbox gets at most this many reset links an hour, however often someone asks.
RESET_MAILS_PER_HOUR = 3


def do_request_password_reset(email: str, language: str) -> None:
    """E-mail a reset link when an active account has this e-mail; otherwise nothing is sent. The
    caller answers the same either way. The link leaves after commit, from a closure: never stored."""
    user = User.objects.with_email(email.strip()).filter(is_active=True).first()
    with transaction.atomic():
        if user is None:
            record(ANONYMOUS, "password.reset_requested", None, known=False)
            return
        if _recent_reset_mails(user) >= RESET_MAILS_PER_HOUR:
            # Someone is filling the person's mailbox: the page answers the same, no more mail goes.
            record(ANONYMOUS, "password.reset_throttled", user, subject=user.subject_id)
            return
        record(ANONYMOUS, "password.reset_requested", user, subject=user.subject_id, known=True)
        url = settings.BASE_URL + reset_path(user)
        transaction.on_commit(lambda: _send_reset(user, url, language))


def _recent_reset_mails(user: User) -> int:
    """Reset links sent to this account in the last hour, counted from the audit log."""
    from strongroom.audit.models import Event

    since = timezone.now() - timedelta(hours=1)
    return Event.objects.filter(
        action="password.reset_requested", subject=user.subject_id, created_at__gte=since
    ).count()


def _send_reset(user: User, url: str, language: str) -> None:
    from strongroom.mail.render import send_mail_in_language

    try:
        send_mail_in_language(
            to=[user.email], template="password_reset", language=language,
            context={"reset_url": url, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
        )
    except Exception as exc:
        log.warning("password reset for %s: e-mail not sent (%s)", user.pk, type(exc).__name__)


def user_for_reset(uidb64: str, token: str) -> User | None:
    """The user the link is for, while the link is good; None for any bad, used or expired link."""
    try:
        pk = force_str(urlsafe_base64_decode(uidb64))
        user = User.objects.filter(pk=pk, is_active=True).first()
    except (ValueError, TypeError, OverflowError, ValidationError):
        return None
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


def do_reset_password(user: User, token: str, new: str) -> None:
    """Set the password through a reset link; the link dies, and every session of the user ends."""
    password_validation.validate_password(new, user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not default_token_generator.check_token(locked, token):
            raise ValidationError(_("This link has expired or was already used."))
        locked.set_password(new)
        locked.save(update_fields=["password"])
        ended = sessions.end_all(locked, EndReason.PASSWORD)
        record(locked, "password.reset", locked, subject=locked.subject_id, sessions_ended=ended)
        notices.tell_user(locked, "password_reset")
    user.password = locked.password
