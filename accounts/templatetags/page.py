"""The page's <title>: 「相談者 | ibasho」, or just ibasho for a page without a
title of its own (base.html: ``{% filter page_title %}{% block title %}…``)."""

from django import template

register = template.Library()


@register.filter
def page_title(title: str) -> str:
    title = " ".join(str(title).split())
    return f"{title} | ibasho" if title else "ibasho"
