"""The working-day calendar behind unblocking dates."""

from __future__ import annotations

from datetime import date

import pytest

from billing_portal.workdays import is_working_day, nth_working_day_from, unblock_date


@pytest.mark.parametrize(
    ("paid_on", "expected"),
    [
        (date(2026, 11, 24), date(2026, 12, 1)),  # Tuesday -> Tuesday of next week
        (date(2026, 11, 29), date(2026, 12, 1)),  # Sunday belongs to the same week
        (date(2026, 11, 30), date(2026, 12, 8)),  # Monday -> the week after
        (date(2026, 12, 24), date(2026, 12, 29)),  # Christmas Eve (Thursday, a holiday)
        (date(2026, 4, 2), date(2026, 4, 8)),  # next week starts with Easter Monday
        (date(2026, 3, 26), date(2026, 3, 31)),  # the DST change week-end is ordinary
        (date(2026, 12, 31), date(2027, 1, 5)),  # across the year end
    ],
)
def test_czech_unblock_dates(paid_on, expected):
    assert unblock_date(paid_on) == expected


def test_country_calendars_differ():
    epiphany = date(2027, 1, 6)  # a Wednesday: a holiday in Slovakia and Finland
    assert is_working_day(epiphany, country="CZ")
    assert not is_working_day(epiphany, country="SK")
    assert not is_working_day(epiphany, country="FI")
    assert unblock_date(date(2026, 12, 31), country="SK") == date(2027, 1, 5)
    assert unblock_date(date(2026, 12, 31), country="FI") == date(2027, 1, 5)


def test_nth_working_day():
    assert nth_working_day_from(date(2026, 12, 24), 1) == date(2026, 12, 28)
    with pytest.raises(ValueError):
        nth_working_day_from(date(2026, 12, 24), 0)
