"""The statutory tables of the annual report (法定の統計表: 福祉行政報告例 and
the like): the ``statutory`` block of the JSON (SPEC §3), shown on the page,
in the PDF, the XLSX and the CSV, and hidden for publication like every
other count (reports.disclosure).

Tables here:

- ``main_complaints``: 主訴 per person (実人員) and per consultation (延件数)
  for every complaint of the list, zeros included, with the consultations
  that name it as an other problem, by channel (consultations) and by age
  band (people);
- ``referrals``: referrals (consultations.consent.Referral) by the category
  of the agency and their status: sent (not answered yet), accepted,
  declined, and their total (``referrals_total`` for the whole);
- ``temporary_protection``: entrusted temporary protections (一時保護委託,
  shelter.Stay) whose stay began in the year, by reason, with the average
  length in days of those discharged (hidden for publication with a small
  number);
- ``meetings``: support coordination meetings (支援調整会議,
  consultations.meetings) held in the year, by level.

ADDING A TABLE (the extension point)
------------------------------------
A table is one function decorated with ``@statutory_table(key, grids=...)``
plus, if its look needs more than the generic grid, one template block:

1. The function takes the year's ``YearFigures`` and returns the JSON block
   (plain dicts, lists and ints) that goes under ``statutory[key]``. Its
   figures come from a cached property of ``YearFigures`` (one aggregate
   query, or a fixed few, through ``YearFigures._attributed`` so that a
   programme's report counts only its records); a scalar worth a target
   goes into the metric registry (reports.metrics) and METRIC_FIGURES.
2. ``grids(data)`` says how the block is shown: a list of ``Grid`` (rows ×
   columns of *figure keys*). A figure key is a path into the report's data
   (``("statutory", key, <code of a row>, <column>)``, a list entry being
   found by its ``code``, ``category`` or ``key``), or the key of a figure
   the report already has (``("total", "count")``, ``("channel", c,
   "count")``): equal figures share one key, so publication hides them
   alike in every table. From the grids come, with nothing more to write:
   the groups that publication checks (each column adds up to the total
   row; ``parts`` add up to the ``row_total`` column; ``at_most`` pairs of
   columns), the hidden figures written back into the block, and the
   tables of the XLSX and CSV (``exports.tables``).
3. The page and the PDF render every grid with
   templates/reports/_statutory_grid.html, inside the block
   ``{% for table in statutory_tables %}`` of _report_body.html. A table
   that needs its own markup adds an ``{% if table.key == "…" %}`` block
   there (and the print styles in annual_report_print.html, if any).

Tests: reports/tests/test_statutory.py (figures, queries, publication).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from consultations.consent.models import Referral
from consultations.models import Channel, Client, PartnerAgency

from . import disclosure
from .metrics import AGE_BANDS, UNKNOWN_AGE, YearFigures

# GRIDS: how a table is shown, made of figure keys
# ------------------------------------------------------------------------------

Key = tuple[Hashable, ...]


@dataclass
class Grid:
    """Rows × columns of counts. ``rows`` are (label, [figure key or None for
    an empty cell]); ``total`` is the row of each column's sum (a None cell:
    no sum shown). ``parts`` (column indexes) add up to ``row_total`` in
    every row and in the total row; ``at_most`` holds (a, b) column pairs with
    a <= b in every row."""

    key: str
    title: str
    stub: str
    columns: list[str]
    rows: list[tuple[str, list[Key | None]]]
    total: tuple[str, list[Key | None]] | None = None
    parts: tuple[int, ...] = ()
    row_total: int | None = None
    at_most: tuple[tuple[int, int], ...] = ()
    unit: str = ""
    note: str = ""

    def all_rows(self):
        return [*self.rows, *([self.total] if self.total else [])]

    def groups(self) -> list[disclosure.Group]:
        out = []
        if self.total:
            for j, total in enumerate(self.total[1]):
                members = tuple(r[1][j] for r in self.rows if r[1][j] is not None)
                if total is not None and members:
                    out.append(disclosure.Group(members, total))
        if self.row_total is not None:
            for _label, keys in self.all_rows():
                members = tuple(keys[j] for j in self.parts if keys[j] is not None)
                if keys[self.row_total] is not None and members:
                    out.append(disclosure.Group(members, keys[self.row_total]))
        return out

    def pairs(self) -> list[tuple[Key, Key]]:
        return [
            (keys[a], keys[b])
            for _label, keys in self.all_rows()
            for a, b in self.at_most
            if keys[a] is not None and keys[b] is not None
        ]


@dataclass(frozen=True)
class StatutoryTable:
    key: str
    build: Callable[[YearFigures], object]
    grids: Callable[[dict], list[Grid]]


TABLES: list[StatutoryTable] = []


def statutory_table(key: str, *, grids: Callable[[dict], list[Grid]]):
    """Registers a table: the decorated function builds ``statutory[key]``
    from the year's figures."""

    def register(build):
        TABLES.append(StatutoryTable(key, build, grids))
        return build

    return register


# READING A FIGURE KEY
# ------------------------------------------------------------------------------

IDENTITIES = ("code", "category", "key")


def _step(node, part):
    if isinstance(node, list):
        for item in node:
            if any(item.get(name) == part for name in IDENTITIES):
                return item
        raise KeyError(part)
    return node[part]


def value_at(data: dict, key: Key):
    """The value of a figure key in the report's data (see the docstring)."""
    if key[0] == "total":
        return data["consultations_total"][key[1]]
    if key[0] == "channel":
        row = next(
            r for r in data["consultations_by_channel"] if r["channel"] == key[1]
        )
        return row[key[2]]
    node = data
    for part in key:
        node = _step(node, part)
    return node


def _set_at(data: dict, key: Key, value) -> None:
    node = data
    for part in key[:-1]:
        node = _step(node, part)
    node[key[-1]] = value


# THE TABLES
# ------------------------------------------------------------------------------


def _complaint_grids(data: dict) -> list[Grid]:
    rows = data["statutory"]["main_complaints"]

    def key(code, *rest):
        return ("statutory", "main_complaints", code, *rest)

    people_unit = pgettext("unit", "people")
    cases_unit = pgettext("unit", "cases")
    summary = Grid(
        key="main_complaints",
        title=_("Main complaints (主訴)"),
        stub=_("Main complaint"),
        columns=[
            pgettext("statutory", "People"),
            pgettext("statutory", "Consultations"),
            _("Named as an other problem"),
        ],
        rows=[
            (
                r["label"],
                [
                    key(r["code"], "people"),
                    key(r["code"], "consultations"),
                    key(r["code"], "other_problems"),
                ],
            )
            for r in rows
        ],
        total=(_("Total"), [None, ("total", "count"), None]),
        at_most=((0, 1),),
        note=_(
            "People (実人員): each client once per main complaint, an anonymous "
            "consultation as one person. Consultations (延件数): every "
            "consultation once, by its main complaint. The last column counts "
            "the consultations that name the complaint as an other problem."
        ),
    )
    channels = list(Channel)
    by_channel = Grid(
        key="main_complaints_by_channel",
        title=_("Main complaints by channel (consultations)"),
        stub=_("Main complaint"),
        columns=[str(c.label) for c in channels] + [_("Total")],
        rows=[
            (
                r["label"],
                [key(r["code"], "by_channel", c.value) for c in channels]
                + [key(r["code"], "consultations")],
            )
            for r in rows
        ],
        total=(
            _("Total"),
            [("channel", c.value, "count") for c in channels] + [("total", "count")],
        ),
        parts=tuple(range(len(channels))),
        row_total=len(channels),
        unit=cases_unit,
    )
    bands = dict(Client.AgeBand.choices)
    bands[UNKNOWN_AGE] = _("Unknown")
    by_age = Grid(
        key="main_complaints_by_age_band",
        title=_("Main complaints by age band (people)"),
        stub=_("Main complaint"),
        columns=[str(bands[b]) for b in AGE_BANDS] + [_("Total")],
        rows=[
            (
                r["label"],
                [key(r["code"], "by_age_band", b) for b in AGE_BANDS]
                + [key(r["code"], "people")],
            )
            for r in rows
        ],
        parts=tuple(range(len(AGE_BANDS))),
        row_total=len(AGE_BANDS),
        unit=people_unit,
        note=_("Unknown: anonymous consultations and clients without an age band."),
    )
    return [summary, by_channel, by_age]


@statutory_table("main_complaints", grids=_complaint_grids)
def main_complaints(figures: YearFigures) -> list[dict]:
    """[{code, label, people, consultations, other_problems, by_channel,
    by_age_band}] for every complaint of the list, zeros included."""
    labels = dict(figures.complaints)
    counts = figures.main_complaints
    return [
        {
            "code": code,
            "label": labels.get(code, code),
            "people": c["people"],
            "consultations": c["consultations"],
            "other_problems": c["other_problems"],
            "by_channel": dict(c["by_channel"]),
            "by_age_band": dict(c["by_age_band"]),
        }
        for code, c in counts.items()
    ]


REFERRAL_COLUMNS = ("sent", "accepted", "declined", "total")


def _referral_grids(data: dict) -> list[Grid]:
    block = data["statutory"]

    def key(*rest):
        return ("statutory", *rest)

    status_labels = dict(Referral.Status.choices)
    return [
        Grid(
            key="referrals",
            title=_("Referrals to partner agencies by outcome"),
            stub=_("Agency category"),
            columns=[
                _("Sent, not answered yet"),
                str(status_labels["accepted"]),
                str(status_labels["declined"]),
                _("Total"),
            ],
            rows=[
                (
                    r["label"],
                    [key("referrals", r["category"], c) for c in REFERRAL_COLUMNS],
                )
                for r in block["referrals"]
            ],
            total=(
                _("Total"),
                [key("referrals_total", c) for c in REFERRAL_COLUMNS],
            ),
            parts=(0, 1, 2),
            row_total=3,
            unit=pgettext("unit", "cases"),
            note=_(
                "Referrals and provisions of information dated in the fiscal "
                "year, by the answer recorded so far."
            ),
        )
    ]


@statutory_table("referrals", grids=_referral_grids)
def referrals(figures: YearFigures) -> list[dict]:
    """[{category, label, sent, accepted, declined, total}] for every agency
    category, zeros included (``sent``: not answered yet)."""
    labels = dict(PartnerAgency.Category.choices)
    return [
        {
            "category": category,
            "label": str(labels.get(category, category)),
            **counts,
            "total": sum(counts.values()),
        }
        for category, counts in figures.referrals.items()
    ]


def _referrals_total(block: dict) -> dict:
    return {c: sum(r[c] for r in block["referrals"]) for c in REFERRAL_COLUMNS}


def _protection_grids(data: dict) -> list[Grid]:
    block = data["statutory"]["temporary_protection"]

    def key(*rest):
        return ("statutory", "temporary_protection", *rest)

    average = block["average_days"]
    return [
        Grid(
            key="temporary_protection",
            title=_("Entrusted temporary protection by reason"),
            stub=_("Reason for protection"),
            columns=[pgettext("statutory", "Protections")],
            rows=[
                (r["label"], [key("by_reason", r["code"], "count")])
                for r in block["by_reason"]
            ],
            total=(_("Total"), [key("stays")]),
            unit=pgettext("unit", "cases"),
            note=_(
                "Protections counted in the fiscal year their stay began. "
                "Average length of stay of the %(discharged)s discharged: "
                "%(days)s days, in full also when they ended in the next year."
            )
            % {
                "days": "—" if average is None else average,
                "discharged": block["discharged"],
            },
        )
    ]


@statutory_table("temporary_protection", grids=_protection_grids)
def temporary_protection(figures: YearFigures) -> dict:
    """{stays, average_days, by_reason [{code, label, count}]}."""
    return dict(figures.temporary_protection)


def _hide_protection_average(block: dict) -> None:
    """The number discharged is a count like the others; the mean length of
    one to four women's stays describes them, and goes with it."""
    if disclosure.is_small(block["discharged"]):
        block["discharged"] = disclosure.SMALL
    elif block["discharged"] and not isinstance(block["stays"], int):
        block["discharged"] = disclosure.HIDDEN
    if not isinstance(block["discharged"], int):
        block["average_days"] = disclosure.HIDDEN


def _meeting_grids(data: dict) -> list[Grid]:
    from consultations.meetings.models import CoordinationMeeting
    from consultations.meetings.selectors import LEVEL_KEYS

    labels = dict(CoordinationMeeting.Level.choices)
    return [
        Grid(
            key="meetings",
            title=_("Support coordination meetings by level"),
            stub=_("Level"),
            columns=[_("Meetings held")],
            rows=[
                (str(labels[level]), [("statutory", "meetings", key)])
                for level, key in LEVEL_KEYS.items()
            ],
            unit=pgettext("unit", "times"),
        )
    ]


@statutory_table("meetings", grids=_meeting_grids)
def meetings(figures: YearFigures) -> dict:
    """{representatives, practitioners, case_reviews}."""
    return dict(figures.meetings)


# THE BLOCK, ITS PUBLICATION AND ITS GRIDS
# ------------------------------------------------------------------------------


def build(figures: YearFigures) -> dict:
    """The ``statutory`` block of the report."""
    block = {table.key: table.build(figures) for table in TABLES}
    if "referrals" in block:
        block["referrals_total"] = _referrals_total(block)
    return block


def grids(data: dict) -> list[tuple[StatutoryTable, list[Grid]]]:
    return [
        (table, table.grids(data))
        for table in TABLES
        if table.key in data.get("statutory", {})
    ]


def figures(data: dict, values: dict, groups: list, at_most: list) -> None:
    """Adds the statutory tables' counts, groups and ordered pairs to the
    report's (reports.selectors._figures)."""
    for _table, table_grids in grids(data):
        for grid in table_grids:
            for _label, keys in grid.all_rows():
                for key in keys:
                    if key is not None and key not in values:
                        values[key] = value_at(data, key)
            groups.extend(grid.groups())
            at_most.extend(grid.pairs())


def published(data: dict, shown) -> dict:
    """The statutory block with the hidden figures written in."""
    out = copy.deepcopy(data["statutory"])
    copy_data = dict(data, statutory=out)
    for _table, table_grids in grids(data):
        for grid in table_grids:
            for _label, keys in grid.all_rows():
                for key in keys:
                    if key is not None and key[0] == "statutory":
                        _set_at(copy_data, key, shown(*key))
    if "temporary_protection" in out:
        _hide_protection_average(out["temporary_protection"])
    return out


def shown_grids(data: dict) -> list[dict]:
    """For the page, the PDF, the XLSX and the CSV: each table with its
    grids, every cell read from ``data`` (published or not)."""
    return [
        {
            "key": table.key,
            "grids": [
                {
                    "key": grid.key,
                    "title": grid.title,
                    "stub": grid.stub,
                    "columns": grid.columns,
                    "unit": grid.unit,
                    "note": grid.note,
                    "rows": [
                        (label, [_cell(data, k) for k in keys])
                        for label, keys in grid.rows
                    ],
                    "total": (
                        (grid.total[0], [_cell(data, k) for k in grid.total[1]])
                        if grid.total
                        else None
                    ),
                }
                for grid in table_grids
            ],
        }
        for table, table_grids in grids(data)
    ]


def _cell(data: dict, key: Key | None):
    return "" if key is None else value_at(data, key)
