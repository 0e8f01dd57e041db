"""training_events and survey_responses imports (SPEC §3): a file is imported
whole or not at all; surveys find their event by date and title."""

import datetime as dt
import io

import openpyxl
import pytest

from reports.imports import read_dataset, run_import
from training import selectors
from training.models import Event, SurveyResponse

from .factories import EventFactory

pytestmark = pytest.mark.django_db


def csv(header: str, body: str):
    return read_dataset("file.csv", (header + "\n" + body).encode("utf-8"))


EVENTS = "日付,区分,題名,参加者数"
SURVEYS = "研修日付,題名,満足度,感想"


def test_events_file_writes_every_row(facilitator):
    outcome = run_import(
        "training_events",
        csv(
            EVENTS,
            "2021-10-23,研修会,当事者の声から学ぶ研修会,32\n"
            "令和4年2月10日,講演会,経験を語る講演会,41\n"
            "2022-03-01,ワークショップ,セルフケア,12\n",
        ),
        by=facilitator,
        dry_run=False,
    )
    assert outcome.ok, outcome.errors
    assert list(Event.objects.order_by("date").values_list("kind", flat=True)) == [
        "training",
        "lecture",
        "workshop",
    ]


def test_events_file_with_a_bad_row_writes_nothing(facilitator):
    EventFactory(date=dt.date(2021, 10, 23), title="既存の研修会")
    outcome = run_import(
        "training_events",
        csv(
            EVENTS,
            "2021-10-23,研修会,新しい研修会,32\n"
            "2021-10-24,セミナー,区分違い,10\n"
            "2021-10-23,研修会,既存の研修会,5\n"
            "2021-10-25,講演会,同じ題名,5\n"
            "2021-10-25,講演会,同じ題名,6\n"
            "2021-10-26,講演会,,-3\n",
        ),
        by=facilitator,
        dry_run=False,
    )
    rows = {e.row: e.message for e in outcome.errors}
    assert sorted(rows) == [3, 4, 6, 7]
    assert "区分" in rows[3] and "研修会/講演会/ワークショップ" in rows[3]
    assert "すでに登録されています" in rows[4]
    assert "すでに登録されています" in rows[6]
    assert "題名" in rows[7] and "参加者数" in rows[7]
    assert Event.objects.count() == 1


def test_survey_responses_find_their_event_by_date_and_title(facilitator):
    first = EventFactory(date=dt.date(2021, 10, 23), title="研修会")
    EventFactory(date=dt.date(2022, 2, 10), title="研修会")  # same title, other day
    body = "".join(
        f"令和3年10月23日,研修会,{score},{'よかった' if score > 3 else ''}\n"
        for score in [5, 5, 4, 4, 4, 5, 4, 2]
    )
    outcome = run_import(
        "survey_responses", csv(SURVEYS, body), by=facilitator, dry_run=False
    )
    assert outcome.ok, outcome.errors
    assert SurveyResponse.objects.filter(event=first).count() == 8
    summary = selectors.event_summaries(
        start=dt.date(2021, 4, 1), end=dt.date(2022, 3, 31)
    )
    assert [str(s.satisfaction) for s in summary] == ["87.5%", "–"]


def test_survey_file_with_a_bad_row_writes_nothing(facilitator):
    EventFactory(date=dt.date(2021, 10, 23), title="研修会")
    outcome = run_import(
        "survey_responses",
        csv(
            SURVEYS,
            "2021-10-23,研修会,5,\n"
            "2021-10-23,研修会,6,\n"
            "2021-10-23,ちがう研修会,4,\n"
            "2021-10-23,研修会,0,\n"
            "2021-10-23,研修会,,感想だけ\n",
        ),
        by=facilitator,
        dry_run=False,
    )
    rows = {e.row: e.message for e in outcome.errors}
    assert sorted(rows) == [3, 4, 5, 6]
    assert "1から5まで" in rows[3]
    assert "ちがう研修会" in rows[4]
    assert "満足度" in rows[6]
    assert not SurveyResponse.objects.exists()


def test_survey_responses_from_an_xlsx_file(facilitator):
    event = EventFactory(date=dt.date(2022, 2, 10), title="講演会")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["研修日付", "題名", "満足度", "感想"])
    for score in [5, 4, 3, 2, 1, 4, 5, 3, 2]:
        sheet.append([dt.datetime(2022, 2, 10), "講演会", score, None])
    content = io.BytesIO()
    book.save(content)
    outcome = run_import(
        "survey_responses",
        read_dataset("survey.xlsx", content.getvalue()),
        by=facilitator,
        dry_run=False,
    )
    assert outcome.ok, outcome.errors
    assert event.responses.count() == 9
