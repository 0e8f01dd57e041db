"""seed_scale, the benchmarks' data set (reports.scale)."""

import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.utils import timezone

import jpdates
from reports import selectors
from reports.attribution import KINDS
from reports.models import Programme

pytestmark = pytest.mark.django_db


def test_seed_scale_attributes_each_years_records_to_that_years_programme(
    settings, monkeypatch
):
    """A programme's report counts only its records: every record of the
    data set belongs to the programme of its fiscal year, so the report
    the benchmark times has figures (it had zeros when they had none)."""
    from reports.management.commands import seed_scale

    # No VACUUM at the end: it cannot run inside the test's transaction.
    monkeypatch.setattr(seed_scale, "connection", SimpleNamespace(vendor="test"))
    settings.SEED_DEMO_ALLOWED = True
    call_command(
        "seed_scale",
        clients=60,
        consultations=120,
        stays=100,
        years=1,
        line_messages=50,
        stdout=io.StringIO(),
    )
    years = dict(Programme.objects.values_list("pk", "fiscal_year"))
    for kind in KINDS:
        records = kind.model_class.objects.values_list(kind.date_field, "programme")
        for day, programme in records:  # (the data set has no LINE chats)
            if hasattr(day, "tzinfo"):
                day = timezone.localdate(day)
            assert years.get(programme) == jpdates.fiscal_year(day), kind.model
    programme = Programme.objects.order_by("fiscal_year").first()
    data = selectors.report_for(
        fiscal_year=programme.fiscal_year,
        programme=selectors.programme_detail(programme.pk),
    )
    assert data["consultations_total"]["count"] > 0
