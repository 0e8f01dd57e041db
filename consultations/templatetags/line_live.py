"""{% line_live url kind %}: the attributes that make an element of a LINE
page update itself (static/js/line_live.js polls ``url`` with the page's
token)."""

from django import template
from django.utils.html import format_html

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
