"""Figures as the report writes them: {{ value|figure }} -> 1,234 (or "<5",
or "–"); {{ value|figure_unit:"件" }} -> 1,234件; {{ value|pct }} -> 87.5%."""

from django import template

from reports import presentation

register = template.Library()


@register.filter
def figure(value):
    return presentation.number(value)


@register.filter
def figure_unit(value, unit):
    return presentation.with_unit(value, unit)


@register.filter
def pct(value):
    return presentation.percent(value)


@register.filter
def fiscal_year(value):
    """2021 -> 令和3年度."""
    return presentation.year_label(value)
