import datetime as dt

import factory

from shelter.models import Facility, Room, SalonVisit, Stay, UnmetRequest
from tests.factories import ClientFactory


class ShelterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility
        django_get_or_create = ("name",)

    name = "やどかりハウス"
    kind = Facility.Kind.SHELTER


class SalonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility
        django_get_or_create = ("name",)

    name = "サロンYORISOI"
    kind = Facility.Kind.SALON


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    facility = factory.SubFactory(ShelterFactory)
    name = factory.Sequence(lambda n: f"{n + 1}号室")
    order = factory.Sequence(lambda n: n)


class StayFactory(factory.django.DjangoModelFactory):
    """A stay written straight to the table (no overlap check): give each one
    its own days, or use shelter.services.stay_book."""

    class Meta:
        model = Stay

    room = factory.SubFactory(RoomFactory)
    client = factory.SubFactory(ClientFactory)
    kind = Stay.Kind.OVERNIGHT
    start_date = dt.date(2021, 10, 1)
    end_date = factory.LazyAttribute(
        lambda o: (
            o.start_date
            if o.kind == Stay.Kind.DAY_REST
            else o.start_date + dt.timedelta(days=2)
        )
    )
    status = Stay.Status.RESERVED


class UnmetRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UnmetRequest

    date = dt.date(2021, 10, 1)
    reason = UnmetRequest.Reason.CHILDCARE


class SalonVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalonVisit

    facility = factory.SubFactory(SalonFactory)
    date = dt.date(2021, 10, 1)
    visitors = 3
