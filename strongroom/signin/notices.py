"""A mail to the account's owner after every change to how they sign in (password, authenticator
app, passkeys, recovery codes), so that a change made by someone else is noticed. It names the
change and when, nothing else, and leaves after commit."""

from __future__ import annotations

import logging
from typing import Final

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from strongroom.accounts.models import User

log = logging.getLogger(__name__)

# The changes the mail can name; its template words each one.
CHANGES: Final = frozenset({
    "password_changed", "password_reset", "totp_added", "totp_removed", "passkey_added",
    "passkey_removed", "recovery_codes_regenerated",
})


def tell_user(user: User, change: str) -> None:
    """Queue the notice for after the current transaction commits (call inside it)."""
    if change not in CHANGES:
        raise ValueError(f"unknown sign-in change {change!r}")
    language = get_language() or settings.LANGUAGE_CODE
    when = timezone.now()
    transaction.on_commit(lambda: _send(user, change, when, language))


def _send(user: User, change: str, when: object, language: str) -> None:
    from strongroom.mail.render import send_mail_in_language

    try:
        send_mail_in_language(
            to=[user.email], template="signin_changed", language=language,
            context={"change": change, "when": when,
                     "sessions_url": settings.BASE_URL + reverse("signin:sessions"),
                     "reset_url": settings.BASE_URL + reverse("signin:password_reset")},
        )
    except Exception as exc:  # the change is made; a mail server down must not undo it
        log.warning("sign-in change notice for %s not sent (%s)", user.pk, type(exc).__name__)
