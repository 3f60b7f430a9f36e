"""Deadlines of rights requests: one calendar month from receipt (Art. 12(3)), extendable once by up to
two more months.

A month is counted to the same day of the following month; when that month is shorter, to its
last day (received 31 January: due 28 or 29 February), as the EU rules on time limits read it
(Regulation 1182/71, Art. 3(2)(c)) and as supervisory authorities apply it.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

from django.utils import timezone

MAX_EXTENSION_MONTHS = 2
WARN_DAYS_BEFORE = 7


def add_months(day: date, months: int) -> date:
    """`day` moved `months` calendar months on, clamped to the end of a shorter month."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def due_on(received_at: datetime) -> date:
    """The answer is due one month after the day of receipt, in the installation's time zone."""
    return add_months(timezone.localdate(received_at), 1)


def extended_due_on(original_due: date, months: int) -> date:
    """The new deadline of an extension by `months` (1 or 2) counted from the original deadline."""
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise ValueError(f"an extension is 1 or {MAX_EXTENSION_MONTHS} months, not {months}")
    return add_months(original_due, months)
