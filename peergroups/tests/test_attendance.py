"""Participants = named clients + anonymous head count, nobody counted twice.

The rule (peergroups/models.py): the anonymous count is the people present who
are NOT named. Forms and services take everyone present (the head count) and
the named clients, and store head count − named."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import AuditEntry
from peergroups import selectors, services
from peergroups.models import Attendance, Session
from tests.factories import ClientFactory

from .factories import AttendanceFactory, GroupFactory, SessionFactory

pytestmark = pytest.mark.django_db

FY2021 = (dt.date(2021, 4, 1), dt.date(2022, 3, 31))


def test_participants_are_named_plus_anonymous(facilitator):
    clients = ClientFactory.create_batch(3)
    session = services.session_create(
        by=facilitator,
        group=GroupFactory(),
        date=dt.date(2021, 10, 15),
        head_count=10,
        clients=clients,
    )
    assert session.anonymous_count == 7
    totals = selectors.session_totals(start=FY2021[0], end=FY2021[1])
    assert (totals.named, totals.anonymous, totals.participants) == (3, 7, 10)
    listed = selectors.session_list(start=FY2021[0], end=FY2021[1]).get()
    assert (listed.named_count, listed.participant_count) == (3, 10)


def test_named_client_also_in_the_head_count_is_counted_once(facilitator):
    """The facilitator counts 5 people in the room, two of whom she also names:
    5 participants, not 7."""
    named = ClientFactory.create_batch(2)
    session = services.session_create(
        by=facilitator,
        group=GroupFactory(),
        date=dt.date(2021, 11, 9),
        head_count=5,
        clients=named,
    )
    assert session.anonymous_count == 3
    assert selectors.session_totals(start=FY2021[0], end=FY2021[1]).participants == 5


def test_naming_a_client_later_does_not_add_a_participant(facilitator):
    """Editing a session to name someone who was already counted keeps the
    head count: the anonymous count goes down by one."""
    session = services.session_create(
        by=facilitator, group=GroupFactory(), date=dt.date(2021, 11, 9), head_count=6
    )
    client = ClientFactory()
    services.session_update(
        session=session,
        by=facilitator,
        expected_version=session.version,
        head_count=6,
        clients=[client],
    )
    session.refresh_from_db()
    assert session.anonymous_count == 5
    assert selectors.session_totals(start=FY2021[0], end=FY2021[1]).participants == 6


def test_same_client_named_twice_is_counted_once(facilitator):
    client = ClientFactory()
    session = services.session_create(
        by=facilitator,
        group=GroupFactory(),
        date=dt.date(2021, 11, 9),
        head_count=3,
        clients=[client, client],
    )
    assert session.attendances.count() == 1
    assert session.anonymous_count == 2


def test_head_count_below_the_named_clients_is_refused_with_the_numbers(facilitator):
    with pytest.raises(ValidationError) as exc:
        services.session_create(
            by=facilitator,
            group=GroupFactory(),
            date=dt.date(2021, 11, 9),
            head_count=1,
            clients=ClientFactory.create_batch(2),
        )
    assert "head_count" in exc.value.message_dict
    assert "1" in exc.value.message_dict["head_count"][0]
    assert "2" in exc.value.message_dict["head_count"][0]
    assert not Session.objects.exists()


def test_database_refuses_a_client_attending_one_session_twice():
    attendance = AttendanceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(session=attendance.session, client=attendance.client)


def test_database_refuses_a_negative_anonymous_count():
    session = SessionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(anonymous_count=-1)


def test_database_refuses_an_end_date_before_the_start():
    session = SessionFactory(date=dt.date(2022, 1, 3))
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.filter(pk=session.pk).update(end_date=dt.date(2022, 1, 1))


def test_attendance_changes_are_audited_per_client(facilitator):
    a, b = ClientFactory.create_batch(2)
    session = services.session_create(
        by=facilitator,
        group=GroupFactory(),
        date=dt.date(2021, 11, 9),
        head_count=2,
        clients=[a],
    )
    services.session_update(
        session=session,
        by=facilitator,
        expected_version=session.version,
        head_count=2,
        clients=[b],
    )
    codes = list(
        AuditEntry.objects.filter(object_type="peergroups.attendance").values_list(
            "client_code", flat=True
        )
    )
    assert sorted(codes) == sorted([a.code, a.code, b.code])


def test_a_stale_edit_is_refused(facilitator):
    session = services.session_create(
        by=facilitator, group=GroupFactory(), date=dt.date(2021, 11, 9), head_count=4
    )
    services.session_update(
        session=session,
        by=facilitator,
        expected_version=1,
        head_count=4,
        clients=[],
        theme="first",
    )
    with pytest.raises(ValidationError) as exc:
        services.session_update(
            session=session,
            by=facilitator,
            expected_version=1,
            head_count=4,
            clients=[],
            theme="second",
        )
    assert exc.value.code == "edit_conflict"
    session.refresh_from_db()
    assert session.theme == "first"
