"""The PDF: A4, page numbers, the sections in the order of the seed reports,
and the Japanese font shipped in reports/fonts embedded (so it renders the
same on a machine without Japanese fonts)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from reports.models import Target
from reports.services import programme_create, target_save

from .data import build_fiscal_year_2021
from .helpers import attribute_all, pdf_fonts, pdf_info, pdf_text

pytestmark = pytest.mark.django_db

SECTIONS = [
    "個別事業費",
    "地域の実情と課題",
    "目的・目標",
    "【目標】",
    "事業の特徴",
    "連携団体",
    "事業の効果",
    "今後の課題",
    "事業の概要",
    "●相談業務の実施",
    "●支援",
    "●居場所の提供（サロン）",
    "●一時宿泊・一時利用",
    "●ピアサポートグループ",
    "●研修・講演会",
]


@pytest.fixture
def pdf(counsellor, coordinator, facilitator, city_staff, client_as):
    build_fiscal_year_2021(
        counsellor=counsellor, coordinator=coordinator, facilitator=facilitator
    )
    programme = programme_create(
        by=city_staff,
        fiscal_year=2021,
        name="女性・母子の居場所づくり事業",
        municipality="いばしょ市",
        project_cost_thousand_yen=7566,
        grant_thousand_yen=3453,
        local_situation="母子世帯が増えている。",
        contractor="NPO法人いばしょネット",
    )
    attribute_all(programme)
    target_save(
        target=Target(
            programme=programme,
            metric_key="consultations_line",
            label="LINEによる相談件数",
            target_value=Decimal(100),
        ),
        by=city_staff,
    )
    response = client_as(city_staff).get(
        reverse("reports:annual_pdf") + f"?fiscal_year=2021&programme={programme.pk}"
    )
    assert response["Content-Type"] == "application/pdf"
    return response.content


def test_the_japanese_font_is_embedded_and_no_system_font_is_used(pdf):
    fonts = [line.split() for line in pdf_fonts(pdf).splitlines()[2:]]
    assert fonts
    for row in fonts:
        name, emb = row[0], row[-5]
        assert "IPAexGothic" in name, name
        assert emb == "yes", row


def test_the_pages_are_a4_and_numbered(pdf):
    info = pdf_info(pdf)
    assert "(A4)" in info
    pages = int(
        next(line for line in info.splitlines() if line.startswith("Pages:")).split()[1]
    )
    assert pages >= 2
    footers = re.findall(r"^\s*(\d+)\s*/\s*(\d+)\s*$", pdf_text(pdf), re.MULTILINE)
    assert footers == [(str(n), str(pages)) for n in range(1, pages + 1)]


def test_the_sections_come_in_the_order_of_the_seed_reports(pdf):
    text = pdf_text(pdf)
    assert "女性・母子の居場所づくり事業 【いばしょ市】" in text
    positions = [text.index(s) for s in SECTIONS]
    assert positions == sorted(positions)
    assert "◎LINEによる相談件数 目標100件→実績1件" in text
    assert "令和3年10月15日" in text and "令和4年1月1～3、18日" in text
    assert "87.5%" in text and "66.7%" in text and "–" in text
    assert "委託：NPO法人いばしょネット" in text


def test_the_chart_is_drawn_into_the_pdf(pdf):
    text = pdf_text(pdf)
    assert "実績（達成）" in text and "実績（未達成）" in text
