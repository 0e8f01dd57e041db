"""Disclosure control for published figures: every count from 1 to 4 is
hidden, and no hidden figure can be worked out from what is shown (by
subtracting from a total, or from the bounds the marks give).

The property tests check reports.disclosure.suppress against a reader who
knows the rule and tries every value: for each hidden non-zero figure, at
least two values must fit everything shown."""

import csv
import datetime as dt
import io
import json
import re

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from consultations.models import Channel
from consultations.tests.factories import ConsultationFactory
from reports import disclosure
from reports.disclosure import HIDDEN, SMALL, Group, suppress
from reports.metrics import REGISTRY, Kind
from reports.models import Programme
from reports.selectors import METRIC_FIGURES
from reports.services import programme_create
from reports.tests.helpers import attribute_all
from shelter import services as shelter_services

from .helpers import pdf_text, xlsx_cells

# THE READER: tries every value the marks allow
# ------------------------------------------------------------------------------


def reader_bounds(values, marks, groups, at_most):
    """What a reader knows of each hidden figure, from the published rule:
    "<5" is 1 to 4 (0 to 4 in a table whose total is "<5"); "x" is at least
    5; an ordered pair (a <= b) with one side shown bounds the other."""
    cap = 3 * sum(values.values()) + 10
    bounds = {}
    for key, mark in marks.items():
        if mark == SMALL:
            small_total = any(
                key in g.members and marks.get(g.total) == SMALL for g in groups
            )
            low, high = (0 if small_total else 1), 4
        else:
            low, high = 5, cap
        for smaller, larger in at_most:
            if larger == key and smaller not in marks:
                low = max(low, values[smaller])
            if smaller == key and larger not in marks:
                high = min(high, values[larger])
        bounds[key] = (low, high)
    return bounds


def possible_values(group, values, marks, bounds) -> dict:
    """Every value each hidden figure of one group can take, all others
    fitting their bounds and the members adding up to the total."""

    def sums(keys):
        reachable = {0}
        for key in keys:
            low, high = bounds[key]
            reachable = {s + v for s in reachable for v in range(low, high + 1)}
        return reachable

    hidden = [m for m in group.members if m in marks]
    shown_sum = sum(values[m] for m in group.members if m not in marks)
    if group.total in marks:
        low, high = bounds[group.total]
        totals = set(range(low, high + 1))
    else:
        totals = {values[group.total]}
    possible = {}
    for key in hidden:
        rest = sums([m for m in hidden if m != key])
        low, high = bounds[key]
        possible[key] = {
            v
            for v in range(low, high + 1)
            if any(shown_sum + v + s in totals for s in rest)
        }
    if group.total in marks:
        possible[group.total] = {t for t in totals if t - shown_sum in sums(hidden)}
    return possible


def assert_safe(values, groups, at_most=()):
    marks = suppress(values, groups, at_most)
    # every count from 1 to 4 is hidden; a shown figure is never changed
    assert {k for k, v in values.items() if 1 <= v <= 4} <= set(marks)
    bounds = reader_bounds(values, marks, groups, at_most)
    for group in groups:
        keys = [*group.members, group.total]
        # never exactly one hidden figure beside a sum
        assert sum(k in marks for k in keys) != 1, (values, marks)
        for key, fits in possible_values(group, values, marks, bounds).items():
            assert values[key] in fits  # the reader's bounds are true
            if values[key]:
                assert len(fits) >= 2, (key, values, marks)
    return marks


counts = st.one_of(st.integers(0, 6), st.integers(0, 40))


@settings(max_examples=300, deadline=None)
@given(st.lists(counts, min_size=1, max_size=6))
def test_a_column_with_its_total_never_gives_a_hidden_figure_away(column):
    values = {("cell", n): v for n, v in enumerate(column)}
    values["total"] = sum(column)
    group = Group(tuple(("cell", n) for n in range(len(column))), "total")
    marks = assert_safe(values, [group])
    # zeros stay shown unless the whole table is under 5
    if values["total"] >= 5:
        assert not [k for k in marks if values[k] == 0]


@st.composite
def channel_tables(draw):
    """Consultations and new consultations by channel: new <= all."""
    rows = draw(st.lists(counts, min_size=1, max_size=6))
    return [(n, draw(st.integers(0, n))) for n in rows]


@settings(max_examples=300, deadline=None)
@given(channel_tables())
def test_a_table_of_two_ordered_columns_never_gives_a_hidden_figure_away(rows):
    values = {}
    for n, (count, new) in enumerate(rows):
        values[n, "count"] = count
        values[n, "new"] = new
    values["total", "count"] = sum(count for count, _new in rows)
    values["total", "new"] = sum(new for _count, new in rows)
    groups = [
        Group(tuple((n, column) for n in range(len(rows))), ("total", column))
        for column in ("count", "new")
    ]
    at_most = [((n, "new"), (n, "count")) for n in range(len(rows))]
    at_most.append((("total", "new"), ("total", "count")))
    assert_safe(values, groups, at_most)


def test_the_finding_three_hidden_under_a_total_of_86():
    """86 in total, 83 shown: the 3 could be subtracted; now the smallest
    other cell is hidden too, and the two hidden cells add up to 16."""
    values = {"line": 40, "phone": 30, "face": 13, "sns": 3, "total": 86}
    marks = assert_safe(values, [Group(("line", "phone", "face", "sns"), "total")])
    assert marks == {"sns": SMALL, "face": HIDDEN}


def test_more_cells_are_hidden_while_the_bounds_pin_one_down():
    # "<5" + "x" = 6 pins both ("<5" is at least 1, "x" at least 5), and so
    # does "<5" + "x" + "x" = 11: only with the 20 hidden too can the 1 be
    # anything from 1 to 4.
    values = {"a": 1, "b": 5, "c": 5, "d": 20, "total": 31}
    marks = assert_safe(values, [Group(("a", "b", "c", "d"), "total")])
    assert marks == {"a": SMALL, "b": HIDDEN, "c": HIDDEN, "d": HIDDEN}


def test_a_figure_an_ordered_pair_would_pin_is_not_the_one_hidden():
    # new (1, 5) under all (5, 5): hiding the new 5 would not help, since
    # it cannot be more than the 5 shown beside it; the total is hidden.
    values = {"new_a": 1, "new_b": 5, "new": 6, "all_b": 5}
    at_most = [("new_b", "all_b")]
    marks = assert_safe(values, [Group(("new_a", "new_b"), "new")], at_most)
    assert marks == {"new_a": SMALL, "new": HIDDEN}


def test_a_table_whose_total_is_under_five_is_hidden_whole():
    values = {"a": 1, "b": 1, "c": 1, "d": 1, "e": 0, "total": 4}
    marks = assert_safe(values, [Group(("a", "b", "c", "d", "e"), "total")])
    assert marks == dict.fromkeys(values, SMALL)


def test_without_small_counts_nothing_is_hidden():
    values = {"a": 0, "b": 5, "total": 5}
    assert suppress(values, [Group(("a", "b"), "total")]) == {}
    assert disclosure.is_small(True) is False


def test_every_count_metric_of_a_target_is_hidden_with_its_figure():
    """A target's actual shows a figure of the tables: it must be hidden
    exactly when that figure is, so each count metric names its figure."""
    counts = {key for key, m in REGISTRY.items() if m.kind == Kind.COUNT}
    assert counts == set(METRIC_FIGURES)


# THE REAL REPORT: channels, new consultations, unmet requests by reason
# ------------------------------------------------------------------------------

CHANNELS = {  # channel: (consultations, of which new)
    Channel.LINE: (40, 10),
    Channel.PHONE: (30, 8),
    Channel.FACE_TO_FACE: (13, 0),
    Channel.SNS: (3, 2),
}
UNMET = {"childcare": 6, "work": 5, "other": 3}


@pytest.fixture
def fiscal_year_with_a_small_cell(counsellor, coordinator, city_staff):
    start = dt.datetime(2021, 5, 1, 10, 0, tzinfo=dt.UTC)
    n = 0
    for channel, (count, new) in CHANNELS.items():
        for i in range(count):
            n += 1
            ConsultationFactory(
                channel=channel,
                client=None,
                is_new=i < new,
                counsellor=counsellor,
                started_at=start + dt.timedelta(hours=n),
            )
    for reason, count in UNMET.items():
        for _ in range(count):
            shelter_services.unmet_request_create(
                by=coordinator, date=dt.date(2021, 6, 1), reason=reason
            )
    programme = programme_create(
        by=city_staff, fiscal_year=2021, name="事業", municipality="市"
    )
    attribute_all(programme)
    return programme


def _get(c, name, **extra):
    programme = Programme.objects.get()
    query = {"fiscal_year": 2021, "programme": programme.pk, "publication": "on"}
    query.update(extra)
    return c.get(reverse(name), query)


@pytest.mark.django_db
def test_the_published_report_hides_a_second_cell_in_every_format(
    fiscal_year_with_a_small_cell, client_as, city_staff
):
    c = client_as(city_staff)
    data = json.loads(_get(c, "reports:annual_json").content)
    by_channel = {
        r["channel"]: (r["count"], r["new"]) for r in data["consultations_by_channel"]
    }
    # 86 in total, 83 shown beside the 3 on main: now 40 + 30 shown, and the
    # two hidden cells add up to 16 (3 + 13), which a reader cannot split.
    assert by_channel == {
        "line": (40, 10),
        "phone": (30, HIDDEN),
        "face_to_face": (HIDDEN, 0),
        "sns": (SMALL, SMALL),
        "email": (0, 0),
        "visit": (0, 0),
    }
    assert data["consultations_total"] == {"count": 86, "new": 20}
    assert data["shelter"]["unmet_requests"] == 14
    assert data["shelter"]["unmet_requests_by_reason"] == {
        "childcare": 6,
        "caregiving": 0,
        "work": HIDDEN,
        "no_room": 0,
        "other": SMALL,
    }

    rows = list(
        csv.reader(
            io.StringIO(_get(c, "reports:annual_csv").content.decode("utf-8-sig"))
        )
    )
    channel_rows = rows[rows.index(["■相談方法別の相談件数"]) + 2 :][:7]
    assert channel_rows == [
        ["LINE", "40", "10"],
        ["電話", "30", "x"],
        ["対面", "x", "0"],
        ["SNS（チャット）", "<5", "<5"],
        ["メール", "0", "0"],
        ["訪問", "0", "0"],
        ["合計", "86", "20"],
    ]

    sheet = {
        c.coordinate: c.value
        for c in xlsx_cells(_get(c, "reports:annual_xlsx").content)
        if c.parent.title == "相談方法別の相談件数"
    }
    assert [sheet[f"B{r}"] for r in range(2, 9)] == [40, 30, "x", "<5", 0, 0, 86]
    assert [sheet[f"C{r}"] for r in range(2, 9)] == [10, "x", 0, "<5", 0, 0, 20]

    page = _get(c, "reports:annual").content.decode()
    cells = re.findall(r'<td class="num">([^<]*)</td>', page)
    assert "13件" not in cells and "3件" not in cells and "8件" not in cells
    assert "x" in cells and "&lt;5件" in cells and "86件" in cells

    text = pdf_text(_get(c, "reports:annual_pdf").content)
    assert "13件" not in text and "8件" not in text
    assert re.search(r"対面\s+x\s+0件", text)
