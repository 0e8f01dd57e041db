"""Import files past the limits (issue 15, F4 and F5): each is refused with a
message naming the limit, before anything heavy is built, and the memory the
reading takes stays small (measured with tracemalloc in this process)."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from consultations.models import Client, Consultation
from reports.imports import ImportFileError, read_dataset, scan_file

from .import_files import HEADER, consultation_row, csv_bytes, xlsx_bytes

MEMORY_LIMIT = 200 * 1024 * 1024


def peak_memory(function, *args):
    """(what function returned or raised, peak bytes allocated meanwhile)."""
    tracemalloc.start()
    try:
        try:
            result = function(*args)
        except ImportFileError as error:
            result = error
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(scope="module")
def rows_200k():
    return [HEADER] + [consultation_row(i) for i in range(200_000)]


def short_rows_200k():
    """The three required columns only: an .xlsx as small as F5's (about 70
    kB), and quicker to parse under tracemalloc."""
    return [["日付", "相談方法", "担当者"]] + [
        ["2021-10-15", "電話", "counsellor1"] for _ in range(200_000)
    ]


def test_a_small_xlsx_declaring_the_largest_sheet_is_read_as_what_it_holds():
    """F4: 1.9 kB declaring A1:XFD1048576. Its declared size is not trusted:
    the two rows it holds are read, in a few MB."""
    bomb = xlsx_bytes([HEADER, consultation_row(1)], dimension="A1:XFD1048576")
    assert len(bomb) < 2500
    dataset, peak = peak_memory(read_dataset, "bomb.xlsx", bomb)
    assert dataset.headers == HEADER
    assert len(dataset) == 1 and dataset[0][3] == "C-000001"
    assert peak < MEMORY_LIMIT


def test_an_xlsx_whose_last_row_is_far_down_is_refused_at_the_row_limit():
    """F4: a cell in the sheet's last row and last column: refused at the row
    limit while the rows stream past, not built as a table first."""
    bomb = xlsx_bytes(
        [HEADER],
        dimension="A1:XFD1048576",
        extra_rows_xml='<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    )
    assert len(bomb) < 2500
    error, peak = peak_memory(read_dataset, "bomb.xlsx", bomb)
    assert isinstance(error, ImportFileError)
    assert str(error) == (
        "The file has more than 150,000 rows below the header. "
        "Split it into smaller files."
    )
    assert peak < MEMORY_LIMIT


def test_an_xlsx_row_wider_than_the_column_limit_is_refused():
    bomb = xlsx_bytes([HEADER], extra_rows_xml='<row><c r="XFD2"><v>1</v></c></row>')
    error, peak = peak_memory(read_dataset, "wide.xlsx", bomb)
    assert str(error) == (
        "Row 2 has more than 100 columns or a cell longer than 10,000 characters."
    )
    assert peak < MEMORY_LIMIT


def test_an_xlsx_that_unpacks_to_more_than_the_limit_is_not_opened():
    """A zip bomb: a shared string of 201 MB of one letter, 200 kB packed.
    openpyxl would hold it in memory; the sizes in the zip refuse it first."""
    chunk = b"A" * (1024 * 1024)
    bomb = xlsx_bytes([HEADER], shared_string_chunks=[chunk] * 201)
    assert len(bomb) < 1024 * 1024
    error, peak = peak_memory(read_dataset, "bomb.xlsx", bomb)
    assert str(error) == "The .xlsx file unpacks to more than 200 MB."
    assert peak < 10 * 1024 * 1024


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_file_of_200000_rows_is_refused_with_the_row_limit(suffix, rows_200k):
    """F5: 200,000 rows (a 69 kB .xlsx killed a worker; a 4.8 MB CSV took
    1.5 GB). Refused once the 150,001st row streams past, in a few MB."""
    if suffix == ".csv":
        content = csv_bytes(rows_200k)
        assert len(content) > 9_000_000
    else:
        content = xlsx_bytes(short_rows_200k())
        assert len(content) < 200_000
    error, peak = peak_memory(read_dataset, "big" + suffix, content)
    assert isinstance(error, ImportFileError)
    assert "more than 150,000 rows" in str(error)
    assert peak < MEMORY_LIMIT


def test_the_row_limit_is_a_setting_and_blank_rows_count():
    content = csv_bytes([HEADER, consultation_row(1), [], consultation_row(2)])
    with override_settings(IMPORT_MAX_ROWS=3):
        assert len(read_dataset("ok.csv", content)) == 2
    with (
        override_settings(IMPORT_MAX_ROWS=2),
        pytest.raises(ImportFileError, match="more than 2 rows"),
    ):
        read_dataset("big.csv", content)


def test_a_csv_past_the_column_or_cell_limit_is_refused_naming_the_row():
    wide = csv_bytes([HEADER, ["x"] * 101])
    with pytest.raises(ImportFileError) as caught:
        read_dataset("wide.csv", wide)
    assert str(caught.value) == (
        "Row 2 has more than 100 columns or a cell longer than 10,000 characters."
    )
    long_cell = csv_bytes([HEADER, consultation_row(1), ["x" * 10_001]])
    with pytest.raises(ImportFileError, match="^Row 3 has more than 100 columns"):
        read_dataset("long.csv", long_cell)
    # Past csv's own field limit (131,072), the same message.
    with pytest.raises(ImportFileError, match="^Row 2 has more than 100 columns"):
        read_dataset("longer.csv", csv_bytes([HEADER, ["x" * 200_000]]))


def test_a_csv_row_of_millions_of_tiny_cells_is_refused_before_csv_splits_it():
    """One 18 MB line of 'ab,' would become six million strings (about 400
    MB); the row is refused as its text passes the budget of the limits."""
    content = csv_bytes([HEADER]) + b"ab," * 6_000_000 + b"\r\n"
    error, peak = peak_memory(read_dataset, "tiny.csv", content)
    assert str(error).startswith("Row 2 has more than 100 columns")
    assert peak < MEMORY_LIMIT


def test_a_file_larger_than_the_byte_limit_is_refused():
    content = csv_bytes([HEADER, consultation_row(1)])
    with override_settings(IMPORT_MAX_BYTES=1024 * 1024):
        assert len(read_dataset("ok.csv", content)) == 1
        with pytest.raises(ImportFileError, match="^The file is larger than 1 MB.$"):
            read_dataset("big.csv", content + b" " * 1024 * 1024)


def test_an_xlsx_declaring_a_smaller_sheet_than_it_holds_is_read_whole():
    """The declared size is not trusted the other way either: no row or
    column beyond it is dropped."""
    content = xlsx_bytes(
        [HEADER, consultation_row(1), consultation_row(2)], dimension="A1:B2"
    )
    dataset = read_dataset("small.xlsx", content)
    assert dataset.headers == HEADER
    assert [row[3] for row in dataset] == ["C-000001", "C-000002"]


def test_a_check_can_stop_early_and_counts_data_rows_only():
    content = csv_bytes([HEADER, consultation_row(1), [], consultation_row(2)] * 3)
    scan = scan_file("a.csv", content)
    # The repeated headers are data rows here; the blank rows are not.
    assert (scan.rows, scan.width, scan.complete) == (8, 9, True)
    scan = scan_file("a.csv", content, stop_after=4)
    assert (scan.rows, scan.complete) == (5, False)


@pytest.mark.django_db
def test_the_cli_refuses_a_file_of_200000_rows_and_writes_nothing(
    tmp_path, counsellor, rows_200k
):
    path = tmp_path / "big.csv"
    path.write_bytes(csv_bytes(rows_200k))
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import_records", "consultations", str(path), stderr=err)
    assert exited.value.code == 1
    assert "big.csv: The file has more than 150,000 rows" in err.getvalue()
    assert not Consultation.objects.exists() and not Client.objects.exists()


def test_an_xlsx_with_too_many_rows_is_refused_before_openpyxl_parses_it(
    monkeypatch,
):
    """openpyxl parses a whole sheet that declares no size just to size it
    (seconds for 200,000 rows): the row elements are counted in the raw XML
    first, so such a file is refused before openpyxl opens it."""
    import openpyxl

    def must_not_open(*args, **kwargs):
        raise AssertionError("openpyxl opened a file with too many rows")

    monkeypatch.setattr(openpyxl, "load_workbook", must_not_open)
    content = xlsx_bytes(short_rows_200k())
    with pytest.raises(ImportFileError, match="more than 150,000 rows"):
        read_dataset("big.xlsx", content)
    # Row tags with a namespace prefix and empty ones are counted too.
    prefixed = xlsx_bytes([["日付"]], extra_rows_xml='<x:row r="2"/>' * 150_001)
    with pytest.raises(ImportFileError, match="more than 150,000 rows"):
        read_dataset("big.xlsx", prefixed)
