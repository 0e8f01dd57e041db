"""How the report writes its figures: 1,234件, 87.5%, "–" for nothing, "<5"
and "x" when published (reports.disclosure), and the target lines of the
municipal summary (◎LINEによる相談件数 目標100件→実績283件)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

import jpdates

from .disclosure import HIDDEN
from .metrics import BAND_KEYS, Kind
from .wareki import month_label

NO_VALUE = "–"


def number(value) -> str:
    """1234 -> 1,234; 12.5 -> 12.5; None -> –; "<5" unchanged."""
    if value is None:
        return NO_VALUE
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        value = int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float):
        return f"{value:,.1f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return f"{value:,}"


def with_unit(value, unit: str) -> str:
    """1234 -> 1,234件; "<5" -> <5件; a hidden figure alone: x."""
    if value is None:
        return NO_VALUE
    if value == HIDDEN:
        return HIDDEN
    return f"{number(value)}{unit}"


def percent(value) -> str:
    """88 -> 88%; 55.6 -> 55.6%; None (nobody answered) -> –."""
    if value is None or isinstance(value, str):
        return number(value)
    return f"{number(value)}%"


def year_label(fiscal_year: int | None) -> str:
    return jpdates.fiscal_year_label(fiscal_year) if fiscal_year else ""


def _bound(indicator: dict) -> str:
    if indicator["direction"] == "at_most":
        return _("or less")
    if indicator["value_kind"] == Kind.PERCENT:
        return _("or more")
    return ""


def _value(indicator: dict, value) -> str:
    return with_unit(value, indicator["unit"])


def target_text(indicator: dict) -> str:
    """目標100件 / 目標80%以上 / 目標20%（令和7年度）"""
    text = _("target %(value)s%(bound)s") % {
        "value": _value(indicator, indicator["target"]),
        "bound": _bound(indicator),
    }
    if indicator["target_year"]:
        text += f"（{year_label(indicator['target_year'])}）"
    return text


def actual_text(indicator: dict) -> str:
    """実績283件 / 実績1回目88.0%、2回目55.6%（全体72.0%） / 実績 –"""
    if indicator["detail"]:
        parts = "、".join(
            _("event %(n)d: %(value)s") % {"n": n, "value": percent(v)}
            for n, v in enumerate(indicator["detail"], start=1)
        )
        value = _("%(parts)s (overall %(value)s)") % {
            "parts": parts,
            "value": _value(indicator, indicator["actual"]),
        }
    else:
        value = _value(indicator, indicator["actual"])
    return _("actual %(value)s") % {"value": value}


def baseline_text(indicator: dict) -> str:
    """現状12.7%（令和2年度）, or "" without a baseline."""
    if indicator["baseline"] is None:
        return ""
    text = _("baseline %(value)s") % {"value": _value(indicator, indicator["baseline"])}
    if indicator["baseline_year"]:
        text += f"（{year_label(indicator['baseline_year'])}）"
    return text


def achieved_text(indicator: dict) -> str:
    if indicator["achieved"] is None:
        return _("not yet known")
    return _("achieved") if indicator["achieved"] else _("not achieved")


def indicator_line(indicator: dict) -> str:
    """The whole line without its mark: label, target → actual, baseline."""
    if indicator["actual"] is None and indicator["kind"] == "manual":
        figures = target_text(indicator)  # a survey not yet taken
    else:
        figures = f"{target_text(indicator)}→{actual_text(indicator)}"
    parts = [indicator["label"], figures]
    baseline = baseline_text(indicator)
    if baseline:
        parts.append(baseline)
    return " ".join(parts)


def sns_headers() -> list[str]:
    """The columns of the SNS table (one row per month, then the year)."""
    return [
        _("Month"),
        _("Chats"),
        _("Took place"),
        _("Did not take place"),
        _("Median minutes to the first response"),
        _("Under 30 min"),
        _("30 to 60 min"),
        _("Over 60 min"),
        _("Outside opening hours"),
    ]


def _sns_values(block: dict) -> list:
    return [
        block["chats"],
        block["established"],
        block["not_established"],
        block["first_response_median_minutes"],
        *(block["duration_bands"][b] for b in BAND_KEYS),
        block["out_of_hours"],
    ]


def sns_rows(sns: dict) -> list[list]:
    """[label, chats, took place, did not, median, <30, 30-60, >60, outside
    hours] for each month of the fiscal year and, last, the year's total;
    the values as in the data (numbers, None, or a publication mark)."""
    return [[month_label(m["month"]), *_sns_values(m)] for m in sns["by_month"]] + [
        [_("Total"), *_sns_values(sns)]
    ]
