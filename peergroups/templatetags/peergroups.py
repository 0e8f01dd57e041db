"""Dates and times of sessions as the pages show them: ISO with the weekday,
a multi-day session as first～last."""

from django import template
from django.utils.dateformat import format as date_format

register = template.Library()


@register.filter
def day(value) -> str:
    """2021-10-15 (金)"""
    return date_format(value, "Y-m-d (D)") if value else ""


@register.filter
def session_days(session) -> str:
    """2021-10-15 (金), or 2022-01-01 (土)～01-03 (月) for several days."""
    first = day(session.date)
    if not session.end_date:
        return first
    last = session.end_date
    fmt = "m-d (D)" if last.year == session.date.year else "Y-m-d (D)"
    return f"{first}～{date_format(last, fmt)}"


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
