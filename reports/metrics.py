"""The metric registry: every figure the annual report shows, defined once.

A *metric* has a key (stable: it is stored on targets and written in the
JSON), a label and a unit in Japanese (through gettext), a kind (a count of
records, a number of open days, or a percentage) and a selector that reads
its value for a fiscal year.

The selectors do not query the database one by one: they read from
``YearFigures``, which computes each *group* of figures once, with one
aggregate query (or a fixed few), the first time one of its figures is read.
So a whole report costs a fixed number of queries whatever the data size and
however many metrics it shows, and a single metric (``metric.value(2021)``)
costs only the queries of its group.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

import jpdates
from consultations.complaints import SEED as COMPLAINT_SEED
from consultations.consent.models import Referral
from consultations.models import (
    Channel,
    Client,
    Complaint,
    Consultation,
    LineChat,
    PartnerAgency,
    SupportAction,
)
from consultations.selectors import consultations_between
from peergroups import selectors as peer_selectors
from shelter import selectors as shelter_selectors
from training import selectors as training_selectors
from training.satisfaction import satisfaction_percent


class Kind:
    COUNT = "count"  # records or people: masked as "<5" when published (1–4)
    DAYS = "days"  # open days, from the calendars: never masked
    PERCENT = "percent"  # a percentage with one decimal, or None
    MINUTES = "minutes"  # a time in minutes with one decimal, or None


# SNS (LINE desk) figures
# ------------------------------------------------------------------------------

# Duration bands of an ended chat, d = ended_at - started_at to the second:
# under_30 is d < 30 min, 30_to_60 is 30 min <= d <= 60 min (both ends
# included), over_60 is d > 60 min.
BAND_KEYS = ("under_30", "30_to_60", "over_60")
_30_MIN = dt.timedelta(minutes=30)
_60_MIN = dt.timedelta(minutes=60)


def duration_band(duration: dt.timedelta) -> str:
    if duration < _30_MIN:
        return "under_30"
    if duration <= _60_MIN:
        return "30_to_60"
    return "over_60"


def median_minutes(waits: list[dt.timedelta]) -> Decimal | None:
    """The median in minutes with one decimal (half up), the mean of the two
    middle values for an even count; None for no values."""
    if not waits:
        return None
    seconds = statistics.median(w.total_seconds() for w in waits)
    return (Decimal(str(seconds)) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class SnsFigures:
    """The SNS figures of a period (a fiscal year or one of its months)."""

    chats: int = 0
    established: int = 0
    not_established: int = 0
    first_responses: int = 0  # chats with a first response (the median's base)
    waits: list = field(default_factory=list, repr=False)
    duration_bands: dict = field(default_factory=lambda: dict.fromkeys(BAND_KEYS, 0))
    out_of_hours: int = 0

    def add(self, started, first_response, ended, outcome, outside_hours) -> None:
        self.chats += 1
        if outcome == LineChat.Outcome.ESTABLISHED:
            self.established += 1
        else:
            self.not_established += 1
        if first_response is not None:
            self.first_responses += 1
            self.waits.append(first_response - started)
        self.duration_bands[duration_band(ended - started)] += 1
        self.out_of_hours += bool(outside_hours)

    @property
    def first_response_median_minutes(self) -> Decimal | None:
        return median_minutes(self.waits)


# Age bands of the statutory tables: the client's, or unknown (anonymous, or
# not recorded).
UNKNOWN_AGE = "unknown"
AGE_BANDS = (*Client.AgeBand.values, UNKNOWN_AGE)


# GROUPED FIGURES: each cached property is one aggregate query (or a fixed few)
# ------------------------------------------------------------------------------


class YearFigures:
    """The figures of one fiscal year (April 1 – March 31), by group.

    With ``programmes`` (a list of programme ids), every record that carries
    a programme (consultations, support actions, stays, salon visits, peer
    sessions, training events, LINE chats) counts only if it is attributed to
    one of them, and what hangs from such a record (a session's attendances,
    an event's survey responses) follows its parent. Records with no
    programme column (unmet stay requests) and the opening calendars count
    as the active scope shows them: the report of a programme is computed in
    the scope of its organisation (reports.selectors.annual_report).
    Without ``programmes``, every record the active scope shows counts."""

    def __init__(self, fiscal_year: int, programmes=None):
        self.fiscal_year = fiscal_year
        self.start, self.end = jpdates.fiscal_year_range(fiscal_year)
        self.programmes = None if programmes is None else sorted(programmes)

    def _attributed(self, queryset, through: str = ""):
        """Only the records of the report's programmes, if it has any;
        ``through``: the relation that carries the programme (e.g.
        "support_action__" for a referral)."""
        if self.programmes is None:
            return queryset
        return queryset.filter(**{f"{through}programme_id__in": self.programmes})

    @property
    def period(self) -> tuple[date, date]:
        return self.start, self.end

    # consultations/ ------------------------------------------------------------

    @cached_property
    def consultations_by_channel(self) -> list[dict]:
        """[{channel, label, count, new}] for all six channels, zeros included:
        the sums of ``_by_complaint_and_channel`` (no query of its own)."""
        counts = {}
        for row in self._by_complaint_and_channel:
            channel = counts.setdefault(row["channel"], {"count": 0, "new": 0})
            channel["count"] += row["count"]
            channel["new"] += row["new"]
        return [
            {
                "channel": channel.value,
                "label": channel.label,
                "count": counts.get(channel.value, {}).get("count", 0),
                "new": counts.get(channel.value, {}).get("new", 0),
            }
            for channel in Channel
        ]

    @cached_property
    def _by_complaint_and_channel(self) -> list[dict]:
        """[{main_complaint, channel, count, new}]: the year's consultations
        by main complaint and channel, with their new ones, in one GROUP BY
        query. Both the channel table and the 主訴 tables read it, so the
        report scans the year's consultations once for the two."""
        return list(
            self._year_consultations()
            .values("main_complaint", "channel")
            .annotate(
                count=Count("started_at"),  # never null
                new=Count("started_at", filter=Q(is_new=True)),
            )
        )

    @cached_property
    def consultations_total(self) -> dict[str, int]:
        rows = self.consultations_by_channel
        return {
            "count": sum(r["count"] for r in rows),
            "new": sum(r["new"] for r in rows),
        }

    def channel(self, channel: str) -> dict:
        return next(r for r in self.consultations_by_channel if r["channel"] == channel)

    @cached_property
    def support_actions(self) -> dict[str, int]:
        """Support actions by kind, every kind present: one query."""
        counts = dict(
            self._attributed(
                SupportAction.objects.filter(date__range=(self.start, self.end))
            )
            .order_by()
            .values_list("kind")
            .annotate(Count("pk"))
        )
        return {kind: counts.get(kind, 0) for kind in SupportAction.Kind.values}

    # statutory tables (reports.statutory) --------------------------------------

    @cached_property
    def complaints(self) -> list[tuple[str, str]]:
        """Every complaint of the list (code, label), in its order: one query."""
        return list(
            Complaint.objects.order_by("order", "code").values_list("code", "label")
        )

    def _year_consultations(self):
        return self._attributed(
            Consultation.objects.filter(consultations_between(self.start, self.end))
        ).order_by()

    @cached_property
    def main_complaints(self) -> dict[str, dict]:
        """主訴 of the year's consultations, for every complaint of the list:
        {code: {people, consultations, other_problems, by_channel {channel:
        consultations}, by_age_band {band: people}}}. Two queries, plus the
        one shared with the channel table and the list's. ``people`` (実人員)
        counts each client once per main complaint; an anonymous consultation
        counts as one person, as nobody can tell two anonymous contacts
        apart. A client has one age band, so the people of a complaint are
        the sum of its people by age band. ``other_problems`` counts the
        consultations that name it as an other problem (延件数)."""
        year = self._year_consultations()

        def blank() -> dict:
            return {
                "people": 0,
                "consultations": 0,
                "other_problems": 0,
                "by_channel": dict.fromkeys(Channel.values, 0),
                "by_age_band": dict.fromkeys(AGE_BANDS, 0),
            }

        out = {code: blank() for code, _label in self.complaints}

        def entry(code: str) -> dict:
            return out.setdefault(code, blank())

        for row in self._by_complaint_and_channel:
            e = entry(row["main_complaint"])
            e["consultations"] += row["count"]
            e["by_channel"][row["channel"]] = row["count"]
        for row in year.values("main_complaint", "client__age_band").annotate(
            clients=Count("client", distinct=True),
            anonymous=Count("started_at", filter=Q(client__isnull=True)),
        ):
            e = entry(row["main_complaint"])
            people = row["clients"] + row["anonymous"]
            e["by_age_band"][row["client__age_band"] or UNKNOWN_AGE] += people
            e["people"] += people
        Others = Consultation.other_problems.through
        for code, n in (
            Others.objects.filter(consultation__in=year.values("pk"))
            .order_by()
            .values_list("complaint__code")
            .annotate(Count("pk"))
        ):
            entry(code)["other_problems"] = n
        return out

    @cached_property
    def referrals(self) -> dict[str, dict[str, int]]:
        """Referrals (consultations.consent) dated in the year, by the
        category of the agency and their status: {category: {sent, accepted,
        declined}} for every category. One query; attributed through the
        support action each referral is."""
        out = {
            category: dict.fromkeys(Referral.Status.values, 0)
            for category in PartnerAgency.Category.values
        }
        for category, status, n in (
            self._attributed(
                Referral.objects.filter(date__range=(self.start, self.end)),
                through="support_action__",
            )
            .order_by()
            .values_list("agency__category", "status")
            .annotate(Count("pk"))
        ):
            out.setdefault(category, dict.fromkeys(Referral.Status.values, 0))
            out[category][status] = n
        return out

    @cached_property
    def temporary_protection(self) -> dict:
        """Entrusted temporary protections discharged in the year: stays,
        average length, by reason (shelter.selectors): one query."""
        return shelter_selectors.temporary_protection_figures(
            self.start, self.end, programmes=self.programmes
        )

    @cached_property
    def meetings(self) -> dict[str, int]:
        """Support coordination meetings held in the year by level: one
        query. Meetings carry no programme: a programme's report counts the
        meetings of the organisation that runs it."""
        from consultations.meetings.selectors import meetings_by_level

        from .models import Programme

        only = None
        if self.programmes is not None:
            only = Q(
                organisation_id__in=Programme.objects.filter(
                    pk__in=self.programmes
                ).values("organisation_id")
            )
        return meetings_by_level(self.start, self.end, only)

    # consultations/line/ -------------------------------------------------------

    @cached_property
    def sns(self) -> tuple[SnsFigures, list[tuple[date, SnsFigures]]]:
        """The LINE desk's ended chats that started in the year (local time),
        for the year and for each of its twelve months (the month it started
        in): one query. A chat still waiting or in progress is not counted.
        The median needs every wait, so the rows are read (a few columns each)
        and counted here, which works the same on SQLite and PostgreSQL."""
        year = SnsFigures()
        months = {}
        month = self.start
        while month <= self.end:
            months[month.year, month.month] = SnsFigures()
            month = (month + dt.timedelta(days=31)).replace(day=1)
        rows = (
            # the same local-day range as consultations, on the chat's start
            self._attributed(
                LineChat.objects.filter(
                    consultations_between(self.start, self.end),
                    status=LineChat.Status.ENDED,
                )
            )
            .order_by()
            .values_list(
                "started_at",
                "first_response_at",
                "ended_at",
                "outcome",
                "outside_hours",
            )
        )
        for row in rows:
            local = timezone.localtime(row[0])
            year.add(*row)
            months[local.year, local.month].add(*row)
        return year, [(date(y, m, 1), f) for (y, m), f in months.items()]

    # shelter/ ------------------------------------------------------------------

    @cached_property
    def stays(self) -> dict[str, int]:
        """overnight_stays, nights, day_uses: one query."""
        return shelter_selectors.stay_figures(
            self.start, self.end, programmes=self.programmes
        )

    @cached_property
    def unmet_requests(self) -> dict[str, int]:
        """Unmet requests by reason, zeros included: one query."""
        return shelter_selectors.unmet_requests_by_reason(self.start, self.end)

    @cached_property
    def open_days(self) -> dict[str, int]:
        """Open days by service, from the opening calendars: three queries."""
        return shelter_selectors.open_days_per_service(self.start, self.end)

    @cached_property
    def salon(self) -> dict[str, int]:
        """visits (延べ人数) and visit_days: one query."""
        return shelter_selectors.salon_visit_figures(
            self.start, self.end, programmes=self.programmes
        )

    # peergroups/ ---------------------------------------------------------------

    @cached_property
    def peer_sessions(self) -> list[tuple[date, date, int, int]]:
        """(first day, last day, anonymous, named) of each session starting in
        the year, in date order: one query for the sessions, their dates and
        their participants."""
        return peer_selectors.session_rows(
            start=self.start, end=self.end, programmes=self.programmes
        )

    @cached_property
    def peer_totals(self):
        """Sessions and participants (named + anonymous), from peer_sessions."""
        rows = self.peer_sessions
        return peer_selectors.SessionTotals(
            sessions=len(rows),
            named=sum(named for *_days, _anonymous, named in rows),
            anonymous=sum(anonymous for *_days, anonymous, _named in rows),
        )

    @cached_property
    def peer_dates(self) -> list[tuple[date, date]]:
        """(first, last) day of each session, from peer_sessions."""
        return [(first, last) for first, last, *_counts in self.peer_sessions]

    # training/ -----------------------------------------------------------------

    @cached_property
    def training_events(self) -> list:
        """Each event with its respondents and satisfaction: one query."""
        return training_selectors.event_summaries(
            start=self.start, end=self.end, programmes=self.programmes
        )

    @cached_property
    def training_totals(self):
        """Events and participants, from training_events (no query of its own)."""
        events = self.training_events
        return training_selectors.TrainingTotals(
            events=len(events), participants=sum(e.participants for e in events)
        )

    @cached_property
    def training_satisfaction(self) -> Decimal | None:
        """Satisfaction % over every response of the year (responses of 4 or 5
        / all responses), None without responses; from training_events."""
        events = self.training_events
        return satisfaction_percent(
            sum(e.satisfied for e in events), sum(e.respondents for e in events)
        )


# THE REGISTRY
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str
    kind: str
    read: Callable[[YearFigures], int | Decimal | None]
    # A longer account of the actual for the target list, e.g. per event.
    detail: Callable[[YearFigures], list] | None = None

    def value(self, fiscal_year: int, figures: YearFigures | None = None):
        """The metric's value for a fiscal year (pass ``figures`` to share the
        grouped queries with other metrics of the same report)."""
        return self.read(figures or YearFigures(fiscal_year))

    @property
    def masked_when_published(self) -> bool:
        return self.kind == Kind.COUNT


UNIT_CASES = pgettext_lazy("unit", "cases")
UNIT_DAYS = pgettext_lazy("unit", "days")
UNIT_PEOPLE = pgettext_lazy("unit", "people")
UNIT_NIGHTS = pgettext_lazy("unit", "nights")
UNIT_TIMES = pgettext_lazy("unit", "times")
UNIT_MINUTES = pgettext_lazy("unit", "minutes")
UNIT_PERCENT = "%"

CHANNEL_METRIC_LABELS = {
    Channel.LINE: _("Consultations by LINE"),
    Channel.PHONE: _("Consultations by phone"),
    Channel.FACE_TO_FACE: _("Face-to-face consultations"),
    Channel.SNS: _("Consultations by SNS (chat)"),
    Channel.EMAIL: _("Consultations by email"),
    Channel.VISIT: _("Outreach visits"),
}


def _channel_count(channel: str):
    return lambda f: f.channel(channel)["count"]


def _satisfaction_by_event(f: YearFigures) -> list:
    return [e.satisfaction_pct for e in f.training_events]


_METRICS = [
    Metric(
        "consultations_total",
        _("Number of consultations"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.consultations_total["count"],
    ),
    Metric(
        "consultations_new",
        _("New consultations"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.consultations_total["new"],
    ),
    *(
        Metric(
            f"consultations_{channel.value}",
            CHANNEL_METRIC_LABELS[channel],
            UNIT_CASES,
            Kind.COUNT,
            _channel_count(channel.value),
        )
        for channel in Channel
    ),
    Metric(
        "consultation_open_days",
        _("Days the consultation desk was open"),
        UNIT_DAYS,
        Kind.DAYS,
        lambda f: f.open_days["consultation"],
    ),
    Metric(
        "support_interviews",
        _("Interviews"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.support_actions["interview"],
    ),
    Metric(
        "support_accompaniments",
        _("Accompaniments to agencies"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.support_actions["accompaniment"],
    ),
    Metric(
        "support_referrals",
        _("Referrals to partner agencies"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.support_actions["referral"],
    ),
    Metric(
        "support_other",
        _("Other follow-up"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.support_actions["other"],
    ),
    Metric(
        "salon_open_days",
        _("Days the salon was open"),
        UNIT_DAYS,
        Kind.DAYS,
        lambda f: f.open_days["salon"],
    ),
    Metric(
        "salon_visits",
        _("Salon visitors (total)"),
        UNIT_PEOPLE,
        Kind.COUNT,
        lambda f: f.salon["visits"],
    ),
    Metric(
        "salon_visit_days",
        _("Days with salon visitors"),
        UNIT_DAYS,
        Kind.COUNT,
        lambda f: f.salon["visit_days"],
    ),
    Metric(
        "shelter_overnight_stays",
        _("Overnight stays"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.stays["overnight_stays"],
    ),
    Metric(
        "shelter_nights",
        _("Nights in the shelter"),
        UNIT_NIGHTS,
        Kind.COUNT,
        lambda f: f.stays["nights"],
    ),
    Metric(
        "shelter_day_uses",
        _("Day rests in the shelter"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.stays["day_uses"],
    ),
    Metric(
        "shelter_unmet_requests",
        _("Requests to stay that could not be met"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: sum(f.unmet_requests.values()),
    ),
    Metric(
        "peer_sessions",
        _("Peer-support group sessions"),
        UNIT_TIMES,
        Kind.COUNT,
        lambda f: f.peer_totals.sessions,
    ),
    Metric(
        "peer_participants",
        _("Peer-support group participants"),
        UNIT_PEOPLE,
        Kind.COUNT,
        lambda f: f.peer_totals.participants,
    ),
    Metric(
        "training_events",
        _("Training sessions held"),
        UNIT_TIMES,
        Kind.COUNT,
        lambda f: f.training_totals.events,
    ),
    Metric(
        "training_participants",
        _("Training participants"),
        UNIT_PEOPLE,
        Kind.COUNT,
        lambda f: f.training_totals.participants,
    ),
    Metric(
        "training_satisfaction",
        _("Satisfaction of training participants"),
        UNIT_PERCENT,
        Kind.PERCENT,
        lambda f: f.training_satisfaction,
        detail=_satisfaction_by_event,
    ),
]

SNS_BAND_LABELS = {
    "under_30": _("LINE consultations under 30 minutes"),
    "30_to_60": _("LINE consultations of 30 to 60 minutes"),
    "over_60": _("LINE consultations over 60 minutes"),
}


def _sns_band(band: str):
    return lambda f: f.sns[0].duration_bands[band]


_METRICS += [
    Metric(
        "sns_chats",
        _("LINE consultations (chats)"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.sns[0].chats,
    ),
    Metric(
        "sns_established",
        _("LINE consultations that took place"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.sns[0].established,
    ),
    Metric(
        "sns_not_established",
        _("LINE consultations that did not take place"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.sns[0].not_established,
    ),
    Metric(
        "sns_first_responses",
        _("LINE consultations answered"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.sns[0].first_responses,
    ),
    Metric(
        "sns_first_response_median",
        _("Median time to the first response on LINE"),
        UNIT_MINUTES,
        Kind.MINUTES,
        lambda f: f.sns[0].first_response_median_minutes,
    ),
    *(
        Metric(f"sns_duration_{band}", label, UNIT_CASES, Kind.COUNT, _sns_band(band))
        for band, label in SNS_BAND_LABELS.items()
    ),
    Metric(
        "sns_out_of_hours",
        _("LINE contacts outside opening hours"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.sns[0].out_of_hours,
    ),
]


# Statutory tables (reports.statutory): 主訴 per person and per consultation
# for each complaint of the seeded list (codes never change; an entry an
# admin adds is in the tables but has no metric), and referrals by outcome.
def _complaint(code: str, column: str):
    return lambda f: f.main_complaints.get(code, {}).get(column, 0)


def _referrals(status: str):
    return lambda f: sum(row[status] for row in f.referrals.values())


_METRICS += [
    metric
    for code, label in COMPLAINT_SEED
    for metric in (
        Metric(
            f"complaint_{code}_people",
            format_lazy(_("Main complaint {label}: people"), label=label),
            UNIT_PEOPLE,
            Kind.COUNT,
            _complaint(code, "people"),
        ),
        Metric(
            f"complaint_{code}_consultations",
            format_lazy(_("Main complaint {label}: consultations"), label=label),
            UNIT_CASES,
            Kind.COUNT,
            _complaint(code, "consultations"),
        ),
    )
] + [
    Metric(
        f"referrals_{status}",
        label,
        UNIT_CASES,
        Kind.COUNT,
        _referrals(status),
    )
    for status, label in (
        ("sent", _("Referrals awaiting an answer")),
        ("accepted", _("Referrals accepted")),
        ("declined", _("Referrals declined")),
    )
]


def _meetings(key: str):
    return lambda f: f.meetings[key]


_METRICS += [
    Metric(
        "temporary_protection_stays",
        _("Entrusted temporary protections (discharged)"),
        UNIT_CASES,
        Kind.COUNT,
        lambda f: f.temporary_protection["stays"],
    ),
    *(
        Metric(
            f"meetings_{key}",
            label,
            UNIT_TIMES,
            Kind.COUNT,
            _meetings(key),
        )
        for key, label in (
            ("representatives", _("Representatives' meetings held")),
            ("practitioners", _("Practitioners' meetings held")),
            ("case_reviews", _("Case review meetings held")),
        )
    ),
]

REGISTRY: dict[str, Metric] = {m.key: m for m in _METRICS}


def metric_choices() -> list[tuple[str, str]]:
    return [(m.key, f"{m.label}（{m.unit}）") for m in _METRICS]
