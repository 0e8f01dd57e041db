"""Factories for LINE intake tests (kept apart from the app's other
factories so that the two can grow independently)."""

import datetime as dt

import factory
from django.utils import timezone

from consultations.models import LineMessage, LineUser


class LineUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LineUser

    line_user_id = factory.Sequence(lambda n: f"U{n:032x}")
    display_name = factory.Sequence(lambda n: f"ラインの人{n}")


class LineMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LineMessage

    line_user = factory.SubFactory(LineUserFactory)
    direction = LineMessage.Direction.INCOMING
    kind = LineMessage.Kind.TEXT
    text = factory.Sequence(lambda n: f"メッセージ{n}")
    webhook_event_id = factory.Sequence(lambda n: f"01TESTEVENT{n:015d}")
    line_message_id = factory.Sequence(lambda n: f"{4445738440835 + n}")
    sent_at = factory.LazyFunction(
        lambda: timezone.now().replace(microsecond=0) - dt.timedelta(minutes=5)
    )


def newest_id(line_user) -> int:
    """The newest message id of a conversation: what its page shows last, for
    the reply form's ``seen_message_id``."""
    from consultations.models import LineMessage

    newest = LineMessage.objects.filter(line_user=line_user).order_by("-pk").first()
    return newest.pk if newest else 0
