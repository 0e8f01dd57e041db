"""Fiscal years, wareki and holidays at their boundaries."""

from datetime import date

import pytest

import jpdates


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2022, 3, 31), 2021),  # last day of 令和3年度
        (date(2022, 4, 1), 2022),  # first day of 令和4年度
        (date(2021, 12, 31), 2021),  # calendar year end is not a fiscal year end
        (date(2022, 1, 1), 2021),
        (date(2019, 4, 30), 2019),
    ],
)
def test_fiscal_year_runs_april_to_march(day, expected):
    assert jpdates.fiscal_year(day) == expected


def test_fiscal_year_range_is_inclusive_april_to_march():
    assert jpdates.fiscal_year_range(2021) == (date(2021, 4, 1), date(2022, 3, 31))
    # 2024 is a leap year: the range still ends on March 31.
    assert jpdates.fiscal_year_range(2023) == (date(2023, 4, 1), date(2024, 3, 31))


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (date(2019, 4, 30), "平成31年4月30日"),  # the last day of 平成
        (date(2019, 5, 1), "令和元年5月1日"),  # the first day of 令和 is 元年
        (date(2019, 12, 31), "令和元年12月31日"),
        (date(2020, 1, 1), "令和2年1月1日"),
        (date(2021, 10, 15), "令和3年10月15日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(1989, 1, 8), "平成元年1月8日"),
    ],
)
def test_wareki_round_trip_at_era_boundaries(day, text):
    assert jpdates.to_wareki(day) == text
    assert jpdates.parse_wareki(text) == day


@pytest.mark.parametrize(
    ("year", "label"),
    [
        (2018, "平成30年度"),
        (2019, "令和元年度"),
        (2020, "令和2年度"),
        (2021, "令和3年度"),
        (1988, "昭和63年度"),
        (1989, "平成元年度"),
    ],
)
def test_fiscal_year_label_uses_the_official_era(year, label):
    assert jpdates.fiscal_year_label(year) == label


@pytest.mark.parametrize(
    "text",
    [
        "平成31年5月1日",
        "令和元年4月30日",
        "令和0年5月1日",
        "令和3年2月30日",
        "R3.10.15",
        "",
    ],
)
def test_parse_wareki_refuses_dates_outside_their_era_or_malformed(text):
    with pytest.raises(ValueError):
        jpdates.parse_wareki(text)


def test_parse_wareki_accepts_full_width_digits_and_1_for_gannen():
    assert jpdates.parse_wareki("令和１年５月１日") == date(2019, 5, 1)
    assert jpdates.parse_wareki(" 令和 3 年 10 月 15 日 ") == date(2021, 10, 15)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2021-10-15", date(2021, 10, 15)),
        ("2021/4/1", date(2021, 4, 1)),
        ("令和4年3月31日", date(2022, 3, 31)),
        ("２０２２－０４－０１", date(2022, 4, 1)),
    ],
)
def test_parse_date_accepts_iso_and_wareki(text, day):
    assert jpdates.parse_date(text) == day


def test_public_holidays_come_from_the_maintained_calendar():
    assert jpdates.is_public_holiday(date(2021, 11, 3))  # 文化の日
    assert jpdates.is_public_holiday(date(2022, 1, 10))  # 成人の日 (second Monday)
    assert not jpdates.is_public_holiday(date(2021, 11, 4))
    # 2021's Olympic moves: 体育の日/スポーツの日 was July 23, not October 11.
    assert jpdates.is_public_holiday(date(2021, 7, 23))
    assert not jpdates.is_public_holiday(date(2021, 10, 11))
    holidays = jpdates.public_holidays(date(2021, 4, 1), date(2022, 3, 31))
    assert len(holidays) == 17  # with the Aug 9 substitute holiday
    assert holidays[date(2022, 3, 21)] == "春分の日"


def test_year_end_break_is_december_29_to_january_3():
    assert not jpdates.is_year_end_break(date(2021, 12, 28))
    assert jpdates.is_year_end_break(date(2021, 12, 29))
    assert jpdates.is_year_end_break(date(2022, 1, 3))
    assert not jpdates.is_year_end_break(date(2022, 1, 4))
