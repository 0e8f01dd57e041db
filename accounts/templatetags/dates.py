"""Dates on screen, in one helper (``jpdates.screen_date``): ``{{ d|jdate }}``
and ``{{ moment|jdatetime }}`` in every template (a builtin library, see
settings.TEMPLATES). The result never wraps inside itself (``span.date``);
``|jdate:"plain"`` gives the bare text (for a page's <title>)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html

import jpdates

register = template.Library()


def _local(value) -> tuple[dt.date, dt.datetime | None] | None:
    if isinstance(value, dt.datetime):
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        return moment.date(), moment
    if isinstance(value, dt.date):
        return value, None
    return None


def _text(day: dt.date) -> str:
    return jpdates.on_screen(day)


def _wrap(text: str, iso: str, arg: str):
    if arg == "plain":
        return text
    return format_html('<span class="date" data-iso="{}">{}</span>', iso, text)


@register.filter
def jdate(value, arg=""):
    found = _local(value)
    if found is None:
        return value
    day, _moment = found
    return _wrap(_text(day), day.isoformat(), arg)


@register.filter
def jdatetime(value, arg=""):
    found = _local(value)
    if found is None:
        return value
    day, moment = found
    if moment is None:
        return jdate(value, arg)
    text = f"{_text(day)} {moment:%H:%M}"
    return _wrap(text, moment.isoformat(timespec="minutes"), arg)
