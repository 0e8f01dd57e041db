import datetime as dt

import factory
from django.utils import timezone

from consultations.models import Channel, Consultation
from tests.factories import ClientFactory, UserFactory


class ConsultationFactory(factory.django.DjangoModelFactory):
    """A raw row (bypasses the services: set is_new yourself if it matters)."""

    class Meta:
        model = Consultation

    channel = Channel.PHONE
    started_at = factory.Sequence(
        lambda n: (
            timezone.make_aware(dt.datetime(2021, 10, 1, 10, 0)) + dt.timedelta(hours=n)
        )
    )
    counsellor = factory.SubFactory(UserFactory)
    client = factory.SubFactory(ClientFactory)
