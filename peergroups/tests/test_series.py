"""Recurring sessions: a rule, a period and a rule for public holidays
(jpdates.is_public_holiday): skip the date, move it to the next weekday that
is not a holiday, or hold it anyway. Skipped and moved dates are shown."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from peergroups import services
from peergroups.models import Frequency, HolidayPolicy, Session, Weekday, WeekOfMonth
from peergroups.series import plan, rule_dates

from .factories import GroupFactory, SessionFactory

pytestmark = pytest.mark.django_db

D = dt.date


def test_second_tuesday_of_each_month():
    dates = rule_dates(
        frequency=Frequency.MONTHLY,
        weekday=Weekday.TUESDAY,
        week_of_month=WeekOfMonth.SECOND,
        first=D(2021, 10, 1),
        last=D(2022, 3, 31),
    )
    assert dates == [
        D(2021, 10, 12),
        D(2021, 11, 9),
        D(2021, 12, 14),
        D(2022, 1, 11),
        D(2022, 2, 8),
        D(2022, 3, 8),
    ]


def test_last_friday_and_fortnightly_rules():
    assert rule_dates(
        frequency=Frequency.MONTHLY,
        weekday=Weekday.FRIDAY,
        week_of_month=WeekOfMonth.LAST,
        first=D(2021, 12, 1),
        last=D(2022, 1, 31),
    ) == [D(2021, 12, 31), D(2022, 1, 28)]
    assert rule_dates(
        frequency=Frequency.FORTNIGHTLY,
        weekday=Weekday.WEDNESDAY,
        week_of_month=None,
        first=D(2021, 11, 1),
        last=D(2021, 11, 30),
    ) == [D(2021, 11, 3), D(2021, 11, 17)]


def test_weekly_series_skips_a_public_holiday_and_says_which(facilitator):
    """Every Monday in January 2022: 10 January is 成人の日."""
    series = services.series_create(
        by=facilitator,
        group=GroupFactory(),
        frequency=Frequency.WEEKLY,
        weekday=Weekday.MONDAY,
        week_of_month=None,
        first_date=D(2022, 1, 1),
        last_date=D(2022, 1, 31),
        holiday_policy=HolidayPolicy.SKIP,
        place="やどかりハウス",
    )
    dates = list(series.sessions.order_by("date").values_list("date", flat=True))
    assert dates == [D(2022, 1, 3), D(2022, 1, 17), D(2022, 1, 24), D(2022, 1, 31)]
    assert series.skipped_dates() == [(D(2022, 1, 10), "成人の日", None)]


def test_substitute_holiday_is_skipped_too(facilitator):
    """9 August 2021 was a substitute holiday (山の日 fell on a Sunday)."""
    series = services.series_create(
        by=facilitator,
        group=GroupFactory(),
        frequency=Frequency.WEEKLY,
        weekday=Weekday.MONDAY,
        week_of_month=None,
        first_date=D(2021, 8, 1),
        last_date=D(2021, 8, 31),
        holiday_policy=HolidayPolicy.SKIP,
    )
    dates = set(series.sessions.values_list("date", flat=True))
    assert D(2021, 8, 9) not in dates
    assert len(dates) == 4
    assert [d for d, _name, _moved in series.skipped_dates()] == [D(2021, 8, 9)]


def test_moved_session_goes_to_the_next_working_weekday(facilitator):
    """3 May 2021 (憲法記念日): 4 and 5 May are holidays too, so 6 May."""
    series = services.series_create(
        by=facilitator,
        group=GroupFactory(),
        frequency=Frequency.WEEKLY,
        weekday=Weekday.MONDAY,
        week_of_month=None,
        first_date=D(2021, 4, 26),
        last_date=D(2021, 5, 10),
        holiday_policy=HolidayPolicy.MOVE,
    )
    dates = list(series.sessions.order_by("date").values_list("date", flat=True))
    assert dates == [D(2021, 4, 26), D(2021, 5, 6), D(2021, 5, 10)]
    assert series.skipped_dates() == [(D(2021, 5, 3), "憲法記念日", D(2021, 5, 6))]


def test_hold_policy_keeps_the_holiday_and_lists_it():
    planned = plan(
        frequency=Frequency.MONTHLY,
        weekday=Weekday.MONDAY,
        week_of_month=WeekOfMonth.SECOND,
        first=D(2022, 1, 1),
        last=D(2022, 2, 28),
        holiday_policy=HolidayPolicy.HOLD,
    )
    assert [(p.held_on, p.holiday) for p in planned] == [
        (D(2022, 1, 10), "成人の日"),
        (D(2022, 2, 14), ""),
    ]


def test_each_session_of_a_series_is_edited_on_its_own(facilitator):
    series = services.series_create(
        by=facilitator,
        group=GroupFactory(),
        frequency=Frequency.MONTHLY,
        weekday=Weekday.TUESDAY,
        week_of_month=WeekOfMonth.SECOND,
        first_date=D(2021, 10, 1),
        last_date=D(2021, 12, 31),
        holiday_policy=HolidayPolicy.SKIP,
        theme="近況",
    )
    first, second, third = series.sessions.order_by("date")
    services.session_update(
        session=second,
        by=facilitator,
        expected_version=second.version,
        head_count=8,
        clients=[],
        theme="お金のこと",
        date=D(2021, 11, 10),
    )
    themes = dict(Session.objects.values_list("date", "theme"))
    assert themes == {
        D(2021, 10, 12): "近況",
        D(2021, 11, 10): "お金のこと",
        D(2021, 12, 14): "近況",
    }
    second.refresh_from_db()
    assert second.series == series
    assert second.anonymous_count == 8


def test_series_clashing_with_an_existing_session_writes_nothing(facilitator):
    group = GroupFactory()
    SessionFactory(group=group, date=D(2022, 1, 17))
    with pytest.raises(ValidationError) as exc:
        services.series_create(
            by=facilitator,
            group=group,
            frequency=Frequency.WEEKLY,
            weekday=Weekday.MONDAY,
            week_of_month=None,
            first_date=D(2022, 1, 1),
            last_date=D(2022, 1, 31),
            holiday_policy=HolidayPolicy.SKIP,
        )
    assert "2022年1月17日" in exc.value.messages[0]
    assert Session.objects.count() == 1


def test_series_over_a_year_is_refused(facilitator):
    with pytest.raises(ValidationError) as exc:
        services.series_create(
            by=facilitator,
            group=GroupFactory(),
            frequency=Frequency.WEEKLY,
            weekday=Weekday.MONDAY,
            week_of_month=None,
            first_date=D(2021, 4, 1),
            last_date=D(2022, 6, 1),
            holiday_policy=HolidayPolicy.SKIP,
        )
    assert "last_date" in exc.value.message_dict
    assert not Session.objects.exists()


def test_series_form_previews_the_skipped_holiday_then_creates(client_as, facilitator):
    group = GroupFactory()
    data = {
        "group": group.pk,
        "frequency": Frequency.WEEKLY,
        "weekday": Weekday.MONDAY,
        "week_of_month": "",
        "first_date": "2022-01-01",
        "last_date": "2022-01-31",
        "holiday_policy": HolidayPolicy.SKIP,
        "start_time": "10:00",
        "end_time": "12:00",
        "place": "やどかりハウス",
        "facilitator": facilitator.pk,
        "theme": "",
    }
    web = client_as(facilitator)
    preview = web.post("/groups/series/new/", {**data, "preview": "1"})
    assert preview.status_code == 200
    assert "成人の日" in preview.content.decode()
    assert not Session.objects.exists()
    created = web.post("/groups/series/new/", {**data, "create": "1"}, follow=True)
    page = created.content.decode()
    assert Session.objects.count() == 4
    assert "成人の日" in page
    assert "4件のセッションを作成しました" in page


def test_monthly_series_needs_the_week_of_the_month(client_as, facilitator):
    response = client_as(facilitator).post(
        "/groups/series/new/",
        {
            "group": GroupFactory().pk,
            "frequency": Frequency.MONTHLY,
            "weekday": Weekday.TUESDAY,
            "week_of_month": "",
            "first_date": "2022-01-01",
            "last_date": "2022-03-31",
            "holiday_policy": HolidayPolicy.SKIP,
            "preview": "1",
        },
    )
    assert response.status_code == 200
    assert "何週目か選んでください" in response.content.decode()
