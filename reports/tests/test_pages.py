"""City staff edit programmes and targets and read the report; the other
roles may not; bad input is told, never a 500."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEntry, Funder
from accounts.roles import Role
from consultations.models import PartnerAgency
from reports.models import Programme, Target
from reports.services import programme_create, target_save
from tests.factories import default_organisation

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(city_staff):
    programme = programme_create(
        by=city_staff,
        fiscal_year=2021,
        name="寄り添い支援事業",
        municipality="土浦市",
        project_cost_thousand_yen=7566,
        grant_thousand_yen=3453,
    )
    target_save(
        target=Target(
            programme=programme, metric_key="consultations_line", target_value=100
        ),
        by=city_staff,
    )
    return programme


def programme_post(**changes):
    data = {
        "fiscal_year": "2021",
        "name": "寄り添い支援事業",
        "municipality": "土浦市",
        "department": "人権推進課",
        "contractor": "NPO法人",
        "project_cost_thousand_yen": "7566",
        "grant_thousand_yen": "3453",
        "local_situation": "地域の実情",
        "purpose": "",
        "features": "",
        "effects": "",
        "future_issues": "",
        "overview": "",
        "other_partners": "子ども食堂運営団体",
        "organisation": str(default_organisation().pk),
        "funder": str(Funder.objects.get(name="市").pk),
    }
    data.update(changes)
    return data


def urls(programme):
    target = programme.targets.first()
    return [
        reverse("reports:index"),
        reverse("reports:programme_create"),
        reverse("reports:programme_detail", args=[programme.pk]),
        reverse("reports:programme_update", args=[programme.pk]),
        reverse("reports:programme_delete", args=[programme.pk]),
        reverse("reports:target_create", args=[programme.pk]),
        reverse("reports:target_update", args=[programme.pk, target.pk]),
        reverse("reports:annual") + "?fiscal_year=2021",
        reverse("reports:annual_json") + "?fiscal_year=2021",
        reverse("reports:annual_csv") + "?fiscal_year=2021",
        reverse("reports:annual_xlsx") + "?fiscal_year=2021",
    ]


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.COORDINATOR, Role.FACILITATOR])
def test_other_roles_are_refused_every_report_page(
    client_as, make_user, programme, role
):
    c = client_as(make_user(role))
    for url in urls(programme):
        assert c.get(url).status_code == 403, url
    response = c.post(
        reverse(
            "reports:target_delete", args=[programme.pk, programme.targets.first().pk]
        )
    )
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.CITY_STAFF, Role.ADMIN])
def test_city_staff_and_admins_open_every_report_page(
    client_as, make_user, programme, role
):
    c = client_as(make_user(role))
    for url in urls(programme):
        assert c.get(url).status_code == 200, url


def test_the_menu_and_the_home_page_lead_city_staff_to_the_report(
    client_as, city_staff
):
    page = client_as(city_staff).get("/").content.decode()
    assert reverse("reports:annual") in page and reverse("reports:index") in page
    assert "年次報告" in page and "これまでの相談件数" in page
    assert reverse("consultations:client_list") not in page


def test_city_staff_create_a_programme_with_partners(client_as, city_staff):
    agency = PartnerAgency.objects.get(name="ハローワーク")
    response = client_as(city_staff).post(
        reverse("reports:programme_create"),
        programme_post(partner_agencies=[agency.pk]),
        follow=True,
    )
    assert "事業を保存しました。" in response.content.decode()
    programme = Programme.objects.get()
    assert list(programme.partner_agencies.all()) == [agency]
    assert programme.other_partner_lines == ["子ども食堂運営団体"]
    assert AuditEntry.objects.filter(
        action="create", object_type="reports.programme", user=city_staff
    ).exists()


def test_a_grant_larger_than_the_cost_is_refused_with_a_message(client_as, city_staff):
    response = client_as(city_staff).post(
        reverse("reports:programme_create"),
        programme_post(grant_thousand_yen="9000"),
    )
    assert response.status_code == 200
    assert "交付金額は個別事業費を超えられません。" in response.content.decode()
    assert not Programme.objects.exists()


def test_a_second_programme_with_the_same_name_in_a_year_is_refused(
    client_as, city_staff, programme
):
    response = client_as(city_staff).post(
        reverse("reports:programme_create"), programme_post()
    )
    assert "この年度には同じ名前の事業がすでにあります。" in response.content.decode()
    assert Programme.objects.count() == 1


def test_an_edit_over_someone_elses_save_is_refused(client_as, city_staff, programme):
    c = client_as(city_staff)
    url = reverse("reports:programme_update", args=[programme.pk])
    first = c.post(url, programme_post(version=programme.version, name="新しい名前"))
    assert first.status_code == 302
    stale = c.post(url, programme_post(version=programme.version, name="古い画面から"))
    assert stale.status_code == 200
    assert "ほかの人がこの記録を保存しました" in stale.content.decode()
    programme.refresh_from_db()
    assert programme.name == "新しい名前"


def test_targets_are_added_checked_edited_and_deleted(client_as, city_staff, programme):
    c = client_as(city_staff)
    url = reverse("reports:target_create", args=[programme.pk])
    base = {
        "kind": "metric",
        "metric_key": "",
        "label": "",
        "unit": "",
        "direction": "at_least",
        "target_value": "100",
        "order": "2",
    }
    response = c.post(url, base)
    assert "指標を選んでください。" in response.content.decode()
    response = c.post(url, dict(base, metric_key="consultations_line"))
    assert "この事業にはこの指標がすでにあります。" in response.content.decode()
    response = c.post(url, dict(base, kind="manual"))
    assert "手入力の指標には指標名が必要です。" in response.content.decode()
    response = c.post(
        url,
        dict(
            base,
            kind="manual",
            label="男女平等だと答えた人の割合",
            unit="%",
            target_value="20",
            target_year="2025",
            baseline_value="12.7",
        ),
    )
    assert "現状値とその年度は、両方入力するか両方空欄にしてください。" in (
        response.content.decode()
    )
    response = c.post(
        url,
        dict(
            base,
            kind="manual",
            label="男女平等だと答えた人の割合",
            unit="%",
            target_value="20",
            target_year="2025",
            baseline_value="12.7",
            baseline_year="2020",
        ),
        follow=True,
    )
    assert "目標を保存しました。" in response.content.decode()
    manual = programme.targets.get(kind="manual")
    assert (manual.baseline_value, manual.target_year) == (Decimal("12.7"), 2025)
    response = c.post(
        reverse("reports:target_update", args=[programme.pk, manual.pk]),
        dict(
            base,
            kind="manual",
            label="男女平等だと答えた人の割合",
            unit="%",
            target_value="20",
            actual_value="15.5",
        ),
        follow=True,
    )
    manual.refresh_from_db()
    assert manual.actual_value == Decimal("15.5")
    c.post(reverse("reports:target_delete", args=[programme.pk, manual.pk]))
    assert not programme.targets.filter(kind="manual").exists()


def test_a_target_of_another_programme_is_not_found(client_as, city_staff, programme):
    other = programme_create(
        by=city_staff, fiscal_year=2022, name="別の事業", municipality="市"
    )
    target = programme.targets.first()
    url = reverse("reports:target_update", args=[other.pk, target.pk])
    assert client_as(city_staff).get(url).status_code == 404


def test_the_report_page_shows_the_target_line_and_the_chart(
    client_as, city_staff, programme
):
    response = client_as(city_staff).get(
        reverse("reports:annual") + f"?fiscal_year=2021&programme={programme.pk}"
    )
    page = response.content.decode()
    assert "◎LINEによる相談件数 目標100件→実績0件" in page
    assert "［未達成］" in page
    assert "<svg" in page and "目標と実績" in page
    assert "寄り添い支援事業 【土浦市】" in page
    assert "個別事業費" in page and "7,566千円" in page
    for heading in (
        "地域の実情と課題",
        "目的・目標",
        "事業の特徴",
        "連携団体",
        "事業の効果",
        "今後の課題",
        "事業の概要",
    ):
        assert heading in page
    # in the order of the seed reports
    positions = [
        page.index(h) for h in ("地域の実情と課題", "目的・目標", "事業の特徴")
    ]
    assert positions == sorted(positions)


def test_the_year_without_programme_choice_picks_the_years_programme(
    client_as, city_staff, programme
):
    page = (
        client_as(city_staff)
        .get(reverse("reports:annual") + "?fiscal_year=2021")
        .content.decode()
    )
    assert "寄り添い支援事業" in page
    figures_only = (
        client_as(city_staff)
        .get(reverse("reports:annual") + "?fiscal_year=2021&programme=")
        .content.decode()
    )
    assert "令和3年度 事業実績" in figures_only
    assert "◎" not in figures_only


@pytest.mark.parametrize(
    "query",
    ["?fiscal_year=abc", "?fiscal_year=1800", "?fiscal_year=2021&programme=999"],
)
def test_bad_options_are_told_not_a_server_error(client_as, city_staff, query):
    c = client_as(city_staff)
    page = c.get(reverse("reports:annual") + query)
    assert page.status_code == 200
    assert 'class="errors"' in page.content.decode()
    download = c.get(reverse("reports:annual_json") + query)
    assert download.status_code == 400


def test_a_programme_of_another_year_is_refused(client_as, city_staff, programme):
    response = client_as(city_staff).get(
        reverse("reports:annual_csv") + f"?fiscal_year=2022&programme={programme.pk}"
    )
    assert response.status_code == 400
    assert "この事業は別の年度のものです。" in response.content.decode()


def test_downloads_are_audited_without_personal_data(client_as, city_staff, programme):
    c = client_as(city_staff)
    for fmt in ("json", "csv", "xlsx", "pdf"):
        response = c.get(
            reverse(f"reports:annual_{fmt}")
            + f"?fiscal_year=2021&programme={programme.pk}"
        )
        assert response.status_code == 200
        assert (
            f"annual-report-2021-programme{programme.pk}.{fmt}"
            in (response["Content-Disposition"])
        )
    entries = AuditEntry.objects.filter(action="export", user=city_staff)
    assert sorted(e.detail.rsplit("; ", 1)[-1] for e in entries) == [
        "csv",
        "json",
        "pdf",
        "xlsx",
    ]
    assert all(e.client_code == "" for e in entries)


def test_deleting_a_programme_keeps_the_records(client_as, city_staff, programme):
    c = client_as(city_staff)
    url = reverse("reports:programme_delete", args=[programme.pk])
    assert "を目標・本文とともに削除しますか" in c.get(url).content.decode()
    response = c.post(url, follow=True)
    assert "事業を削除しました。" in response.content.decode()
    assert not Programme.objects.exists() and not Target.objects.exists()


def test_list_and_detail_pages_keep_a_constant_query_count(
    client_as, city_staff, programme, django_assert_max_num_queries
):
    c = client_as(city_staff)
    for n in range(10):
        other = programme_create(
            by=city_staff, fiscal_year=2020, name=f"事業{n}", municipality="市"
        )
        target_save(
            target=Target(programme=other, metric_key="peer_sessions", target_value=5),
            by=city_staff,
        )
    with django_assert_max_num_queries(12):
        assert c.get(reverse("reports:index")).status_code == 200
    with django_assert_max_num_queries(12):
        assert (
            c.get(reverse("reports:programme_detail", args=[other.pk])).status_code
            == 200
        )


def test_the_json_download_is_offered_to_admins_not_to_city_staff(
    client_as, city_staff, admin_user, programme
):
    """City staff read the report and download PDF, Excel and CSV; JSON is
    for programs (the admins' integrations), so only admins see its button.
    The URL still answers city staff (a script of theirs keeps working)."""
    query = f"?fiscal_year=2021&programme={programme.pk}"
    json_link = "report.json?"
    staff_page = client_as(city_staff).get(reverse("reports:annual") + query)
    assert "report.csv?" in staff_page.content.decode()
    assert "report.pdf?" in staff_page.content.decode()
    assert json_link not in staff_page.content.decode()
    assert (
        client_as(city_staff).get(reverse("reports:annual_json") + query).status_code
        == 200
    )
    admin_page = client_as(admin_user).get(reverse("reports:annual") + query)
    assert json_link in admin_page.content.decode()
