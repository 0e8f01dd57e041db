"""Open days computed from opening calendars: weekly days, public holidays and
the year-end break closed by default, one-off closures and extra days."""

import datetime as dt

import pytest

from shelter import calendar as opening
from shelter.models import CalendarException, Service
from shelter.selectors import open_days_per_service
from shelter.services import calendar_exception_add, opening_calendar_set

pytestmark = pytest.mark.django_db
D = dt.date
T = dt.time
MON_WED_TO_SAT = {d: (T(12), T(16)) for d in (0, 2, 3, 4, 5)}
FY2021 = (D(2021, 4, 1), D(2022, 3, 31))


def tsuchiura_salon(**flags):
    return opening_calendar_set(
        by=None, service=Service.SALON, weekly=MON_WED_TO_SAT, **flags
    )


def test_tsuchiura_pattern_over_fiscal_year_2021():
    """Monday and Wednesday to Saturday in 令和3年度: 261 such days, less 14
    public holidays on them and 4 more days of the year-end break
    (29–31 December and 3 January; 1 January is a holiday) = 243."""
    tsuchiura_salon()
    assert opening.open_day_count(Service.SALON, *FY2021) == 261 - 14 - 4


def test_closures_and_extra_days_change_the_count():
    tsuchiura_salon()
    for day in (D(2021, 8, 12), D(2021, 8, 13), D(2021, 8, 14)):  # Thu–Sat
        calendar_exception_add(
            by=None, service=Service.SALON, date=day, kind="closed", reason="夏季休業"
        )
    # A closure on a Tuesday (already closed) changes nothing.
    calendar_exception_add(
        by=None, service=Service.SALON, date=D(2021, 8, 17), kind="closed"
    )
    # An extra day on a public holiday (勤労感謝の日, a Tuesday) opens it.
    calendar_exception_add(
        by=None, service=Service.SALON, date=D(2021, 11, 23), kind="open"
    )
    days = opening.open_days(Service.SALON, *FY2021)
    assert len(days) == 243 - 3 + 1
    assert D(2021, 11, 23) in days and D(2021, 8, 13) not in days


def test_holidays_and_the_year_end_count_when_the_calendar_says_so():
    tsuchiura_salon(closed_on_public_holidays=False, closed_over_year_end=False)
    assert opening.open_day_count(Service.SALON, *FY2021) == 261


def test_a_month_with_golden_week():
    """May 2021: 22 Mondays and Wednesdays–Saturdays, less 3 May (Mon) and
    5 May (Wed); 4 May is a Tuesday, closed anyway."""
    tsuchiura_salon()
    days = opening.open_days(Service.SALON, D(2021, 5, 1), D(2021, 5, 31))
    assert len(days) == 20
    assert D(2021, 5, 3) not in days and D(2021, 5, 6) in days


def test_the_reasons_for_closed_days_are_given():
    tsuchiura_salon()
    calendar = opening.calendars([Service.SALON]).get(Service.SALON)
    statuses = {
        s.date: s
        for s in opening.day_statuses(calendar, D(2021, 12, 27), D(2022, 1, 10))
    }
    assert statuses[D(2021, 12, 27)].open and statuses[D(2021, 12, 27)].opens == T(12)
    assert statuses[D(2021, 12, 28)].why == ""  # a Tuesday
    assert statuses[D(2021, 12, 29)].why == "year_end"
    assert statuses[D(2022, 1, 1)].why == "holiday"
    assert statuses[D(2022, 1, 1)].label == "元日"
    assert statuses[D(2022, 1, 10)].why == "holiday"  # 成人の日


def test_a_service_without_a_calendar_has_no_open_days():
    assert opening.open_days(Service.SHELTER, *FY2021) == []


def test_open_days_by_month_add_up_to_the_year_in_three_queries(
    django_assert_num_queries,
):
    tsuchiura_salon()
    opening_calendar_set(
        by=None,
        service=Service.SHELTER,
        weekly=dict.fromkeys(range(7), (None, None)),
        closed_on_public_holidays=False,
        closed_over_year_end=False,
    )
    with django_assert_num_queries(3):
        table = opening.open_days_by_month(2021)
    assert sum(table[Service.SALON]) == 243
    assert table[Service.SALON][1] == 20  # May
    assert table[Service.SHELTER] == [30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28, 31]
    assert table[Service.CONSULTATION_DESK] == [0] * 12
    with django_assert_num_queries(3):
        figures = open_days_per_service(*FY2021)
    assert figures[Service.SALON] == 243 and figures[Service.SHELTER] == 365


def test_setting_the_week_replaces_the_old_hours():
    tsuchiura_salon()
    opening_calendar_set(by=None, service=Service.SALON, weekly={0: (T(10), T(12))})
    assert opening.open_day_count(Service.SALON, D(2021, 6, 1), D(2021, 6, 30)) == 4


def test_bad_hours_are_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        opening_calendar_set(by=None, service=Service.SALON, weekly={0: (T(16), T(12))})
    assert "月曜日" in " ".join(exc.value.messages)


def test_one_change_per_date():
    from django.core.exceptions import ValidationError

    calendar_exception_add(
        by=None, service=Service.SALON, date=D(2021, 8, 12), kind="closed"
    )
    with pytest.raises(ValidationError) as exc:
        calendar_exception_add(
            by=None, service=Service.SALON, date=D(2021, 8, 12), kind="open"
        )
    assert "すでに変更があります" in " ".join(exc.value.messages)
    assert CalendarException.objects.count() == 1
