"""peer_sessions import (SPEC §3): 日付, 終了日, グループ, 参加者数, テーマ; an
unknown group name creates the group; a file is imported whole or not at all."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from peergroups import selectors
from peergroups.models import Group, Session
from reports.imports import read_dataset, run_import

from .factories import GroupFactory

pytestmark = pytest.mark.django_db

HEADER = "日付,終了日,グループ,参加者数,テーマ\n"


def dataset(body: str):
    return read_dataset("sessions.csv", ("\ufeff" + HEADER + body).encode())


def test_a_good_file_writes_every_row_and_creates_the_unknown_group(facilitator):
    GroupFactory(name="ピアサポートグループ")
    outcome = run_import(
        "peer_sessions",
        dataset(
            "2021-10-15,,ピアサポートグループ,12,近況\n"
            "令和4年1月1日,令和4年1月3日,ピアサポートグループ,19,お正月\n"
            "2022-02-24,,ひとり親のおしゃべり会,8,\n"
        ),
        by=facilitator,
        dry_run=False,
    )
    assert outcome.ok, outcome.errors
    assert outcome.written == 3
    assert set(Group.objects.values_list("name", flat=True)) == {
        "ピアサポートグループ",
        "ひとり親のおしゃべり会",
    }
    new_year = Session.objects.get(date=dt.date(2022, 1, 1))
    assert new_year.end_date == dt.date(2022, 1, 3)
    totals = selectors.session_totals(
        start=dt.date(2021, 4, 1), end=dt.date(2022, 3, 31)
    )
    assert (totals.sessions, totals.participants) == (3, 39)


def test_one_bad_row_writes_nothing_and_every_bad_row_is_reported(facilitator):
    outcome = run_import(
        "peer_sessions",
        dataset(
            "2021-10-15,,新しいグループ,12,近況\n"
            "2021-13-01,,新しいグループ,5,\n"
            "2022-01-03,2022-01-01,新しいグループ,x,\n"
            "2022-02-01,,,3,\n"
        ),
        by=facilitator,
        dry_run=False,
    )
    assert not outcome.ok
    rows = {e.row: e.message for e in outcome.errors}
    assert sorted(rows) == [3, 4, 5]
    assert "日付" in rows[3]
    assert "参加者数" in rows[4]
    assert "終了日" in rows[4]
    assert "グループ" in rows[5]
    assert not Session.objects.exists()
    assert not Group.objects.exists(), "the group the file named is rolled back too"


def test_dry_run_writes_nothing(facilitator):
    outcome = run_import(
        "peer_sessions",
        dataset("2021-10-15,,ピアサポートグループ,12,近況\n"),
        by=facilitator,
        dry_run=True,
    )
    assert outcome.ok
    assert not Session.objects.exists()
    assert not Group.objects.exists()


def test_command_line_import_exits_1_on_a_bad_row(tmp_path, facilitator):
    path = tmp_path / "sessions.csv"
    path.write_text(HEADER + "2021-10-15,,G,12,\n2021-10-16,,G,-1,\n", "utf-8")
    with pytest.raises(SystemExit) as exc:
        call_command("import_records", "peer_sessions", str(path))
    assert exc.value.code == 1
    assert not Session.objects.exists()
    path.write_text(HEADER + "2021-10-15,,G,12,\n2021-10-16,,G,1,\n", "utf-8")
    call_command("import_records", "peer_sessions", str(path))
    assert Session.objects.count() == 2


def test_browser_import_checks_then_writes(client_as, facilitator, tmp_path, settings):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path)
    web = client_as(facilitator)
    upload = SimpleUploadedFile(
        "sessions.csv",
        (HEADER + "令和3年10月15日,,ピアサポートグループ,12,近況\n").encode(),
        content_type="text/csv",
    )
    preview = web.post("/reports/import/", {"kind": "peer_sessions", "file": upload})
    assert preview.status_code == 200
    assert not Session.objects.exists()
    token = preview.context["token"]
    done = web.post("/reports/import/", {"confirm": "1", "token": token}, follow=True)
    assert Session.objects.get().date == dt.date(2021, 10, 15)
    assert "1行を取り込みました（ピアサポートグループ開催）" in done.content.decode()


def test_browser_import_of_a_bad_file_lists_the_rows_and_offers_no_confirm(
    client_as, facilitator, tmp_path, settings
):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path)
    upload = SimpleUploadedFile(
        "sessions.csv",
        (HEADER + "2021-10-15,,G,12,\n2021-10-16,,G,abc,\n").encode(),
        content_type="text/csv",
    )
    page = client_as(facilitator).post(
        "/reports/import/", {"kind": "peer_sessions", "file": upload}
    )
    body = page.content.decode()
    assert "参加者数" in body and "abc" in body
    assert 'name="confirm"' not in body
    assert not Session.objects.exists()
