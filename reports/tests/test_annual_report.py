"""The annual report's figures, from a fiscal year loaded through the import
formats, read back from the JSON of `manage.py annual_report` (SPEC §3)."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from consultations.models import Consultation
from consultations.selectors import channel_counts, consultations_between
from reports.models import Target
from reports.services import programme_create, target_save

from .data import build_fiscal_year_2021, import_rows
from .helpers import attribute_all

pytestmark = pytest.mark.django_db

SPEC_KEYS = {
    "fiscal_year",
    "period",
    "programme",
    "indicators",
    "consultations_by_channel",
    "open_days",
    "shelter",
    "salon",
    "support_actions",
    "peer_support",
    "training",
}


def report_json(*args) -> dict:
    out = io.StringIO()
    call_command("annual_report", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


@pytest.fixture
def year(counsellor, coordinator, facilitator):
    build_fiscal_year_2021(
        counsellor=counsellor, coordinator=coordinator, facilitator=facilitator
    )


@pytest.fixture
def programme(city_staff):
    programme = programme_create(
        by=city_staff,
        fiscal_year=2021,
        name="女性・母子の居場所づくり事業",
        municipality="いばしょ市",
        project_cost_thousand_yen=7566,
        grant_thousand_yen=3453,
    )
    attribute_all(programme)

    def add(**fields):
        target_save(target=Target(programme=programme, **fields), by=city_staff)

    add(order=1, metric_key="consultations_line", target_value=Decimal(1))
    add(order=2, metric_key="shelter_nights", target_value=Decimal(10))
    add(order=3, metric_key="training_satisfaction", target_value=Decimal(80))
    add(
        order=4,
        metric_key="shelter_unmet_requests",
        target_value=Decimal(3),
        direction=Target.Direction.AT_MOST,
    )
    add(
        order=5,
        kind=Target.Kind.MANUAL,
        label="社会全体を「男女平等である」と回答した人の割合",
        unit="%",
        target_value=Decimal(20),
        target_year=2025,
        baseline_value=Decimal("12.7"),
        baseline_year=2020,
    )
    add(
        order=6,
        kind=Target.Kind.MANUAL,
        label="相談窓口の認知度",
        unit="%",
        target_value=Decimal(30),
        actual_value=Decimal("25.5"),
    )
    return programme


def test_every_figure_of_the_fiscal_year(year, programme):
    data = report_json("--fiscal-year", "2021", "--format", "json")
    assert set(data) >= SPEC_KEYS
    assert data["fiscal_year"] == 2021
    assert data["period"] == {"start": "2021-04-01", "end": "2022-03-31"}
    assert {
        k: data["programme"][k]
        for k in (
            "name",
            "municipality",
            "project_cost_thousand_yen",
            "grant_thousand_yen",
        )
    } == {
        "name": "女性・母子の居場所づくり事業",
        "municipality": "いばしょ市",
        "project_cost_thousand_yen": 7566,
        "grant_thousand_yen": 3453,
    }
    # All six channels, zeros included; 31 March and 1 April fall outside.
    assert [
        {k: r[k] for k in ("channel", "label", "count", "new")}
        for r in data["consultations_by_channel"]
    ] == [
        {"channel": "line", "label": "LINE", "count": 1, "new": 0},
        {"channel": "phone", "label": "電話", "count": 1, "new": 1},
        {"channel": "face_to_face", "label": "対面", "count": 1, "new": 0},
        {"channel": "sns", "label": "SNS（チャット）", "count": 2, "new": 1},
        {"channel": "email", "label": "メール", "count": 1, "new": 1},
        {"channel": "visit", "label": "訪問", "count": 0, "new": 0},
    ]
    # the same figures as the consultation list's counts for the year
    assert [
        {k: r[k] for k in ("channel", "count", "new")}
        for r in data["consultations_by_channel"]
    ] == [
        {k: r[k] for k in ("channel", "count", "new")}
        for r in channel_counts(
            Consultation.objects.filter(
                consultations_between(dt.date(2021, 4, 1), dt.date(2022, 3, 31))
            )
        )
    ]
    # 242 weekdays that are neither holidays nor in the year-end break,
    # plus one extra Saturday, less one closure; the salon has no calendar.
    assert {k: data["open_days"][k] for k in ("consultation", "salon")} == {
        "consultation": 242,
        "salon": 0,
    }
    # Nights: 1 (the stay from 30 March 2021) + 2 (from 30 March 2022) + 3;
    # the cancelled stay and the cancelled day rest count nowhere.
    assert {
        k: data["shelter"][k]
        for k in ("overnight_stays", "nights", "day_uses", "unmet_requests")
    } == {"overnight_stays": 2, "nights": 6, "day_uses": 1, "unmet_requests": 2}
    assert data["salon"] == {"visits": 5, "visit_days": 2}
    assert data["support_actions"] == {
        "interview": 2,
        "accompaniment": 0,
        "referral": 1,
        "other": 1,
    }
    peer = data["peer_support"]
    assert (peer["sessions"], peer["participants"]) == (5, 21)
    assert peer["dates_wareki"] == "令和3年10月15日\n11月9、10日\n令和4年1月1～3、18日"
    training = data["training"]
    assert (training["events"], training["participants"]) == (3, 80)
    assert [
        {k: e[k] for k in ("date", "title", "respondents", "satisfaction_pct")}
        for e in training["events_detail"]
    ] == [
        {
            "date": "2021-10-23",
            "title": "支援者研修会",
            "respondents": 8,
            "satisfaction_pct": 87.5,
        },
        {
            "date": "2022-02-10",
            "title": "経験を語る講演会",
            "respondents": 3,
            "satisfaction_pct": 66.7,
        },
        {
            "date": "2022-03-31",
            "title": "春のワークショップ",
            "respondents": 0,
            "satisfaction_pct": None,
        },
    ]


def test_indicators_compare_each_target_with_its_actual(year, programme):
    data = report_json("--fiscal-year", "2021")
    indicators = [
        {k: i[k] for k in ("key", "label", "unit", "target", "actual", "achieved")}
        for i in data["indicators"]
    ]
    manual = [t.pk for t in programme.targets.filter(kind="manual").order_by("order")]
    assert indicators == [
        {
            "key": "consultations_line",
            "label": "LINEによる相談件数",
            "unit": "件",
            "target": 1,
            "actual": 1,
            "achieved": True,
        },
        {
            "key": "shelter_nights",
            "label": "一時宿泊数",
            "unit": "泊",
            "target": 10,
            "actual": 6,
            "achieved": False,
        },
        {
            "key": "training_satisfaction",
            "label": "研修会参加者の満足度",
            "unit": "%",
            "target": 80,
            "actual": 81.8,  # 9 of 11 responses were 4 or 5
            "achieved": True,
        },
        {
            "key": "shelter_unmet_requests",
            "label": "宿泊・休息の希望に応えられなかった件数",
            "unit": "件",
            "target": 3,
            "actual": 2,
            "achieved": True,  # at most 3
        },
        {
            "key": f"manual_{manual[0]}",
            "label": "社会全体を「男女平等である」と回答した人の割合",
            "unit": "%",
            "target": 20,
            "actual": None,
            "achieved": None,
        },
        {
            "key": f"manual_{manual[1]}",
            "label": "相談窓口の認知度",
            "unit": "%",
            "target": 30,
            "actual": 25.5,
            "achieved": False,
        },
    ]
    satisfaction = data["indicators"][2]
    assert satisfaction["detail"] == [87.5, 66.7, None]
    survey = data["indicators"][4]
    assert (survey["baseline"], survey["baseline_year"], survey["target_year"]) == (
        12.7,
        2020,
        2025,
    )


def test_the_neighbouring_years_get_what_falls_in_them(year):
    """A stay from 30 March to 2 April gives 2 nights to the year it starts in
    and 1 to the next, and counts once, where it starts."""
    before = report_json("--fiscal-year", "2020")
    assert {k: before["shelter"][k] for k in ("overnight_stays", "nights")} == {
        "overnight_stays": 1,
        "nights": 2,
    }
    assert before["consultations_by_channel"][0] == {
        "channel": "line",
        "label": "LINE",
        "count": 1,
        "new": 1,
    }
    assert before["peer_support"]["dates_wareki"] == "令和3年3月31日"
    assert before["support_actions"]["accompaniment"] == 1
    after = report_json("--fiscal-year", "2022")
    assert {
        k: after["shelter"][k]
        for k in ("overnight_stays", "nights", "day_uses", "unmet_requests")
    } == {"overnight_stays": 0, "nights": 1, "day_uses": 1, "unmet_requests": 0}
    assert after["salon"] == {"visits": 5, "visit_days": 1}
    assert after["support_actions"]["other"] == 1
    assert after["peer_support"]["sessions"] == 1


def test_a_year_without_records_is_all_zeros_and_all_channels():
    data = report_json("--fiscal-year", "2030")
    assert data["programme"]["name"] == "" and data["indicators"] == []
    channels = data["consultations_by_channel"]
    assert [(r["channel"], r["count"], r["new"]) for r in channels] == [
        (c, 0, 0) for c in ("line", "phone", "face_to_face", "sns", "email", "visit")
    ]
    assert {k: data["open_days"][k] for k in ("consultation", "salon")} == {
        "consultation": 0,
        "salon": 0,
    }
    assert {
        k: data["shelter"][k]
        for k in ("overnight_stays", "nights", "day_uses", "unmet_requests")
    } == {"overnight_stays": 0, "nights": 0, "day_uses": 0, "unmet_requests": 0}
    assert data["salon"] == {"visits": 0, "visit_days": 0}
    assert data["support_actions"] == dict.fromkeys(
        ("interview", "accompaniment", "referral", "other"), 0
    )
    assert {k: data["peer_support"][k] for k in ("sessions", "participants")} == {
        "sessions": 0,
        "participants": 0,
    }
    assert data["peer_support"]["dates_wareki"] == ""
    assert {k: data["training"][k] for k in ("events", "participants")} == {
        "events": 0,
        "participants": 0,
    }
    assert data["training"]["events_detail"] == []


def test_the_era_changes_within_fiscal_year_2019(facilitator):
    """平成31年 ends on 30 April 2019; 令和 begins on 1 May (元年). Sessions on
    consecutive days stay apart, even across the change."""
    import_rows(
        "peer_sessions",
        ["日付", "終了日", "グループ", "参加者数", "テーマ"],
        [
            ["2019-04-20", "", "会", 3, ""],
            ["平成31年4月30日", "", "会", 3, ""],
            ["令和元年5月1日", "", "会", 3, ""],
            ["2019-05-02", "2019-05-04", "会", 3, ""],
            ["2019-12-28", "", "会", 3, ""],
            ["2020-01-05", "", "会", 3, ""],
            ["2020-03-31", "", "会", 3, ""],
        ],
        by=facilitator,
    )
    data = report_json("--fiscal-year", "2019")
    assert data["peer_support"]["sessions"] == 7
    assert data["peer_support"]["dates_wareki"] == (
        "平成31年4月20、30日\n令和元年5月1、2～4日\n12月28日\n令和2年1月5日\n3月31日"
    )
