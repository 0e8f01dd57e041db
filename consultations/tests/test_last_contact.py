"""The cached last contact (Client.last_contact_on) is right after every write
path that changes consultations or support actions: after each step, the
cached value equals the one computed from the records, for every client."""

import datetime as dt
import io
import zoneinfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from consultations import casework, services
from consultations.anonymise import client_anonymise
from consultations.models import Client, Consultation
from consultations.tests.line_factories import LineMessageFactory, LineUserFactory
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def at(day, hour=10, minute=0, month=10):
    return dt.datetime(2021, month, day, hour, minute, tzinfo=TOKYO)


def cached(client) -> dt.date | None:
    return Client.objects.values_list("last_contact_on", flat=True).get(pk=client.pk)


def assert_consistent():
    assert list(casework.last_contact_stale().values_list("code", flat=True)) == []


def test_every_write_path_keeps_the_cached_last_contact_right(
    tmp_path, client_as, counsellor
):
    ana, bea = ClientFactory(code="C-000001"), ClientFactory(code="C-000002")
    assert cached(ana) is None
    assert_consistent()

    # A consultation recorded (the form's service); 00:30 in Tokyo is the
    # previous day in UTC: the local date counts.
    first = services.consultation_create(
        by=counsellor,
        counsellor=counsellor,
        channel="phone",
        client=ana,
        started_at=at(5, 0, 30),
    )
    assert cached(ana) == dt.date(2021, 10, 5)
    assert_consistent()

    # Edited: a later date, then moved to another client.
    first = services.consultation_update(
        consultation=first,
        by=counsellor,
        expected_version=first.version,
        started_at=at(9),
    )
    assert cached(ana) == dt.date(2021, 10, 9)
    first = services.consultation_update(
        consultation=first,
        by=counsellor,
        expected_version=first.version,
        client=bea,
    )
    assert (cached(ana), cached(bea)) == (None, dt.date(2021, 10, 9))
    assert_consistent()

    # Support actions count as contact: created, moved, re-dated.
    action = services.support_action_create(
        by=counsellor,
        client=ana,
        kind="interview",
        date=dt.date(2021, 10, 12),
        staff=counsellor,
    )
    assert cached(ana) == dt.date(2021, 10, 12)
    action = services.support_action_update(
        action=action, by=counsellor, date=dt.date(2021, 10, 2)
    )
    assert cached(ana) == dt.date(2021, 10, 2)
    services.support_action_update(action=action, by=counsellor, client=bea)
    assert (cached(ana), cached(bea)) == (None, dt.date(2021, 10, 9))
    assert_consistent()

    # Deleted: the client's previous contact is her last again.
    services.consultation_delete(consultation=first, by=counsellor)
    assert cached(bea) == dt.date(2021, 10, 2)
    assert_consistent()

    # Imported (import_records): an existing client and a new one.
    path = tmp_path / "consultations.csv"
    path.write_text(
        "日付,時刻,相談方法,相談者コード,新規,担当者,主訴,内容,所要時間\n"
        "2021-10-20,10:00,電話,C-000001,,counsellor1,就労,,30\n"
        "2021-10-21,23:30,LINE,C-900001,,counsellor1,子育て,,\n",
        encoding="utf-8",
    )
    call_command("import_records", "consultations", str(path), stdout=io.StringIO())
    assert cached(ana) == dt.date(2021, 10, 20)
    assert cached(Client.objects.get(code="C-900001")) == dt.date(2021, 10, 21)
    assert_consistent()

    # A day's LINE messages recorded as a consultation (the inbox's form).
    person = LineUserFactory(client=bea)
    message = LineMessageFactory(line_user=person, sent_at=at(25, 21, 15))
    response = client_as(counsellor).post(
        reverse("line:record", args=[person.pk]),
        {
            "day": "2021-10-25",
            "up_to": message.pk,
            "started_at": "2021-10-25T21:15",
            "main_complaint": "other",
            "summary": "LINEの相談",
        },
    )
    assert response.status_code == 302
    assert Consultation.objects.filter(client=bea, channel="line").exists()
    assert cached(bea) == dt.date(2021, 10, 25)
    assert_consistent()

    # Anonymisation keeps the records, and so the last contact.
    client_anonymise(client=bea, by=counsellor)
    assert cached(bea) == dt.date(2021, 10, 25)
    assert_consistent()


def test_saving_a_client_read_before_a_consultation_keeps_the_new_last_contact(
    counsellor,
):
    """A copy of the client read earlier (a form, the admin) saved after a
    consultation was recorded does not put the old last contact back."""
    ana = ClientFactory()
    stale_copy = Client.objects.get(pk=ana.pk)
    services.consultation_create(
        by=counsellor,
        counsellor=counsellor,
        channel="phone",
        client=ana,
        started_at=at(5),
    )
    stale_copy.notes = "メモ"
    stale_copy.save()
    assert cached(ana) == dt.date(2021, 10, 5)
    assert Client.objects.get(pk=ana.pk).notes == "メモ"
    assert_consistent()


def test_check_last_contact_reports_and_fixes_a_stale_client(counsellor):
    ana = ClientFactory(code="C-000001")
    services.consultation_create(
        by=counsellor,
        counsellor=counsellor,
        channel="phone",
        client=ana,
        started_at=at(5),
    )
    out = io.StringIO()
    call_command("check_last_contact", stdout=out)
    assert "up to date" in out.getvalue()
    Client.objects.filter(pk=ana.pk).update(last_contact_on=dt.date(2021, 1, 1))
    with pytest.raises(CommandError, match=f"1 clients .*{ana.pk}"):
        call_command("check_last_contact", stdout=io.StringIO())
    call_command("check_last_contact", "--fix", stdout=io.StringIO())
    assert cached(ana) == dt.date(2021, 10, 5)
    # A cached date for a client with no contact at all is stale too.
    bea = ClientFactory(code="C-000002")
    Client.objects.filter(pk=bea.pk).update(last_contact_on=dt.date(2021, 1, 1))
    with pytest.raises(CommandError, match=f"1 clients .*{bea.pk}"):
        call_command("check_last_contact", stdout=io.StringIO())
    call_command("check_last_contact", "--fix", stdout=io.StringIO())
    assert cached(bea) is None
    assert_consistent()
