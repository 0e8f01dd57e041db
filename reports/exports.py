"""The report as JSON, XLSX and CSV, all made from the one dictionary of
reports.selectors (so a figure is the same in every format).

Spreadsheet cells never hold a formula: every cell of the XLSX and the CSV
is written by accounts.spreadsheet (a text that starts with =, +, -, @, a tab
or a carriage return gets a quote in front; numbers stay numbers).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from accounts.spreadsheet import append_row, csv_bytes

from . import presentation, selectors, statutory
from .pdf import to_pdf
from .wareki import wareki

# JSON
# ------------------------------------------------------------------------------


def _json_default(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # lazy translation strings


def to_json(data: dict) -> str:
    """The report as JSON (SPEC §3): dates ISO, keys in the SPEC's order.
    Compact, without indentation: the standard library writes that in C,
    ten times faster than indented JSON, which it writes in Python (7 of the
    report's 20 ms on the benchmark's data set); ``python -m json.tool``
    lays it out for a reader."""
    return json.dumps(
        data, ensure_ascii=False, separators=(",", ":"), default=_json_default
    )


# TABLES
# ------------------------------------------------------------------------------


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)


def _yes_no(value) -> str:
    if value is None:
        return presentation.NO_VALUE
    return _("yes") if value else _("no")


def tables(data: dict) -> list[Table]:
    """The tables of the report, in the order of the PDF."""
    programme = data["programme"]
    summary = Table(
        _("Summary"),
        [_("Item"), _("Value")],
        [
            [_("Fiscal year"), data["fiscal_year_label"]],
            [
                _("Period"),
                f"{wareki(data['period']['start'])}～{wareki(data['period']['end'])}",
            ],
            [_("Programme"), programme["name"]],
            [_("Municipality"), programme["municipality"]],
            [_("Department in charge"), programme["department"]],
            [_("Contractor"), programme["contractor"]],
            [_("Project cost (thousand yen)"), programme["project_cost_thousand_yen"]],
            [_("Grant (thousand yen)"), programme["grant_thousand_yen"]],
            [
                _(
                    "For publication (counts from 1 to 4 shown as <5, and x "
                    "where a total would give them away)"
                ),
                _yes_no(data["publication"]),
            ],
        ],
    )
    targets = Table(
        _("Targets and actual figures"),
        [
            _("Indicator"),
            _("Unit"),
            _("Target"),
            _("Target year"),
            _("Baseline"),
            _("Baseline year"),
            _("Actual"),
            _("Achieved"),
        ],
        [
            [
                i["label"],
                i["unit"],
                i["target"],
                presentation.year_label(i["target_year"]),
                i["baseline"],
                presentation.year_label(i["baseline_year"]),
                i["actual"],
                presentation.achieved_text(i),
            ]
            for i in data["indicators"]
        ],
    )
    total = data["consultations_total"]
    channels = Table(
        _("Consultations by channel"),
        [_("Channel"), _("Cases"), _("of which new")],
        [[r["label"], r["count"], r["new"]] for r in data["consultations_by_channel"]]
        + [[_("Total"), total["count"], total["new"]]],
    )
    shelter = data["shelter"]
    places = Table(
        _("Open days, salon and shelter"),
        [_("Item"), _("Figure"), _("Unit")],
        [
            [
                _("Days the consultation desk was open"),
                data["open_days"]["consultation"],
                _("days"),
            ],
            [_("Days the salon was open"), data["open_days"]["salon"], _("days")],
            [_("Salon visitors (total)"), data["salon"]["visits"], _("people")],
            [_("Days with salon visitors"), data["salon"]["visit_days"], _("days")],
            [_("Overnight stays"), shelter["overnight_stays"], _("cases")],
            [_("Nights in the shelter"), shelter["nights"], _("nights")],
            [_("Day rests in the shelter"), shelter["day_uses"], _("cases")],
            [
                _("Requests to stay that could not be met"),
                shelter["unmet_requests"],
                _("cases"),
            ],
        ],
    )
    support = Table(
        _("Support actions"),
        [_("Kind"), _("Number")],
        [
            [_("Interviews"), data["support_actions"]["interview"]],
            [_("Accompaniments to agencies"), data["support_actions"]["accompaniment"]],
            [_("Referrals to partner agencies"), data["support_actions"]["referral"]],
            [_("Other follow-up"), data["support_actions"]["other"]],
        ],
    )
    peer = data["peer_support"]
    peer_table = Table(
        _("Peer-support groups"),
        [_("Item"), _("Value")],
        [
            [_("Sessions"), peer["sessions"]],
            [_("Participants"), peer["participants"]],
            *(
                [_("Dates") if n == 0 else "", line]
                for n, line in enumerate(peer["dates_wareki"].splitlines())
            ),
        ],
    )
    training = Table(
        _("Training events"),
        [
            _("Date"),
            _("Title"),
            _("Participants"),
            _("Respondents"),
            _("Satisfaction (%)"),
        ],
        [
            [
                wareki(e["date"]),
                e["title"],
                e["participants"],
                e["respondents"],
                presentation.NO_VALUE
                if e["satisfaction_pct"] is None
                else e["satisfaction_pct"],
            ]
            for e in data["training"]["events_detail"]
        ],
    )
    sns = Table(
        _("LINE consultations (SNS)"),
        presentation.sns_headers(),
        [
            [v if v is not None else presentation.NO_VALUE for v in row]
            for row in presentation.sns_rows(data["sns"])
        ],
    )
    statutory_tables = [
        Table(
            grid["title"],
            [grid["stub"], *grid["columns"]],
            [
                [label, *cells]
                for label, cells in [
                    *grid["rows"],
                    *([grid["total"]] if grid["total"] else []),
                ]
            ],
        )
        for table in statutory.shown_grids(data)
        for grid in table["grids"]
    ]
    return [
        summary,
        targets,
        channels,
        sns,
        places,
        support,
        peer_table,
        training,
        *statutory_tables,
    ]


# XLSX AND CSV
# ------------------------------------------------------------------------------


def to_xlsx(data: dict) -> bytes:
    """One sheet per table; numbers stay numbers; text is never a formula."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="EAEEF2")
    for table in tables(data):
        sheet = workbook.create_sheet(title=table.title[:31])
        append_row(sheet, table.headers)
        for cell in sheet[1]:
            cell.font = bold
            cell.fill = header_fill
        for row in table.rows:
            append_row(sheet, row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.alignment = Alignment(wrap_text=False, vertical="top")
        for column in sheet.columns:
            longest = max(len(str(c.value or "")) for c in column)
            sheet.column_dimensions[column[0].column_letter].width = min(
                60, max(10, longest * 2 + 2)
            )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_csv(data: dict) -> bytes:
    """Every table one after another (title, header, rows, a blank line), in
    UTF-8 with a BOM so that Excel reads the Japanese."""
    rows = []
    for table in tables(data):
        rows += [[f"■{table.title}"], table.headers, *table.rows, []]
    return csv_bytes(rows)


# ALL FORMATS
# ------------------------------------------------------------------------------

EXPORT_FORMATS = {
    "pdf": ("application/pdf", "PDF"),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel (XLSX)",
    ),
    "csv": ("text/csv; charset=utf-8", "CSV"),
    "json": ("application/json; charset=utf-8", "JSON"),
}


def export_report(options: dict, fmt: str) -> bytes:
    """The report in one format (shared by the page's downloads and the CLI)."""
    data = selectors.report_for(**options)
    if fmt == "pdf":
        return to_pdf(data)
    if fmt == "xlsx":
        return to_xlsx(data)
    if fmt == "csv":
        return to_csv(data)
    return to_json(data).encode("utf-8")


# THE FUNDER'S SUMMED REPORT
# ------------------------------------------------------------------------------


def funder_summary_rows(data: dict) -> list[list]:
    """The header (figure, unit, each programme, total) and a row per figure;
    a figure that does not add up across programmes has "—" as its total."""
    header = [
        _("Figure"),
        _("Unit"),
        *(f"{p['name']}（{p['organisation']}）" for p in data["programmes"]),
        _("Total"),
    ]
    rows = [
        [
            row["label"],
            row["unit"],
            *row["values"],
            row["total"] if row["summable"] else selectors.NOT_SUMMED,
        ]
        for row in data["rows"]
    ]
    return [header, *rows]


def funder_summary_csv(data: dict) -> bytes:
    """The summed report as CSV (UTF-8 with a BOM, every cell made safe by
    accounts.spreadsheet): a title, the table, and the note on "—"."""
    publication = [_("For publication (counts from 1 to 4 shown as <5)")]
    return csv_bytes(
        [
            [
                _("Programmes funded by %(funder)s, %(year)s")
                % {"funder": data["funder"], "year": data["fiscal_year_label"]}
            ],
            *([publication] if data["publication"] else []),
            *funder_summary_rows(data),
            [],
            [not_summed_note()],
        ]
    )


def not_summed_note() -> str:
    return _(
        "—: not summed. Medians, percentages, open days, days with visitors "
        "and requests counted per organisation do not add up across programmes."
    )
