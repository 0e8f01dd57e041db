"""The SNS figures of the LINE desk in the annual report (SPEC §3 `sns`):
ended chats that started in the fiscal year, how many took place (成立), the
median time to the first response, the duration bands (d < 30 min,
30 min <= d <= 60 min, d > 60 min) and the contacts outside opening hours,
for the year and month by month, in every format."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext, override, pgettext

from consultations.models import LineChat, LineUser
from reports import selectors
from reports.forms import TargetForm
from reports.metrics import REGISTRY, YearFigures, duration_band, median_minutes
from reports.models import Target
from reports.services import programme_create, target_save

from .helpers import attribute_all, pdf_text, xlsx_cells

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
M = dt.timedelta(minutes=1)
S = dt.timedelta(seconds=1)
SPEC_SNS_KEYS = {
    "chats",
    "established",
    "first_response_median_minutes",
    "duration_bands",
    "out_of_hours",
}
ESTABLISHED = LineChat.Outcome.ESTABLISHED
NOT_ESTABLISHED = LineChat.Outcome.NOT_ESTABLISHED


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


def chat(
    start: dt.datetime,
    *,
    lasting: dt.timedelta | None = None,
    wait: dt.timedelta | None = None,
    outcome=ESTABLISHED,
    outside_hours=False,
    status=LineChat.Status.ENDED,
    claimed_by=None,
) -> LineChat:
    person = LineUser.objects.create(line_user_id=f"U{LineUser.objects.count():032x}")
    ended = status == LineChat.Status.ENDED
    return LineChat.objects.create(
        line_user=person,
        status=status,
        started_at=start,
        claimed_by=claimed_by,
        claimed_at=start if claimed_by else None,
        first_response_at=start + wait if wait is not None else None,
        ended_at=start + lasting if ended else None,
        outcome=outcome if ended else "",
        outside_hours=outside_hours,
    )


@pytest.fixture
def chats(counsellor):
    """Five ended chats of fiscal year 2021 (令和3年度), and chats that must not
    count: one ending a second before the year began, two not ended."""
    # A second under 30 minutes; answered after 2 min.
    chat(at(2021, 4, 10, 10), lasting=30 * M - S, wait=2 * M)
    # Exactly 30 minutes, outside hours; answered after 4 min 30 s.
    chat(at(2021, 5, 1, 20), lasting=30 * M, wait=4 * M + 30 * S, outside_hours=True)
    # Exactly 60 minutes, no consultation took place; answered after 10 min.
    chat(at(2021, 5, 2, 11), lasting=60 * M, wait=10 * M, outcome=NOT_ESTABLISHED)
    # A second over 60 minutes, never answered.
    chat(at(2021, 6, 1, 11), lasting=60 * M + S, outcome=NOT_ESTABLISHED)
    # Started on the year's last evening and ended in the next fiscal year:
    # it belongs to the year it started in. Answered after 6 min.
    chat(at(2022, 3, 31, 23, 50), lasting=70 * M, wait=6 * M, outside_hours=True)
    # Started a minute before the year (fiscal year 2020), ended within it.
    chat(at(2021, 3, 31, 23, 59), lasting=20 * M, wait=M)
    # Not ended: not counted.
    chat(at(2021, 7, 1, 10), status=LineChat.Status.WAITING)
    chat(at(2021, 7, 1, 11), status=LineChat.Status.ACTIVE, claimed_by=counsellor)


def report_json(*args) -> dict:
    out = io.StringIO()
    call_command("annual_report", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def months(data) -> dict:
    return {m["month"][:7]: m for m in data["sns"]["by_month"]}


# FIGURES
# ------------------------------------------------------------------------------


def test_duration_bands_include_30_and_60_minutes_in_the_middle_band():
    assert [
        duration_band(d) for d in (0 * M, 30 * M - S, 30 * M, 60 * M, 60 * M + S)
    ] == ["under_30", "under_30", "30_to_60", "30_to_60", "over_60"]


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert median_minutes([10 * M, 2 * M, 6 * M, 4 * M + 30 * S]) == Decimal("5.3")
    assert median_minutes([3 * M, M, 2 * M]) == Decimal("2.0")
    assert median_minutes([]) is None


def test_the_sns_figures_of_the_year_in_the_json_keys_of_the_spec(chats):
    sns = report_json("--fiscal-year", "2021", "--format", "json")["sns"]
    assert set(sns) >= SPEC_SNS_KEYS
    assert {k: sns[k] for k in SPEC_SNS_KEYS} == {
        "chats": 5,
        "established": 3,
        # waits 2, 4.5, 6 and 10 minutes (the unanswered chat has none)
        "first_response_median_minutes": 5.3,
        "duration_bands": {"under_30": 1, "30_to_60": 2, "over_60": 2},
        "out_of_hours": 2,
    }
    assert list(sns["duration_bands"]) == ["under_30", "30_to_60", "over_60"]
    assert sns["not_established"] == 2 and sns["first_responses"] == 4


def test_each_month_counts_the_chats_that_started_in_it(chats):
    data = report_json("--fiscal-year", "2021")
    by_month = months(data)
    assert list(by_month) == [
        *(f"2021-{m:02d}" for m in range(4, 13)),
        *(f"2022-{m:02d}" for m in range(1, 4)),
    ]
    may = by_month["2021-05"]
    assert (may["chats"], may["established"], may["not_established"]) == (2, 1, 1)
    assert may["duration_bands"] == {"under_30": 0, "30_to_60": 2, "over_60": 0}
    assert may["first_response_median_minutes"] == 7.3  # (4.5 + 10) / 2
    assert may["out_of_hours"] == 1
    march = by_month["2022-03"]
    assert (march["chats"], march["duration_bands"]["over_60"]) == (1, 1)
    july = by_month["2021-07"]  # two chats, neither ended
    assert july["chats"] == 0 and july["first_response_median_minutes"] is None
    for key in ("chats", "established", "not_established", "out_of_hours"):
        assert sum(m[key] for m in by_month.values()) == data["sns"][key]


def test_the_neighbouring_years_get_the_chats_that_started_in_them(chats):
    before = report_json("--fiscal-year", "2020")["sns"]
    assert (before["chats"], months({"sns": before})["2021-03"]["chats"]) == (1, 1)
    assert before["first_response_median_minutes"] == 1
    after = report_json("--fiscal-year", "2022")["sns"]
    assert after["chats"] == 0  # the chat that ended on 1 April 2022 is not here


def test_a_year_without_chats_has_zeros_and_no_median():
    sns = report_json("--fiscal-year", "2030")["sns"]
    assert {k: sns[k] for k in SPEC_SNS_KEYS} == {
        "chats": 0,
        "established": 0,
        "first_response_median_minutes": None,
        "duration_bands": {"under_30": 0, "30_to_60": 0, "over_60": 0},
        "out_of_hours": 0,
    }
    assert len(sns["by_month"]) == 12


def test_the_sns_figures_cost_one_query_whatever_the_number_of_chats(chats):
    with CaptureQueriesContext(connection) as few:
        YearFigures(2021).sns  # noqa: B018
    for day in range(1, 29):
        chat(at(2021, 8, day, 10), lasting=45 * M, wait=3 * M)
    with CaptureQueriesContext(connection) as many:
        year, _months = YearFigures(2021).sns
    assert len(few.captured_queries) == len(many.captured_queries) == 1
    assert year.chats == 33


# TARGETS
# ------------------------------------------------------------------------------


def test_a_programme_can_target_each_sns_figure(chats, city_staff):
    programme = programme_create(
        by=city_staff, fiscal_year=2021, name="事業", municipality="市"
    )
    attribute_all(programme)
    keys = [k for k in REGISTRY if k.startswith("sns_")]
    assert keys == [
        "sns_chats",
        "sns_established",
        "sns_not_established",
        "sns_first_responses",
        "sns_first_response_median",
        "sns_duration_under_30",
        "sns_duration_30_to_60",
        "sns_duration_over_60",
        "sns_out_of_hours",
    ]
    offered = {
        key
        for key, _label in TargetForm(programme=programme).fields["metric_key"].choices
    }
    assert set(keys) <= offered
    target_save(
        target=Target(
            programme=programme,
            order=1,
            metric_key="sns_first_response_median",
            target_value=Decimal(5),
            direction=Target.Direction.AT_MOST,
        ),
        by=city_staff,
    )
    target_save(
        target=Target(
            programme=programme, order=2, metric_key="sns_chats", target_value=5
        ),
        by=city_staff,
    )
    data = report_json("--fiscal-year", "2021", "--programme", str(programme.pk))
    median, count = data["indicators"]
    assert (median["actual"], median["achieved"]) == (5.3, False)
    with override("ja"):
        minutes = pgettext("unit", "minutes")
    assert (median["value_kind"], median["unit"]) == ("minutes", minutes)
    assert (count["actual"], count["achieved"]) == (5, True)


# FORMATS
# ------------------------------------------------------------------------------


@pytest.fixture
def programme(city_staff, chats):
    programme = programme_create(
        by=city_staff, fiscal_year=2021, name="事業", municipality="市"
    )
    attribute_all(programme)
    return programme


def sns_title() -> str:
    with override("ja"):
        return gettext("LINE consultations (SNS)")


def download(c, fmt, programme, publication=False):
    query = f"?fiscal_year=2021&programme={programme.pk}"
    if publication:
        query += "&publication=on"
    name = "annual" if fmt == "html" else f"annual_{fmt}"
    response = c.get(reverse(f"reports:{name}") + query)
    assert response.status_code == 200
    return response.content


def test_the_page_and_the_pdf_show_the_table_month_by_month(
    programme, client_as, city_staff
):
    c = client_as(city_staff)
    html = download(c, "html", programme).decode()
    start = html.index(sns_title())
    table = html[start : html.index("</table>", start)]
    assert table.count("<tr>") == 1 + 12 + 1  # header, months, total
    assert "令和3年5月" in table and "令和4年3月" in table
    may = table[table.index("令和3年5月") : table.index("令和3年6月")]
    cells = [c.split("<")[0] for c in may.split('class="num">')[1:]]
    assert cells == ["2件", "1件", "1件", "7.3", "0件", "2件", "0件", "1件"]
    total = table[table.index("<tfoot>") :]
    cells = [c.split("<")[0] for c in total.split('class="num">')[1:]]
    assert cells == ["5件", "3件", "2件", "5.3", "1件", "2件", "2件", "2件"]

    text = pdf_text(download(c, "pdf", programme))
    assert sns_title() in text
    may_line = next(line for line in text.splitlines() if "令和3年5月" in line)
    assert may_line.split() == [
        "令和3年5月",
        "2件",
        "1件",
        "1件",
        "7.3",
        "0件",
        "2件",
        "0件",
        "1件",
    ]


def test_the_csv_and_xlsx_hold_the_table_with_numbers(programme, client_as, city_staff):
    c = client_as(city_staff)
    rows = list(
        csv.reader(io.StringIO(download(c, "csv", programme).decode("utf-8-sig")))
    )
    start = rows.index([f"■{sns_title()}"])
    table = rows[start + 2 : start + 15]
    assert table[1] == ["令和3年5月", "2", "1", "1", "7.3", "0", "2", "0", "1"]
    assert table[3][:2] == ["令和3年7月", "0"] and table[3][4] == "–"
    assert table[12][1:] == ["5", "3", "2", "5.3", "1", "2", "2", "2"]

    cells = [
        c
        for c in xlsx_cells(download(c, "xlsx", programme))
        if c.parent.title == sns_title()[:31]
    ]
    by_row = {}
    for cell in cells:
        by_row.setdefault(cell.row, []).append(cell.value)
    assert by_row[3] == ["令和3年5月", 2, 1, 1, 7.3, 0, 2, 0, 1]
    assert by_row[14][1:] == [5, 3, 2, 5.3, 1, 2, 2, 2]


def test_the_report_page_and_exports_keep_their_query_count_with_more_chats(
    programme, client_as, city_staff
):
    c = client_as(city_staff)

    def counts():
        out = []
        for fmt in ("html", "json", "csv", "xlsx"):
            with CaptureQueriesContext(connection) as ctx:
                download(c, fmt, programme)
            out.append(len(ctx.captured_queries))
        return out

    few = counts()
    for day in range(1, 29):
        chat(at(2021, 9, day, 10), lasting=15 * M, wait=M, outside_hours=True)
    assert counts() == few


# PUBLICATION
# ------------------------------------------------------------------------------


def published(*args) -> dict:
    return report_json("--fiscal-year", "2021", "--publication", *args)


def test_publication_hides_small_sns_counts_and_the_median_of_few_chats(chats):
    sns = published()["sns"]
    # 5 chats: 3 took place and 2 did not, each 1 to 4
    assert (sns["chats"], sns["established"], sns["not_established"]) == (5, "<5", "<5")
    assert sns["duration_bands"] == {
        "under_30": "<5",
        "30_to_60": "<5",
        "over_60": "<5",
    }
    assert sns["out_of_hours"] == "<5"
    # the median of four waits describes those four chats
    assert sns["first_responses"] == "<5"
    assert sns["first_response_median_minutes"] == "x"
    may = months({"sns": sns})["2021-05"]
    assert (may["chats"], may["first_response_median_minutes"]) == ("<5", "x")
    # a month with no chats, in a year of five: zeros stay zeros
    assert months({"sns": sns})["2021-10"]["chats"] == 0


def test_publication_hides_what_would_give_a_small_count_away(city_staff):
    """Twelve chats in May, two of them did not take place: "<5", so the ten
    that did are hidden too (12 - 10 = 2), in the month and in the year; and
    a target on them shows the same mark."""
    for n in range(12):
        chat(
            at(2021, 5, 1 + n, 10),
            lasting=40 * M,
            wait=(n + 1) * M,
            outcome=NOT_ESTABLISHED if n < 2 else ESTABLISHED,
        )
    programme = programme_create(
        by=city_staff, fiscal_year=2021, name="事業", municipality="市"
    )
    attribute_all(programme)
    target_save(
        target=Target(
            programme=programme, metric_key="sns_established", target_value=5
        ),
        by=city_staff,
    )
    data = published("--programme", str(programme.pk))
    sns = data["sns"]
    may = months(data)["2021-05"]
    for block in (sns, may):
        assert (block["chats"], block["established"], block["not_established"]) == (
            12,
            "x",
            "<5",
        )
        # all twelve lasted 40 minutes: the band equals the total, no small cell
        assert block["duration_bands"] == {"under_30": 0, "30_to_60": 12, "over_60": 0}
        assert block["first_response_median_minutes"] == 6.5
    (indicator,) = data["indicators"]
    assert (indicator["actual"], indicator["achieved"]) == ("x", True)


def test_without_publication_nothing_is_hidden(chats):
    sns = selectors.report_for(fiscal_year=2021)["sns"]
    assert (sns["established"], sns["first_response_median_minutes"]) == (3, 5.3)
