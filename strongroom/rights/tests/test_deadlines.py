import calendar
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from strongroom.rights.deadlines import add_months, due_on, extended_due_on

UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 31), date(2026, 2, 28)),  # a short month: its last day
        (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year
        (date(2026, 1, 30), date(2026, 2, 28)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 2, 28), date(2026, 3, 28)),  # the same day number, not "end of month"
        (date(2026, 12, 15), date(2027, 1, 15)),  # over the new year
        (date(2026, 5, 1), date(2026, 6, 1)),
    ],
)
def test_an_answer_is_due_one_calendar_month_after_receipt(received: date, due: date) -> None:
    assert due_on(datetime(received.year, received.month, received.day, 12, tzinfo=UTC)) == due


def test_the_day_of_receipt_is_the_installations_local_day() -> None:
    # 23:30 UTC on 31 January is already 1 February in Paris: due 1 March, not 28 February
    late = datetime(2026, 1, 31, 23, 30, tzinfo=UTC)
    with override_settings(TIME_ZONE="Europe/Paris"):
        assert due_on(late) == date(2026, 3, 1)
    with override_settings(TIME_ZONE="UTC"):
        assert due_on(late) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("original", "months", "extended"),
    [
        (date(2026, 2, 28), 2, date(2026, 4, 28)),
        (date(2026, 3, 31), 2, date(2026, 5, 31)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
    ],
)
def test_an_extension_adds_one_or_two_months_to_the_original_deadline(
    original: date, months: int, extended: date
) -> None:
    assert extended_due_on(original, months) == extended


@pytest.mark.parametrize("months", [0, 3, -1])
def test_an_extension_beyond_two_months_is_refused(months: int) -> None:
    with pytest.raises(ValueError, match="1 or 2 months"):
        extended_due_on(date(2026, 1, 31), months)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9000, 1, 1)), st.integers(0, 36))
def test_adding_months_lands_in_the_right_month_never_past_the_day(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day <= day.day
    last_day = calendar.monthrange(moved.year, moved.month)[1]
    assert moved.day == day.day or moved.day == last_day  # the same day, or the short month's last
