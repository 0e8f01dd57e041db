import datetime as dt

import factory

from training.models import Event, Speaker, SurveyResponse


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    kind = Event.Kind.TRAINING
    date = dt.date(2021, 10, 23)
    title = factory.Sequence(lambda n: f"研修会{n}")
    venue = "市民プラザ"
    participant_count = 30


class SpeakerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Speaker

    event = factory.SubFactory(EventFactory)
    client = factory.SubFactory("tests.factories.ClientFactory")
    consent = True


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    event = factory.SubFactory(EventFactory)
    satisfaction = 5
