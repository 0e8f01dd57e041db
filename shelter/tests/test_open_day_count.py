"""count_open_days() counts what day_statuses() says, day by day."""

import datetime as dt
import random

import pytest

from shelter import calendar as opening
from shelter.models import CalendarException, OpeningCalendar, OpeningHours, Service

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("seed", range(16))
def test_the_count_matches_the_day_by_day_statuses(seed):
    rng = random.Random(seed)
    start = dt.date(2021, 4, 1) + dt.timedelta(days=rng.randrange(200))
    end = start + dt.timedelta(days=rng.randrange(0, 500))
    OpeningCalendar.objects.all().delete()  # the LINE desk's seeded one too
    for service in Service.values:
        calendar = OpeningCalendar.objects.create(
            service=service,
            closed_on_public_holidays=rng.random() < 0.5,
            closed_over_year_end=rng.random() < 0.5,
        )
        OpeningHours.objects.bulk_create(
            OpeningHours(calendar=calendar, weekday=d)
            for d in rng.sample(range(7), rng.randint(0, 7))
        )
        days = {start + dt.timedelta(days=rng.randrange(500)) for _ in range(20)}
        CalendarException.objects.bulk_create(
            CalendarException(
                calendar=calendar, date=d, kind=rng.choice(["open", "closed"])
            )
            for d in days
        )
    calendars = opening.calendars(start=start, end=end)
    for service in Service.values:
        statuses = opening.day_statuses(calendars.get(service), start, end)
        assert opening.count_open_days(calendars.get(service), start, end) == sum(
            s.open for s in statuses
        )
    assert opening.count_open_days(None, start, end) == 0
