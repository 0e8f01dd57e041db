"""Pages that open on a period open where the demo's data is (issue 21): in a
database that ``seed_demo`` filled (``DemoData``) the calendar, the opening
days and the annual report open on the demo's fiscal year; elsewhere on today."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

import jpdates
from accounts.models import DemoData
from accounts.opening import opening_date
from reports.services import programme_create

pytestmark = pytest.mark.django_db


def test_without_demo_data_pages_open_on_today():
    assert opening_date() == timezone.localdate()


def test_with_demo_data_pages_open_on_the_last_day_of_its_year():
    DemoData.objects.create(pk=1, fiscal_year=2021)
    assert opening_date() == dt.date(2022, 3, 31)


def test_there_is_one_demo_row_at_most():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        DemoData.objects.create(pk=2, fiscal_year=2021)


def test_the_calendar_opens_on_the_demo_month(client_as, coordinator):
    page = client_as(coordinator).get(reverse("shelter:calendar"))
    this_month = timezone.localdate()
    assert page.context["calendar"].first.replace(day=1) == this_month.replace(day=1)

    DemoData.objects.create(pk=1, fiscal_year=2021)
    page = client_as(coordinator).get(reverse("shelter:calendar"))
    assert page.context["calendar"].first == dt.date(2022, 3, 1)
    # 今月 still means this month.
    assert page.context["this_month"] == f"{this_month:%Y-%m}"


def test_city_staff_reach_the_demo_programmes_pdf_from_the_report_link(
    client_as, city_staff
):
    """Home → 報告書を開く (the year's first programme) → PDF: two clicks."""
    DemoData.objects.create(pk=1, fiscal_year=2021)
    programme = programme_create(
        by=city_staff,
        fiscal_year=2021,
        name="居場所づくり事業",
        municipality="上田市",
        project_cost_thousand_yen=7566,
        grant_thousand_yen=3453,
    )
    staff = client_as(city_staff)
    home = staff.get(reverse("home")).content.decode()
    report_url = reverse("reports:annual")
    assert f'href="{report_url}"' in home
    assert jpdates.fiscal_year_label(2021) in home

    report = staff.get(report_url).content.decode()
    query = f"?fiscal_year=2021&amp;programme={programme.pk}"
    assert reverse("reports:annual_pdf") + query in report
