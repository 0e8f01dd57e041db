"""The dates of a recurring series, and what happens on public holidays.

Rules: every week, every two weeks (both on one weekday, starting on the first
such weekday on or after the start date), or once a month on the n-th weekday
(first … fourth, or last). Public holidays come from jpdates.is_public_holiday:

* skip: no session that day; the date is listed as skipped;
* move: the session moves to the next day that is a weekday (Monday–Friday)
  and not a public holiday, and not already a date of the series; the date is
  listed as moved;
* hold: the session is held on the holiday anyway (listed, so nobody is
  surprised).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

import jpdates

from .models import Frequency, HolidayPolicy, Weekday, WeekOfMonth

MAX_SESSIONS = 60
MAX_DAYS = 366


@dataclass(frozen=True)
class PlannedDate:
    planned: date
    held_on: date | None  # None when skipped
    holiday: str = ""  # the holiday's name when the planned date is one

    @property
    def skipped(self) -> bool:
        return self.held_on is None

    @property
    def moved(self) -> bool:
        return self.held_on is not None and self.held_on != self.planned


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    weeks = calendar.Calendar().monthdatescalendar(year, month)
    days = [
        d for week in weeks for d in week if d.month == month and d.weekday() == weekday
    ]
    if nth == WeekOfMonth.LAST:
        return days[-1]
    return days[nth - 1] if nth <= len(days) else None


def rule_dates(
    *, frequency: str, weekday: int, week_of_month: int | None, first: date, last: date
) -> list[date]:
    """The dates the rule gives from ``first`` to ``last`` inclusive, before
    any holiday is considered."""
    out: list[date] = []
    if frequency in (Frequency.WEEKLY, Frequency.FORTNIGHTLY):
        step = 7 if frequency == Frequency.WEEKLY else 14
        day = first + timedelta(days=(weekday - first.weekday()) % 7)
        while day <= last:
            out.append(day)
            day += timedelta(days=step)
        return out
    year, month = first.year, first.month
    while date(year, month, 1) <= last:
        day = _nth_weekday(year, month, weekday, week_of_month)
        if day is not None and first <= day <= last:
            out.append(day)
        month += 1
        if month == 13:
            year, month = year + 1, 1
    return out


def _next_working_day(day: date, taken: set[date]) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5 or jpdates.is_public_holiday(day) or day in taken:
        day += timedelta(days=1)
    return day


def plan(
    *,
    frequency: str,
    weekday: int,
    week_of_month: int | None,
    first: date,
    last: date,
    holiday_policy: str,
) -> list[PlannedDate]:
    """Every date the rule gives, each with the day the session is held on
    (or None if skipped) and the holiday's name when it falls on one."""
    dates = rule_dates(
        frequency=frequency,
        weekday=weekday,
        week_of_month=week_of_month,
        first=first,
        last=last,
    )
    holidays = jpdates.public_holidays(first, last + timedelta(days=14))
    taken = set(dates)
    out = []
    for day in dates:
        holiday = ""
        if jpdates.is_public_holiday(day):
            holiday = holidays.get(day) or _("public holiday")
        if not holiday:
            out.append(PlannedDate(day, day))
        elif holiday_policy == HolidayPolicy.SKIP:
            out.append(PlannedDate(day, None, holiday))
        elif holiday_policy == HolidayPolicy.MOVE:
            moved = _next_working_day(day, taken)
            taken.add(moved)
            out.append(PlannedDate(day, moved, holiday))
        else:
            out.append(PlannedDate(day, day, holiday))
    return out


def describe_rule(frequency: str, weekday: int, week_of_month: int | None) -> str:
    day = Weekday(weekday).label
    if frequency == Frequency.WEEKLY:
        return _("Every %(weekday)s") % {"weekday": day}
    if frequency == Frequency.FORTNIGHTLY:
        return _("Every other %(weekday)s") % {"weekday": day}
    return _("The %(nth)s %(weekday)s of each month") % {
        "nth": WeekOfMonth(week_of_month).label,
        "weekday": day,
    }
