"""seed_demo adds the FY2021 programme modelled on the Ueda report."""

import io
import json

import pytest
from django.core.management import call_command

from reports.models import Programme

pytestmark = pytest.mark.django_db


def test_the_demo_programme_has_uedas_targets_and_every_section():
    call_command("seed_demo", stdout=io.StringIO())
    programme = Programme.objects.get(fiscal_year=2021)
    for name in (
        "local_situation",
        "purpose",
        "features",
        "effects",
        "future_issues",
        "overview",
    ):
        assert getattr(programme, name)
    out = io.StringIO()
    call_command("annual_report", "--fiscal-year", "2021", stdout=out)
    data = json.loads(out.getvalue())
    assert [(i["label"], i["target"], i["unit"]) for i in data["indicators"]] == [
        ("社会全体を「男女平等である」と回答した人の割合", 20, "%"),
        ("一時宿泊数", 100, "泊"),
        ("LINEによる相談件数", 100, "件"),
        ("ピアサポートグループ参加者数", 25, "人"),
        ("ピアサポートグループ開催回数", 5, "回"),
        ("人材育成事業研修会回数", 2, "回"),
        ("人材育成事業研修会参加者の満足度", 80, "%"),
    ]
    survey = data["indicators"][0]
    assert (survey["baseline"], survey["baseline_year"], survey["target_year"]) == (
        12.7,
        2020,
        2025,
    )
    assert all(i["actual"] is not None for i in data["indicators"][1:])
