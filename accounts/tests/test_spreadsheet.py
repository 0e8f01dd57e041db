"""The one rule every CSV and XLSX export writes its cells by."""

import datetime as dt
import io
from decimal import Decimal

from openpyxl import Workbook, load_workbook

from accounts.spreadsheet import append_row, csv_bytes, safe_cell


def test_a_text_that_could_start_a_formula_gets_a_quote_and_keeps_every_character():
    assert [
        safe_cell(v) for v in ("=1+2", "+81 90", "-5", "@SUM(A1)", "\t=x", "\r=x")
    ] == ["'=1+2", "'+81 90", "'-5", "'@SUM(A1)", "'\t=x", "'\r=x"]
    assert safe_cell("相談 =1") == "相談 =1"
    assert safe_cell("") == ""


def test_numbers_stay_numbers_even_negative_ones():
    assert safe_cell(-5) == -5
    assert safe_cell(-2.5) == -2.5
    assert safe_cell(Decimal("-1.5")) == Decimal("-1.5")
    assert safe_cell(None) is None
    assert safe_cell(dt.date(2021, 4, 1)) == dt.date(2021, 4, 1)


def test_csv_and_xlsx_write_the_same_cells():
    row = ["=1+2", -5, "@x", None]
    assert csv_bytes([row]) == "\ufeff'=1+2,-5,'@x,\r\n".encode()
    workbook = Workbook()
    append_row(workbook.active, row)
    out = io.BytesIO()
    workbook.save(out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    assert [c.value for c in sheet[1]] == ["'=1+2", -5, "'@x"]  # None: no cell
    assert [c.data_type for c in sheet[1]] == ["s", "n", "s"]


def test_a_control_character_becomes_a_visible_mark_in_an_xlsx_instead_of_an_error():
    """A summary pasted from a message may hold a vertical tab or a form feed,
    which XML cannot hold: the export still works and shows where it was."""
    workbook = Workbook()
    append_row(workbook.active, ["a\x0bb", "=\x0c", "改行\nそのまま"])
    out = io.BytesIO()
    workbook.save(out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    assert [c.value for c in sheet[1]] == ["a\ufffdb", "'=\ufffd", "改行\nそのまま"]
