"""Exports of the filtered consultation list: CSV and XLSX, audited, with
spreadsheet formulae escaped (the OWASP rule, nothing stripped), and an
invalid filter refused rather than dropped."""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

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
        "\ufeff日付,時刻,相談方法,相談者コード,新規,担当者,主訴,その他の問題,内容,所要時間"
    )
    lines = text.strip().splitlines()
    assert len(lines) == 2
    assert "C-000042" in lines[1] and "C-000043" not in text
    assert lines[1].endswith(',"\'=HYPERLINK(""x"")",')  # quoted, nothing stripped
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


# Summaries can hold text pasted from a LINE message. Each of these starts a
# formula (or a cell a spreadsheet reads as one): each gets a quote in front.
FORMULA_SUMMARIES = {
    "=1+2": "'=1+2",
    "+81 90": "'+81 90",
    "-5": "'-5",
    "@SUM(A1)": "'@SUM(A1)",
    "\t=x": "'\t=x",
    "\r=x": "'\r=x",
    "plain text": "plain text",
}


@pytest.fixture
def formula_consultations(counsellor):
    for summary in FORMULA_SUMMARIES:
        ConsultationFactory(counsellor=counsellor, summary=summary, duration_minutes=30)


def test_csv_export_quotes_every_formula_start_and_strips_nothing(
    client_as, counsellor, formula_consultations
):
    response = client_as(counsellor).get(
        reverse("consultations:consultation_export", args=["csv"])
    )
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert sorted(row["内容"] for row in rows) == sorted(FORMULA_SUMMARIES.values())
    assert {row["所要時間"] for row in rows} == {"30"}


def test_xlsx_export_quotes_every_formula_start_and_keeps_numbers(
    client_as, counsellor, formula_consultations
):
    response = client_as(counsellor).get(
        reverse("consultations:consultation_export", args=["xlsx"])
    )
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2)]
    # XML turns a carriage return into a line feed when the file is read;
    # the quote in front is what matters.
    expected = [v.replace("\r", "\n") for v in FORMULA_SUMMARIES.values()]
    assert sorted(row["内容"].value for row in rows) == sorted(expected)
    assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert {row["所要時間"].value for row in rows} == {30}  # a number, not text


@pytest.mark.parametrize(
    "query",
    [
        {"fiscal_year": "abc"},
        {"fiscal_year": "1990"},
        {"month": "13"},
        {"channel": "fax"},
        {"counsellor": "999999"},
        {"complaint": "x"},
        {"new": "2", "channel": "phone"},
    ],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_invalid_filter_shows_the_form_with_its_error_and_exports_nothing(
    client_as, counsellor, query, fmt
):
    ConsultationFactory(counsellor=counsellor, channel="line", summary="秘密")
    response = client_as(counsellor).get(
        reverse("consultations:consultation_export", args=[fmt]), query
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Content-Disposition" not in response
    page = response.content.decode()
    with translation.override("ja"):
        assert (
            gettext(
                "The filter is not valid, so nothing was exported. "
                "Correct it and export again."
            )
            in page
        )
    form = response.context["form"]
    field = next(name for name in query if form.errors.get(name))
    assert form.errors[field][0] in page  # the field's own message, on the form
    assert "秘密" not in page
    assert not AuditEntry.objects.filter(action="export").exists()


def test_an_empty_filter_value_means_all_and_still_exports(client_as, counsellor):
    ConsultationFactory(counsellor=counsellor)
    response = client_as(counsellor).get(
        reverse("consultations:consultation_export", args=["csv"]),
        {"fiscal_year": "", "channel": ""},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_a_summary_with_a_control_character_exports_as_xlsx(client_as, counsellor):
    """openpyxl refuses XML control characters (main answered 500)."""
    ConsultationFactory(counsellor=counsellor, summary="ページ\x0c区切り")
    response = client_as(counsellor).get(
        reverse("consultations:consultation_export", args=["xlsx"])
    )
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert "ページ\ufffd区切り" in [cell.value for cell in sheet[2]]


def test_an_invalid_filter_on_the_list_lists_nothing_and_says_why(
    client_as, counsellor
):
    ConsultationFactory(counsellor=counsellor, summary="一覧に出ないはず")
    response = client_as(counsellor).get(
        reverse("consultations:consultation_list"), {"channel": "fax"}
    )
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert response.context["form"].errors
