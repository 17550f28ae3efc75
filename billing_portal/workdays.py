"""Working days: weekends and public holidays (the `holidays` package) per country.

Czech rules count by default; the country is a parameter so Slovak and Finnish
contracts follow their own calendars. `business_today` is the business date: today
in the business time zone (TIME_ZONE, Europe/Prague), read at call time.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays
from django.utils import timezone


def business_today() -> date:
    """Today in the business time zone (Europe/Prague), read at call time."""
    return timezone.localdate()


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def is_working_day(day: date, *, country: str = "CZ") -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def monday_of_next_week(day: date) -> date:
    return day + timedelta(days=7 - day.weekday())


def nth_working_day_from(start: date, n: int, *, country: str = "CZ") -> date:
    """The n-th working day counting `start` itself (n >= 1)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    day, seen = start, 0
    while True:
        if is_working_day(day, country=country):
            seen += 1
            if seen == n:
                return day
        day += timedelta(days=1)


def unblock_date(paid_on: date, *, country: str = "CZ") -> date:
    """The second working day of the week after the week in which the last needed
    payment was credited (a week short of working days runs on into the next)."""
    return nth_working_day_from(monday_of_next_week(paid_on), 2, country=country)
