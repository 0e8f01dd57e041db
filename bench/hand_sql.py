"""The figures of the annual report (SPEC §3) for one fiscal year, computed by
one hand-written SQL statement (PostgreSQL): the yardstick for the report's
JSON (SPEC §4: within 1.5× of the same figures by hand-written SQL).

Same counting rules as the app (SPEC §2):
* consultations by channel with their new ones, on local (Asia/Tokyo) days;
* a stay's nights count in the fiscal year each night falls in, the stay
  itself once in the year it starts; cancelled stays count nowhere;
* salon visits are visitors in total, visit days the days with a visitor;
* peer sessions count in the year of their first day, participants = named +
  anonymous;
* satisfaction % = responses of 4 or 5 / all responses, one decimal, half up;
* open days from the opening calendars: weekly hours, closed on public
  holidays and over the year-end break when the calendar says so, one-off
  changes first. Public holidays are not in the database: they come from
  jpdates (as in the app) and are passed as a parameter.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.db import connection
from django.utils import timezone

import jpdates

SQL = """
WITH
consultations AS (
    SELECT channel, count(*) AS n, count(*) FILTER (WHERE is_new) AS new
    FROM consultations_consultation
    WHERE started_at >= %(since)s AND started_at < %(until)s
    GROUP BY channel
),
support AS (
    SELECT kind, count(*) AS n FROM consultations_supportaction
    WHERE date BETWEEN %(start)s AND %(end)s GROUP BY kind
),
stays AS (
    SELECT
        count(*) FILTER (WHERE kind = 'overnight' AND start_date >= %(start)s)
            AS overnight_stays,
        count(*) FILTER (WHERE kind = 'day_rest' AND start_date >= %(start)s)
            AS day_uses,
        coalesce(sum(least(end_date, %(end)s::date + 1)
                     - greatest(start_date, %(start)s::date))
                 FILTER (WHERE kind = 'overnight' AND end_date > %(start)s), 0)
            AS nights
    FROM shelter_stay
    WHERE status <> 'cancelled' AND start_date <= %(end)s AND end_date >= %(start)s
),
unmet AS (
    SELECT reason, count(*) AS n FROM shelter_unmetrequest
    WHERE date BETWEEN %(start)s AND %(end)s GROUP BY reason
),
salon AS (
    SELECT coalesce(sum(visitors), 0) AS visits,
           count(DISTINCT date) FILTER (WHERE visitors > 0) AS visit_days
    FROM shelter_salonvisit WHERE date BETWEEN %(start)s AND %(end)s
),
days AS (
    SELECT d::date AS day
    FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS d
),
open_days AS (
    SELECT c.service, count(*) FILTER (WHERE CASE
        WHEN e.kind IS NOT NULL THEN e.kind = 'open'
        WHEN h.id IS NULL THEN false
        WHEN c.closed_on_public_holidays AND days.day = ANY(%(holidays)s::date[])
            THEN false
        WHEN c.closed_over_year_end
             AND (to_char(days.day, 'MMDD') >= '1229'
                  OR to_char(days.day, 'MMDD') <= '0103')
            THEN false
        ELSE true END) AS n
    FROM shelter_openingcalendar c
    CROSS JOIN days
    LEFT JOIN shelter_openinghours h
        ON h.calendar_id = c.id AND h.weekday = extract(isodow FROM days.day) - 1
    LEFT JOIN shelter_calendarexception e
        ON e.calendar_id = c.id AND e.date = days.day
    GROUP BY c.service
),
sessions AS (
    SELECT id, date, coalesce(end_date, date) AS last, anonymous_count
    FROM peergroups_session WHERE date BETWEEN %(start)s AND %(end)s
),
peer AS (
    SELECT (SELECT count(*) FROM sessions) AS sessions,
           (SELECT coalesce(sum(anonymous_count), 0) FROM sessions)
           + (SELECT count(*) FROM peergroups_attendance a
              JOIN sessions s ON s.id = a.session_id) AS participants,
           (SELECT coalesce(json_agg(json_build_array(date, last)
                                     ORDER BY date, last, id), '[]')
            FROM sessions) AS dates
),
events AS (
    SELECT e.id, e.date, e.title, e.kind, e.participant_count,
           count(r.id) AS respondents,
           count(r.id) FILTER (WHERE r.satisfaction >= 4) AS satisfied
    FROM training_event e LEFT JOIN training_surveyresponse r ON r.event_id = e.id
    WHERE e.date BETWEEN %(start)s AND %(end)s
    GROUP BY e.id
),
training AS (
    SELECT count(*) AS events,
           coalesce(sum(participant_count), 0) AS participants,
           CASE WHEN sum(respondents) > 0
                THEN round(sum(satisfied) * 100.0 / sum(respondents), 1) END
               AS satisfaction_pct,
           coalesce(json_agg(json_build_object(
               'date', date, 'title', title, 'kind', kind,
               'participants', participant_count, 'respondents', respondents,
               'satisfaction_pct', CASE WHEN respondents > 0
                   THEN round(satisfied * 100.0 / respondents, 1) END)
               ORDER BY date, id), '[]') AS detail
    FROM events
)
SELECT json_build_object(
    'consultations', (SELECT coalesce(json_object_agg(channel,
                         json_build_array(n, new)), '{}') FROM consultations),
    'support', (SELECT coalesce(json_object_agg(kind, n), '{}') FROM support),
    'stays', (SELECT row_to_json(stays) FROM stays),
    'unmet', (SELECT coalesce(json_object_agg(reason, n), '{}') FROM unmet),
    'salon', (SELECT row_to_json(salon) FROM salon),
    'open_days', (SELECT coalesce(json_object_agg(service, n), '{}') FROM open_days),
    'peer', (SELECT row_to_json(peer) FROM peer),
    'training', (SELECT row_to_json(training) FROM training)
)::text
"""


def params(fiscal_year: int) -> dict:
    start, end = jpdates.fiscal_year_range(fiscal_year)
    tz = timezone.get_current_timezone()
    return {
        "start": start,
        "end": end,
        "since": dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        "until": dt.datetime.combine(
            end + dt.timedelta(days=1), dt.time.min, tzinfo=tz
        ),
        "holidays": sorted(jpdates.public_holidays(start, end)),
    }


def figures(fiscal_year: int, programme_id: int | None = None) -> dict:
    """Every figure of the report for the year, from one SQL statement (plus,
    with a programme, one query for its targets and text)."""
    with connection.cursor() as cursor:
        cursor.execute(SQL, params(fiscal_year))
        out = json.loads(cursor.fetchone()[0])
        if programme_id is not None:
            cursor.execute(
                "SELECT p.*, (SELECT coalesce(json_agg(t ORDER BY t.order, t.id),"
                " '[]') FROM reports_target t WHERE t.programme_id = p.id)"
                " FROM reports_programme p WHERE p.id = %s",
                [programme_id],
            )
            out["programme"] = cursor.fetchone()
    return out


# COMPARISON WITH THE REPORT'S JSON
# ------------------------------------------------------------------------------


def _pct(value):
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))


def pairs(report: dict, f: dict) -> list[tuple[str, object, object]]:
    """(name, report's figure, SQL's figure) for every figure both compute."""
    out = []
    for row in report["consultations_by_channel"]:
        n, new = f["consultations"].get(row["channel"], [0, 0])
        out.append((f"consultations.{row['channel']}", row["count"], n))
        out.append((f"consultations.{row['channel']}.new", row["new"], new))
    for kind, count in report["support_actions"].items():
        out.append((f"support_actions.{kind}", count, f["support"].get(kind, 0)))
    shelter = report["shelter"]
    for key in ("overnight_stays", "nights", "day_uses"):
        out.append((f"shelter.{key}", shelter[key], f["stays"][key]))
    out.append(
        ("shelter.unmet_requests", shelter["unmet_requests"], sum(f["unmet"].values()))
    )
    for reason, count in shelter.get("unmet_requests_by_reason", {}).items():
        out.append((f"shelter.unmet.{reason}", count, f["unmet"].get(reason, 0)))
    for key in ("visits", "visit_days"):
        out.append((f"salon.{key}", report["salon"][key], f["salon"][key]))
    for service, days in report["open_days"].items():
        out.append((f"open_days.{service}", days, f["open_days"].get(service, 0)))
    peer = report["peer_support"]
    out.append(("peer.sessions", peer["sessions"], f["peer"]["sessions"]))
    out.append(("peer.participants", peer["participants"], f["peer"]["participants"]))
    if "dates" in peer:
        out.append(
            (
                "peer.dates",
                [[d["start"], d["end"]] for d in peer["dates"]],
                f["peer"]["dates"],
            )
        )
    training = report["training"]
    out.append(("training.events", training["events"], f["training"]["events"]))
    out.append(
        (
            "training.participants",
            training["participants"],
            f["training"]["participants"],
        )
    )
    if "satisfaction_pct" in training:
        out.append(
            (
                "training.satisfaction_pct",
                _pct(training["satisfaction_pct"]),
                _pct(f["training"]["satisfaction_pct"]),
            )
        )
    mine = f["training"]["detail"]
    out.append(
        ("training.events_detail.count", len(training["events_detail"]), len(mine))
    )
    for i, (a, b) in enumerate(zip(training["events_detail"], mine, strict=False)):
        out.append((f"training.event[{i}].date", a["date"], b["date"]))
        out.append(
            (f"training.event[{i}].respondents", a["respondents"], b["respondents"])
        )
        out.append(
            (
                f"training.event[{i}].satisfaction_pct",
                _pct(a["satisfaction_pct"]),
                _pct(b["satisfaction_pct"]),
            )
        )
    return out


def compare(report: dict, f: dict) -> list[str]:
    """The figures on which the report and the SQL differ (none, we hope)."""
    return [
        f"{name}: report {a!r}, SQL {b!r}" for name, a, b in pairs(report, f) if a != b
    ]


def count_compared(report: dict, f: dict) -> int:
    return len(pairs(report, f))
