"""Cells for the CSV and XLSX files the app writes, so that no text copied
from a LINE message or typed into a form runs as a spreadsheet formula.

The one rule, used by every export (the OWASP rule for CSV injection): a text
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets
a single quote in front of it. Nothing is stripped, and real numbers (int,
float, Decimal) stay numbers, a negative one included.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"
NOT_TEXT = (int, float, Decimal, dt.date, dt.time)  # bool is an int


def safe_cell(value):
    """The value to write in a cell: None and numbers unchanged, any other
    value as text, with a quote in front if it could start a formula."""
    if value is None or isinstance(value, NOT_TEXT):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(rows: Iterable[Iterable]) -> bytes:
    """Rows as CSV for Excel: UTF-8 with a BOM (for the Japanese), CRLF, every
    cell through ``safe_cell`` (None as an empty cell)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_text(value):
    """An XLSX file is XML, which cannot hold control characters other than
    tab, line feed and carriage return: each such character is written as a
    visible U+FFFD rather than dropped silently or refused with an error."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT, value)
    return value


def append_row(sheet, row: Iterable) -> None:
    """Append a row to an openpyxl sheet, every cell through ``safe_cell``
    and every text stored as text (openpyxl would read "=…" as a formula)."""
    sheet.append([xlsx_text(safe_cell(v)) for v in row])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
