"""{% line_live url kind %}: the attributes that make an element of a LINE
page update itself (static/js/line_live.js polls ``url`` with the page's
token)."""

from django import template
from django.utils.html import format_html
from django.utils.translation import ngettext

from ..line import live

register = template.Library()


@register.simple_tag(takes_context=True)
def line_live(context, url, kind, after=None):
    request = context["request"]
    attrs = format_html(
        'data-line-live="{}" data-live-url="{}" data-live-token="{}"',
        kind,
        url,
        live.issue_token(request),
    )
    if after is not None:
        attrs += format_html(' data-after="{}"', after)
    return attrs


@register.filter
def wait(minutes):
    """A waiting time for people: minutes up to an hour, then hours up to two
    days, then days (a chat left over a weekend reads 「3日」, not 4320分)."""
    if minutes is None:
        return ""
    minutes = int(minutes)
    if minutes < 60:
        return ngettext("%(n)s min", "%(n)s min", minutes) % {"n": minutes}
    if minutes < 48 * 60:
        hours = minutes // 60
        return ngettext("%(n)s hour", "%(n)s hours", hours) % {"n": hours}
    days = minutes // (24 * 60)
    return ngettext("%(n)s day", "%(n)s days", days) % {"n": f"{days:,}"}
