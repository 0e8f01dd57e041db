"""Every format of one report, as text to search."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook


def attribute_all(programme) -> None:
    """Attribute every record that carries a programme and has none yet to
    ``programme`` (records built before it, or without a 事業 column)."""
    from consultations.models import Consultation, LineChat, SupportAction
    from peergroups.models import Session
    from shelter.models import SalonVisit, Stay
    from training.models import Event

    for model in (
        Consultation,
        SupportAction,
        LineChat,
        Stay,
        SalonVisit,
        Session,
        Event,
    ):
        model.objects.filter(programme__isnull=True).update(programme=programme)


def poppler(tool: str, content: bytes, *args: str) -> str:
    """Run a poppler-utils tool (pdftotext, pdffonts, pdfinfo) on a PDF."""
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "report.pdf"
        pdf.write_bytes(content)
        return subprocess.run(
            [path, *args, str(pdf), *(["-"] if tool == "pdftotext" else [])],
            check=True,
            capture_output=True,
            text=True,
        ).stdout


def pdf_text(content: bytes) -> str:
    return poppler("pdftotext", content, "-layout")


def pdf_fonts(content: bytes) -> str:
    return poppler("pdffonts", content)


def pdf_info(content: bytes) -> str:
    return poppler("pdfinfo", content)


def xlsx_cells(content: bytes) -> list:
    workbook = load_workbook(io.BytesIO(content))
    return [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
    ]


def xlsx_text(content: bytes) -> str:
    return "\n".join(str(c.value) for c in xlsx_cells(content) if c.value is not None)


def every_format(c, query: str) -> dict[str, str]:
    """The page and each download, fetched as a logged-in user would, as text."""
    out = {"html": c.get(reverse("reports:annual") + query).content.decode()}
    for fmt in ("json", "csv", "xlsx", "pdf"):
        response = c.get(reverse(f"reports:annual_{fmt}") + query)
        assert response.status_code == 200, (fmt, response.content[:200])
        if fmt == "pdf":
            out[fmt] = pdf_text(response.content)
        elif fmt == "xlsx":
            out[fmt] = xlsx_text(response.content)
        else:
            out[fmt] = response.content.decode("utf-8-sig")
    return out
