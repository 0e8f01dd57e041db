"""The annual report as data: one dictionary in the shape of the JSON of
SPEC §3 (plus a few keys the page and the PDF need), from which every format
is made. Figures come from the metric registry's grouped queries, so the
report costs a fixed number of queries whatever the size of the data.

Nothing here reads a client's record: only counts, dates of sessions and
events, titles of events, and what city staff typed into the programme.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404

import jpdates
from accounts import scoping
from accounts.models import User
from accounts.roles import Role, user_roles
from consultations.complaints import SEED as COMPLAINT_SEED
from consultations.models import Channel, PartnerAgency

from . import disclosure, statutory, wareki
from .metrics import BAND_KEYS, REGISTRY, Kind, SnsFigures, YearFigures
from .models import Programme, Target

NARRATIVE_FIELDS = (
    "local_situation",
    "purpose",
    "features",
    "effects",
    "future_issues",
    "overview",
)

# PROGRAMMES, AND WHO SEES WHICH
# ------------------------------------------------------------------------------


def funder_of(user):
    """The funder whose programmes a user sees, or None: city staff who
    belong to a funder (User.funder). Admins, and city staff with no funder,
    see the programmes of their organisations instead."""
    roles = user_roles(user)
    if Role.CITY_STAFF in roles and Role.ADMIN not in roles and user.funder_id:
        return user.funder_id
    return None


def programmes_visible_to(user) -> QuerySet[Programme]:
    """THE rule of who sees which programme (its page, targets and reports):
    city staff of a funder see the programmes it funds, whichever
    organisation runs them; everyone else the programmes of the
    organisations she belongs to. Every reports view and the CLI's --user
    go through here (and ``programme_for``)."""
    funder = funder_of(user)
    if funder is not None:
        return Programme.objects.filter(funder_id=funder)
    return Programme.objects.filter(organisation__in=_memberships(user))


def _memberships(user):
    """The user's organisations: their ids when they were loaded with her
    (every signed-in request, accounts.backends), else a subquery."""
    ids = getattr(user, "_ibasho_org_ids", None)
    if ids is not None:
        return sorted(ids)
    return User.organisations.through.objects.filter(user_id=user.pk).values(
        "organisation_id"
    )


def programme_for(user, pk, *, detail: bool = False) -> Programme:
    """The programme ``pk`` if ``user`` may see it. Otherwise: for city staff
    of a funder, 403 (PermissionDenied), as a funder's programmes are not a
    secret between funders; for everyone else 404 (Http404), so that nobody
    learns that another organisation's programme exists. ``detail``: with
    its targets and partner agencies (as programme_detail)."""
    programmes = programmes_visible_to(user)
    if detail:
        programmes = _with_report_relations(programmes)
    try:
        return programmes.get(pk=pk)
    except (Programme.DoesNotExist, ValueError, TypeError):
        pass
    if funder_of(user) is not None and Programme.objects.filter(pk=pk).exists():
        raise PermissionDenied
    raise Http404


def figures_only_programmes(user, fiscal_year: int) -> list[Programme] | None:
    """What "figures only, no programme" counts for ``user``: for city staff
    of a funder, the records of its programmes of the year; for everyone
    else (None), every record of the year in her organisations (the
    request's scope)."""
    if funder_of(user) is None:
        return None
    return programmes_of_year(fiscal_year, user)


def programme_list(user=None) -> QuerySet[Programme]:
    programmes = (
        Programme.objects.all() if user is None else programmes_visible_to(user)
    )
    return programmes.order_by("-fiscal_year", "name", "id")


def _with_report_relations(programmes: QuerySet[Programme]) -> QuerySet[Programme]:
    return programmes.prefetch_related(
        Prefetch("targets", queryset=Target.objects.order_by("order", "id")),
        Prefetch("partner_agencies", queryset=PartnerAgency.objects.order_by("name")),
    )


def programme_detail(pk: int) -> Programme:
    """A programme with its targets and partner agencies (three queries)."""
    return _with_report_relations(Programme.objects.all()).get(pk=pk)


def programmes_of_year(fiscal_year: int, user=None) -> list[Programme]:
    """The fiscal year's programmes (those ``user`` may see, if given)."""
    return list(programme_list(user).filter(fiscal_year=fiscal_year))


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


def _sns_block(figures: SnsFigures) -> dict:
    return {
        "chats": figures.chats,
        "established": figures.established,
        "first_response_median_minutes": _number(figures.first_response_median_minutes),
        "duration_bands": dict(figures.duration_bands),
        "out_of_hours": figures.out_of_hours,
        # more keys (SPEC §3 allows them):
        "not_established": figures.not_established,
        "first_responses": figures.first_responses,
    }


def _sns(figures: YearFigures) -> dict:
    """SPEC §3's sns block for the year, and the same for each month of the
    year (by_month, April first, ``month`` is its first day)."""
    year, months = figures.sns
    return {
        **_sns_block(year),
        "by_month": [dict(month=month, **_sns_block(f)) for month, f in months],
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


def annual_report(
    *,
    fiscal_year: int,
    programme: Programme | None = None,
    programmes: list[Programme] | None = None,
) -> dict:
    """Every figure of one fiscal year (and the programme's targets and text,
    if a programme is given: fetch it with ``programme_detail``).

    A programme's report counts only the records attributed to it, and is
    computed in the scope of the organisation that runs it (the caller has
    checked that the user may see the programme: ``programme_for``). With
    ``programmes`` instead (the figures without a programme, for city
    staff), the records of those programmes in their organisations' scope.
    With neither, every record of the year in the active scope."""
    if programme is not None:
        with scoping.organisations([programme.organisation_id]):
            return _annual_report(fiscal_year, programme, [programme.pk])
    if programmes is not None:
        with scoping.organisations({p.organisation_id for p in programmes}):
            return _annual_report(fiscal_year, None, [p.pk for p in programmes])
    return _annual_report(fiscal_year, None, None)


def _annual_report(fiscal_year: int, programme, programme_ids) -> dict:
    figures = YearFigures(fiscal_year, programme_ids)
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
        "sns": _sns(figures),
        "statutory": statutory.build(figures),
    }


# PUBLICATION: counts from 1 to 4 hidden, and whatever would give them away
# ------------------------------------------------------------------------------

# The figure (in _figures' keys) that each count metric of a target shows, so
# that a target's actual is hidden exactly when the same figure is hidden in
# the tables (a metric missing here would be masked on its own).
METRIC_FIGURES = {
    "consultations_total": ("total", "count"),
    "consultations_new": ("total", "new"),
    **{f"consultations_{c}": ("channel", c, "count") for c in Channel.values},
    "support_interviews": ("support_actions", "interview"),
    "support_accompaniments": ("support_actions", "accompaniment"),
    "support_referrals": ("support_actions", "referral"),
    "support_other": ("support_actions", "other"),
    "salon_visits": ("salon", "visits"),
    "salon_visit_days": ("salon", "visit_days"),
    "shelter_overnight_stays": ("shelter", "overnight_stays"),
    "shelter_nights": ("shelter", "nights"),
    "shelter_day_uses": ("shelter", "day_uses"),
    "shelter_unmet_requests": ("shelter", "unmet_requests"),
    "peer_sessions": ("peer_support", "sessions"),
    "peer_participants": ("peer_support", "participants"),
    "training_events": ("training", "events"),
    "training_participants": ("training", "participants"),
    "sns_chats": ("sns", "year", "chats"),
    "sns_established": ("sns", "year", "established"),
    "sns_not_established": ("sns", "year", "not_established"),
    "sns_first_responses": ("sns", "year", "first_responses"),
    **{f"sns_duration_{b}": ("sns", "year", "band", b) for b in BAND_KEYS},
    "sns_out_of_hours": ("sns", "year", "out_of_hours"),
    **{
        f"complaint_{code}_{column}": (
            "statutory",
            "main_complaints",
            code,
            column,
        )
        for code, _label in COMPLAINT_SEED
        for column in ("people", "consultations")
    },
    **{
        f"referrals_{status}": ("statutory", "referrals_total", status)
        for status in ("sent", "accepted", "declined")
    },
    "temporary_protection_stays": ("statutory", "temporary_protection", "stays"),
    **{
        f"meetings_{key}": ("statutory", "meetings", key)
        for key in ("representatives", "practitioners", "case_reviews")
    },
}
# The counts of each period of the SNS table (the year, and each month).
SNS_COUNTS = ("chats", "established", "not_established", "out_of_hours")
PLAIN_COUNTS = {
    "shelter": ("overnight_stays", "nights", "day_uses"),
    "salon": None,  # every key
    "support_actions": None,
    "peer_support": ("sessions", "participants"),
    "training": ("events",),
}


def mask(value):
    """ "<5" for a count from 1 to 4; any other value unchanged."""
    return disclosure.SMALL if disclosure.is_small(value) else value


def _figures(data: dict):
    """Every count of the report that publication hides, by key; the groups
    of figures that add up (the channel columns, unmet requests by reason,
    participants by training event) and the pairs known to be ordered."""
    values = {}
    channels = data["consultations_by_channel"]
    for row in channels:
        values["channel", row["channel"], "count"] = row["count"]
        values["channel", row["channel"], "new"] = row["new"]
    values["total", "count"] = data["consultations_total"]["count"]
    values["total", "new"] = data["consultations_total"]["new"]
    for block, keys in PLAIN_COUNTS.items():
        for key in keys or data[block]:
            values[block, key] = data[block][key]
    values["shelter", "unmet_requests"] = data["shelter"]["unmet_requests"]
    reasons = data["shelter"]["unmet_requests_by_reason"]
    for reason, count in reasons.items():
        values["unmet", reason] = count
    values["training", "participants"] = data["training"]["participants"]
    events = data["training"]["events_detail"]
    for n, event in enumerate(events):
        values["event", n, "participants"] = event["participants"]
        values["event", n, "respondents"] = event["respondents"]
    groups = [
        disclosure.Group(
            tuple(("channel", r["channel"], column) for r in channels),
            ("total", column),
        )
        for column in ("count", "new")
    ]
    groups.append(
        disclosure.Group(
            tuple(("unmet", r) for r in reasons), ("shelter", "unmet_requests")
        )
    )
    groups.append(
        disclosure.Group(
            tuple(("event", n, "participants") for n in range(len(events))),
            ("training", "participants"),
        )
    )
    at_most = [
        (("channel", r["channel"], "new"), ("channel", r["channel"], "count"))
        for r in channels
    ] + [(("total", "new"), ("total", "count"))]
    _sns_figures(data["sns"], values, groups, at_most)
    if ("channel", "line", "count") in values:
        # Each ended chat is one LINE consultation started when it started:
        # the year's chats are at most the LINE channel's count, so a figure
        # hidden in one table is not left readable in the other.
        at_most.append((("sns", "year", "chats"), ("channel", "line", "count")))
    if "statutory" in data:
        statutory.figures(data, values, groups, at_most)
    return values, groups, at_most


def _sns_periods(sns: dict) -> list[tuple[object, dict]]:
    return [("year", sns), *((n, m) for n, m in enumerate(sns["by_month"]))]


def _sns_figures(sns: dict, values: dict, groups: list, at_most: list) -> None:
    """The SNS table's counts: in each period, chats = established + not
    established = the three duration bands, and out of hours and first
    responses are at most the chats; each count of the months adds up to the
    year's."""
    periods = _sns_periods(sns)
    for period, block in periods:
        for key in SNS_COUNTS + ("first_responses",):
            values["sns", period, key] = block[key]
        for band in BAND_KEYS:
            values["sns", period, "band", band] = block["duration_bands"][band]
        chats = ("sns", period, "chats")
        groups.append(
            disclosure.Group(
                (("sns", period, "established"), ("sns", period, "not_established")),
                chats,
            )
        )
        groups.append(
            disclosure.Group(
                tuple(("sns", period, "band", b) for b in BAND_KEYS), chats
            )
        )
        at_most.append((("sns", period, "out_of_hours"), chats))
        at_most.append((("sns", period, "first_responses"), chats))
    months = range(len(sns["by_month"]))
    for key in (*SNS_COUNTS, "first_responses"):
        groups.append(
            disclosure.Group(
                tuple(("sns", n, key) for n in months), ("sns", "year", key)
            )
        )
    for band in BAND_KEYS:
        groups.append(
            disclosure.Group(
                tuple(("sns", n, "band", band) for n in months),
                ("sns", "year", "band", band),
            )
        )


def _published_sns(sns: dict, shown, marks) -> dict:
    """The SNS block with its hidden counts; a median of 1 to 4 chats'
    waits (or of a period whose first responses are hidden) is hidden
    too, as it describes those few chats."""

    def block(period, figures: dict) -> dict:
        out = dict(figures)
        for key in (*SNS_COUNTS, "first_responses"):
            out[key] = shown("sns", period, key)
        out["duration_bands"] = {b: shown("sns", period, "band", b) for b in BAND_KEYS}
        if ("sns", period, "first_responses") in marks:
            out["first_response_median_minutes"] = disclosure.HIDDEN
        return out

    out = block("year", sns)
    out["by_month"] = [block(n, m) for n, m in enumerate(sns["by_month"])]
    return out


def for_publication(data: dict) -> dict:
    """A copy of the report for publication (the rule is in
    reports.disclosure): every count of records or people from 1 to 4 shown
    as "<5", and, where figures add up to a total, as many more hidden ("x")
    as it takes for none of them to be worked out from the others. Open days,
    budget, targets and percentages are not counts of people and stay, except
    the satisfaction of a training event whose respondents are hidden (a
    percentage of 1 to 4 answers gives their number away). Whether a target
    was achieved is decided on the true figure before hiding."""
    values, groups, at_most = _figures(data)
    marks = disclosure.suppress(values, groups, at_most)

    def shown(*key):
        return marks.get(key, values[key])

    out = dict(data, publication=True)
    out["consultations_by_channel"] = [
        dict(
            r,
            count=shown("channel", r["channel"], "count"),
            new=shown("channel", r["channel"], "new"),
        )
        for r in data["consultations_by_channel"]
    ]
    out["consultations_total"] = {
        "count": shown("total", "count"),
        "new": shown("total", "new"),
    }
    for block, keys in PLAIN_COUNTS.items():
        out[block] = dict(data[block])
        for key in keys or data[block]:
            out[block][key] = shown(block, key)
    out["shelter"]["unmet_requests"] = shown("shelter", "unmet_requests")
    out["shelter"]["unmet_requests_by_reason"] = {
        reason: shown("unmet", reason)
        for reason in data["shelter"]["unmet_requests_by_reason"]
    }
    out["training"]["participants"] = shown("training", "participants")
    out["training"]["events_detail"] = [
        dict(
            e,
            participants=shown("event", n, "participants"),
            respondents=shown("event", n, "respondents"),
            satisfaction_pct=disclosure.HIDDEN
            if ("event", n, "respondents") in marks
            else e["satisfaction_pct"],
        )
        for n, e in enumerate(data["training"]["events_detail"])
    ]
    out["sns"] = _published_sns(data["sns"], shown, marks)
    if "statutory" in data:
        out["statutory"] = statutory.published(data, shown)
    out["indicators"] = [
        _published_indicator(i, shown, out) for i in data["indicators"]
    ]
    return out


def _published_indicator(indicator: dict, shown, out: dict) -> dict:
    if indicator["key"] == "training_satisfaction":
        # the same percentages as the events, hidden where theirs are
        events = out["training"]["events_detail"]
        return dict(indicator, detail=[e["satisfaction_pct"] for e in events])
    if indicator["key"] == "sns_first_response_median":
        median = out["sns"]["first_response_median_minutes"]
        return dict(indicator, actual=median)
    if indicator["value_kind"] != Kind.COUNT:
        return indicator
    figure = METRIC_FIGURES.get(indicator["key"])
    try:
        actual = shown(*figure) if figure else mask(indicator["actual"])
    except KeyError:  # a complaint no longer in the list: masked on its own
        actual = mask(indicator["actual"])
    return dict(indicator, actual=actual)


def report_for(
    *,
    fiscal_year: int,
    programme: Programme | None = None,
    programmes: list[Programme] | None = None,
    publication: bool = False,
) -> dict:
    data = annual_report(
        fiscal_year=fiscal_year, programme=programme, programmes=programmes
    )
    return for_publication(data) if publication else data


# THE FUNDER'S SUMMED REPORT: every programme it funds in a year, side by side
# ------------------------------------------------------------------------------

NOT_SUMMED = "—"
# Counts that do not add up across programmes: days with salon visitors are
# distinct dates (two salons open on the same day count it once each), and
# unmet stay requests carry no programme, so each programme of an
# organisation counts all of that organisation's.
# 実人員 of a main complaint neither: a woman counted by two programmes is
# one person.
NOT_ADDITIVE_COUNTS = frozenset(
    {
        "salon_visit_days",
        "shelter_unmet_requests",
        *(f"complaint_{code}_people" for code, _label in COMPLAINT_SEED),
    }
)


def summable(metric) -> bool:
    """A metric whose values of several programmes add up to a true total:
    counts of records or people attributed to one programme each. Medians,
    percentages, open days (from the calendars every programme shares) and
    the counts above do not."""
    return metric.kind == Kind.COUNT and metric.key not in NOT_ADDITIVE_COUNTS


def funder_programmes(funder_id: int, fiscal_year: int) -> list[Programme]:
    return list(
        Programme.objects.filter(funder_id=funder_id, fiscal_year=fiscal_year)
        .select_related("organisation", "funder")
        .order_by("name", "id")
    )


def funder_summary(
    *, funder_id: int, fiscal_year: int, publication: bool = False
) -> dict:
    """Every metric of the registry for each programme the funder funds in
    the fiscal year (each counted as its own report counts it: its records,
    in its organisation's scope), with their total where the figures add up
    (``summable``) and None where they do not. For publication, counts of 1
    to 4 are hidden, and as many more as it takes for none to be worked out
    from the total (reports.disclosure)."""
    programmes = funder_programmes(funder_id, fiscal_year)
    columns = []
    for programme in programmes:
        with scoping.organisations([programme.organisation_id]):
            figures = YearFigures(fiscal_year, [programme.pk])
            columns.append({m.key: m.read(figures) for m in REGISTRY.values()})
    rows = []
    for metric in REGISTRY.values():
        values = [_number(column[metric.key]) for column in columns]
        add_up = summable(metric)
        rows.append(
            {
                "key": metric.key,
                "label": str(metric.label),
                "unit": str(metric.unit),
                "kind": metric.kind,
                "summable": add_up,
                "values": values,
                "total": sum(values) if add_up else None,
            }
        )
    data = {
        "fiscal_year": fiscal_year,
        "fiscal_year_label": jpdates.fiscal_year_label(fiscal_year),
        "funder": programmes[0].funder.name if programmes else "",
        "publication": False,
        "programmes": [
            {"id": p.pk, "name": p.name, "organisation": p.organisation.name}
            for p in programmes
        ],
        "rows": rows,
    }
    return _published_summary(data) if publication else data


def _published_summary(data: dict) -> dict:
    values, groups = {}, []
    for row in data["rows"]:
        if row["kind"] != Kind.COUNT:
            continue
        key = row["key"]
        members = tuple((key, n) for n in range(len(row["values"])))
        for n, value in enumerate(row["values"]):
            values[key, n] = value
        if row["summable"]:
            values[key, "total"] = row["total"]
            groups.append(disclosure.Group(members, (key, "total")))
    marks = disclosure.suppress(values, groups)
    rows = []
    for row in data["rows"]:
        key = row["key"]
        if row["kind"] != Kind.COUNT:
            rows.append(row)
            continue
        rows.append(
            dict(
                row,
                values=[marks.get((key, n), v) for n, v in enumerate(row["values"])],
                total=marks.get((key, "total"), row["total"]),
            )
        )
    return dict(data, rows=rows, publication=True)
