"""A fiscal year of records built the way an NPO would load them: through the
import formats of SPEC §3 (reports.imports.run_import), plus the few records
that have no import format (support actions, unmet requests, opening
calendars, a named attendee) through their apps' services.

FISCAL YEAR 2021 (令和3年度, 2021-04-01 – 2022-03-31), with records just
outside it on 31 March 2021 and 1 April 2022 that must not count.
"""

from __future__ import annotations

import datetime as dt

import tablib

from consultations.models import Client
from consultations.services import support_action_create
from peergroups.models import Attendance, Session
from reports.imports import run_import
from shelter import services as shelter_services
from shelter.models import Facility, Room, Service, Stay

D = dt.date

CONSULTATION_HEADERS = [
    "日付",
    "時刻",
    "相談方法",
    "相談者コード",
    "新規",
    "担当者",
    "主訴",
    "内容",
    "所要時間",
]


def import_rows(kind: str, headers: list[str], rows: list[list], *, by) -> None:
    dataset = tablib.Dataset(headers=headers)
    for row in rows:
        dataset.append([str(v) if v is not None else "" for v in row])
    outcome = run_import(kind, dataset, by=by, dry_run=False)
    assert outcome.ok, [(e.row, e.message) for e in outcome.errors]
    assert outcome.written == len(rows)


def import_consultations(rows, *, by) -> None:
    """rows: (date, time, channel label, client code, new flag, summary)."""
    import_rows(
        "consultations",
        CONSULTATION_HEADERS,
        [
            [day, time, channel, code, new, by.username, "", summary, 30]
            for day, time, channel, code, new, summary in rows
        ],
        by=by,
    )


def make_places():
    """The shelter with two rooms and a salon (master data: no import)."""
    shelter = Facility.objects.create(name="やどかりハウス", kind="shelter")
    Room.objects.create(facility=shelter, name="1号室", order=1)
    Room.objects.create(facility=shelter, name="2号室", order=2)
    Facility.objects.create(name="サロンいばしょ", kind="salon")


def consultation_desk_calendar(*, by):
    """Monday to Friday, closed on public holidays and over the year end; one
    extra Saturday and one closure in FY2021. The salon has no calendar."""
    shelter_services.opening_calendar_set(
        by=by,
        service=Service.CONSULTATION_DESK,
        weekly={day: (dt.time(10), dt.time(16)) for day in range(5)},
    )
    shelter_services.calendar_exception_add(
        by=by, service=Service.CONSULTATION_DESK, date=D(2021, 10, 16), kind="open"
    )
    shelter_services.calendar_exception_add(
        by=by, service=Service.CONSULTATION_DESK, date=D(2021, 10, 18), kind="closed"
    )


def build_fiscal_year_2021(*, counsellor, coordinator, facilitator):
    """Everything the FY2021 report counts; see the expected figures in
    test_annual_report.py."""
    import_consultations(
        [
            ("2021-03-31", "23:30", "LINE", "C-900001", "", "前年度の相談"),
            ("2021-04-01", "00:05", "LINE", "C-900001", "", "年度初日の相談"),
            ("令和3年4月1日", "10:00", "電話", "C-900002", "", "初めての電話"),
            ("2021-06-10", "14:00", "対面", "C-900002", "", "面談"),
            ("2021-07-01", "19:00", "SNS", "", "1", "匿名・初回"),
            ("2021-08-01", "19:00", "SNS", "", "0", "匿名・再度"),
            ("2022-03-31", "23:59", "メール", "C-900003", "", "年度末日の相談"),
            ("2022-04-01", "00:00", "LINE", "C-900004", "", "翌年度の相談"),
        ],
        by=counsellor,
    )
    by_code = {c.code: c for c in Client.objects.all()}
    for kind, day in (
        ("interview", D(2021, 4, 1)),
        ("interview", D(2022, 3, 31)),
        ("referral", D(2021, 9, 1)),
        ("other", D(2022, 3, 31)),
        ("other", D(2022, 4, 1)),
        ("accompaniment", D(2021, 3, 31)),
    ):
        support_action_create(
            by=counsellor,
            client=by_code["C-900002"],
            kind=kind,
            date=day,
            staff=counsellor,
            note="支援の記録",
        )

    make_places()
    house = "やどかりハウス"
    import_rows(
        "stays",
        ["相談者コード", "施設", "部屋", "区分", "開始日", "終了日", "同伴児数"],
        [
            # 30 March – 2 April 2021: 2 nights in FY2020, 1 in FY2021; the
            # stay counts in FY2020, where it starts.
            ["C-900001", house, "1号室", "宿泊", "2021-03-30", "2021-04-02", 1],
            # 30 March – 2 April 2022: 2 nights in FY2021, 1 in FY2022.
            ["C-900002", house, "1号室", "宿泊", "2022-03-30", "2022-04-02", 0],
            ["C-900003", house, "2号室", "宿泊", "2021-05-10", "2021-05-13", 2],
            # cancelled below: counts nowhere
            ["C-900003", house, "2号室", "宿泊", "2021-06-01", "2021-06-05", 0],
            ["C-900001", house, "1号室", "一時利用", "2021-07-07", "", 0],
            ["C-900001", house, "1号室", "一時利用", "2021-08-08", "", 0],
            ["C-900001", house, "2号室", "一時利用", "2022-04-01", "", 0],
        ],
        by=coordinator,
    )
    Stay.objects.filter(start_date__in=[D(2021, 6, 1), D(2021, 8, 8)]).update(
        status=Stay.Status.CANCELLED
    )
    for day, reason in (
        (D(2021, 3, 31), "other"),
        (D(2021, 4, 1), "childcare"),
        (D(2022, 3, 31), "work"),
    ):
        shelter_services.unmet_request_create(by=coordinator, date=day, reason=reason)
    import_rows(
        "salon_visits",
        ["日付", "施設", "人数"],
        [
            ["2021-03-31", "サロンいばしょ", 4],
            ["2021-04-01", "サロンいばしょ", 3],
            ["2021-04-02", "サロンいばしょ", 0],
            ["2021-05-05", "サロンいばしょ", 2],
            ["2022-04-01", "サロンいばしょ", 5],
        ],
        by=coordinator,
    )
    consultation_desk_calendar(by=coordinator)

    import_rows(
        "peer_sessions",
        ["日付", "終了日", "グループ", "参加者数", "テーマ"],
        [
            ["2021-03-31", "", "ピアサポートの会", 9, "前年度"],
            ["令和3年10月15日", "", "ピアサポートの会", 5, "近況"],
            ["2021-11-09", "", "ピアサポートの会", 3, "子育て"],
            ["2021-11-10", "", "ピアサポートの会", 4, "仕事"],
            ["2022-01-01", "2022-01-03", "ピアサポートの会", 6, "新年の集い"],
            ["2022-01-18", "", "ピアサポートの会", 2, "休息"],
            ["2022-04-01", "", "ピアサポートの会", 7, "翌年度"],
        ],
        by=facilitator,
    )
    # One named attendee on top of the head counts: participants = both.
    Attendance.objects.create(
        session=Session.objects.get(date=D(2021, 10, 15)), client=by_code["C-900001"]
    )

    import_rows(
        "training_events",
        ["日付", "区分", "題名", "参加者数"],
        [
            ["2021-03-31", "研修会", "前年度の研修会", 50],
            ["2021-10-23", "研修会", "支援者研修会", 30],
            ["2022-02-10", "講演会", "経験を語る講演会", 40],
            ["2022-03-31", "ワークショップ", "春のワークショップ", 10],
        ],
        by=facilitator,
    )
    scores = [
        ("2021-10-23", "支援者研修会", [5, 5, 4, 4, 4, 4, 4, 3]),  # 7/8 = 87.5
        ("2022-02-10", "経験を語る講演会", [5, 4, 3]),  # 2/3 = 66.7
        ("2021-03-31", "前年度の研修会", [1, 1]),
    ]
    import_rows(
        "survey_responses",
        ["研修日付", "題名", "満足度", "感想"],
        [[day, title, s, ""] for day, title, many in scores for s in many],
        by=facilitator,
    )
