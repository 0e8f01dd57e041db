"""The annual report as data: one dictionary in the shape of the JSON of
SPEC §3 (plus a few keys the page and the PDF need), from which every format
is made. Figures come from the metric registry's grouped queries, so the
report costs a fixed number of queries whatever the size of the data.

Nothing here reads a client's record: only counts, dates of sessions and
events, titles of events, and what city staff typed into the programme.
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Prefetch, QuerySet

import jpdates
from consultations.models import PartnerAgency

from . import wareki
from .metrics import Kind, YearFigures
from .models import Programme, Target

MASK = "<5"
NARRATIVE_FIELDS = (
    "local_situation",
    "purpose",
    "features",
    "effects",
    "future_issues",
    "overview",
)

# PROGRAMMES
# ------------------------------------------------------------------------------


def programme_list() -> QuerySet[Programme]:
    return Programme.objects.order_by("-fiscal_year", "name", "id")


def _with_report_relations(programmes: QuerySet[Programme]) -> QuerySet[Programme]:
    return programmes.prefetch_related(
        Prefetch("targets", queryset=Target.objects.order_by("order", "id")),
        Prefetch("partner_agencies", queryset=PartnerAgency.objects.order_by("name")),
    )


def programme_detail(pk: int) -> Programme:
    """A programme with its targets and partner agencies (three queries)."""
    return _with_report_relations(Programme.objects.all()).get(pk=pk)


def programmes_of_year(fiscal_year: int) -> list[Programme]:
    return list(programme_list().filter(fiscal_year=fiscal_year))


def report_years() -> list[int]:
    """Fiscal years that have a programme, newest first (one query)."""
    return list(
        Programme.objects.order_by("-fiscal_year")
        .values_list("fiscal_year", flat=True)
        .distinct()
    )


# THE REPORT
# ------------------------------------------------------------------------------


def _number(value):
    """Decimals as int when whole (100.00 -> 100), else float with their
    digits (12.70 -> 12.7), for JSON and display alike."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _indicator(target: Target, figures: YearFigures) -> dict:
    metric = target.metric
    detail = []
    if metric is not None:
        actual = metric.read(figures)
        kind = metric.kind
        if metric.detail is not None:
            detail = [_number(v) for v in metric.detail(figures)]
    else:
        actual = target.actual_value
        kind = Kind.PERCENT if target.display_unit == "%" else "manual"
    return {
        "key": target.metric_key or f"manual_{target.pk}",
        "label": target.display_label,
        "unit": target.display_unit,
        "target": _number(target.target_value),
        "actual": _number(actual),
        "achieved": target.is_achieved(actual),
        # more keys (SPEC §3 allows them):
        "kind": target.kind,
        "value_kind": kind,
        "direction": target.direction,
        "target_year": target.target_year,
        "baseline": _number(target.baseline_value),
        "baseline_year": target.baseline_year,
        "detail": detail,
    }


def _programme_block(programme: Programme | None) -> dict:
    if programme is None:
        return {
            "id": None,
            "name": "",
            "municipality": "",
            "project_cost_thousand_yen": None,
            "grant_thousand_yen": None,
            "department": "",
            "contractor": "",
            "partners": [],
            "narrative": dict.fromkeys(NARRATIVE_FIELDS, ""),
        }
    return {
        "id": programme.pk,
        "name": programme.name,
        "municipality": programme.municipality,
        "project_cost_thousand_yen": programme.project_cost_thousand_yen,
        "grant_thousand_yen": programme.grant_thousand_yen,
        "department": programme.department,
        "contractor": programme.contractor,
        "partners": [a.name for a in programme.partner_agencies.all()]
        + programme.other_partner_lines,
        "narrative": {name: getattr(programme, name) for name in NARRATIVE_FIELDS},
    }


def annual_report(*, fiscal_year: int, programme: Programme | None = None) -> dict:
    """Every figure of one fiscal year (and the programme's targets and text,
    if a programme is given: fetch it with ``programme_detail``)."""
    figures = YearFigures(fiscal_year)
    start, end = figures.period
    peer = figures.peer_totals
    training = figures.training_totals
    return {
        "fiscal_year": fiscal_year,
        "fiscal_year_label": jpdates.fiscal_year_label(fiscal_year),
        "period": {"start": start, "end": end},
        "publication": False,
        "programme": _programme_block(programme),
        "indicators": [
            _indicator(t, figures)
            for t in (programme.targets.all() if programme else [])
        ],
        "consultations_by_channel": [
            dict(row, label=str(row["label"]))
            for row in figures.consultations_by_channel
        ],
        "consultations_total": dict(figures.consultations_total),
        "open_days": {
            "consultation": figures.open_days["consultation"],
            "salon": figures.open_days["salon"],
            "phone_line": figures.open_days["phone_line"],
            "shelter": figures.open_days["shelter"],
        },
        "shelter": {
            **figures.stays,
            "unmet_requests": sum(figures.unmet_requests.values()),
            "unmet_requests_by_reason": dict(figures.unmet_requests),
        },
        "salon": dict(figures.salon),
        "support_actions": dict(figures.support_actions),
        "peer_support": {
            "sessions": peer.sessions,
            "participants": peer.participants,
            "dates_wareki": wareki.date_list(figures.peer_dates),
            "dates": [
                {"start": first, "end": last} for first, last in figures.peer_dates
            ],
        },
        "training": {
            "events": training.events,
            "participants": training.participants,
            "satisfaction_pct": _number(figures.training_satisfaction),
            "events_detail": [
                {
                    "date": e.date,
                    "title": e.title,
                    "kind": e.kind,
                    "participants": e.participants,
                    "respondents": e.respondents,
                    "satisfaction_pct": _number(e.satisfaction_pct),
                }
                for e in figures.training_events
            ],
        },
    }


# PUBLICATION: counts from 1 to 4 become "<5"
# ------------------------------------------------------------------------------


def mask(value):
    """ "<5" for a count from 1 to 4; any other value unchanged."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4:
        return MASK
    return value


def _mask_values(block: dict, keys=None) -> dict:
    return {k: (mask(v) if keys is None or k in keys else v) for k, v in block.items()}


def for_publication(data: dict) -> dict:
    """A copy of the report with every count of records or people from 1 to 4
    shown as "<5" (open days, budget, targets and percentages are not counts
    of people and stay as they are). Whether a target was achieved is decided
    on the true figure before masking."""
    out = dict(data, publication=True)
    out["indicators"] = [
        dict(i, actual=mask(i["actual"])) if i["value_kind"] == Kind.COUNT else i
        for i in data["indicators"]
    ]
    out["consultations_by_channel"] = [
        _mask_values(r, {"count", "new"}) for r in data["consultations_by_channel"]
    ]
    out["consultations_total"] = _mask_values(data["consultations_total"])
    shelter = _mask_values(data["shelter"], {"overnight_stays", "nights", "day_uses"})
    shelter["unmet_requests"] = mask(data["shelter"]["unmet_requests"])
    shelter["unmet_requests_by_reason"] = _mask_values(
        data["shelter"]["unmet_requests_by_reason"]
    )
    out["shelter"] = shelter
    out["salon"] = _mask_values(data["salon"])
    out["support_actions"] = _mask_values(data["support_actions"])
    out["peer_support"] = _mask_values(
        data["peer_support"], {"sessions", "participants"}
    )
    training = _mask_values(data["training"], {"events", "participants"})
    training["events_detail"] = [
        _mask_values(e, {"participants", "respondents"})
        for e in data["training"]["events_detail"]
    ]
    out["training"] = training
    return out


def report_for(
    *, fiscal_year: int, programme: Programme | None = None, publication: bool = False
) -> dict:
    data = annual_report(fiscal_year=fiscal_year, programme=programme)
    return for_publication(data) if publication else data
