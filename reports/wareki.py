"""Dates as the municipal reports write them (SPEC §3, `dates_wareki`).

The era rules themselves (令和 from 2019-05-01, 元年 for a first year, 年度
labels) live in jpdates; this module only lays dates out the way the Ueda
report lists its sessions::

    令和3年10月15日
    11月9、10、18日
    12月7、17、28日
    令和4年1月1～3、18、25日

One line per month; the era and year are written on the first line and
whenever they change (a new calendar year, or 平成31年 → 令和元年 within
fiscal year 2019); the days of a month are joined with 、; a session lasting
several days is written first～last; separate sessions on consecutive days
stay separate (9、10, never 9～10).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import jpdates

DAY_SEPARATOR = "、"
RANGE_MARK = "～"


def _era_year_prefix(day: date) -> str:
    name, number = jpdates.era_year(day)
    return f"{name}{jpdates.year_label(number)}年"


def _span_text(first: date, last: date) -> str:
    if last <= first:
        return str(first.day)
    if (last.year, last.month) == (first.year, first.month):
        return f"{first.day}{RANGE_MARK}{last.day}"
    # A session running into the next month: 31～2月2.
    return f"{first.day}{RANGE_MARK}{last.month}月{last.day}"


def date_lines(spans: Iterable[tuple[date, date | None]]) -> list[str]:
    """The lines for sessions given as (first day, last day or None). Sessions
    are sorted by their first day; an exact duplicate (two sessions on the
    same days) is written once."""
    unique = sorted({(first, last or first) for first, last in spans})
    lines: list[str] = []
    previous_prefix = None
    month_key = None
    items: list[str] = []
    head = ""

    def flush():
        if items:
            lines.append(f"{head}{DAY_SEPARATOR.join(items)}日")

    for first, last in unique:
        key = (first.year, first.month)
        if key != month_key:
            flush()
            items = []
            month_key = key
            prefix = _era_year_prefix(first)
            head = ("" if prefix == previous_prefix else prefix) + f"{first.month}月"
            previous_prefix = prefix
        items.append(_span_text(first, last))
    flush()
    return lines


def date_list(spans: Iterable[tuple[date, date | None]]) -> str:
    """The lines joined with a newline (the `dates_wareki` of the JSON)."""
    return "\n".join(date_lines(spans))


def wareki(day: date | None) -> str:
    return jpdates.to_wareki(day) if day else ""


def month_label(day: date) -> str:
    """The month of a day with its era and year: 令和3年4月, 令和元年5月."""
    return f"{_era_year_prefix(day)}{day.month}月"
