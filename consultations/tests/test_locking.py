"""Optimistic locking: the second of two concurrent edits is refused with a
message and a way to reload; nothing is overwritten."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from consultations import services
from consultations.models import Client, Consultation
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
CONFLICT = "ほかの人がこの記録を保存しました"


def test_second_save_of_a_client_is_refused_not_overwriting(
    client, counsellor, make_user
):
    person = ClientFactory(display_name="元の名前", version=1)
    url = reverse("consultations:client_update", args=[person.pk])
    other = make_user("counsellor", username="other")
    # Both open the form at version 1 ...
    client.force_login(counsellor)
    assert (
        f'name="version" value="{person.version}"' in client.get(url).content.decode()
    )
    # ... the other counsellor saves first,
    services.client_update(client=person, by=other, expected_version=1, area="北部")
    # then this one saves: refused, with a message and a reload link.
    response = client.post(url, {"display_name": "上書き", "version": 1})
    assert response.status_code == 200
    body = response.content.decode()
    assert CONFLICT in body
    assert "最新の内容を読み込む" in body
    person.refresh_from_db()
    assert person.display_name == "元の名前" and person.area == "北部"
    assert person.version == 2


def test_second_save_of_a_consultation_is_refused(client_as, counsellor):
    person = ClientFactory()
    consultation = services.consultation_create(
        by=counsellor,
        counsellor=counsellor,
        channel="phone",
        client=person,
        started_at=timezone.make_aware(dt.datetime(2021, 10, 5, 10)),
        summary="最初",
    )
    url = reverse("consultations:consultation_update", args=[consultation.pk])
    form = {
        "channel": "phone",
        "started_at": "2021-10-05T10:00",
        "main_complaint": "other",
        "version": 1,
        "counsellor": counsellor.pk,
        "client_code": person.code,
    }
    c = client_as(counsellor)
    first = c.post(url, {**form, "summary": "一人目の修正"})
    assert first.status_code == 302
    second = c.post(url, {**form, "summary": "二人目の修正"})
    assert second.status_code == 200
    assert CONFLICT in second.content.decode()
    consultation.refresh_from_db()
    assert consultation.summary == "一人目の修正" and consultation.version == 2


def test_closing_a_case_uses_the_version_too(client_as, counsellor, make_user):
    """The request carries the version the counsellor saw, and the approval
    the version the supervisor saw (issue 19: a closure waits for approval)."""
    from accounts.roles import Role
    from consultations.models import ClosureRequest

    person = ClientFactory(version=3)
    c = client_as(counsellor)
    url = reverse("consultations:client_close", args=[person.pk])
    response = c.post(url, {"version": 2, "reason": "resolved"}, follow=True)
    assert CONFLICT in response.content.decode()
    assert not ClosureRequest.objects.exists()
    response = c.post(url, {"version": 3, "reason": "resolved"}, follow=True)
    with translation.override("ja"):
        requested = gettext(
            "The closure was requested. The case closes when a supervisor approves it."
        )
    assert requested in response.content.decode()
    assert Client.objects.get(pk=person.pk).status == "open"
    request = ClosureRequest.objects.get(client=person)
    supervisor = client_as(make_user(Role.ADMIN, username="supervisor"))
    approve = reverse("consultations:closure_approve", args=[request.pk])
    response = supervisor.post(approve, {"version": 2}, follow=True)
    assert CONFLICT in response.content.decode()
    assert Client.objects.get(pk=person.pk).status == "open"
    request.refresh_from_db()
    assert request.status == "pending"
    response = supervisor.post(approve, {"version": 3}, follow=True)
    assert "ケースを終結しました" in response.content.decode()
    assert Client.objects.get(pk=person.pk).status == "closed"
    assert not Consultation.objects.exists()
