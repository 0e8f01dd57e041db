"""XLSX and CSV hold the report's tables: numbers stay numbers, and no text a
city officer typed can run as a spreadsheet formula."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils.translation import gettext, override

from reports.services import programme_create

from .helpers import xlsx_cells

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(city_staff):
    return programme_create(
        by=city_staff,
        fiscal_year=2021,
        name='=HYPERLINK("http://example.com","事業")',
        municipality="+市",
        department="-課",
        contractor="@委託",
        project_cost_thousand_yen=7566,
        grant_thousand_yen=3453,
    )


def test_the_xlsx_has_a_sheet_per_table_with_numbers_and_no_formula(
    client_as, city_staff, programme
):
    content = (
        client_as(city_staff)
        .get(
            reverse("reports:annual_xlsx")
            + f"?fiscal_year=2021&programme={programme.pk}"
        )
        .content
    )
    cells = xlsx_cells(content)
    with override("ja"):
        sns_title = gettext("LINE consultations (SNS)")
        statutory_titles = [
            gettext(title)
            for title in (
                "Main complaints (主訴)",
                "Main complaints by channel (consultations)",
                "Main complaints by age band (people)",
                "Referrals to partner agencies by outcome",
                "Entrusted temporary protection by reason",
                "Support coordination meetings by level",
            )
        ]
    sheets = []
    for cell in cells:
        if cell.parent.title not in sheets:
            sheets.append(cell.parent.title)
    assert sheets == [
        "概要",
        "目標と実績",
        "相談方法別の相談件数",
        sns_title,
        "開設日数・居場所・一時宿泊",
        "支援",
        "ピアサポートグループ",
        "研修・講演会",
        *(title[:31] for title in statutory_titles),
    ]
    assert not [c for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    # the same rule as the CSV: a quote in front, nothing stripped
    assert '\'=HYPERLINK("http://example.com","事業")' in values
    assert {"'+市", "'-課", "'@委託"} <= values
    assert not [c for c in cells if str(c.value)[:1] in ("=", "+", "-", "@")]
    assert 7566 in values  # as a number
    channel_counts = [
        c.value
        for c in cells
        if c.parent.title == "相談方法別の相談件数" and c.column == 2 and c.row > 1
    ]
    assert channel_counts == [0, 0, 0, 0, 0, 0, 0]


def test_the_csv_escapes_formula_starts_and_opens_in_excel(
    client_as, city_staff, programme
):
    content = (
        client_as(city_staff)
        .get(
            reverse("reports:annual_csv")
            + f"?fiscal_year=2021&programme={programme.pk}"
        )
        .content
    )
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://example.com","事業")' in cells
    assert "'+市" in cells and "'-課" in cells and "'@委託" in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert ["■相談方法別の相談件数"] in rows
    assert ["相談方法", "件数", "うち新規"] in rows
    assert ["合計", "0", "0"] in rows
