"""A report costs the same number of queries whatever the size of the data:
every figure is an aggregate in the database."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from consultations.models import Channel, LineChat, LineUser, SupportAction
from consultations.tests.factories import ConsultationFactory
from peergroups.tests.factories import AttendanceFactory, SessionFactory
from reports import selectors
from reports.metrics import REGISTRY
from reports.models import Target
from reports.services import programme_create, target_save
from shelter.tests.factories import (
    RoomFactory,
    SalonFactory,
    SalonVisitFactory,
    StayFactory,
    UnmetRequestFactory,
)
from tests.factories import ClientFactory, UserFactory
from training.tests.factories import EventFactory, SurveyResponseFactory

from .data import consultation_desk_calendar

pytestmark = pytest.mark.django_db

START = dt.date(2021, 4, 1)


def add_records(n: int, programme=None) -> None:
    """n of every kind of record in fiscal year 2021 (each stay on its own
    days, so none overlaps), attributed to ``programme``."""
    staff = UserFactory()
    room = RoomFactory()
    salon = SalonFactory()
    channels = list(Channel)
    offset = SupportAction.objects.count() * 3
    for i in range(n):
        day = START + dt.timedelta(days=offset + i * 3)
        client = ClientFactory()
        ConsultationFactory(
            client=client,
            counsellor=staff,
            channel=channels[i % len(channels)],
            is_new=True,
            started_at=timezone.make_aware(dt.datetime.combine(day, dt.time(10))),
            programme=programme,
        )
        SupportAction.objects.create(
            kind=SupportAction.Kind.values[i % 4],
            date=day,
            staff=staff,
            client=client,
            programme=programme,
        )
        StayFactory(room=room, client=client, start_date=day, programme=programme)
        SalonVisitFactory(facility=salon, date=day, visitors=i % 4, programme=programme)
        UnmetRequestFactory(date=day)
        AttendanceFactory(
            session=SessionFactory(date=day, programme=programme), client=client
        )
        SurveyResponseFactory(
            event=EventFactory(date=day, programme=programme), satisfaction=1 + i % 5
        )
        started = timezone.make_aware(dt.datetime.combine(day, dt.time(11)))
        LineChat.objects.create(
            line_user=LineUser.objects.create(line_user_id=f"U{offset + i:032x}"),
            status=LineChat.Status.ENDED,
            started_at=started,
            first_response_at=started + dt.timedelta(minutes=i % 7),
            ended_at=started + dt.timedelta(minutes=10 * (i % 9)),
            outcome=LineChat.Outcome.values[i % 2],
            outside_hours=i % 3 == 0,
            programme=programme,
        )


def report_queries(programme) -> int:
    with CaptureQueriesContext(connection) as ctx:
        selectors.report_for(
            fiscal_year=2021,
            programme=selectors.programme_detail(programme.pk),
            publication=True,
        )
    return len(ctx.captured_queries)


@pytest.fixture
def programme(city_staff, coordinator):
    consultation_desk_calendar(by=coordinator)  # its hours and changes: 3 queries
    programme = programme_create(
        by=city_staff, fiscal_year=2021, name="事業", municipality="市"
    )
    for order, key in enumerate(REGISTRY):
        target_save(
            target=Target(
                programme=programme, order=order, metric_key=key, target_value=1
            ),
            by=city_staff,
        )
    target_save(
        target=Target(
            programme=programme,
            kind=Target.Kind.MANUAL,
            label="手入力の指標",
            unit="%",
            target_value=Decimal(20),
            actual_value=Decimal(10),
        ),
        by=city_staff,
    )
    return programme


def test_the_report_makes_the_same_queries_for_ten_times_the_data(programme):
    add_records(4, programme)
    small = report_queries(programme)
    add_records(36, programme)
    assert report_queries(programme) == small
    # 20: the statutory tables add 6 (主訴 3: the list, people by age band,
    # other problems; referrals 1, protection 1, meetings 1) to the 14 of the
    # other figures; the consultations by main complaint and channel are one
    # query, shared with the channel table.
    assert small <= 20, "every metric of the registry, in a few grouped queries"


def test_the_report_page_and_exports_keep_a_constant_query_count(
    programme, client_as, city_staff
):
    c = client_as(city_staff)
    query = f"?fiscal_year=2021&programme={programme.pk}"
    urls = [reverse("reports:annual") + query] + [
        reverse(f"reports:annual_{fmt}") + query for fmt in ("json", "csv", "xlsx")
    ]

    def counts():
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    add_records(3, programme)
    small = counts()
    add_records(27, programme)
    assert counts() == small
