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
    first = day(session.date)
    if not session.end_date:
        return first
    return f"{first}～{day(session.end_date)}"


@register.filter
def time_range(session) -> str:
    """14:00–16:00, 14:00–, or nothing."""
    start, end = session.start_time, session.end_time
    if not start and not end:
        return ""
    return (
        f"{start:%H:%M}–{end:%H:%M}"
        if start and end
        else (f"{start:%H:%M}–" if start else f"–{end:%H:%M}")
    )
