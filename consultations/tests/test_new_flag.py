"""新規: a client's earliest consultation by date and time is the new one; an
anonymous contact is new when the counsellor ticks it."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from consultations import services
from consultations.models import Channel, Consultation
from consultations.tests.factories import ConsultationFactory
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def at(day, hour=10):
    return timezone.make_aware(dt.datetime(2021, 10, day, hour))


def record(user, client, when, **kwargs):
    return services.consultation_create(
        by=user,
        counsellor=user,
        channel=Channel.PHONE,
        started_at=when,
        client=client,
        **kwargs,
    )


def new_ids(client):
    return list(client.consultations.filter(is_new=True).values_list("id", flat=True))


def test_the_first_consultation_of_a_client_is_new_and_later_ones_are_not(counsellor):
    person = ClientFactory()
    first = record(counsellor, person, at(5))
    second = record(counsellor, person, at(6))
    assert first.is_new and not second.is_new
    assert new_ids(person) == [first.pk]


def test_recording_an_earlier_consultation_later_moves_the_new_flag(counsellor):
    person = ClientFactory()
    later = record(counsellor, person, at(10))
    earlier = record(counsellor, person, at(3))  # entered late, happened first
    assert new_ids(person) == [earlier.pk]
    later.refresh_from_db()
    assert not later.is_new


def test_editing_the_first_consultations_date_moves_the_flag(counsellor):
    person = ClientFactory()
    first = record(counsellor, person, at(5))
    second = record(counsellor, person, at(6))
    services.consultation_update(
        consultation=first,
        by=counsellor,
        expected_version=first.version,
        started_at=at(7),
    )
    assert new_ids(person) == [second.pk]


def test_same_minute_ties_go_to_the_one_recorded_first(counsellor):
    person = ClientFactory()
    one = record(counsellor, person, at(5))
    record(counsellor, person, at(5))
    assert new_ids(person) == [one.pk]


def test_deleting_the_first_consultation_makes_the_next_one_new(counsellor):
    person = ClientFactory()
    first = record(counsellor, person, at(5))
    second = record(counsellor, person, at(6))
    services.consultation_delete(consultation=first, by=counsellor)
    assert new_ids(person) == [second.pk]


def test_moving_a_consultation_to_another_client_re_derives_both(counsellor):
    a, b = ClientFactory(), ClientFactory()
    a_first = record(counsellor, a, at(5))
    a_second = record(counsellor, a, at(6))
    b_only = record(counsellor, b, at(9))
    services.consultation_update(
        consultation=a_first, by=counsellor, expected_version=a_first.version, client=b
    )
    assert new_ids(a) == [a_second.pk]
    assert new_ids(b) == [a_first.pk]  # 5 Oct is now b's earliest
    b_only.refresh_from_db()
    assert not b_only.is_new


def test_an_anonymous_contact_is_new_only_when_ticked(counsellor):
    ticked = record(counsellor, None, at(5), is_new=True)
    unticked = record(counsellor, None, at(6))
    assert ticked.is_new and not unticked.is_new


def test_the_new_box_cannot_be_ticked_for_a_known_client(counsellor):
    person = ClientFactory()
    with pytest.raises(ValidationError) as excinfo:
        record(counsellor, person, at(5), is_new=True)
    assert "is_new" in excinfo.value.message_dict
    assert not Consultation.objects.exists()


def test_the_database_refuses_two_new_consultations_for_one_client():
    person = ClientFactory()
    ConsultationFactory(client=person, is_new=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationFactory(client=person, is_new=True)


def test_the_form_shows_and_refuses_the_new_box_for_a_client(client_as, counsellor):
    person = ClientFactory()
    c = client_as(counsellor)
    response = c.post(
        "/consultations/new/",
        {
            "channel": "phone",
            "started_at": "2021-10-05T10:00",
            "main_complaint": "other",
            "counsellor": counsellor.pk,
            "client_code": person.code,
            "is_new": "on",
        },
    )
    assert response.status_code == 200
    assert "匿名の相談のときだけ" in response.content.decode()
    assert not Consultation.objects.exists()
