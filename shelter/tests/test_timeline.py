"""Stays, unmet requests and salon visits on the client timeline."""

import datetime as dt

import pytest

from accounts.roles import Role
from consultations.timeline import entries_for
from shelter.models import Stay
from tests.factories import ClientFactory

from .factories import (
    RoomFactory,
    SalonFactory,
    SalonVisitFactory,
    StayFactory,
    UnmetRequestFactory,
)

pytestmark = pytest.mark.django_db
D = dt.date


def fill(person, n):
    room = RoomFactory()
    salon = SalonFactory(name=f"サロン {person.code}")
    for i in range(n):
        StayFactory(
            room=room,
            client=person,
            start_date=D(2021, 4, 1) + dt.timedelta(days=3 * i),
            end_date=D(2021, 4, 3) + dt.timedelta(days=3 * i),
            children=1,
        )
        UnmetRequestFactory(client=person, date=D(2021, 5, 1) + dt.timedelta(days=i))
        visit = SalonVisitFactory(facility=salon, date=D(2021, 6, 1) + dt.timedelta(i))
        visit.clients.add(person)


def shelter_entries(person, user):
    return [e for e in entries_for(person, user) if e.app == "shelter"]


def test_counsellors_and_coordinators_see_stays_and_salon_visits(make_user):
    person = ClientFactory()
    fill(person, 2)
    StayFactory(
        client=person,
        kind=Stay.Kind.DAY_REST,
        start_date=D(2021, 9, 1),
        status=Stay.Status.CANCELLED,
    )
    for role in (Role.COUNSELLOR, Role.COORDINATOR):
        entries = shelter_entries(person, make_user(role))
        kinds = [e.kind for e in entries]
        assert kinds.count("宿泊") == 2
        assert kinds.count("一時利用") == 1
        assert kinds.count("利用できなかった希望") == 2
        assert kinds.count("サロン来所") == 2
        stay = next(e for e in entries if e.kind == "宿泊")
        assert "2泊" in stay.detail and "同伴児1人" in stay.detail
        assert stay.url.startswith("/shelter/stays/")
        assert entries == sorted(entries, key=lambda e: e.sort_key, reverse=True)


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.CITY_STAFF])
def test_other_roles_see_nothing(make_user, role):
    person = ClientFactory()
    fill(person, 1)
    assert shelter_entries(person, make_user(role)) == []


def test_the_provider_runs_three_queries_whatever_the_number_of_entries(
    make_user, django_assert_num_queries
):
    user = make_user(Role.COUNSELLOR)
    few, many = ClientFactory(), ClientFactory()
    fill(few, 2)
    fill(many, 30)
    from shelter.timeline import client_entries

    user_roles_cached = shelter_entries(few, user)  # caches the user's roles
    assert user_roles_cached
    with django_assert_num_queries(3):
        assert len(client_entries(few, user)) == 6
    with django_assert_num_queries(3):
        assert len(client_entries(many, user)) == 90
