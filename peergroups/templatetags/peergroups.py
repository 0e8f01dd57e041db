"""Dates and times of sessions as the pages show them: by the screen rule
(jpdates.on_screen, like |jdate), a multi-day session as first～last."""

from django import template

import jpdates

register = template.Library()


@register.filter
def day(value) -> str:
    """10月15日(金) this year, 2021年10月15日 another."""
    return jpdates.on_screen(value) if value else ""


@register.filter
def session_days(session) -> str:
    """The day, or first～last for several days (2022年1月1日～2022年1月3日)."""
    return days_text(session.date, session.end_date)


@register.filter
def time_range(session) -> str:
    """14:00–16:00, 14:00–, or nothing."""
    return times_text(session.start_time, session.end_time)


def days_text(first, last) -> str:
    """session_days of a session from ``first`` to ``last`` (None: one day)."""
    if not last:
        return day(first)
    return f"{day(first)}～{day(last)}"


def times_text(start, end) -> str:
    """time_range of a session from ``start`` to ``end`` (each may be None)."""
    if not start and not end:
        return ""
    return (
        f"{start:%H:%M}–{end:%H:%M}"
        if start and end
        else (f"{start:%H:%M}–" if start else f"–{end:%H:%M}")
    )
