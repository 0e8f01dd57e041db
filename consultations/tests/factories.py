import datetime as dt

import factory
from django.utils import timezone

from consultations.casework import client_refresh_last_contact
from consultations.models import Channel, Consultation
from tests.factories import ClientFactory, UserFactory


class ConsultationFactory(factory.django.DjangoModelFactory):
    """A raw row (bypasses the services: set is_new yourself if it matters).
    Its client's cached last contact is refreshed, as every write path does."""

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

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        super()._after_postgeneration(instance, create, results)
        if create:
            client_refresh_last_contact([instance.client_id])
