"""The annual report as an A4 PDF (WeasyPrint), with page numbers and the
Japanese font shipped in reports/fonts (IPAexGothic, IPA Font License v1.0)
embedded, so the PDF looks the same on every machine whatever fonts it has.
"""

from __future__ import annotations

from pathlib import Path

from django.template.loader import render_to_string

from .layout import report_context

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILE = FONT_DIR / "ipaexg.ttf"
FONT_FAMILY = "IPAexGothic"


def render_html(data: dict) -> str:
    context = report_context(data)
    context.update(font_url=FONT_FILE.as_uri(), font_family=FONT_FAMILY)
    return render_to_string("reports/annual_report_print.html", context)


def _font_only_fetcher():
    """The report needs no file but its font: anything else it might name
    (even through text typed into a programme) is refused."""
    from weasyprint.urls import URLFetcher

    class FontOnlyFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url != FONT_FILE.as_uri():
                raise ValueError("the report loads no resource but its font")
            return super().fetch(url, headers)

    return FontOnlyFetcher(allowed_protocols=("file",))


def html_to_pdf(html: str) -> bytes:
    """A PDF of a page that loads nothing but the embedded font (its
    template's @font-face names ``font_url``: see ``font_context``)."""
    from weasyprint import HTML  # imported here: it loads pango on import

    return HTML(
        string=html, base_url=FONT_DIR.as_uri() + "/", url_fetcher=_font_only_fetcher()
    ).write_pdf()


def font_context() -> dict:
    """What a print template needs for the embedded font."""
    return {"font_url": FONT_FILE.as_uri(), "font_family": FONT_FAMILY}


def to_pdf(data: dict) -> bytes:
    return html_to_pdf(render_html(data))
