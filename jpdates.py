"""Japanese calendar helpers used by every app: fiscal years (年度), wareki
(和暦) and public holidays. Each rule lives here and nowhere else."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import jpholiday

# FISCAL YEAR (年度): April 1 to March 31, labelled by the year it starts in.
# ------------------------------------------------------------------------------


def fiscal_year(day: date) -> int:
    """The fiscal year a day falls in: 2022-03-31 -> 2021, 2022-04-01 -> 2022."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_range(year: int) -> tuple[date, date]:
    """First and last day (inclusive) of fiscal year ``year``."""
    return date(year, 4, 1), date(year + 1, 3, 31)


# WAREKI (和暦)
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Era:
    name: str
    start: date  # first day of the era


# Newest first. 令和 began on 2019-05-01, the day after 平成31年4月30日.
ERAS = (
    Era("令和", date(2019, 5, 1)),
    Era("平成", date(1989, 1, 8)),
    Era("昭和", date(1926, 12, 25)),
)


def era_of(day: date) -> Era:
    for era in ERAS:
        if day >= era.start:
            return era
    raise ValueError(f"{day.isoformat()} is before the 昭和 era")


def era_year(day: date) -> tuple[str, int]:
    """('令和', 3) for 2021-10-15; ('平成', 31) for 2019-04-30."""
    era = era_of(day)
    return era.name, day.year - era.start.year + 1


def year_label(number: int) -> str:
    """The year within an era as written in documents: 1 is 元."""
    return "元" if number == 1 else str(number)


def to_wareki(day: date) -> str:
    """令和3年10月15日; the first year of an era is 元年 (令和元年5月1日)."""
    name, number = era_year(day)
    return f"{name}{year_label(number)}年{day.month}月{day.day}日"


def fiscal_year_label(year: int) -> str:
    """令和3年度 for 2021. The era is the one that holds most of the fiscal
    year, which gives the official names: 2019 is 令和元年度 (the era changed on
    May 1) and 1988 is 昭和63年度 (平成 began in January 1989)."""
    name, number = era_year(date(year, 10, 1))
    return f"{name}{year_label(number)}年度"


_WAREKI_RE = re.compile(
    r"^\s*(?P<era>令和|平成|昭和)\s*(?P<year>元|\d{1,2})\s*年\s*"
    r"(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日\s*$"
)


def parse_wareki(text: str) -> date:
    """Parse 令和3年10月15日 (full-width digits and 元年 accepted). A date outside
    its era, such as 平成31年5月1日 or 令和元年4月30日, is a ValueError."""
    normalised = unicodedata.normalize("NFKC", text)
    match = _WAREKI_RE.match(normalised)
    if not match:
        raise ValueError(f"not a wareki date: {text!r}")
    era = next(e for e in ERAS if e.name == match["era"])
    number = 1 if match["year"] == "元" else int(match["year"])
    if number < 1:
        raise ValueError(f"no year 0 in an era: {text!r}")
    day = date(era.start.year + number - 1, int(match["month"]), int(match["day"]))
    if era_of(day) != era:
        raise ValueError(f"{text!r} is outside the {era.name} era")
    return day


def parse_date(text: str) -> date:
    """ISO (2021-10-15, also 2021/10/15) or wareki (令和3年10月15日)."""
    normalised = unicodedata.normalize("NFKC", str(text)).strip()
    iso = re.match(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$", normalised)
    if iso:
        return date(int(iso[1]), int(iso[2]), int(iso[3]))
    return parse_wareki(normalised)


# HOLIDAYS (祝日) and the year-end break (年末年始)
# ------------------------------------------------------------------------------


def is_public_holiday(day: date) -> bool:
    """True on Japanese national holidays, substitute holidays included."""
    return jpholiday.is_holiday(day)


def public_holidays(start: date, end: date) -> dict[date, str]:
    """National holidays from start to end inclusive, with their names."""
    return dict(_holidays_between(start, end))


@lru_cache(maxsize=256)
def _holidays_between(start: date, end: date) -> tuple[tuple[date, str], ...]:
    # jpholiday works the rules out afresh on every call (15 ms for a year);
    # pages and reports ask for the same periods again and again.
    return tuple(jpholiday.between(start, end))


def is_year_end_break(day: date) -> bool:
    """December 29 to January 3, when public offices close."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def days(start: date, end: date):
    """Every day from start to end inclusive."""
    for offset in range((end - start).days + 1):
        yield start + timedelta(days=offset)


# DATES ON SCREEN
# ------------------------------------------------------------------------------
# The one rule for a date in a list or on a page (issue 21): within the
# current year 「12月1日(月)」, otherwise 「2022年3月26日」; a time as 14:05.
# Reports and letters use wareki (to_wareki); data attributes and exports
# use ISO 8601. In English: "Mon 1 Dec" and "26 Mar 2022".

WEEKDAYS_JA = "月火水木金土日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip


def on_screen(day: date) -> str:
    """``day`` by the screen rule for today and the active language: for
    messages and labels made in Python (templates use ``|jdate``)."""
    from django.utils import timezone, translation

    japanese = (translation.get_language() or "ja").startswith("ja")
    return screen_date(day, timezone.localdate(), japanese=japanese)


def screen_date(day: date, today: date, *, japanese: bool = True) -> str:
    """``day`` as lists show it, seen on ``today``."""
    if japanese:
        if day.year == today.year:
            return f"{day.month}月{day.day}日({WEEKDAYS_JA[day.weekday()]})"
        return f"{day.year}年{day.month}月{day.day}日"
    if day.year == today.year:
        return f"{WEEKDAYS_EN[day.weekday()]} {day.day} {MONTHS_EN[day.month - 1]}"
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
