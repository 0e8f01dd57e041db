"""Imports `stays` and `salon_visits` (SPEC §3): all of a file or none of it,
every bad row reported with its number and reason."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse

from consultations.models import Client
from reports.imports import read_dataset, run_import
from shelter.models import SalonVisit, Stay

from .factories import RoomFactory, SalonFactory, ShelterFactory, StayFactory

pytestmark = pytest.mark.django_db
D = dt.date
STAY_HEADER = "相談者コード,施設,部屋,区分,開始日,終了日,同伴児数"


@pytest.fixture
def rooms():
    shelter = ShelterFactory(name="やどかりハウス")
    return {n: RoomFactory(facility=shelter, name=n) for n in ("1号室", "2号室")}


def csv(*lines: str, bom: bool = False) -> bytes:
    text = "\n".join(lines) + "\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def import_stays(content: bytes, *, by=None, dry_run=False):
    return run_import("stays", read_dataset("s.csv", content), by=by, dry_run=dry_run)


def test_a_good_stays_file_is_written_and_unknown_clients_are_created(
    rooms, coordinator
):
    content = csv(
        STAY_HEADER,
        "C-900001,やどかりハウス,1号室,宿泊,2021-10-01,2021-10-04,2",
        "C-900001,やどかりハウス,1号室,宿泊,令和3年10月4日,令和3年10月6日,",
        "C-900002,やどかりハウス,2号室,一時利用,2021-10-02,,0",
        "C-900002,やどかりハウス,2号室,一時利用,2021/10/03,2021-10-03,1",
        bom=True,
    )
    outcome = import_stays(content, by=coordinator)
    assert outcome.ok, outcome.errors
    assert outcome.written == 4
    stays = list(Stay.objects.order_by("start_date"))
    assert [(s.start_date, s.nights, s.kind) for s in stays] == [
        (D(2021, 10, 1), 3, "overnight"),
        (D(2021, 10, 2), 0, "day_rest"),
        (D(2021, 10, 3), 0, "day_rest"),
        (D(2021, 10, 4), 2, "overnight"),
    ]
    assert stays[0].children == 2 and stays[3].children == 0
    # Stays long past are history, not bookings.
    assert {s.status for s in stays} == {Stay.Status.COMPLETED}
    assert set(Client.objects.values_list("code", flat=True)) == {
        "C-900001",
        "C-900002",
    }


def test_a_file_with_bad_rows_writes_nothing_and_names_each_row(rooms):
    StayFactory(room=rooms["2号室"], start_date=D(2021, 11, 1), end_date=D(2021, 11, 5))
    lines = [STAY_HEADER]
    for i in range(20):  # 20 good rows, one night each in 1号室
        day = D(2021, 10, 1) + dt.timedelta(days=i)
        lines.append(
            f"C-9{i:05d},やどかりハウス,1号室,宿泊,{day},{day + dt.timedelta(1)},0"
        )
    lines[5] = "C-800001,ひだまり荘,1号室,宿泊,2021-12-01,2021-12-02,0"  # row 6
    lines[8] = "C-800002,やどかりハウス,9号室,宿泊,2021-12-01,2021-12-02,0"  # row 9
    lines[12] = "C-800003,やどかりハウス,1号室,泊まり,2021-12-01,2021-12-02,0"  # row 13
    lines.append("C-800004,やどかりハウス,2号室,宿泊,2021-11-03,2021-11-07,0")  # row 22
    lines.append("C-800005,やどかりハウス,1号室,宿泊,2021-10-05,2021-10-09,0")  # row 23
    lines.append("C-800006,やどかりハウス,1号室,宿泊,2021-12-05,,x")  # row 24
    outcome = import_stays(csv(*lines))
    errors = {e.row: e.message for e in outcome.errors}
    assert sorted(errors) == [6, 9, 13, 22, 23, 24]
    assert "施設「ひだまり荘」はありません" in errors[6]
    assert "居室「9号室」はありません（居室：1号室、2号室）" in errors[9]
    assert "区分: 「泊まり」は 宿泊/一時利用 のどれでもありません" in errors[13]
    # A clash with a stay already booked, and with an earlier row of the file.
    assert "2021年11月1日〜2021年11月5日（4泊）" in errors[22]
    assert (
        "2021年10月6日〜2021年10月7日（1泊）、2021年10月7日〜2021年10月8日（1泊）"
        in errors[23]
    )
    assert "終了日: 宿泊では必須です" in errors[24]
    assert "同伴児数: 「x」は数値ではありません" in errors[24]
    assert Stay.objects.count() == 1
    assert not Client.objects.filter(code__startswith="C-9").exists()


def test_the_cli_reports_bad_rows_and_exits_with_status_1(rooms, tmp_path, capsys):
    path = tmp_path / "stays.csv"
    path.write_bytes(
        csv(
            STAY_HEADER,
            "C-900001,やどかりハウス,1号室,宿泊,2021-10-01,2021-10-04,0",
            "C-900002,やどかりハウス,1号室,宿泊,2021-10-03,2021-10-05,0",
        )
    )
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_records", "stays", str(path))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "3行目" in err and "2021年10月1日〜2021年10月4日（3泊）" in err
    assert not Stay.objects.exists()


def test_the_cli_imports_a_good_file_and_a_dry_run_writes_nothing(
    rooms, tmp_path, capsys
):
    path = tmp_path / "stays.csv"
    path.write_bytes(
        csv(STAY_HEADER, "C-900001,やどかりハウス,2号室,宿泊,2021-10-01,2021-10-04,1")
    )
    call_command("import_records", "stays", str(path), "--dry-run")
    assert not Stay.objects.exists()
    call_command("import_records", "stays", str(path))
    assert "1行を取り込みました" in capsys.readouterr().out
    assert Stay.objects.get().room == rooms["2号室"]


def test_salon_visits_import_whole_or_not_at_all():
    salon = SalonFactory(name="サロンYORISOI")
    ShelterFactory(name="やどかりハウス")
    good = csv(
        "日付,施設,人数", "2021-10-01,サロンYORISOI,4", "令和3年10月2日,サロンYORISOI,0"
    )
    outcome = run_import(
        "salon_visits", read_dataset("v.csv", good), by=None, dry_run=False
    )
    assert outcome.ok, outcome.errors
    assert list(
        SalonVisit.objects.order_by("date").values_list("date", "visitors")
    ) == [
        (D(2021, 10, 1), 4),
        (D(2021, 10, 2), 0),
    ]
    bad = csv(
        "日付,施設,人数",
        "2021-10-03,サロンYORISOI,5",
        "2021-10-01,サロンYORISOI,2",  # already recorded
        "2021-10-04,やどかりハウス,2",  # not a salon
        "2021-10-05,サロンYORISOI,-1",
        "2021-10-03,サロンYORISOI,1",  # twice in the file
    )
    outcome = run_import(
        "salon_visits", read_dataset("v.csv", bad), by=None, dry_run=False
    )
    errors = {e.row: e.message for e in outcome.errors}
    assert sorted(errors) == [3, 4, 5, 6]
    assert (
        "すでに記録されています" in errors[3] and "すでに記録されています" in errors[6]
    )
    assert "サロンを選んでください" in errors[4]
    assert "0から500までの整数" in errors[5]
    assert SalonVisit.objects.filter(facility=salon).count() == 2


def test_the_browser_import_offers_both_kinds_to_coordinators(client_as, coordinator):
    page = client_as(coordinator).get(reverse("reports:import")).content.decode()
    assert 'value="stays"' in page and 'value="salon_visits"' in page
    assert 'value="consultations"' not in page
