"""Importing the consultations format of SPEC §3: all of a file or none."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from consultations.models import Client, Consultation
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
HEADER = "日付,時刻,相談方法,相談者コード,新規,担当者,主訴,内容,所要時間"


def write_csv(tmp_path, rows, bom=False, name="consultations.csv"):
    path = tmp_path / name
    text = "\n".join([HEADER, *rows]) + "\n"
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


def run_cli(path, *args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import_records", "consultations", str(path), *args, stdout=out, stderr=err
        )
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_a_good_file_is_written_and_unknown_clients_are_created(tmp_path, counsellor):
    existing = ClientFactory(code="C-000001")
    path = write_csv(
        tmp_path,
        [
            "2021-10-15,10:00,電話,C-000001,,counsellor1,DV、就労,相談内容,30",
            "2021-10-16,11:30,LINE,C-900001,,counsellor1,子育て,,",
            "2021-10-17,,対面,,1,counsellor1,,匿名の相談,15",
            "2021-10-18,09:00,LINE,C-900001,0,counsellor1,,,",
        ],
        bom=True,
    )
    code, out, err = run_cli(path)
    assert (code, err) == (0, "")
    assert "4" in out
    assert Consultation.objects.count() == 4
    created = Client.objects.get(code="C-900001")
    assert created.display_name == "C-900001"
    first = Consultation.objects.get(client=existing)
    assert first.channel == "phone" and first.duration_minutes == 30
    # Old topic names are still read (migration 0020's mapping): the first
    # is the main complaint, the next an other problem.
    assert first.main_complaint_id == "spouse_violence"
    assert list(first.other_problems.values_list("code", flat=True)) == ["economic"]
    assert timezone.localtime(first.started_at) == timezone.make_aware(
        dt.datetime(2021, 10, 15, 10, 0)
    )
    # 新規: derived for clients, ticked for the anonymous contact.
    assert list(
        created.consultations.order_by("started_at").values_list("is_new", flat=True)
    ) == [True, False]
    assert Consultation.objects.get(client=None).is_new
    # Audited: the import, and each client it touched.
    assert (
        AuditEntry.objects.filter(action="import", object_type="consultations").count()
        == 1
    )
    assert set(
        AuditEntry.objects.filter(action="import", client_code__gt="").values_list(
            "client_code", flat=True
        )
    ) == {"C-000001", "C-900001"}


def test_wareki_dates_are_read(tmp_path, counsellor):
    path = write_csv(
        tmp_path,
        [
            "令和3年10月15日,10:00,電話,,,counsellor1,,,",
            "令和元年5月1日,10:00,電話,,,counsellor1,,,",
            "平成31年4月30日,10:00,電話,,,counsellor1,,,",
        ],
    )
    assert run_cli(path)[0] == 0
    days = sorted(
        timezone.localtime(c.started_at).date() for c in Consultation.objects.all()
    )
    assert days == [dt.date(2019, 4, 30), dt.date(2019, 5, 1), dt.date(2021, 10, 15)]


def test_fifty_rows_with_three_bad_ones_write_nothing(tmp_path, counsellor):
    rows = [
        f"2021-10-{1 + i % 28:02d},10:00,電話,C-8{i:05d},,counsellor1,就労,,20"
        for i in range(50)
    ]
    rows[9] = "2021-10-10,10:00,FAX,,,counsellor1,,,"  # file row 11
    rows[24] = "令和3年2月30日,10:00,電話,,,counsellor1,,,"  # file row 26
    rows[41] = "2021-10-12,10:00,電話,,,nobody,,,"  # file row 43
    path = write_csv(tmp_path, rows)
    code, out, err = run_cli(path)
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("11行目: 相談方法:") and "FAX" in lines[0]
    assert lines[1].startswith("26行目: 日付:") and "令和3年2月30日" in lines[1]
    assert lines[2].startswith("43行目: 担当者:") and "nobody" in lines[2]
    assert "50行のうち3行に誤りがあるため、何も取り込みませんでした" in lines[3]
    assert len(lines) == 4
    assert not Consultation.objects.exists()
    assert not Client.objects.exists()  # the clients of the good rows were not kept
    assert not AuditEntry.objects.exists()


def test_dry_run_checks_and_writes_nothing(tmp_path, counsellor):
    path = write_csv(tmp_path, ["2021-10-15,10:00,電話,C-1,,counsellor1,,,"])
    code, out, _err = run_cli(path, "--dry-run")
    assert code == 0 and "何も書き込んでいません" in out
    assert not Consultation.objects.exists() and not Client.objects.exists()


def test_the_new_column_is_refused_for_a_known_client(tmp_path, counsellor):
    path = write_csv(tmp_path, ["2021-10-15,10:00,電話,C-1,1,counsellor1,,,"])
    code, _out, err = run_cli(path)
    assert code == 1 and "2行目: 新規:" in err


def test_an_xlsx_file_is_imported(tmp_path, counsellor):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(
        [
            dt.datetime(2021, 10, 15),
            dt.time(14, 30),
            "SNS",
            "",
            1,
            "counsellor1",
            "孤立・孤独",
            "チャット",
            25,
        ]
    )
    path = tmp_path / "c.xlsx"
    book.save(path)
    assert run_cli(path)[0] == 0
    consultation = Consultation.objects.get()
    assert consultation.channel == "sns" and consultation.is_new
    assert timezone.localtime(consultation.started_at).time() == dt.time(14, 30)


def test_a_file_missing_a_required_column_is_refused(tmp_path, counsellor):
    path = tmp_path / "bad.csv"
    path.write_text("日付,相談方法\n2021-10-15,電話\n", encoding="utf-8")
    code, _out, err = run_cli(path)
    assert code == 1 and "担当者" in err


def test_the_browser_import_previews_then_imports_on_confirm(
    client_as, counsellor, tmp_path
):
    c = client_as(counsellor)
    path = write_csv(tmp_path, ["2021-10-15,10:00,電話,C-77,,counsellor1,,,"])
    with path.open("rb") as f:
        response = c.post(
            reverse("reports:import"), {"kind": "consultations", "file": f}
        )
    body = response.content.decode()
    assert "1行を確認しました。誤りはありません。" in body
    assert not Consultation.objects.exists()  # the preview wrote nothing
    token = response.context["token"]
    response = c.post(
        reverse("reports:import"), {"token": token, "confirm": "1"}, follow=True
    )
    assert "1行を取り込みました" in response.content.decode()
    assert Consultation.objects.count() == 1


def test_the_browser_import_shows_each_bad_row(client_as, counsellor, tmp_path):
    path = write_csv(
        tmp_path,
        [
            "2021-10-15,10:00,電話,,,counsellor1,,,",
            "2021-13-01,10:00,電話,,,counsellor1,,,",
        ],
    )
    with path.open("rb") as f:
        response = client_as(counsellor).post(
            reverse("reports:import"), {"kind": "consultations", "file": f}
        )
    body = response.content.decode()
    assert "2行のうち1行に誤りがあります" in body
    assert "2021-13-01" in body
    assert "token" not in response.context
    assert not Consultation.objects.exists()


def test_other_roles_cannot_import_consultations(client_as, coordinator, tmp_path):
    path = write_csv(tmp_path, ["2021-10-15,10:00,電話,,,counsellor1,,,"])
    with path.open("rb") as f:
        response = client_as(coordinator).post(
            reverse("reports:import"), {"kind": "consultations", "file": f}
        )
    assert response.status_code in (200, 403)
    assert not Consultation.objects.exists()
