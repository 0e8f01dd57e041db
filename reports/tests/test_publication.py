"""The publication option: counts from 1 to 4 are shown as "<5" in every
format; zeros, larger counts, open days, budget lines, targets and
percentages are not counts of people and stay as they are."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from reports.models import Target
from reports.selectors import mask
from reports.services import programme_create, target_save

from .data import build_fiscal_year_2021
from .helpers import attribute_all, pdf_text, xlsx_cells

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(counsellor, coordinator, facilitator, city_staff):
    build_fiscal_year_2021(
        counsellor=counsellor, coordinator=coordinator, facilitator=facilitator
    )
    programme = programme_create(
        by=city_staff,
        fiscal_year=2021,
        name="事業",
        municipality="市",
        project_cost_thousand_yen=3,
        grant_thousand_yen=2,
    )
    attribute_all(programme)
    for order, key, target in (
        (1, "consultations_line", 3),
        (2, "shelter_nights", 4),
        (3, "training_satisfaction", 80),
    ):
        target_save(
            target=Target(
                programme=programme,
                order=order,
                metric_key=key,
                target_value=Decimal(target),
            ),
            by=city_staff,
        )
    return programme


def test_mask_hides_one_to_four_only():
    assert [mask(n) for n in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]
    assert mask(True) is True and mask(2.5) == 2.5 and mask(None) is None


def test_the_json_shows_small_counts_as_under_five(programme):
    out = io.StringIO()
    call_command("annual_report", "--fiscal-year", "2021", "--publication", stdout=out)
    data = json.loads(out.getvalue())
    assert data["publication"] is True
    # The new consultations add up to 3: a total under 5 hides its whole
    # column, zeros included (four "<5" under a "<5" would each be 1).
    assert [(r["count"], r["new"]) for r in data["consultations_by_channel"]] == [
        ("<5", "<5"),
        ("<5", "<5"),
        ("<5", "<5"),
        ("<5", "<5"),
        ("<5", "<5"),
        (0, "<5"),
    ]
    assert data["consultations_total"] == {"count": 6, "new": "<5"}
    assert {
        k: data["shelter"][k]
        for k in ("overnight_stays", "nights", "day_uses", "unmet_requests")
    } == {
        "overnight_stays": "<5",
        "nights": 6,
        "day_uses": "<5",
        "unmet_requests": "<5",
    }
    assert data["salon"] == {"visits": 5, "visit_days": "<5"}
    assert data["support_actions"] == {
        "interview": "<5",
        "accompaniment": 0,
        "referral": "<5",
        "other": "<5",
    }
    assert data["peer_support"]["sessions"] == 5
    assert data["training"]["events"] == "<5"
    assert [e["respondents"] for e in data["training"]["events_detail"]] == [
        8,
        "<5",
        0,
    ]
    # not counts of people: unchanged
    assert data["open_days"]["consultation"] == 242
    assert data["programme"]["grant_thousand_yen"] == 2
    line, nights, satisfaction = data["indicators"]
    assert (line["target"], line["actual"], line["achieved"]) == (3, "<5", False)
    assert (nights["actual"], nights["achieved"]) == (6, True)
    assert satisfaction["actual"] == 81.8


def test_every_download_and_the_page_show_under_five(programme, client_as, city_staff):
    c = client_as(city_staff)
    query = f"?fiscal_year=2021&programme={programme.pk}&publication=on"
    page = c.get(reverse("reports:annual") + query).content.decode()
    assert "&lt;5件" in page and "公表用" in page
    rows = list(
        csv.reader(
            io.StringIO(
                c.get(reverse("reports:annual_csv") + query).content.decode("utf-8-sig")
            )
        )
    )
    assert ["LINE", "<5", "<5"] in rows
    assert ["訪問", "0", "<5"] in rows
    cells = {
        (c.parent.title, c.coordinate): c.value
        for c in xlsx_cells(c.get(reverse("reports:annual_xlsx") + query).content)
    }
    channels = "相談方法別の相談件数"
    assert cells[(channels, "A2")] == "LINE" and cells[(channels, "B2")] == "<5"
    assert cells[(channels, "B7")] == 0 and cells[(channels, "B8")] == 6
    text = pdf_text(c.get(reverse("reports:annual_pdf") + query).content)
    assert "<5件" in text
    assert "公表用" in text


def test_without_the_option_the_counts_are_exact(programme, client_as, city_staff):
    c = client_as(city_staff)
    query = f"?fiscal_year=2021&programme={programme.pk}"
    rows = list(
        csv.reader(
            io.StringIO(
                c.get(reverse("reports:annual_csv") + query).content.decode("utf-8-sig")
            )
        )
    )
    assert ["LINE", "1", "0"] in rows
    page = c.get(reverse("reports:annual") + query).content.decode()
    assert "&lt;5件" not in page and "1件" in page
