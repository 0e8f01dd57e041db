"""`manage.py annual_report` (SPEC §3)."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEntry
from reports.services import programme_create

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("annual_report", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def programme(city_staff):
    return programme_create(
        by=city_staff, fiscal_year=2021, name="寄り添い支援事業", municipality="市"
    )


def test_json_goes_to_standard_output_with_the_programme(programme):
    out, _err = run("--fiscal-year", "2021", "--format", "json")
    data = json.loads(out)
    assert data["programme"]["name"] == "寄り添い支援事業"
    assert data["period"] == {"start": "2021-04-01", "end": "2022-03-31"}


def test_csv_goes_to_standard_output(programme):
    out, _err = run("--fiscal-year", "2021", "--format", "csv")
    assert out.startswith("■概要")
    assert "寄り添い支援事業" in out


@pytest.mark.parametrize("fmt, magic", [("pdf", b"%PDF"), ("xlsx", b"PK")])
def test_binary_formats_are_written_to_the_output_file(programme, tmp_path, fmt, magic):
    path = tmp_path / f"report.{fmt}"
    _out, err = run(
        "--fiscal-year",
        "2021",
        "--programme",
        str(programme.pk),
        "--format",
        fmt,
        "--output",
        str(path),
    )
    assert path.read_bytes().startswith(magic)
    assert str(path) in err


def test_a_binary_format_without_an_output_file_is_refused(programme):
    with pytest.raises(CommandError, match="needs --output"):
        run("--fiscal-year", "2021", "--format", "pdf")


def test_the_programme_must_be_of_the_fiscal_year(programme):
    with pytest.raises(CommandError, match="is of fiscal year 2021"):
        run("--fiscal-year", "2022", "--programme", str(programme.pk))
    with pytest.raises(CommandError, match="No programme 999"):
        run("--fiscal-year", "2021", "--programme", "999")


def test_several_programmes_in_a_year_need_a_choice(programme, city_staff):
    other = programme_create(
        by=city_staff, fiscal_year=2021, name="別の事業", municipality="市"
    )
    with pytest.raises(CommandError, match="several programmes"):
        run("--fiscal-year", "2021")
    out, _err = run("--fiscal-year", "2021", "--programme", str(other.pk))
    assert json.loads(out)["programme"]["name"] == "別の事業"


def test_the_export_is_audited_with_the_user(programme, city_staff):
    run("--fiscal-year", "2021", "--user", city_staff.username, "--publication")
    entry = AuditEntry.objects.get(action="export")
    assert entry.user == city_staff
    assert entry.path == "manage.py annual_report"
    assert (
        entry.detail == f"fiscal year 2021; programme {programme.pk}; json; publication"
    )
    with pytest.raises(CommandError, match="No active user"):
        run("--fiscal-year", "2021", "--user", "nobody")


def test_an_implausible_year_is_refused():
    with pytest.raises(CommandError, match="--fiscal-year"):
        run("--fiscal-year", "21")
