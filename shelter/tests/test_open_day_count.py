"""count_open_days() counts what day_statuses() says, day by day; one
service's statuses read as values say the same."""

import datetime as dt
import random

import pytest

from shelter import calendar as opening
from shelter.models import CalendarException, OpeningCalendar, OpeningHours, Service

pytestmark = pytest.mark.django_db


def _random_calendars(rng, start):
    """A calendar for every service, with random rules, weekdays and changes."""
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


@pytest.mark.parametrize("seed", range(16))
def test_the_count_matches_the_day_by_day_statuses(seed):
    rng = random.Random(seed)
    start = dt.date(2021, 4, 1) + dt.timedelta(days=rng.randrange(200))
    end = start + dt.timedelta(days=rng.randrange(0, 500))
    _random_calendars(rng, start)
    calendars = opening.calendars(start=start, end=end)
    for service in Service.values:
        statuses = opening.day_statuses(calendars.get(service), start, end)
        assert opening.count_open_days(calendars.get(service), start, end) == sum(
            s.open for s in statuses
        )
    assert opening.count_open_days(None, start, end) == 0


@pytest.mark.parametrize("seed", range(8))
def test_one_services_statuses_read_as_values_are_the_calendars(seed):
    """service_day_statuses() (two queries of values, for the room calendar)
    says what day_statuses() says of the prefetched calendar: every day, its
    reason, label and hours; a service without a calendar is never open."""
    rng = random.Random(seed)
    start = dt.date(2021, 4, 1) + dt.timedelta(days=rng.randrange(200))
    end = start + dt.timedelta(days=rng.randrange(0, 500))
    _random_calendars(rng, start)
    OpeningHours.objects.filter(weekday__in=[1, 4]).update(
        opens=dt.time(9), closes=dt.time(17, 30)
    )
    CalendarException.objects.filter(kind="closed").update(reason="研修のため")
    OpeningHours.objects.filter(calendar__service=Service.SALON).delete()
    OpeningCalendar.objects.filter(service=Service.LINE).delete()
    calendars = opening.calendars(start=start, end=end)
    for service in Service.values:
        expected = opening.day_statuses(calendars.get(service), start, end)
        assert opening.service_day_statuses(service, start, end) == expected
