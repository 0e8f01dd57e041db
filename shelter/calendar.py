"""Open days of each service, computed from its opening calendar.

A day is open when its weekday has opening hours, unless it is a public
holiday or in the year-end break and the calendar closes on those; a one-off
change (a closure or an extra open day) overrides everything for its date.
The date rules themselves (holidays, the year-end break, fiscal years) come
from jpdates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

import jpdates

from .models import CalendarException, OpeningCalendar, OpeningHours, Service


@dataclass(frozen=True)
class DayStatus:
    date: dt.date
    open: bool
    why: str = ""  # weekly, holiday, year_end, closure, extra
    label: str = ""  # the holiday's name or the change's reason
    opens: dt.time | None = None
    closes: dt.time | None = None


def calendars(
    services: Iterable[str] | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, OpeningCalendar]:
    """Calendars by service with their hours and (from start to end) their
    one-off changes: three queries, whatever the number of services."""
    exceptions = CalendarException.objects.order_by("date")
    if start and end:
        exceptions = exceptions.filter(date__range=(start, end))
    queryset = OpeningCalendar.objects.prefetch_related(
        Prefetch("hours", queryset=OpeningHours.objects.order_by("weekday")),
        Prefetch("exceptions", queryset=exceptions),
    )
    if services is not None:
        queryset = queryset.filter(service__in=list(services))
    return {c.service: c for c in queryset}


def day_statuses(
    calendar: OpeningCalendar | None, start: dt.date, end: dt.date
) -> list[DayStatus]:
    """Each day from start to end (inclusive), open or not and why. Uses the
    calendar's prefetched hours and changes; no calendar means never open."""
    if calendar is None:
        return [DayStatus(day, False) for day in jpdates.days(start, end)]
    return _statuses(
        {h.weekday: (h.opens, h.closes) for h in calendar.hours.all()},
        {e.date: (e.kind, e.reason) for e in calendar.exceptions.all()},
        calendar.closed_on_public_holidays,
        calendar.closed_over_year_end,
        start,
        end,
    )


def service_day_statuses(service: str, start: dt.date, end: dt.date):
    """day_statuses() of one service's calendar, read as values in two
    queries (its rules with its weekly hours, then its changes from start to
    end): no model objects and no prefetch, which were most of the room
    calendar's cost of its month's open days."""
    rules = list(
        OpeningCalendar.objects.filter(service=service).values_list(
            "pk",
            "closed_on_public_holidays",
            "closed_over_year_end",
            "hours__weekday",
            "hours__opens",
            "hours__closes",
        )
    )
    if not rules:
        return day_statuses(None, start, end)
    pk, on_holidays, over_year_end = rules[0][:3]
    changes = CalendarException.objects.filter(
        calendar_id=pk, date__range=(start, end)
    ).values_list("date", "kind", "reason")
    return _statuses(
        # a calendar without weekly hours comes with one row of no weekday
        {day: (opens, closes) for *_, day, opens, closes in rules if day is not None},
        {day: (kind, reason) for day, kind, reason in changes},
        on_holidays,
        over_year_end,
        start,
        end,
    )


def _statuses(
    hours: dict[int, tuple],
    changes: dict[dt.date, tuple[str, str]],
    closed_on_public_holidays: bool,
    closed_over_year_end: bool,
    start: dt.date,
    end: dt.date,
) -> list[DayStatus]:
    """day_statuses() of a calendar's rules: its weekly (opens, closes) by
    weekday and its one-off (kind, reason) by date."""
    holidays = jpdates.public_holidays(start, end) if closed_on_public_holidays else {}
    out = []
    for day in jpdates.days(start, end):
        opens, closes = hours.get(day.weekday(), (None, None))
        change = changes.get(day)
        if change is not None:
            kind, reason = change
            is_open = kind == CalendarException.Kind.OPEN
            why = "extra" if is_open else "closure"
            out.append(DayStatus(day, is_open, why, reason, opens, closes))
        elif day.weekday() not in hours:
            out.append(DayStatus(day, False))
        elif day in holidays:
            out.append(DayStatus(day, False, "holiday", holidays[day]))
        elif closed_over_year_end and jpdates.is_year_end_break(day):
            out.append(DayStatus(day, False, "year_end", str(_("Year-end break"))))
        else:
            out.append(DayStatus(day, True, "weekly", "", opens, closes))
    return out


def count_open_days(
    calendar: OpeningCalendar | None, start: dt.date, end: dt.date
) -> int:
    """How many days from start to end (inclusive) are open: the rules of
    day_statuses(), counted without building a status per day (the annual
    report counts a year for every service)."""
    if calendar is None:
        return 0
    weekdays = {h.weekday for h in calendar.hours.all()}
    changes = {
        e.date: e.kind == CalendarException.Kind.OPEN for e in calendar.exceptions.all()
    }
    holidays = (
        jpdates.public_holidays(start, end)
        if calendar.closed_on_public_holidays
        else {}
    )
    closed = {day for day in holidays if start <= day <= end}
    if calendar.closed_over_year_end:
        closed.update(_year_end_days(start, end))
    # Days on a weekly opening day, by whole weeks and the days left over...
    weeks, rest = divmod((end - start).days + 1, 7)
    count = weeks * len(weekdays) + sum(
        (start.weekday() + i) % 7 in weekdays for i in range(rest)
    )
    # ...less the holidays and year-end days among them, then the one-off
    # changes in place of what the week would have said.
    count -= sum(day.weekday() in weekdays for day in closed)
    for day, is_open in changes.items():
        if start <= day <= end:
            count += is_open - (day.weekday() in weekdays and day not in closed)
    return count


def _year_end_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """The days of the year-end break (jpdates.is_year_end_break) from start
    to end inclusive."""
    days = []
    for year in range(start.year - 1, end.year + 1):
        days += [dt.date(year, 12, d) for d in (29, 30, 31)]
        days += [dt.date(year + 1, 1, d) for d in (1, 2, 3)]
    return [day for day in days if start <= day <= end]


def open_days(service: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """The days from start to end (inclusive) on which ``service`` is open."""
    return [s.date for s in service_day_statuses(service, start, end) if s.open]


def open_day_count(service: str, start: dt.date, end: dt.date) -> int:
    return len(open_days(service, start, end))


def fiscal_year_months(fiscal_year: int) -> list[dt.date]:
    """The first day of each month of a fiscal year, April to March."""
    start, _end = jpdates.fiscal_year_range(fiscal_year)
    return [
        dt.date(
            start.year + (start.month + i - 1) // 12, (start.month + i - 1) % 12 + 1, 1
        )
        for i in range(12)
    ]


def open_days_by_month(fiscal_year: int) -> dict[str, list[int]]:
    """For every service, its open days in each month of the fiscal year
    (April first), in three queries."""
    start, end = jpdates.fiscal_year_range(fiscal_year)
    by_service = calendars(start=start, end=end)
    months = fiscal_year_months(fiscal_year)
    table = {}
    for service in Service.values:
        counts = [0] * 12
        for status in day_statuses(by_service.get(service), start, end):
            if status.open:
                counts[months.index(status.date.replace(day=1))] += 1
        table[service] = counts
    return table
