"""The stays import reads entrusted temporary protection (一時保護委託, issue
20): the optional columns, their defaults, and a row error naming the column
and the reason for each rule (a file is written whole or not at all).
Messages are read in English (the source strings); the choices they list are
the Japanese labels a file is written with."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from consultations.models import Client, PartnerAgency
from reports.imports import read_dataset, run_import
from shelter.models import Stay

from .factories import RoomFactory, ShelterFactory

pytestmark = pytest.mark.django_db
D = dt.date

STAY = ["相談者コード", "施設", "部屋", "区分", "開始日", "終了日", "同伴児数"]
PROTECTION = [
    "一時保護委託",
    "委託元",
    "委託元番号",
    "同意日",
    "同意方法",
    "入所日",
    "退所日",
    "保護児童数",
    "保護理由",
    "退所先",
]
HEADER = ",".join(STAY + PROTECTION)
CENTRE = "県女性相談支援センター"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def centre():
    return PartnerAgency.objects.create(
        name=CENTRE, category=PartnerAgency.Category.WOMEN_SUPPORT_CENTRE
    )


@pytest.fixture
def rooms():
    shelter = ShelterFactory(name="やどかりハウス")
    return {n: RoomFactory(facility=shelter, name=n) for n in ("1号室", "2号室")}


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def import_stays(*lines: str, by=None, dry_run=False):
    dataset = read_dataset("s.csv", csv(HEADER, *lines))
    return run_import("stays", dataset, by=by, dry_run=dry_run)


def test_a_protection_is_imported_with_every_column_and_its_defaults(
    rooms, centre, coordinator
):
    outcome = import_stays(
        # Across 31 March: 入所日 blank is 開始日, 保護児童数 blank is 同伴児数;
        # a wareki date and Japanese labels.
        "C-1,やどかりハウス,1号室,宿泊,2022-03-20,2022-04-11,1,"
        f"1,{CENTRE},女相-2022-014,令和4年3月20日,書面,,2022-04-10,,"
        "夫等からの暴力,自立（アパート等）",
        # Codes instead of labels; admission after arrival, no child with her.
        "C-2,やどかりハウス,2号室,宿泊,2022-05-01,2022-05-06,2,"
        f"1,{CENTRE},,2022-05-02,spoken,2022-05-02,2022-05-04,0,"
        "housing,mother_child_facility",
        # An ordinary stay: 0 and blank cells.
        "C-3,やどかりハウス,1号室,宿泊,2022-05-01,2022-05-03,0,0,,,,,,,,,",
        "C-4,やどかりハウス,2号室,一時利用,2022-06-01,,0,,,,,,,,,,",
        by=coordinator,
    )
    assert outcome.ok, outcome.errors
    stays = {s.client.code: s for s in Stay.objects.select_related("client")}
    across = stays["C-1"]
    assert across.entrusted
    assert across.protection_agency == centre
    assert across.protection_reference == "女相-2022-014"
    assert across.protection_consent_on == D(2022, 3, 20)
    assert across.protection_consent_method == "written"
    assert across.protection_admitted_on == D(2022, 3, 20)
    assert across.protection_discharged_on == D(2022, 4, 10)
    assert across.protection_children == 1
    assert across.protection_reason == "spouse_violence"
    assert across.protection_destination == "independent"
    assert across.protection_days == 22
    inside = stays["C-2"]
    assert (inside.protection_consent_method, inside.protection_reason) == (
        "spoken",
        "housing",
    )
    assert inside.protection_destination == "mother_child_facility"
    assert (inside.protection_children, inside.protection_days) == (0, 3)
    assert inside.protection_reference == ""
    for code in ("C-3", "C-4"):
        assert not stays[code].entrusted
        assert stays[code].protection_agency is None
        assert stays[code].protection_admitted_on is None


def test_a_file_without_the_protection_columns_imports_as_before(rooms):
    outcome = run_import(
        "stays",
        read_dataset(
            "s.csv",
            csv(
                ",".join(STAY), "C-1,やどかりハウス,1号室,宿泊,2022-05-01,2022-05-03,0"
            ),
        ),
        by=None,
        dry_run=False,
    )
    assert outcome.ok, outcome.errors
    assert not Stay.objects.get().entrusted


def test_a_blank_discharge_is_the_day_she_left_or_still_protected(rooms, centre):
    """退所日 blank: a stay that has ended was discharged on its last day (as
    checking out records it); a stay still to come is still protected."""
    today = timezone.localdate()
    soon, later = today + dt.timedelta(days=10), today + dt.timedelta(days=14)
    outcome = import_stays(
        "C-1,やどかりハウス,1号室,宿泊,2022-05-01,2022-05-06,0,"
        f"1,{CENTRE},,2022-05-01,LINE,,,,経済関係,",
        f"C-2,やどかりハウス,2号室,宿泊,{soon},{later},0,"
        f"1,{CENTRE},,{soon},書面,,,,性暴力,",
    )
    assert outcome.ok, outcome.errors
    ended = Stay.objects.get(client__code="C-1")
    assert ended.status == Stay.Status.COMPLETED
    assert ended.protection_consent_method == "line"
    assert ended.protection_discharged_on == D(2022, 5, 6)
    assert ended.protection_days == 6
    coming = Stay.objects.get(client__code="C-2")
    assert coming.status == Stay.Status.RESERVED
    assert coming.protection_discharged_on is None
    assert coming.protection_days is None


BAD_ROWS = [
    # row 2: good
    "C-1,やどかりハウス,1号室,宿泊,2022-05-01,2022-05-06,0,"
    f"1,{CENTRE},,2022-05-01,書面,,2022-05-03,,住居問題・帰住先なし,",
    # row 3: unknown agency
    "C-2,やどかりハウス,2号室,宿泊,2022-05-01,2022-05-06,0,"
    "1,どこかの相談所,,2022-05-01,書面,,,,住居問題・帰住先なし,",
    # row 4: unknown reason, unknown destination, unknown consent method
    "C-3,やどかりハウス,1号室,宿泊,2022-06-01,2022-06-06,0,"
    f"1,{CENTRE},,2022-06-01,メール,,2022-06-05,,借金,病院",
    # row 5: protection cells without 一時保護委託=1
    "C-4,やどかりハウス,2号室,宿泊,2022-06-01,2022-06-06,0,"
    f",{CENTRE},,,,,,,夫等からの暴力,",
    # row 6: admission before 開始日
    "C-5,やどかりハウス,1号室,宿泊,2022-07-01,2022-07-06,0,"
    f"1,{CENTRE},,2022-06-28,書面,2022-06-30,,,性暴力,",
    # row 7: a day rest marked entrusted
    "C-6,やどかりハウス,2号室,一時利用,2022-07-01,,0,"
    f"1,{CENTRE},,2022-07-01,書面,,,,性暴力,",
    # row 8: not 1 or 0; required cells left blank
    "C-7,やどかりハウス,1号室,宿泊,2022-08-01,2022-08-06,0,はい,,,,,,,,,",
    "C-8,やどかりハウス,2号室,宿泊,2022-08-01,2022-08-06,1,1,,,,,,,,,",  # row 9
    # row 10: consent after admission, more children than with her, a
    # destination while still protected (a stay still to come)
    "C-9,やどかりハウス,1号室,宿泊,2099-08-01,2099-08-06,1,"
    f"1,{CENTRE},,2099-08-03,書面,2099-08-02,,2,性暴力,帰宅",
]


def test_bad_protection_rows_are_each_reported_and_nothing_is_written(rooms, centre):
    PartnerAgency.objects.create(
        name="市女性相談支援センター",
        category=PartnerAgency.Category.WOMEN_SUPPORT_CENTRE,
    )
    outcome = import_stays(*BAD_ROWS)
    errors = {e.row: e.message for e in outcome.errors}
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10]
    # The known agencies, the women's consultation support centres first.
    assert errors[3].startswith(
        "委託元: unknown partner agency “どこかの相談所” (known: "
        "市女性相談支援センター、県女性相談支援センター、"
    )
    assert "保護理由: “借金” is not one of 夫等からの暴力/" in errors[4]
    assert "退所先: “病院” is not one of 帰宅/" in errors[4]
    assert "同意方法: “メール” is not one of 書面/口頭/LINE" in errors[4]
    assert errors[5] == (
        "一時保護委託: write 1 for a temporary protection, or leave 委託元、保護理由 "
        "blank"
    )
    assert errors[6] == (
        "入所日: Admission must be on a night of the stay: from 1 Jul 2022 to the "
        "day before 6 Jul 2022."
    )
    assert errors[7] == (
        "一時保護委託: Only an overnight stay can be a temporary protection."
    )
    assert errors[8] == "一時保護委託: write 1 or 0"
    for column in ("委託元", "同意日", "同意方法", "保護理由"):
        assert f"{column}: required" in errors[9]
    assert "入所日" not in errors[9] and "保護児童数" not in errors[9]
    assert (
        "同意日: Her consent must come before admission (or on that day)." in errors[10]
    )
    assert "保護児童数: At most the children who stay with her (1)" in errors[10]
    assert "退所先: Give the date of discharge with where she went." in errors[10]
    # Whole or not at all: not even the good row, nor its client.
    assert not Stay.objects.exists()
    assert not Client.objects.exists()


def test_the_cli_reports_the_bad_protection_rows_and_exits_with_1(
    rooms, centre, tmp_path, capsys
):
    path = tmp_path / "stays.csv"
    path.write_bytes(csv(HEADER, *BAD_ROWS))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_records", "stays", str(path))
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "Row 3: 委託元: unknown partner agency “どこかの相談所”" in err
    assert "Row 4: " in err and "保護理由: “借金”" in err
    assert "Row 5: 一時保護委託: write 1 for a temporary protection" in err
    assert "Row 6: 入所日: Admission must be on a night of the stay" in err
    assert "Row 7: 一時保護委託: Only an overnight stay" in err
    assert "8 of 9 rows are bad: nothing was imported." in err
    assert not Stay.objects.exists()


def test_the_browser_import_previews_then_writes_a_protection(
    client_as, coordinator, rooms, centre
):
    c = client_as(coordinator)
    good = csv(
        HEADER,
        "C-1,やどかりハウス,1号室,宿泊,2022-03-20,2022-04-11,0,"
        f"1,{CENTRE},女相-1,2022-03-20,書面,,2022-04-10,,夫等からの暴力,帰宅",
    )
    upload = _file("stays.csv", good)
    response = c.post(
        reverse("reports:import"),
        {"kind": "stays", "file": upload},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert not Stay.objects.exists()  # the preview wrote nothing
    token = response.context["token"]
    c.post(reverse("reports:import"), {"token": token, "confirm": "1"})
    stay = Stay.objects.get()
    assert stay.entrusted and stay.protection_days == 22
    assert stay.protection_destination == "home"


def test_the_browser_preview_shows_a_bad_protection_row(
    client_as, coordinator, rooms, centre
):
    bad = csv(
        HEADER,
        "C-1,やどかりハウス,1号室,宿泊,2022-05-01,2022-05-06,0,"
        "1,どこかの相談所,,2022-05-01,書面,,,,性暴力,",
    )
    response = client_as(coordinator).post(
        reverse("reports:import"),
        {"kind": "stays", "file": _file("stays.csv", bad)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = response.content.decode()
    assert "unknown partner agency “どこかの相談所”" in body
    assert "token" not in response.context
    assert not Stay.objects.exists()


def _file(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_a_wrong_start_date_is_reported_once_not_again_as_the_admission(rooms, centre):
    """入所日 blank is 開始日: when 開始日 is wrong, that is the one error."""
    outcome = import_stays(
        "C-1,やどかりハウス,1号室,宿泊,2022-02-30,2022-03-05,0,"
        f"1,{CENTRE},,2022-02-01,書面,,,,性暴力,",
    )
    [error] = outcome.errors
    assert error.message.startswith("開始日: “2022-02-30” is not a date")
    assert "入所日" not in error.message
