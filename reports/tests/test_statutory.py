"""The statutory tables (reports.statutory): 主訴 per person and per
consultation, by channel and age band, and referrals by agency category and
outcome, in every format and for publication."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from consultations.consent.models import Referral
from consultations.models import Client, Consultation, PartnerAgency, SupportAction
from reports import disclosure, exports, selectors, statutory
from reports.metrics import REGISTRY, YearFigures
from reports.services import programme_create
from shelter.models import ProtectionReason, Stay
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

HEADER = "日付,時刻,相談方法,相談者コード,新規,担当者,主訴,その他の問題,内容,所要時間"

# A fiscal year (令和3年度) built only through the import format. Woman A
# (C-000001) consults three times, woman B once, two anonymous contacts,
# and one consultation falls in the next fiscal year.
ROWS = [
    "2021-04-01,10:00,電話,C-000001,,counsellor1,夫等からの暴力,,,30",
    "令和3年6月1日,11:00,LINE,C-000001,,counsellor1,夫等からの暴力、経済関係,,,20",
    "2021-09-01,14:00,対面,C-000001,,counsellor1,経済関係,,,60",
    "2021-10-01,10:00,電話,C-000002,,counsellor1,住居問題,精神的問題、経済関係,,",
    "2021-11-01,19:00,電話,,1,counsellor1,夫等からの暴力,,,10",
    "2022-03-31,23:30,メール,,0,counsellor1,,,,",
    "2022-04-01,10:00,電話,C-000002,,counsellor1,夫等からの暴力,,,",
]


ALL_TABLES = ["main_complaints", "referrals", "temporary_protection", "meetings"]


def import_rows(tmp_path, rows=ROWS):
    path = tmp_path / "consultations.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_records", "consultations", str(path), stdout=out, stderr=err)
    assert err.getvalue() == ""


def report_json(*args) -> dict:
    out = io.StringIO()
    call_command(
        "annual_report", "--fiscal-year", "2021", "--format", "json", *args, stdout=out
    )
    return json.loads(out.getvalue())


def by_code(data: dict) -> dict:
    return {r["code"]: r for r in data["statutory"]["main_complaints"]}


def test_a_year_imported_through_the_formats_is_counted_figure_by_figure(
    tmp_path, counsellor
):
    import_rows(tmp_path)
    data = report_json()
    rows = by_code(data)
    # Every code of the list, zeros included, in the list's order, with the
    # keys of SPEC §3.
    assert [r["code"] for r in data["statutory"]["main_complaints"]][:3] == [
        "spouse_violence",
        "family_violence",
        "partner_violence",
    ]
    assert "unknown" in rows and rows["pregnancy"]["people"] == 0
    for r in data["statutory"]["main_complaints"]:
        assert {"code", "label", "people", "consultations"} <= set(r)
    # 夫等からの暴力: A twice (phone, LINE) and one anonymous call: three
    # consultations, two people — A counted once.
    assert rows["spouse_violence"]["label"] == "夫等からの暴力"
    assert rows["spouse_violence"]["consultations"] == 3
    assert rows["spouse_violence"]["people"] == 2
    assert rows["spouse_violence"]["by_channel"] == {
        "line": 1,
        "phone": 2,
        "face_to_face": 0,
        "sns": 0,
        "email": 0,
        "visit": 0,
    }
    assert rows["spouse_violence"]["by_age_band"]["unknown"] == 2
    # 経済関係: main once (A, face to face); named as an other problem on
    # A's LINE consultation and in B's その他の問題.
    assert (rows["economic"]["people"], rows["economic"]["consultations"]) == (1, 1)
    assert rows["economic"]["other_problems"] == 2
    assert rows["economic"]["by_channel"]["face_to_face"] == 1
    assert (rows["housing"]["people"], rows["housing"]["consultations"]) == (1, 1)
    assert rows["mental"]["other_problems"] == 1
    assert rows["mental"]["consultations"] == 0
    # The anonymous e-mail with no 主訴 is 不明; the next year's is not counted.
    assert (rows["unknown"]["people"], rows["unknown"]["consultations"]) == (1, 1)
    assert rows["unknown"]["by_channel"]["email"] == 1
    # Per consultation the table adds up to the consultations of the year;
    # per person it counts A under both of her main complaints: 2 + 1 + 1 + 1
    # for four people (A, B and two anonymous contacts).
    assert data["consultations_total"]["count"] == 6
    assert sum(r["consultations"] for r in rows.values()) == 6
    assert sum(r["people"] for r in rows.values()) == 5
    assert Consultation.objects.filter(client__code="C-000001").count() == 3


def test_people_are_counted_in_their_age_band(counsellor):
    young = ClientFactory(age_band=Client.AgeBand.TWENTIES)
    older = ClientFactory(age_band=Client.AgeBand.FORTIES)
    at = timezone.make_aware(dt.datetime(2021, 10, 1, 10))
    for person, n in ((young, 3), (older, 1)):
        for i in range(n):
            Consultation.objects.create(
                client=person,
                counsellor=counsellor,
                channel="phone",
                started_at=at + dt.timedelta(days=i),
                main_complaint_id="divorce",
            )
    row = by_code(selectors.annual_report(fiscal_year=2021))["divorce"]
    assert (row["people"], row["consultations"]) == (2, 4)
    assert row["by_age_band"]["20s"] == 1 and row["by_age_band"]["40s"] == 1
    assert sum(row["by_age_band"].values()) == row["people"]


def referral(person, agency, staff, status, day=dt.date(2021, 10, 1), programme=None):
    action = SupportAction.objects.create(
        client=person,
        kind="referral",
        date=day,
        staff=staff,
        partner_agency=agency,
        programme=programme,
    )
    answered = None if status == "sent" else timezone.now()
    return Referral.objects.create(
        client=person,
        agency=agency,
        kind="referral",
        date=day,
        categories=1,
        override_reason="緊急",
        staff=staff,
        support_action=action,
        status=status,
        responded_at=answered,
    )


def test_referrals_are_counted_by_agency_category_and_outcome(counsellor):
    person = ClientFactory()
    police = PartnerAgency.objects.filter(category="police").first()
    hello = PartnerAgency.objects.filter(category="hello_work").first()
    for status in ("sent", "accepted", "accepted", "declined"):
        referral(person, police, counsellor, status)
    referral(person, hello, counsellor, "accepted")
    referral(person, hello, counsellor, "accepted", day=dt.date(2022, 4, 1))
    data = report_json()
    rows = {r["category"]: r for r in data["statutory"]["referrals"]}
    assert set(rows) == set(PartnerAgency.Category.values)
    assert {k: rows["police"][k] for k in ("sent", "accepted", "declined")} == {
        "sent": 1,
        "accepted": 2,
        "declined": 1,
    }
    assert rows["police"]["total"] == 4
    assert rows["hello_work"]["accepted"] == 1
    assert rows["npo"] == {
        "category": "npo",
        "label": rows["npo"]["label"],
        "sent": 0,
        "accepted": 0,
        "declined": 0,
        "total": 0,
    }
    assert data["statutory"]["referrals_total"] == {
        "sent": 1,
        "accepted": 3,
        "declined": 1,
        "total": 5,
    }
    figures = YearFigures(2021)
    assert REGISTRY["referrals_accepted"].read(figures) == 3


def test_a_programme_counts_only_its_own_records(counsellor, city_staff):
    mine = programme_create(
        by=city_staff, fiscal_year=2021, name="A", municipality="市"
    )
    other = programme_create(
        by=city_staff, fiscal_year=2021, name="B", municipality="市"
    )
    at = timezone.make_aware(dt.datetime(2021, 10, 1, 10))
    person = ClientFactory()
    police = PartnerAgency.objects.filter(category="police").first()
    for programme, code in ((mine, "housing"), (other, "housing"), (other, "stalking")):
        Consultation.objects.create(
            client=person,
            counsellor=counsellor,
            channel="phone",
            started_at=at,
            main_complaint_id=code,
            programme=programme,
        )
        referral(person, police, counsellor, "sent", programme=programme)
    rows = by_code(selectors.annual_report(fiscal_year=2021, programme=mine))
    assert rows["housing"]["consultations"] == 1
    assert rows["stalking"]["consultations"] == 0
    figures = YearFigures(2021, [mine.pk])
    assert REGISTRY["complaint_housing_consultations"].read(figures) == 1
    assert REGISTRY["referrals_sent"].read(figures) == 1
    assert REGISTRY["referrals_sent"].read(YearFigures(2021)) == 3


def test_the_grids_add_up_on_true_figures(tmp_path, counsellor):
    """What publication relies on: every group the grids declare adds up,
    and every ordered pair holds, on the true figures."""
    import_rows(tmp_path)
    data = selectors.annual_report(fiscal_year=2021)
    values, groups, at_most = selectors._figures(data)
    statutory_groups = [
        g for g in groups if g.members and g.members[0][0] == "statutory"
    ]
    assert len(statutory_groups) > 10
    for group in groups:
        assert sum(values[m] for m in group.members) == values[group.total], group
    for small, large in at_most:
        assert values[small] <= values[large]


def test_publication_hides_small_counts_in_the_statutory_tables_too(
    tmp_path, counsellor
):
    import_rows(tmp_path)
    data = selectors.report_for(fiscal_year=2021, publication=True)
    rows = by_code(data)
    assert rows["spouse_violence"]["consultations"] == disclosure.SMALL
    assert rows["spouse_violence"]["by_channel"]["phone"] == disclosure.SMALL
    assert rows["pregnancy"]["people"] == 0  # a zero gives nothing away here
    # Every statutory count is hidden (the total is 6: nothing can be shown
    # beside a hidden figure without giving it away, or it is zero).
    true = by_code(selectors.annual_report(fiscal_year=2021))
    for code, row in rows.items():
        for column in ("people", "consultations"):
            assert row[column] in (disclosure.SMALL, disclosure.HIDDEN, 0) or (
                true[code][column] >= 5
            )


def test_every_format_shows_the_statutory_tables(tmp_path, counsellor):
    import_rows(tmp_path)
    data = selectors.annual_report(fiscal_year=2021)
    csv = exports.to_csv(data).decode("utf-8-sig")
    assert "Main complaints by channel (consultations)" in csv or "主訴" in csv
    assert "夫等からの暴力,2,3,0" in csv
    html = exports.to_json(data)
    assert '"main_complaints"' in html
    from reports.layout import report_context

    context = report_context(data)
    keys = [t["key"] for t in context["statutory_tables"]]
    assert keys == ALL_TABLES
    grids = [g["key"] for t in context["statutory_tables"] for g in t["grids"]]
    assert grids == [
        "main_complaints",
        "main_complaints_by_channel",
        "main_complaints_by_age_band",
        "referrals",
        "temporary_protection",
        "meetings",
    ]
    sheets = [t.title for t in exports.tables(data)]
    assert len(sheets) == len({s[:31] for s in sheets})


def test_a_table_is_one_registered_function():
    """The extension point of the module docstring: every registered table
    builds a block and shows it as grids."""
    assert [t.key for t in statutory.TABLES] == ALL_TABLES


# TEMPORARY PROTECTION AND MEETINGS
# ------------------------------------------------------------------------------


def test_temporary_protection_and_meetings_are_in_every_programme_report(
    counsellor, city_staff
):
    """Protections count in the year of their discharge with their full
    length; meetings by level, a programme's report counting the meetings of
    its organisation; publication hides the average with a small count."""
    from accounts.models import Organisation
    from consultations.meetings.models import CoordinationMeeting
    from shelter.tests.test_protection import entrusted_stay

    centre = PartnerAgency.objects.create(
        name="県女性相談支援センター", category="women_support_centre"
    )
    mine = programme_create(
        by=city_staff, fiscal_year=2021, name="A", municipality="市"
    )
    # 20 March → 10 April 2022 (22 days) counts in 令和3年度, its stay's year.
    entrusted_stay(centre, dt.date(2022, 3, 20), dt.date(2022, 4, 10))
    for start, end, reason in (
        (dt.date(2021, 5, 1), dt.date(2021, 5, 10), "spouse_violence"),  # 10 days
        (dt.date(2021, 11, 1), dt.date(2021, 11, 3), "housing"),  # 3 days
    ):
        entrusted_stay(centre, start, end, protection_reason=reason, programme=mine)
    for level in ("representatives", "case_review", "case_review"):
        CoordinationMeeting.objects.create(
            level=level, held_on=dt.date(2021, 7, 1), created_by=counsellor
        )
    other = Organisation.objects.create(name="よその団体")
    CoordinationMeeting.objects.create(
        level="practitioners",
        held_on=dt.date(2021, 7, 1),
        created_by=counsellor,
        organisation=other,
    )

    whole = selectors.annual_report(fiscal_year=2021)["statutory"]
    protection = whole["temporary_protection"]
    assert protection["stays"] == 3
    assert str(protection["average_days"]) == "11.7"  # (22 + 10 + 3) / 3
    reasons = {r["code"]: r["count"] for r in protection["by_reason"]}
    assert reasons["spouse_violence"] == 2 and reasons["housing"] == 1
    assert sum(reasons.values()) == 3
    assert whole["meetings"] == {
        "representatives": 1,
        "practitioners": 1,
        "case_reviews": 2,
    }
    next_year = selectors.annual_report(fiscal_year=2022)["statutory"]
    assert next_year["temporary_protection"]["stays"] == 0

    programme = selectors.annual_report(fiscal_year=2021, programme=mine)["statutory"]
    assert programme["temporary_protection"]["stays"] == 2
    assert str(programme["temporary_protection"]["average_days"]) == "6.5"
    # The programme's organisation's meetings, not the other organisation's.
    assert programme["meetings"]["practitioners"] == 0
    assert programme["meetings"]["case_reviews"] == 2
    assert REGISTRY["meetings_case_reviews"].read(YearFigures(2021)) == 2
    assert REGISTRY["temporary_protection_stays"].read(YearFigures(2021)) == 3

    published = selectors.report_for(fiscal_year=2021, publication=True)["statutory"]
    assert published["temporary_protection"]["stays"] == disclosure.SMALL
    assert published["temporary_protection"]["discharged"] == disclosure.SMALL
    assert published["temporary_protection"]["average_days"] == disclosure.HIDDEN
    csv = exports.to_csv(selectors.annual_report(fiscal_year=2021)).decode("utf-8-sig")
    assert "Individual case review meeting,2" in csv or "個別ケース検討会議,2" in csv


# ENTRUSTED TEMPORARY PROTECTION (一時保護委託), built through the imports
# ------------------------------------------------------------------------------

STAY_COLUMNS = [
    "相談者コード", "施設", "部屋", "区分", "開始日", "終了日", "同伴児数",
    "一時保護委託", "委託元", "委託元番号", "同意日", "同意方法", "入所日", "退所日",
    "保護児童数", "保護理由", "退所先",
]  # fmt: skip
CENTRE = "県女性相談支援センター"
PROTECTED_CONSULTATIONS = [
    "2022-02-01,10:00,電話,C-000011,,counsellor1,経済関係,,,30",
    "2022-03-18,10:00,電話,C-000012,,counsellor1,夫等からの暴力,,,30",
    "2022-04-28,10:00,LINE,C-000013,,counsellor1,住居問題,,,30",
    "2022-09-30,10:00,対面,C-000014,,counsellor1,夫等からの暴力,,,30",
]
# One protection a row (the last row is an ordinary stay):
# C in 令和3年度: 2022-02-01 to 02-05 (退所日 blank: the stay has ended, so
#   she was discharged when she left, 02-05): 5 days, 経済関係.
# A across 31 March: admitted 2022-03-20 (入所日 blank: 開始日), discharged
#   2022-04-10: 12 days in March (20–31) + 10 in April = 22 days, 夫等からの暴力.
# B wholly in 令和4年度: 2022-05-02 to 05-04: 3 days, housing (by its code).
# D in 令和4年度: 2022-10-01 (blank: 開始日) to 10-04 (blank: departure): 4
#   days, spouse_violence (by its code).
PROTECTED_STAYS = [
    "C-000011,やどかりハウス,1号室,宿泊,2022-02-01,2022-02-05,0,"
    f"1,{CENTRE},女相-21-9,2022-02-01,書面,2022-02-01,,,経済関係,帰宅",
    "C-000012,やどかりハウス,1号室,宿泊,令和4年3月20日,2022-04-11,1,"
    f"1,{CENTRE},女相-22-1,2022-03-19,口頭,,2022-04-10,,夫等からの暴力,"
    "自立（アパート等）",
    "C-000013,やどかりハウス,2号室,宿泊,2022-05-01,2022-05-06,2,"
    f"1,{CENTRE},,2022-05-02,LINE,2022-05-02,2022-05-04,1,housing,"
    "mother_child_facility",
    "C-000014,やどかりハウス,2号室,宿泊,2022-10-01,2022-10-04,0,"
    f"1,{CENTRE},,2022-10-01,書面,,,,spouse_violence,",
    "C-000015,やどかりハウス,1号室,宿泊,2022-06-01,2022-06-20,0,0,,,,,,,,,,",
]


def import_file(tmp_path, kind, columns, rows):
    path = tmp_path / f"{kind}.csv"
    path.write_text("\n".join([",".join(columns), *rows]) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    call_command("import_records", kind, str(path), stdout=out, stderr=err)
    assert err.getvalue() == ""


def protection_of(year: int, *args) -> dict:
    out = io.StringIO()
    call_command(
        "annual_report",
        "--fiscal-year",
        str(year),
        "--format",
        "json",
        *args,
        stdout=out,
    )
    block = json.loads(out.getvalue())["statutory"]["temporary_protection"]
    block["by_reason"] = {r["code"]: r["count"] for r in block["by_reason"]}
    return block


def reasons(**counts) -> dict:
    return {**dict.fromkeys(ProtectionReason.values, 0), **counts}


@pytest.fixture
def shelter_and_centre():
    from shelter.tests.factories import RoomFactory, ShelterFactory

    shelter = ShelterFactory(name="やどかりハウス")
    for name in ("1号室", "2号室"):
        RoomFactory(facility=shelter, name=name)
    PartnerAgency.objects.create(
        name=CENTRE, category=PartnerAgency.Category.WOMEN_SUPPORT_CENTRE
    )


def test_temporary_protection_of_a_year_imported_through_the_formats(
    tmp_path, counsellor, shelter_and_centre
):
    """Issue 20: a year built only through the import formats, the table
    checked figure by figure; a stay across 31 March counts in the year its
    stay began (as the stay does) with its full length, and in no other."""
    import_file(tmp_path, "consultations", HEADER.split(","), PROTECTED_CONSULTATIONS)
    import_file(tmp_path, "stays", STAY_COLUMNS, PROTECTED_STAYS)
    fy2021 = protection_of(2021)
    # C and A: (5 + 22) / 2 = 13.5 days; A's 22 days run into 令和4年度.
    assert (fy2021["stays"], fy2021["discharged"]) == (2, 2)
    assert fy2021["average_days"] == "13.5"  # a Decimal, written as text
    assert fy2021["by_reason"] == reasons(financial=1, spouse_violence=1)
    # 令和4年度: B and D only, (3 + 4) / 2 = 3.5 days; not A.
    fy2022 = protection_of(2022)
    assert (fy2022["stays"], fy2022["discharged"]) == (2, 2)
    assert fy2022["average_days"] == "3.5"
    assert fy2022["by_reason"] == reasons(spouse_violence=1, housing=1)
    # The consultations of the same women are counted as usual.
    assert by_code(report_json())["economic"]["consultations"] == 1


def test_temporary_protection_of_a_programme_imported_through_the_formats(
    tmp_path, counsellor, city_staff, shelter_and_centre
):
    """The same stays, each imported under 事業 (the programme of the fiscal
    year of its start date, as every stay is attributed)."""
    p2021, p2022 = (
        programme_create(
            by=city_staff, fiscal_year=year, name="寄り添い支援事業", municipality="市"
        )
        for year in (2021, 2022)
    )
    import_file(
        tmp_path,
        "stays",
        [*STAY_COLUMNS, "事業"],
        [f"{row},寄り添い支援事業" for row in PROTECTED_STAYS],
    )
    assert {
        s.client.code: s.programme_id
        for s in Stay.objects.select_related("client").filter(entrusted=True)
    } == {
        "C-000011": p2021.pk,
        "C-000012": p2021.pk,  # A began on 20 March 2022
        "C-000013": p2022.pk,
        "C-000014": p2022.pk,
    }
    # B and D: (3 + 4) / 2 = 3.5 days. The year's only programme is the
    # report's without --programme too.
    mine = protection_of(2022, "--programme", str(p2022.pk))
    assert protection_of(2022) == mine
    assert (mine["stays"], mine["average_days"]) == (2, "3.5")
    assert mine["by_reason"] == reasons(spouse_violence=1, housing=1)
    # 令和3年度's programme: C and A (her stay, and so her protection, is
    # of the 令和3年度 programme), A with all 22 days: (5 + 22) / 2.
    before = protection_of(2021, "--programme", str(p2021.pk))
    assert protection_of(2021) == before
    assert (before["stays"], before["average_days"]) == (2, "13.5")
    assert before["by_reason"] == reasons(financial=1, spouse_violence=1)
