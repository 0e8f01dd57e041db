"""主訴 and その他の問題 when a consultation is recorded: on the form, at the
LINE desk and in the import."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import translation

from consultations.line import chats
from consultations.models import Complaint, Consultation
from consultations.tests.factories import ConsultationFactory
from consultations.tests.line_factories import LineUserFactory
from tests.factories import ClientFactory

from .test_line_chats import waiting_chat

pytestmark = pytest.mark.django_db

FORM = {
    "channel": "phone",
    "started_at": "2021-10-05T10:00",
    "summary": "相談",
}


@pytest.fixture(autouse=True)
def english(settings):
    """The messages in English (the source strings), as the consent tests."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def web(client_as, counsellor):
    c = client_as(counsellor)
    c.cookies["django_language"] = "en"
    return c


def test_the_form_refuses_a_consultation_without_a_main_complaint(web, counsellor):
    response = web.post(
        reverse("consultations:consultation_create"),
        {**FORM, "counsellor": counsellor.pk},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["main_complaint"] == ["This field is required."]
    assert 'id="main-complaint-field"' in response.content.decode()
    assert not Consultation.objects.exists()


def test_the_main_complaint_is_not_also_an_other_problem(web, counsellor):
    housing = Complaint.objects.get(code="housing")
    response = web.post(
        reverse("consultations:consultation_create"),
        {
            **FORM,
            "counsellor": counsellor.pk,
            "main_complaint": "housing",
            "other_problems": [housing.pk],
        },
    )
    assert response.context["form"].errors["other_problems"] == [
        "住居問題 is the main complaint: leave it out of the other problems."
    ]
    assert not Consultation.objects.exists()


def test_unknown_is_not_offered_for_a_new_consultation_but_kept_on_an_old_one(
    web, counsellor
):
    new_form = web.get(reverse("consultations:consultation_create"))
    codes = [c.code for c in new_form.context["form"].fields["main_complaint"].queryset]
    assert "unknown" not in codes and "spouse_violence" in codes
    old = ConsultationFactory(counsellor=counsellor)  # 不明, as before 主訴
    assert old.main_complaint_id == "unknown"
    edit = web.get(reverse("consultations:consultation_update", args=[old.pk]))
    assert edit.context["form"]["main_complaint"].value() == "unknown"
    codes = [c.code for c in edit.context["form"].fields["main_complaint"].queryset]
    assert "unknown" in codes


def test_the_database_refuses_a_complaint_that_is_not_in_the_list(counsellor):
    # Foreign keys are checked at commit (SQLite and PostgreSQL alike):
    # check them now, inside a savepoint that goes with the error.
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsultationFactory(counsellor=counsellor, main_complaint_id="nonsense")
        connection.check_constraints()


def test_a_chat_that_took_place_needs_its_main_complaint(web, counsellor):
    chat = waiting_chat(line_user=LineUserFactory(client=ClientFactory()))
    chats.chat_claim(chat=chat, by=counsellor)
    url = reverse("line:chat_end", args=[chat.pk])
    refused = web.post(url, {"outcome": "established", "summary": "s"})
    assert refused.context["end_form"].errors["main_complaint"] == [
        "Choose the main complaint of the consultation."
    ]
    assert not Consultation.objects.exists()
    web.post(
        url,
        {"outcome": "established", "summary": "s", "main_complaint": "stalking"},
    )
    assert Consultation.objects.get().main_complaint_id == "stalking"


def test_a_chat_that_did_not_take_place_is_recorded_as_unknown(web, counsellor):
    chat = waiting_chat(line_user=LineUserFactory(client=ClientFactory()))
    chats.chat_claim(chat=chat, by=counsellor)
    web.post(
        reverse("line:chat_end", args=[chat.pk]),
        {"outcome": "not_established", "summary": "s"},
    )
    assert Consultation.objects.get().main_complaint_id == "unknown"


HEADER = "日付,時刻,相談方法,相談者コード,新規,担当者,主訴,その他の問題,内容,所要時間"


def run_import(tmp_path, *rows):
    path = tmp_path / "c.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import_records", "consultations", str(path), stdout=out, stderr=err
        )
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, err.getvalue()


def test_the_import_reads_labels_codes_and_the_other_problems_column(
    tmp_path, counsellor
):
    code, err = run_import(
        tmp_path,
        "2021-10-01,10:00,電話,,0,counsellor1,離婚問題、housing、離婚問題,経済関係,,",
        "2021-10-02,10:00,電話,,0,counsellor1,,精神的問題,,",
    )
    assert (code, err) == (0, "")
    first, second = Consultation.objects.order_by("started_at")
    assert first.main_complaint_id == "divorce"
    assert sorted(first.other_problems.values_list("code", flat=True)) == [
        "economic",
        "housing",
    ]
    # Only その他の問題: the main complaint was not written down.
    assert second.main_complaint_id == "unknown"
    assert list(second.other_problems.values_list("code", flat=True)) == ["mental"]


def test_an_unknown_complaint_is_a_row_error_and_nothing_is_written(
    tmp_path, counsellor
):
    code, err = run_import(
        tmp_path,
        "2021-10-01,10:00,電話,,0,counsellor1,離婚問題,,,",
        "2021-10-02,10:00,電話,,0,counsellor1,離婚,,,",
        "2021-10-03,10:00,電話,,0,counsellor1,経済関係,借金,,",
    )
    assert code == 1
    assert "3" in err and "離婚" in err and "借金" in err
    assert not Consultation.objects.exists()
