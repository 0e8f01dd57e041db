"""Reads for the pages and the annual report. Each function runs a fixed number
of queries, whatever the number of sessions.

A session belongs to the period (or fiscal year) its first day falls in.
Participants = named clients + anonymous head count (see models.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

import jpdates
from accounts.links import url_by_id

from .models import Attendance, Group, Session


@dataclass(frozen=True)
class SessionTotals:
    sessions: int
    named: int
    anonymous: int

    @property
    def participants(self) -> int:
        return self.named + self.anonymous


def _with_counts(sessions: QuerySet[Session]) -> QuerySet[Session]:
    return sessions.annotate(named_count=_named_count_subquery()).annotate(
        participant_count=F("named_count") + F("anonymous_count")
    )


def _named_count_subquery():
    return Coalesce(
        Subquery(
            Attendance.objects.filter(session=OuterRef("pk"))
            .order_by()
            .values("session")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def fiscal_year_to_show(*, today: date) -> int:
    """The fiscal year a page opens on: this one if it has sessions (or if
    there are none at all), otherwise the latest earlier year that has (so in
    April the year just closed is shown until the new one starts). One
    query."""
    current = jpdates.fiscal_year(today)
    latest = (
        Session.objects.filter(date__lte=jpdates.fiscal_year_range(current)[1])
        .order_by("-date")
        .values_list("date", flat=True)
        .first()
    )
    return current if latest is None else jpdates.fiscal_year(latest)


def session_list(
    *, start: date, end: date, group: Group | None = None
) -> QuerySet[Session]:
    """Sessions starting from ``start`` to ``end`` inclusive, oldest first,
    each with ``named_count`` and ``participant_count`` (one query)."""
    sessions = Session.objects.filter(date__range=(start, end))
    if group is not None:
        sessions = sessions.filter(group=group)
    return _with_counts(
        sessions.select_related("group", "facilitator", "series")
    ).order_by("date", "start_time", "id")


# What a row of the session list shows, read as values (no model objects).
SESSION_ROW_FIELDS = (
    "pk",
    "date",
    "end_date",
    "start_time",
    "end_time",
    "group__name",
    "theme",
    "place",
    "facilitator_id",
    "facilitator__last_name",
    "facilitator__username",
    "named_count",
    "anonymous_count",
    "participant_count",
)


def session_list_rows(values: list[dict]) -> list[dict]:
    """The rows of one page of the session list (``values`` of
    SESSION_ROW_FIELDS, from session_list) with the link, days, times and
    facilitator made here, and each row's HTML, so that the template only
    prints them (no query)."""
    from .templatetags.peergroups import days_text, times_text

    detail = url_by_id("peergroups:session_detail")
    rows = [
        {
            "href": detail(v["pk"]),
            "days": days_text(v["date"], v["end_date"]),
            "is_multi_day": v["end_date"] is not None,
            "times": times_text(v["start_time"], v["end_time"]),
            "group": v["group__name"],
            "theme": v["theme"],
            "place": v["place"],
            "facilitator": (
                (v["facilitator__last_name"] or v["facilitator__username"])
                if v["facilitator_id"]
                else ""
            ),
            "named_count": v["named_count"],
            "anonymous_count": v["anonymous_count"],
            "participant_count": v["participant_count"],
        }
        for v in values
    ]
    several_days = _("several days")  # outside the f-string: makemessages
    for row in rows:
        row["html"] = _session_row_html(row, several_days)
    return rows


def _session_row_html(row: dict, several_days: str) -> str:
    """One row of the session list as the template printed it, made as one
    string (each value escaped as the template escapes it): a template render
    per cell of 100 rows cost more than the rest of the page."""
    e = conditional_escape
    badge = (
        f' <span class="badge">{e(several_days)}</span>' if row["is_multi_day"] else ""
    )
    named, anonymous, participants = (
        e(localize(row[k]))
        for k in ("named_count", "anonymous_count", "participant_count")
    )
    return mark_safe(  # noqa: S308 (each value escaped)
        "\n    <tr>\n"
        f'      <td class="nowrap"><a href="{e(row["href"])}">'
        f"{e(row['days'])}</a>{badge}</td>\n"
        f'      <td class="nowrap">{e(row["times"])}</td>\n'
        f"      <td>{e(row['group'])}</td>\n"
        f"      <td>{e(row['theme'])}</td>\n"
        f"      <td>{e(row['place'])}</td>\n"
        f"      <td>{e(row['facilitator'])}</td>\n"
        f'      <td class="num">{named}</td>\n'
        f'      <td class="num">{anonymous}</td>\n'
        f'      <td class="num"><strong>{participants}</strong></td>\n'
        "    </tr>\n"
    )


def series_sessions(*, series) -> QuerySet[Session]:
    """The sessions a series created (as they are now, edited or not)."""
    return _with_counts(
        Session.objects.filter(series=series).select_related("group", "facilitator")
    ).order_by("date", "start_time", "id")


def session_totals(
    *, start: date, end: date, group: Group | None = None
) -> SessionTotals:
    """Number of sessions and participants (named, anonymous) of the sessions
    starting in the period: two queries."""
    sessions = Session.objects.filter(date__range=(start, end))
    attendances = Attendance.objects.filter(session__date__range=(start, end))
    if group is not None:
        sessions = sessions.filter(group=group)
        attendances = attendances.filter(session__group=group)
    figures = sessions.aggregate(
        sessions=Count("pk"), anonymous=Coalesce(Sum("anonymous_count"), 0)
    )
    return SessionTotals(
        sessions=figures["sessions"],
        named=attendances.count(),
        anonymous=figures["anonymous"],
    )


def session_dates(*, start: date, end: date) -> list[tuple[date, date]]:
    """(first day, last day) of each session starting in the period, in date
    order; a one-day session has first == last. One query. This is what the
    report writes as 令和4年1月1～3、18、25日."""
    return [
        (first, last or first)
        for first, last in Session.objects.filter(date__range=(start, end))
        .order_by("date", "end_date", "id")
        .values_list("date", "end_date")
    ]


def session_rows(
    *, start: date, end: date, programmes=None
) -> list[tuple[date, date, int, int]]:
    """(first day, last day, anonymous count, named count) of each session
    starting in the period, in date order (one query): the annual report's
    sessions, participants and dates at once. With ``programmes`` (ids), only
    the sessions attributed to them (and so only their attendances)."""
    sessions = Session.objects.filter(date__range=(start, end))
    if programmes is not None:
        sessions = sessions.filter(programme_id__in=list(programmes))
    return [
        (first, last or first, anonymous, named)
        for first, last, anonymous, named in sessions.annotate(
            named=_named_count_subquery()
        )
        .order_by("date", "end_date", "id")
        .values_list("date", "end_date", "anonymous_count", "named")
    ]


def session_detail(*, pk: int) -> Session:
    """One session with its group, facilitator and named attendees (two
    queries)."""
    return (
        _with_counts(Session.objects.select_related("group", "facilitator", "series"))
        .prefetch_related(
            Prefetch(
                "attendances",
                queryset=Attendance.objects.select_related("client").order_by(
                    "client__code"
                ),
            )
        )
        .get(pk=pk)
    )


def group_list() -> QuerySet[Group]:
    """Groups with their number of sessions (one query)."""
    return Group.objects.annotate(session_count=Count("sessions")).order_by(
        "-active", "name"
    )


def client_sessions(*, client) -> QuerySet[Attendance]:
    """The sessions a client attended, newest first (one query)."""
    return (
        Attendance.objects.filter(client=client)
        .select_related("session__group")
        .order_by("-session__date", "-session__id")
    )
