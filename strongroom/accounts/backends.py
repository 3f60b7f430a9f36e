"""Sign-in by e-mail and password, with every success and failure in the audit log.

Failures count towards the sign-in throttle (`strongroom.signin.throttle`); the refusal itself is
decided before the password is checked, by the sign-in form.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from strongroom.accounts.models import User
from strongroom.audit.actions import record_now
from strongroom.audit.actors import ANONYMOUS


class AuditedEmailBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None,
        email: str | None = None, **kwargs: Any,
    ) -> User | None:
        from strongroom.signin import throttle

        email = email or username
        if not email or password is None:
            return None
        ip = request.META.get("REMOTE_ADDR") if request is not None else None
        # An unknown e-mail still costs one password hash (ModelBackend hashes a dummy): same timing.
        user = super().authenticate(request, username=email, password=password)
        if isinstance(user, User):
            from strongroom.twofactor.policy import has_factor

            # With a second factor the sign-in succeeds only at the second step, which records it and
            # clears the account's failures: wrong codes count against it too, whatever the logins.
            if has_factor(user):
                record_now(user, "login.password_accepted", user, subject=user.subject_id, ip=ip)
            else:
                throttle.note_success(email)
                record_now(user, "login.succeeded", user, subject=user.subject_id, ip=ip)
            return user
        throttle.note_failure(email, ip)
        known = User.objects.with_email(email).first()
        if known is not None:
            record_now(ANONYMOUS, "login.failed", known, subject=known.subject_id, ip=ip,
                       reason="wrong password or inactive account")
        else:
            record_now(ANONYMOUS, "login.failed", None, ip=ip, reason="unknown account")
        return None
