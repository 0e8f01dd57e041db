import datetime as dt

import factory

from peergroups.models import Attendance, Group, Session


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"グループ{n}")


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    group = factory.SubFactory(GroupFactory)
    date = dt.date(2021, 10, 15)
    theme = "近況を話そう"
    place = "やどかりハウス"
    anonymous_count = 5


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(SessionFactory)
    client = factory.SubFactory("tests.factories.ClientFactory")
