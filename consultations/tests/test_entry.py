"""Recording consultations and clients as a counsellor does it."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from consultations import services
from consultations.models import Client, Complaint, Consultation

pytestmark = pytest.mark.django_db


def test_client_codes_are_generated_unique_and_never_reused(counsellor):
    first = services.client_create(by=counsellor, display_name="一人目")
    second = services.client_create(by=counsellor, display_name="二人目")
    assert (first.code, second.code) == ("C-000001", "C-000002")
    second.delete()
    third = services.client_create(by=counsellor, display_name="三人目")
    assert third.code == "C-000003"  # C-000002 is not handed out again
    Client.objects.create(code="C-000004", display_name="取込")  # e.g. by an import
    assert (
        services.client_create(by=counsellor, display_name="四人目").code == "C-000005"
    )


def test_the_entry_form_starts_at_now_with_me_as_counsellor(client_as, counsellor):
    response = client_as(counsellor).get(reverse("consultations:consultation_create"))
    form = response.context["form"]
    started = form["started_at"].initial
    assert abs(started - timezone.localtime()) < dt.timedelta(minutes=1)
    assert form["counsellor"].initial == counsellor.pk
    body = response.content.decode()
    for label in ("LINE", "電話", "対面", "SNS（チャット）", "メール", "訪問"):
        assert label in body
    assert 'type="radio"' in body and 'type="checkbox"' in body


def test_save_and_new_records_and_opens_an_empty_form_on_the_same_channel(
    client_as, counsellor
):
    person = services.client_create(by=counsellor, display_name="はなこ")
    economic = Complaint.objects.get(code="economic")
    housing = Complaint.objects.get(code="housing")
    response = client_as(counsellor).post(
        reverse("consultations:consultation_create"),
        {
            "channel": "sns",
            "started_at": "2021-10-05T19:30",
            "counsellor": counsellor.pk,
            "client_code": person.code.lower(),
            "main_complaint": "economic",
            "other_problems": [housing.pk],
            "summary": "求職の相談",
            "duration_minutes": 20,
            "save_new": "1",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/consultations/new/?channel=sns"
    assert "相談を記録しました" in response.content.decode()
    assert response.context["form"]["channel"].initial == "sns"
    consultation = Consultation.objects.get()
    assert consultation.client == person and consultation.is_new
    assert consultation.main_complaint == economic
    assert list(consultation.other_problems.all()) == [housing]
    assert timezone.localtime(consultation.started_at).hour == 19


def test_an_unknown_client_code_is_a_clear_error_and_writes_nothing(
    client_as, counsellor
):
    response = client_as(counsellor).post(
        reverse("consultations:consultation_create"),
        {
            "channel": "phone",
            "started_at": "2021-10-05T10:00",
            "main_complaint": "other",
            "counsellor": counsellor.pk,
            "client_code": "C-999999",
        },
    )
    assert "コード C-999999 の相談者はいません" in response.content.decode()
    assert not Consultation.objects.exists()


def test_a_support_action_with_a_partner_agency_appears_on_the_timeline(
    client_as, counsellor
):
    from consultations.models import PartnerAgency

    person = services.client_create(by=counsellor, display_name="はなこ")
    agency = PartnerAgency.objects.get(name="ハローワーク")
    c = client_as(counsellor)
    response = c.post(
        reverse("consultations:support_action_create", args=[person.pk]),
        {
            "kind": "accompaniment",
            "date": "2021-10-06",
            "staff": counsellor.pk,
            "partner_agency": agency.pk,
            "note": "求人票を一緒に確認",
        },
        follow=True,
    )
    body = response.content.decode()
    assert "支援を記録しました" in body
    assert "同行支援 → ハローワーク" in body
