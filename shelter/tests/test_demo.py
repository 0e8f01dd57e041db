"""seed_demo's places: a shelter with 3 rooms and a year of stays (211 nights
in 令和3年度), a salon on Tsuchiura's days, and every opening calendar."""

import pytest
from django.core.management import call_command
from django.db import transaction

from shelter import calendar as opening
from shelter import selectors
from shelter.models import Facility, OpeningCalendar, Room, Service, Stay

pytestmark = pytest.mark.django_db


def fingerprint():
    return list(
        Stay.objects.order_by("room__name", "start_date", "status").values_list(
            "room__name", "client__code", "kind", "start_date", "end_date", "status"
        )
    )


def test_seed_demo_adds_the_places_of_a_realistic_year():
    with transaction.atomic():
        call_command("seed_demo")
        first = fingerprint()
        transaction.set_rollback(True)
    call_command("seed_demo")
    assert fingerprint() == first  # deterministic

    shelter = Facility.objects.get(name="やどかりハウス")
    assert Room.objects.filter(facility=shelter).count() == 3
    figures = selectors.fiscal_year_figures(2021)
    assert figures["shelter"]["nights"] == 211
    assert figures["shelter"]["day_uses"] > 0
    assert figures["shelter"]["unmet_requests"] > 0
    assert figures["salon"]["visits"] > figures["salon"]["visit_days"] > 0
    assert set(OpeningCalendar.objects.values_list("service", flat=True)) == set(
        Service.values
    )
    # Monday and Wednesday to Saturday, as in Tsuchiura.
    salon = opening.calendars([Service.SALON])[Service.SALON]
    assert [h.weekday for h in salon.hours.all()] == [0, 2, 3, 4, 5]
    assert figures["open_days"]["shelter"] == 365
    # One stay crosses into the next fiscal year (30 March – 2 April).
    assert selectors.fiscal_year_figures(2022)["shelter"]["nights"] == 1
    # Two entrusted temporary protections, both of the demo's year: one
    # within it, and the stay across 31 March (30 March – 2 April: 4 days,
    # both ends counted), counted with its stay, in full.
    assert Stay.objects.filter(entrusted=True).count() == 2
    protection = figures["temporary_protection"]
    assert (protection["stays"], protection["discharged"]) == (2, 2)
    assert protection["average_days"] > 4
    nxt = selectors.fiscal_year_figures(2022)["temporary_protection"]
    assert nxt["stays"] == 0
    # No room is double-booked.
    for stay in Stay.objects.counted():
        assert not stay.conflicts().exists(), stay
