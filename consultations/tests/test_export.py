"""Exports of the filtered consultation list: CSV and XLSX, audited, with
spreadsheet formulae escaped."""

import io

import openpyxl
import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from consultations.tests.factories import ConsultationFactory
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_csv_export_follows_the_filter_and_is_audited(client_as, counsellor):
    person = ClientFactory(code="C-000042")
    ConsultationFactory(
        client=person, channel="phone", summary='=HYPERLINK("x")', counsellor=counsellor
    )
    ConsultationFactory(
        client=ClientFactory(code="C-000043"), channel="line", counsellor=counsellor
    )
    response = client_as(counsellor).get(
        reverse("consultations:consultation_export", args=["csv"]), {"channel": "phone"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode("utf-8")
    assert text.startswith(
        "\ufeff日付,時刻,相談方法,相談者コード,新規,担当者,主訴,内容,所要時間"
    )
    lines = text.strip().splitlines()
    assert len(lines) == 2
    assert "C-000042" in lines[1] and "C-000043" not in text
    assert "=HYPERLINK" not in text and "HYPERLINK" in lines[1]  # formula defused
    entries = AuditEntry.objects.filter(action="export")
    assert {e.client_code for e in entries} == {"", "C-000042"}
    assert "csv 1 rows" in entries.get(client_code="").detail


def test_xlsx_export_opens_with_the_import_headers(client_as, counsellor):
    ConsultationFactory(counsellor=counsellor)
    response = client_as(counsellor).get(
        reverse("consultations:consultation_export", args=["xlsx"])
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]][:4] == [
        "日付",
        "時刻",
        "相談方法",
        "相談者コード",
    ]
    assert sheet.max_row == 2


def test_unknown_export_format_is_404(client_as, counsellor):
    response = client_as(counsellor).get("/consultations/export.pdf")
    assert response.status_code == 404
