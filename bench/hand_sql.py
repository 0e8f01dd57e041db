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
  jpdates (as in the app) and are passed as a parameter;
* with a programme, only the records attributed to it (and what hangs from
  them: attendances, survey responses, referrals through their support
  action); unmet requests and meetings, which carry no programme, of the
  programme's organisation;
* the SNS block: ended LINE chats started in the year (local days), by
  outcome, duration band (< 30 min, 30–60 min both ends included, > 60 min),
  out of hours, and the median wait for the first response in minutes (one
  decimal, half up), for the year and each month;
* the statutory tables: 主訴 per complaint (people: distinct clients plus
  one per anonymous consultation; consultations; named as an other problem;
  by channel; people by age band), referrals dated in the year by agency
  category and status, entrusted temporary protections whose stay began in
  the year (by reason, discharged, average days = discharge − admission + 1),
  and support coordination meetings held in the year by level.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

import jpdates

# {prog}: "AND programme_id = %(programme)s" with a programme, else nothing;
# {org}: the same for the programme's organisation (records with no programme).
SQL = """
WITH
year AS MATERIALIZED (
    SELECT c.id, c.channel, c.is_new, c.main_complaint_id AS complaint, c.client_id,
           coalesce(cl.age_band, 'unknown') AS band
    FROM consultations_consultation c
    LEFT JOIN consultations_client cl ON cl.id = c.client_id
    WHERE c.started_at >= %(since)s AND c.started_at < %(until)s {prog_c}
),
consultations AS (
    SELECT channel, count(*) AS n, count(*) FILTER (WHERE is_new) AS new
    FROM year GROUP BY channel
),
complaint_channels AS (
    SELECT complaint, channel, count(*) AS n FROM year GROUP BY complaint, channel
),
complaint_bands AS (
    SELECT complaint, band,
           count(DISTINCT client_id) + count(*) FILTER (WHERE client_id IS NULL)
               AS people
    FROM year GROUP BY complaint, band
),
complaints AS (  -- a client has one age band: people add up over the bands
    SELECT complaint, sum(people) AS people,
           (SELECT sum(n) FROM complaint_channels x WHERE x.complaint = b.complaint)
               AS consultations
    FROM complaint_bands b GROUP BY complaint
),
other_problems AS (
    SELECT o.complaint_id AS complaint, count(*) AS n
    FROM consultations_consultation_other_problems o
    JOIN year ON year.id = o.consultation_id
    GROUP BY o.complaint_id
),
main_complaints AS (
    SELECT k.code, k."order",
           coalesce(c.people, 0) AS people,
           coalesce(c.consultations, 0) AS consultations,
           coalesce(o.n, 0) AS other_problems,
           (SELECT coalesce(json_object_agg(channel, n), '{{}}')
            FROM complaint_channels x WHERE x.complaint = k.code) AS by_channel,
           (SELECT coalesce(json_object_agg(band, people), '{{}}')
            FROM complaint_bands x WHERE x.complaint = k.code) AS by_age_band
    FROM consultations_complaint k
    LEFT JOIN complaints c ON c.complaint = k.code
    LEFT JOIN other_problems o ON o.complaint = k.id
),
support AS (
    SELECT kind, count(*) AS n FROM consultations_supportaction
    WHERE date BETWEEN %(start)s AND %(end)s {prog} GROUP BY kind
),
referrals AS (
    SELECT a.category, r.status, count(*) AS n
    FROM consultations_referral r
    JOIN consultations_partneragency a ON a.id = r.agency_id
    JOIN consultations_supportaction s ON s.id = r.support_action_id
    WHERE r.date BETWEEN %(start)s AND %(end)s {prog_s}
    GROUP BY a.category, r.status
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
          {prog}
),
protection AS (
    SELECT count(*) AS stays,
           count(*) FILTER (WHERE protection_discharged_on IS NOT NULL) AS discharged,
           round(avg(protection_discharged_on - protection_admitted_on + 1)
                 FILTER (WHERE protection_discharged_on IS NOT NULL), 1)
               AS average_days,
           (SELECT coalesce(json_object_agg(reason, n), '{{}}') FROM (
               SELECT protection_reason AS reason, count(*) AS n
               FROM shelter_stay
               WHERE status <> 'cancelled' AND entrusted
                     AND start_date BETWEEN %(start)s AND %(end)s {prog}
               GROUP BY protection_reason) r) AS by_reason
    FROM shelter_stay
    WHERE status <> 'cancelled' AND entrusted
          AND start_date BETWEEN %(start)s AND %(end)s {prog}
),
unmet AS (
    SELECT reason, count(*) AS n FROM shelter_unmetrequest
    WHERE date BETWEEN %(start)s AND %(end)s {org} GROUP BY reason
),
meetings AS (
    SELECT level, count(*) AS n FROM consultations_coordinationmeeting
    WHERE held_on BETWEEN %(start)s AND %(end)s {org} GROUP BY level
),
salon AS (
    SELECT coalesce(sum(visitors), 0) AS visits,
           count(DISTINCT date) FILTER (WHERE visitors > 0) AS visit_days
    FROM shelter_salonvisit WHERE date BETWEEN %(start)s AND %(end)s {prog}
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
    FROM peergroups_session WHERE date BETWEEN %(start)s AND %(end)s {prog}
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
    WHERE e.date BETWEEN %(start)s AND %(end)s {prog_e}
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
),
chats AS (
    SELECT date_trunc('month', started_at AT TIME ZONE %(zone)s)::date AS month,
           outcome = 'established' AS established,
           extract(epoch FROM first_response_at - started_at) AS wait,
           ended_at - started_at AS duration, outside_hours
    FROM consultations_linechat
    WHERE status = 'ended' AND started_at >= %(since)s AND started_at < %(until)s
          {prog}
),
sns AS (
    SELECT month, count(*) AS chats,
           count(*) FILTER (WHERE established) AS established,
           count(*) FILTER (WHERE NOT established) AS not_established,
           count(wait) AS first_responses,
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY wait))::numeric / 60, 1)
               AS first_response_median_minutes,
           count(*) FILTER (WHERE duration < interval '30 minutes') AS under_30,
           count(*) FILTER (WHERE duration >= interval '30 minutes'
                            AND duration <= interval '60 minutes') AS "30_to_60",
           count(*) FILTER (WHERE duration > interval '60 minutes') AS over_60,
           count(*) FILTER (WHERE outside_hours) AS out_of_hours
    FROM chats GROUP BY GROUPING SETS ((month), ())
)
SELECT json_build_object(
    'consultations', (SELECT coalesce(json_object_agg(channel,
                         json_build_array(n, new)), '{{}}') FROM consultations),
    'support', (SELECT coalesce(json_object_agg(kind, n), '{{}}') FROM support),
    'stays', (SELECT row_to_json(stays) FROM stays),
    'unmet', (SELECT coalesce(json_object_agg(reason, n), '{{}}') FROM unmet),
    'salon', (SELECT row_to_json(salon) FROM salon),
    'open_days', (SELECT coalesce(json_object_agg(service, n), '{{}}') FROM open_days),
    'peer', (SELECT row_to_json(peer) FROM peer),
    'training', (SELECT row_to_json(training) FROM training),
    'sns', (SELECT coalesce(json_object_agg(coalesce(month::text, 'year'),
                row_to_json(sns)), '{{}}') FROM sns),
    'main_complaints', (SELECT coalesce(json_agg(row_to_json(m)
                            ORDER BY m."order", m.code), '[]') FROM main_complaints m),
    'referrals', (SELECT coalesce(json_agg(row_to_json(referrals)), '[]')
                  FROM referrals),
    'protection', (SELECT row_to_json(protection) FROM protection),
    'meetings', (SELECT coalesce(json_object_agg(level, n), '{{}}') FROM meetings)
)::text
"""


def sql(programme_id: int | None) -> str:
    """The statement, for every record or for one programme's."""
    if programme_id is None:
        return SQL.format(prog="", prog_c="", prog_s="", prog_e="", org="")
    org = (
        "AND organisation_id = (SELECT organisation_id FROM reports_programme"
        " WHERE id = %(programme)s)"
    )
    return SQL.format(
        prog="AND programme_id = %(programme)s",
        prog_c="AND c.programme_id = %(programme)s",
        prog_s="AND s.programme_id = %(programme)s",
        prog_e="AND e.programme_id = %(programme)s",
        org=org,
    )


def params(fiscal_year: int, programme_id: int | None = None) -> dict:
    start, end = jpdates.fiscal_year_range(fiscal_year)
    tz = timezone.get_current_timezone()
    return {
        "start": start,
        "end": end,
        "since": dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        "until": dt.datetime.combine(
            end + dt.timedelta(days=1), dt.time.min, tzinfo=tz
        ),
        "zone": settings.TIME_ZONE,
        "holidays": sorted(jpdates.public_holidays(start, end)),
        "programme": programme_id,
    }


def figures(fiscal_year: int, programme_id: int | None = None) -> dict:
    """Every figure of the report for the year, from one SQL statement (plus,
    with a programme, one query for its targets, partners and text)."""
    with connection.cursor() as cursor:
        cursor.execute(sql(programme_id), params(fiscal_year, programme_id))
        out = json.loads(cursor.fetchone()[0])
        if programme_id is not None:
            cursor.execute(
                "SELECT p.*, (SELECT coalesce(json_agg(t ORDER BY t.order, t.id),"
                " '[]') FROM reports_target t WHERE t.programme_id = p.id),"
                " (SELECT coalesce(json_agg(a.name ORDER BY a.name), '[]')"
                " FROM consultations_partneragency a"
                " JOIN reports_programme_partner_agencies pa"
                " ON pa.partneragency_id = a.id"
                " WHERE pa.programme_id = p.id)"
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
    out += _sns_pairs(report["sns"], f["sns"])
    out += _statutory_pairs(report["statutory"], f)
    return out


SNS_FIGURES = (
    "chats",
    "established",
    "not_established",
    "first_responses",
    "out_of_hours",
)


def _sns_pairs(sns: dict, mine: dict) -> list:
    out = []
    periods = [("year", sns), *((m["month"], m) for m in sns["by_month"])]
    for period, block in periods:
        row = mine.get(period, {})
        for key in SNS_FIGURES:
            out.append((f"sns.{period}.{key}", block[key], row.get(key, 0)))
        for band, count in block["duration_bands"].items():
            out.append((f"sns.{period}.{band}", count, row.get(band, 0)))
        out.append(
            (
                f"sns.{period}.first_response_median_minutes",
                _pct(block["first_response_median_minutes"]),
                _pct(row.get("first_response_median_minutes")),
            )
        )
    return out


def _statutory_pairs(statutory: dict, f: dict) -> list:
    out = []
    mine = {row["code"]: row for row in f["main_complaints"]}
    out.append(
        (
            "statutory.main_complaints.codes",
            [r["code"] for r in statutory["main_complaints"]],
            [r["code"] for r in f["main_complaints"]],
        )
    )
    for row in statutory["main_complaints"]:
        m = mine.get(row["code"], {})
        name = f"statutory.main_complaints.{row['code']}"
        for key in ("people", "consultations", "other_problems"):
            out.append((f"{name}.{key}", row[key], m.get(key)))
        for group in ("by_channel", "by_age_band"):
            for key, n in row[group].items():
                out.append(
                    (f"{name}.{group}.{key}", n, (m.get(group) or {}).get(key, 0))
                )
    referrals = {(r["category"], r["status"]): r["n"] for r in f["referrals"]}
    for row in statutory["referrals"]:
        for status in ("sent", "accepted", "declined"):
            out.append(
                (
                    f"statutory.referrals.{row['category']}.{status}",
                    row[status],
                    referrals.get((row["category"], status), 0),
                )
            )
    protection, p = statutory["temporary_protection"], f["protection"]
    for key in ("stays", "discharged"):
        out.append((f"statutory.temporary_protection.{key}", protection[key], p[key]))
    out.append(
        (
            "statutory.temporary_protection.average_days",
            _pct(protection["average_days"]),
            _pct(p["average_days"]),
        )
    )
    for row in protection["by_reason"]:
        out.append(
            (
                f"statutory.temporary_protection.{row['code']}",
                row["count"],
                p["by_reason"].get(row["code"], 0),
            )
        )
    levels = {"representatives": "representatives", "practitioners": "practitioners"}
    levels["case_reviews"] = "case_review"
    for key, level in levels.items():
        out.append(
            (
                f"statutory.meetings.{key}",
                statutory["meetings"][key],
                f["meetings"].get(level, 0),
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
