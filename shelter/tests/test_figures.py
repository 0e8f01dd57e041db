"""The figures the annual report reads from this app (SPEC §2 counting rules),
each one aggregate query."""

import datetime as dt

import pytest

from shelter import selectors
from shelter.models import Stay, UnmetRequest

from .factories import (
    RoomFactory,
    SalonFactory,
    SalonVisitFactory,
    StayFactory,
    UnmetRequestFactory,
)

pytestmark = pytest.mark.django_db
D = dt.date
FY2021 = (D(2021, 4, 1), D(2022, 3, 31))
FY2022 = (D(2022, 4, 1), D(2023, 3, 31))


def test_a_stay_across_the_fiscal_year_boundary_splits_its_nights():
    """30 March – 2 April: the nights of 30 and 31 March belong to one fiscal
    year, the night of 1 April to the next; the stay counts once, in the year
    it starts."""
    StayFactory(start_date=D(2022, 3, 30), end_date=D(2022, 4, 2))
    assert selectors.nights_in_period(*FY2021) == 2
    assert selectors.nights_in_period(*FY2022) == 1
    assert selectors.overnight_stays_started(*FY2021) == 1
    assert selectors.overnight_stays_started(*FY2022) == 0


def test_nights_split_across_a_month_boundary():
    StayFactory(start_date=D(2021, 10, 29), end_date=D(2021, 11, 3))
    assert selectors.nights_in_period(D(2021, 10, 1), D(2021, 10, 31)) == 3
    assert selectors.nights_in_period(D(2021, 11, 1), D(2021, 11, 30)) == 2
    assert selectors.nights_in_period(D(2021, 10, 31), D(2021, 10, 31)) == 1
    assert selectors.nights_in_period(D(2021, 11, 3), D(2021, 11, 30)) == 0


def test_a_stay_longer_than_the_period_counts_only_the_period():
    StayFactory(start_date=D(2021, 9, 25), end_date=D(2021, 10, 10))
    assert selectors.nights_in_period(D(2021, 10, 1), D(2021, 10, 5)) == 5


def test_cancelled_stays_and_day_rests_give_no_nights():
    room = RoomFactory()
    StayFactory(room=room, start_date=D(2021, 5, 1), end_date=D(2021, 5, 4))
    StayFactory(
        room=room,
        start_date=D(2021, 5, 1),
        end_date=D(2021, 5, 8),
        status=Stay.Status.CANCELLED,
    )
    StayFactory(room=room, kind=Stay.Kind.DAY_REST, start_date=D(2021, 5, 10))
    StayFactory(
        room=room,
        kind=Stay.Kind.DAY_REST,
        start_date=D(2021, 5, 11),
        status=Stay.Status.CANCELLED,
    )
    assert selectors.nights_in_period(*FY2021) == 3
    assert selectors.overnight_stays_started(*FY2021) == 1
    assert selectors.day_uses(*FY2021) == 1


def test_stay_figures_agree_with_the_single_figures_in_one_query(
    django_assert_num_queries,
):
    room = RoomFactory()
    StayFactory(room=room, start_date=D(2021, 3, 28), end_date=D(2021, 4, 3))
    StayFactory(room=room, start_date=D(2021, 6, 1), end_date=D(2021, 6, 4))
    StayFactory(room=room, start_date=D(2022, 3, 30), end_date=D(2022, 4, 2))
    StayFactory(room=room, kind=Stay.Kind.DAY_REST, start_date=D(2021, 7, 7))
    StayFactory(room=room, kind=Stay.Kind.DAY_REST, start_date=D(2022, 4, 7))
    with django_assert_num_queries(1):
        figures = selectors.stay_figures(*FY2021)
    assert figures == {"overnight_stays": 2, "nights": 2 + 3 + 2, "day_uses": 1}
    assert figures["nights"] == selectors.nights_in_period(*FY2021)


def test_unmet_requests_by_reason_lists_every_reason_in_one_query(
    django_assert_num_queries,
):
    UnmetRequestFactory(reason=UnmetRequest.Reason.CHILDCARE)
    UnmetRequestFactory(reason=UnmetRequest.Reason.CHILDCARE)
    UnmetRequestFactory(reason=UnmetRequest.Reason.NO_ROOM)
    UnmetRequestFactory(reason=UnmetRequest.Reason.WORK, date=D(2022, 4, 1))
    with django_assert_num_queries(1):
        by_reason = selectors.unmet_requests_by_reason(*FY2021)
    assert by_reason == {
        "childcare": 2,
        "caregiving": 0,
        "work": 0,
        "no_room": 1,
        "other": 0,
    }


def test_salon_visits_are_visitors_in_total_and_days_with_a_visitor(
    django_assert_num_queries,
):
    salon = SalonFactory()
    SalonVisitFactory(facility=salon, date=D(2021, 5, 6), visitors=4)
    SalonVisitFactory(facility=salon, date=D(2021, 5, 7), visitors=0)
    SalonVisitFactory(facility=salon, date=D(2021, 5, 8), visitors=2)
    SalonVisitFactory(facility=salon, date=D(2022, 4, 1), visitors=9)
    with django_assert_num_queries(1):
        figures = selectors.salon_visit_figures(*FY2021)
    assert figures == {"visits": 6, "visit_days": 2}


def test_figures_of_an_empty_year_are_zeros():
    assert selectors.stay_figures(*FY2021) == {
        "overnight_stays": 0,
        "nights": 0,
        "day_uses": 0,
    }
    assert selectors.salon_visit_figures(*FY2021) == {"visits": 0, "visit_days": 0}
    assert selectors.fiscal_year_figures(2021)["open_days"] == {
        "consultation": 0,
        "phone_line": 0,
        "salon": 0,
        "shelter": 0,
    }
