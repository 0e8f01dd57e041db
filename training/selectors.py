"""Reads for the pages and the annual report, each a fixed number of queries.

An event belongs to the period its date falls in. Satisfaction % = responses
of 4 or 5 / all responses (training.satisfaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

import jpdates
from accounts.links import url_by_id

from .models import SATISFIED_FROM, Event, Speaker, SurveyResponse
from .satisfaction import Satisfaction


def _count_subquery(queryset) -> Coalesce:
    return Coalesce(
        Subquery(
            queryset.order_by().values("event").annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def with_survey_counts(events: QuerySet[Event]) -> QuerySet[Event]:
    """Annotate respondent_count, satisfied_count and speaker_count (one query
    for the whole list; subqueries, so the counts never multiply each other)."""
    responses = SurveyResponse.objects.filter(event=OuterRef("pk"))
    return events.annotate(
        respondent_count=_count_subquery(responses),
        satisfied_count=_count_subquery(
            responses.filter(satisfaction__gte=SATISFIED_FROM)
        ),
        speaker_count=_count_subquery(Speaker.objects.filter(event=OuterRef("pk"))),
    )


def fiscal_year_to_show(*, today: date) -> int:
    """This fiscal year if it has events (or there are none at all),
    otherwise the latest earlier year that has. One query."""
    current = jpdates.fiscal_year(today)
    latest = (
        Event.objects.filter(date__lte=jpdates.fiscal_year_range(current)[1])
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    return current if latest is None else jpdates.fiscal_year(latest)


def event_list(*, start: date, end: date) -> QuerySet[Event]:
    """Events from ``start`` to ``end`` inclusive, oldest first, with their
    survey counts (one query)."""
    return with_survey_counts(Event.objects.filter(date__range=(start, end))).order_by(
        "date", "id"
    )


# What a row of the event list shows, read as values (no model objects).
EVENT_ROW = (
    "pk",
    "date",
    "kind",
    "title",
    "venue",
    "participant_count",
    "speaker_count",
    "respondent_count",
    "satisfied_count",
)


def event_rows(values: list[dict]) -> list[dict]:
    """The rows of one page of the event list (``values`` of EVENT_ROW of
    ``event_list``), each with its HTML (``html``) made here, links reversed
    once, rather than by the template per row and cell."""
    from accounts.templatetags.dates import jdate

    e = conditional_escape
    detail = url_by_id("training:event_detail")
    survey = url_by_id("training:survey")
    kinds = {value: e(label) for value, label in Event.Kind.choices}
    enter_survey = e(_("Enter survey"))
    for v in values:
        satisfaction = Satisfaction(v["satisfied_count"], v["respondent_count"])
        v["html"] = mark_safe(  # noqa: S308 (each value escaped)
            "\n    <tr>\n"
            f'      <td class="nowrap">{jdate(v["date"])}</td>\n'
            f"      <td>{kinds.get(v['kind']) or e(v['kind'])}</td>\n"
            f'      <td><a href="{e(detail(v["pk"]))}">{e(v["title"])}</a></td>\n'
            f"      <td>{e(v['venue'])}</td>\n"
            f'      <td class="num">{e(v["participant_count"])}</td>\n'
            f'      <td class="num">{e(v["speaker_count"])}</td>\n'
            f'      <td class="num">{e(v["respondent_count"])}</td>\n'
            f'      <td class="num"><strong>{e(satisfaction)}</strong></td>\n'
            f'      <td><a href="{e(survey(v["pk"]))}">{enter_survey}</a></td>\n'
            "    </tr>\n  "
        )
    return values


@dataclass(frozen=True)
class TrainingTotals:
    events: int
    participants: int


def training_totals(*, start: date, end: date) -> TrainingTotals:
    """Number of events and their participants in the period (one query)."""
    figures = Event.objects.filter(date__range=(start, end)).aggregate(
        events=Count("pk"), participants=Coalesce(Sum("participant_count"), 0)
    )
    return TrainingTotals(**figures)


@dataclass(frozen=True)
class EventSummary:
    """One event as the annual report shows it (no personal data)."""

    date: date
    kind: str
    title: str
    participants: int
    respondents: int
    satisfied: int

    @property
    def satisfaction(self) -> Satisfaction:
        return Satisfaction(self.satisfied, self.respondents)

    @property
    def satisfaction_pct(self) -> Decimal | None:
        """One decimal, rounded half up; None when nobody answered."""
        return self.satisfaction.percent


def event_summaries(*, start: date, end: date, programmes=None) -> list[EventSummary]:
    """Each event of the period with its participants, respondents and
    satisfaction, in date order (one query: the responses joined and
    grouped, the one thing counted per event). With ``programmes`` (ids),
    only the events attributed to them (and so only their responses)."""
    events = Event.objects.filter(date__range=(start, end))
    if programmes is not None:
        events = events.filter(programme_id__in=list(programmes))
    rows = (
        events.annotate(
            respondents=Count("responses"),
            satisfied=Count(
                "responses", filter=Q(responses__satisfaction__gte=SATISFIED_FROM)
            ),
        )
        .order_by("date", "id")
        .values_list(
            "date", "kind", "title", "participant_count", "respondents", "satisfied"
        )
    )
    # Plain rows, not model instances: the annual report reads every event.
    return [
        EventSummary(
            date=day,
            kind=kind,
            title=title,
            participants=participants,
            respondents=respondents,
            satisfied=satisfied,
        )
        for day, kind, title, participants, respondents, satisfied in rows
    ]


def event_detail(*, pk: int) -> Event:
    """An event with its counts and its speakers (two queries)."""
    return (
        with_survey_counts(Event.objects.all())
        .prefetch_related(
            Prefetch(
                "speakers",
                queryset=Speaker.objects.select_related("client").order_by("id"),
            )
        )
        .get(pk=pk)
    )


def score_distribution(*, event: Event) -> list[tuple[int, int]]:
    """[(1, n1), … (5, n5)], zeros included (one query)."""
    counts = dict(
        event.responses.order_by()
        .values_list("satisfaction")
        .annotate(n=Count("pk"))
        .values_list("satisfaction", "n")
    )
    return [(score, counts.get(score, 0)) for score in range(1, 6)]


def event_responses(*, event: Event) -> QuerySet[SurveyResponse]:
    return event.responses.order_by("id")


def client_talks(*, client) -> QuerySet[Speaker]:
    """The talks a client gave, newest first (one query)."""
    return (
        Speaker.objects.filter(client=client)
        .select_related("event")
        .order_by("-event__date", "-id")
    )
