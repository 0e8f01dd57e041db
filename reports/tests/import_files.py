"""Import files built in the tests: CSV, and .xlsx written as raw XML (as
Excel writes it, with shared strings) so that a hostile one can say what a
real spreadsheet program never would."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

HEADER = [
    "日付",
    "時刻",
    "相談方法",
    "相談者コード",
    "新規",
    "担当者",
    "主訴",
    "内容",
    "所要時間",
]


def consultation_row(i: int, counsellor: str = "counsellor1") -> list:
    return ["2021-10-15", "10:00", "電話", f"C-{i:06d}", "", counsellor, "", "", 30]


def csv_bytes(rows) -> bytes:
    return "".join(",".join(str(v) for v in row) + "\r\n" for row in rows).encode()


_NS = "http://schemas.openxmlformats.org"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<Types xmlns="{_NS}/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    f'<Relationships xmlns="{_NS}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_NS}/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    f'<workbook xmlns="{_NS}/spreadsheetml/2006/main" '
    f'xmlns:r="{_NS}/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'<Relationships xmlns="{_NS}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_NS}/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_NS}/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)


def xlsx_bytes(
    rows=(),
    *,
    dimension: str | None = None,
    extra_rows_xml: str = "",
    shared_string_chunks=(),
) -> bytes:
    """An .xlsx of ``rows`` (numbers as numbers, the rest as shared strings).
    ``dimension`` is the size the sheet declares; ``extra_rows_xml`` is
    appended to its rows as written; ``shared_string_chunks`` (bytes) are
    streamed into one more shared string, to make it as large as wanted."""
    buffer = io.BytesIO()
    strings: dict[str, int] = {}

    def cell(value) -> str:
        if isinstance(value, int | float):
            return f"<c><v>{value}</v></c>"
        return f'<c t="s"><v>{strings.setdefault(str(value), len(strings))}</v></c>'

    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<worksheet xmlns="{_NS}/spreadsheetml/2006/main">'.encode())
            if dimension:
                f.write(f'<dimension ref="{dimension}"/>'.encode())
            f.write(b"<sheetData>")
            for row in rows:
                f.write(f"<row>{''.join(cell(v) for v in row)}</row>".encode())
            f.write(extra_rows_xml.encode())
            f.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(f'<sst xmlns="{_NS}/spreadsheetml/2006/main">'.encode())
            for text in strings:
                f.write(f"<si><t>{escape(text)}</t></si>".encode())
            if shared_string_chunks:
                f.write(b"<si><t>")
                for chunk in shared_string_chunks:
                    f.write(chunk)
                f.write(b"</t></si>")
            f.write(b"</sst>")
    return buffer.getvalue()
