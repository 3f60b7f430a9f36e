"""Growing delays after failed sign-ins, per account and per network address.

After `ACCOUNT_LIMIT` failures of one account (or `IP_LIMIT` from one address) sign-in is refused for
one minute, then each further failure doubles the wait, up to an hour. Refusals come before the
password is checked and say the same thing whether or not the account exists. A counter is forgotten
once it has been quiet for `WINDOW` after its last failure or its last refusal. Counters are keyed by
a keyed hash (the e-mail's blind index, an HMAC of the address): no e-mail or address is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from django.db import transaction
from django.utils import timezone

from strongroom.accounts.models import User
from strongroom.audit.actions import record_now
from strongroom.audit.actors import ANONYMOUS
from strongroom.crypto import keys, primitives
from strongroom.crypto.blind import lookup
from strongroom.signin.models import LoginThrottle, ThrottleScope

ACCOUNT_LIMIT: Final = 5
# Offices share one address: it takes more failures from it before every colleague is refused.
IP_LIMIT: Final = 20
WINDOW: Final = timedelta(minutes=15)
FIRST_DELAY: Final = timedelta(minutes=1)
MAX_DELAY: Final = timedelta(hours=1)


@dataclass(frozen=True)
class Refusal:
    scope: str
    until: datetime

    @property
    def minutes(self) -> int:
        """Whole minutes left, at least one."""
        return max(1, math.ceil((self.until - timezone.now()).total_seconds() / 60))


def account_key(email: str) -> str:
    return lookup(User, "email", keys.installation_keyring().id, email)


def ip_key(ip: str) -> str:
    key = primitives.derive_key(keys.keyring_key(keys.installation_keyring().id), "strongroom:throttle-ip")
    return primitives.hmac_sha256(key, ip.encode("utf-8", "replace")).hex()


def _keys(email: str, ip: str | None) -> list[tuple[str, str]]:
    found = [(ThrottleScope.ACCOUNT.value, account_key(email))]
    if ip:
        found.append((ThrottleScope.IP.value, ip_key(ip)))
    return found


def _limit(scope: str) -> int:
    return ACCOUNT_LIMIT if scope == ThrottleScope.ACCOUNT else IP_LIMIT


def delay_after(failures: int, limit: int) -> timedelta:
    """How long sign-in is refused after `failures`: nothing below the limit, then 1, 2, 4... min."""
    if failures < limit:
        return timedelta(0)
    delay: timedelta = FIRST_DELAY * (1 << min(failures - limit, 12))
    return min(delay, MAX_DELAY)


def _stale(row: LoginThrottle, now: datetime) -> bool:
    times = [t for t in (row.last_failure_at, row.locked_until) if t is not None]
    return not times or now > max(times) + WINDOW


def refusal(email: str, ip: str | None) -> Refusal | None:
    """The refusal in force for this e-mail or address, if any (the longest of the two)."""
    now = timezone.now()
    found = None
    for scope, key in _keys(email, ip):
        until = (
            LoginThrottle.objects.filter(scope=scope, key=key, locked_until__gt=now)
            .values_list("locked_until", flat=True).first()
        )
        if until is not None and (found is None or until > found.until):
            found = Refusal(scope, until)
    return found


def check(email: str, ip: str | None) -> Refusal | None:
    """`refusal`, with the refused attempt audited (`login.throttled`)."""
    refused = refusal(email, ip)
    if refused is not None:
        known = User.objects.with_email(email).first()
        record_now(ANONYMOUS, "login.throttled", known, subject=known.subject_id if known else None,
                   ip=ip, scope=refused.scope, minutes=refused.minutes)
    return refused


def note_failure(email: str, ip: str | None) -> None:
    """Count a failed sign-in against the account and the address; lock them once over the limit."""
    now = timezone.now()
    with transaction.atomic():
        for scope, key in _keys(email, ip):
            LoginThrottle.objects.bulk_create([LoginThrottle(scope=scope, key=key)], ignore_conflicts=True)
            row = LoginThrottle.objects.select_for_update().get(scope=scope, key=key)
            if _stale(row, now):
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            delay = delay_after(row.failures, _limit(scope))
            row.locked_until = now + delay if delay else row.locked_until
            row.save(update_fields=["failures", "last_failure_at", "locked_until"])


def note_success(email: str) -> None:
    """A successful sign-in clears the account's counter (not the address's: others may share it)."""
    LoginThrottle.objects.filter(scope=ThrottleScope.ACCOUNT, key=account_key(email)).delete()
