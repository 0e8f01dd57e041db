"""Issue 18: a programme's report counts only its own records; the funder's
summed report adds its programmes up; who sees which programme.

The records are loaded through the import formats of SPEC §3 with the
column 事業, in one organisation and in two, and each programme's report
(the JSON of `manage.py annual_report --programme ID`) is checked figure by
figure against what its rows hold."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import tablib
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from accounts import scoping
from accounts.models import Funder, Organisation
from accounts.roles import Role
from consultations.models import Consultation, LineChat, LineUser
from peergroups.models import Session
from reports import selectors
from reports.imports import run_import
from reports.metrics import REGISTRY
from reports.models import Programme, Target
from reports.services import programme_create
from shelter.models import Facility, Room, SalonVisit, Stay
from shelter.services import unmet_request_create
from tests.factories import UserFactory, default_organisation
from training.models import Event

from .data import CONSULTATION_HEADERS, import_rows

pytestmark = pytest.mark.django_db


def report(programme, *extra) -> dict:
    out = io.StringIO()
    call_command(
        "annual_report",
        "--fiscal-year",
        str(programme.fiscal_year),
        "--programme",
        str(programme.pk),
        *extra,
        stdout=out,
        stderr=io.StringIO(),
    )
    return json.loads(out.getvalue())


def load(org_users, p1: str, p2: str, *, codes=("C", "C"), places=("", "")):
    """Rows of every import kind, each with its 事業 column: ``org_users``
    is (counsellor, coordinator, facilitator) of the organisation importing
    p1's rows and of the one importing p2's (the same in one organisation).
    Returns nothing: the expected figures are written in the tests."""
    (c1, k1, f1), (c2, k2, f2) = org_users
    a, b = codes
    headers = [*CONSULTATION_HEADERS, "事業"]

    def consultation(day, channel, code, new, who, programme):
        return [day, "10:00", channel, code, new, who.username, "", "", 30, programme]

    import_rows(
        "consultations",
        headers,
        [
            consultation("2021-05-01", "LINE", f"{a}-1", "", c1, p1),
            consultation("2021-05-02", "LINE", f"{a}-2", "", c1, p1),
            consultation("2021-05-03", "電話", "", "1", c1, p1),
            # no programme: counted in neither report
            consultation("2021-05-04", "対面", f"{a}-2", "", c1, ""),
        ],
        by=c1,
    )
    import_rows(
        "consultations",
        headers,
        [
            consultation("2021-06-01", "LINE", f"{b}-3", "", c2, p2),
            consultation("2021-06-02", "SNS", "", "1", c2, p2),
            consultation("2021-06-03", "SNS", "", "0", c2, p2),
            consultation("2021-06-04", "SNS", "", "0", c2, p2),
            # the same client as p1's first row when in one organisation:
            # her first consultation (p1's) is the new one
            consultation("2021-07-01", "メール", f"{b}-1", "", c2, p2),
        ],
        by=c2,
    )
    house1, house2 = (f"やどかりハウス{s}" for s in places)
    salon1, salon2 = (f"サロン{s}" for s in places)
    stays = ["相談者コード", "施設", "部屋", "区分", "開始日", "終了日", "同伴児数"]
    import_rows(
        "stays",
        [*stays, "事業"],
        [[f"{a}-1", house1, "1号室", "宿泊", "2021-05-10", "2021-05-13", 1, p1]],
        by=k1,
    )
    import_rows(
        "stays",
        [*stays, "事業"],
        [[f"{b}-3", house2, "1号室", "一時利用", "2021-06-01", "", 0, p2]],
        by=k2,
    )
    visits = ["日付", "施設", "人数", "事業"]
    import_rows("salon_visits", visits, [["2021-04-05", salon1, 3, p1]], by=k1)
    import_rows(
        "salon_visits",
        visits,
        [["2021-04-06", salon2, 2, p2], ["2021-04-07", salon2, 4, p2]],
        by=k2,
    )
    sessions = ["日付", "終了日", "グループ", "参加者数", "テーマ", "事業"]
    import_rows("peer_sessions", sessions, [["2021-10-15", "", "会", 5, "", p1]], by=f1)
    import_rows(
        "peer_sessions",
        sessions,
        [["2021-11-09", "", "会", 3, "", p2], ["2021-11-10", "", "会", 4, "", p2]],
        by=f2,
    )
    events = ["日付", "区分", "題名", "参加者数", "事業"]
    import_rows(
        "training_events", events, [["2021-10-23", "研修会", "研修A", 30, p1]], by=f1
    )
    import_rows(
        "training_events", events, [["2022-02-10", "講演会", "講演B", 40, p2]], by=f2
    )
    responses = ["研修日付", "題名", "満足度", "感想", "事業"]
    import_rows(
        "survey_responses",
        responses,
        [["2021-10-23", "研修A", s, "", p1] for s in (5, 4)],
        by=f1,
    )
    import_rows(
        "survey_responses",
        responses,
        [["2022-02-10", "講演B", s, "", p2] for s in (3, 5, 5)],
        by=f2,
    )


def places(org, suffix=""):
    shelter = Facility.objects.create(
        name=f"やどかりハウス{suffix}", kind="shelter", organisation=org
    )
    Room.objects.create(facility=shelter, name="1号室", order=1)
    Facility.objects.create(name=f"サロン{suffix}", kind="salon", organisation=org)


def line_chat(programme, n: int) -> None:
    """An ended LINE chat (no import format): attributed directly."""
    started = timezone.make_aware(dt.datetime(2021, 8, 1, 10 + n))
    LineChat.objects.create(
        line_user=LineUser.objects.create(
            line_user_id=f"U{n:032x}", organisation=programme.organisation
        ),
        status=LineChat.Status.ENDED,
        started_at=started,
        first_response_at=started + dt.timedelta(minutes=3),
        ended_at=started + dt.timedelta(minutes=20),
        outcome=LineChat.Outcome.ESTABLISHED,
        programme=programme,
        organisation=programme.organisation,
    )


def staff(org, tag):
    return tuple(
        UserFactory(username=f"{role}-{tag}", roles=[role], organisations=[org])
        for role in (Role.COUNSELLOR, Role.COORDINATOR, Role.FACILITATOR)
    )


def channels(data) -> dict:
    return {
        r["channel"]: (r["count"], r["new"]) for r in data["consultations_by_channel"]
    }


P1_CHANNELS = {
    "line": (2, 2),
    "phone": (1, 1),
    "face_to_face": (0, 0),
    "sns": (0, 0),
    "email": (0, 0),
    "visit": (0, 0),
}


def p2_channels(email_new: int) -> dict:
    return {
        "line": (1, 1),
        "phone": (0, 0),
        "face_to_face": (0, 0),
        "sns": (3, 1),
        "email": (1, email_new),
        "visit": (0, 0),
    }


def check_p1(data, *, unmet):
    assert channels(data) == P1_CHANNELS
    assert data["consultations_total"] == {"count": 3, "new": 3}
    assert data["shelter"] == {
        "overnight_stays": 1,
        "nights": 3,
        "day_uses": 0,
        "unmet_requests": unmet,
        "unmet_requests_by_reason": data["shelter"]["unmet_requests_by_reason"],
    }
    assert data["salon"] == {"visits": 3, "visit_days": 1}
    assert data["peer_support"]["sessions"] == 1
    assert data["peer_support"]["participants"] == 5
    assert data["peer_support"]["dates"] == [
        {"start": "2021-10-15", "end": "2021-10-15"}
    ]
    training = data["training"]
    assert (training["events"], training["participants"]) == (1, 30)
    assert training["satisfaction_pct"] == 100
    assert [(e["title"], e["respondents"]) for e in training["events_detail"]] == [
        ("研修A", 2)
    ]
    assert data["sns"]["chats"] == 0


def check_p2(data, *, unmet, email_new):
    assert channels(data) == p2_channels(email_new)
    assert data["consultations_total"] == {"count": 5, "new": 2 + email_new}
    assert {k: data["shelter"][k] for k in ("overnight_stays", "nights")} == {
        "overnight_stays": 0,
        "nights": 0,
    }
    assert data["shelter"]["day_uses"] == 1
    assert data["shelter"]["unmet_requests"] == unmet
    assert data["salon"] == {"visits": 6, "visit_days": 2}
    assert data["peer_support"]["sessions"] == 2
    assert data["peer_support"]["participants"] == 7
    training = data["training"]
    assert (training["events"], training["participants"]) == (1, 40)
    assert training["satisfaction_pct"] == 66.7
    assert [(e["title"], e["respondents"]) for e in training["events_detail"]] == [
        ("講演B", 3)
    ]
    assert data["sns"]["chats"] == 1
    assert data["sns"]["established"] == 1


def check_summary(summary, p1, p2):
    """Every figure of each column is the programme's own report's; the
    total is their sum where the figures add up, None where they do not."""
    assert [p["id"] for p in summary["programmes"]] == sorted(
        [p1.pk, p2.pk], key=lambda pk: Programme.objects.get(pk=pk).name
    )
    order = [p["id"] for p in summary["programmes"]]
    own = {}
    for programme in (p1, p2):
        for key in REGISTRY:
            Target.objects.get_or_create(
                programme=programme, metric_key=key, defaults={"target_value": 1}
            )
        with_targets = selectors.programme_detail(programme.pk)
        data = selectors.annual_report(
            fiscal_year=programme.fiscal_year, programme=with_targets
        )
        own[programme.pk] = {i["key"]: i["actual"] for i in data["indicators"]}
    summed = 0
    for row in summary["rows"]:
        key = row["key"]
        assert row["values"] == [own[pk][key] for pk in order], key
        if row["summable"]:
            assert row["total"] == own[p1.pk][key] + own[p2.pk][key], key
            summed += 1
        else:
            assert row["total"] is None, key
    assert summed >= 25
    rows = {r["key"]: r for r in summary["rows"]}
    assert rows["consultations_total"]["total"] == 8
    assert rows["training_participants"]["total"] == 70
    for key in (
        "training_satisfaction",
        "sns_first_response_median",
        "consultation_open_days",
        "salon_visit_days",
        "shelter_unmet_requests",
    ):
        assert not rows[key]["summable"], key


def test_two_programmes_of_one_organisation_count_their_own_records(funder, city_staff):
    org = default_organisation()
    users = staff(org, "a")
    p1 = programme_create(
        by=city_staff, fiscal_year=2021, name="居場所事業", municipality="市"
    )
    p2 = programme_create(
        by=city_staff, fiscal_year=2021, name="SNS相談事業", municipality="市"
    )
    assert p1.funder == p2.funder == funder
    assert p1.organisation == p2.organisation == org
    places(org)
    load((users, users), p1.name, p2.name)
    line_chat(p2, 1)
    unmet_request_create(by=users[1], date=dt.date(2021, 9, 1), reason="childcare")
    # the row without 事業 is left for the default rule: no programme
    assert Consultation.objects.filter(programme=None).count() == 1

    check_p1(report(p1), unmet=1)  # unmet requests: the organisation's
    check_p2(report(p2), unmet=1, email_new=0)
    summary = selectors.funder_summary(funder_id=funder.pk, fiscal_year=2021)
    check_summary(summary, p1, p2)


def test_two_organisations_under_one_funder(funder, city_staff):
    org_a = default_organisation()
    org_b = Organisation.objects.create(name="NPO法人B")
    users_a, users_b = staff(org_a, "a"), staff(org_b, "b")
    p1 = programme_create(
        by=city_staff,
        fiscal_year=2021,
        name="居場所事業",
        municipality="市",
        organisation=org_a,
    )
    p2 = programme_create(
        by=city_staff,
        fiscal_year=2021,
        name="SNS相談事業",
        municipality="市",
        organisation=org_b,
    )
    places(org_a)
    places(org_b, "B")
    load((users_a, users_b), p1.name, p2.name, codes=("A", "B"), places=("", "B"))
    line_chat(p2, 1)
    with scoping.organisations([org_b.pk]):  # as in a request of B's
        unmet_request_create(by=users_b[1], date=dt.date(2021, 9, 1), reason="work")
    # every record of B's files is B's
    assert set(
        Session.objects.filter(programme=p2).values_list("organisation", flat=True)
    ) == {org_b.pk}
    assert set(
        Stay.objects.filter(programme=p2).values_list("organisation", flat=True)
    ) == {org_b.pk}

    check_p1(report(p1), unmet=0)
    check_p2(report(p2), unmet=1, email_new=1)  # B-1 is B's own client
    summary = selectors.funder_summary(funder_id=funder.pk, fiscal_year=2021)
    check_summary(summary, p1, p2)
    assert {p["organisation"] for p in summary["programmes"]} == {
        org_a.name,
        org_b.name,
    }


def test_the_summed_csv_and_page_show_the_total_and_a_dash(client_as, city_staff):
    org = default_organisation()
    users = staff(org, "a")
    p1 = programme_create(
        by=city_staff, fiscal_year=2021, name="居場所事業", municipality="市"
    )
    p2 = programme_create(
        by=city_staff, fiscal_year=2021, name="SNS相談事業", municipality="市"
    )
    places(org)
    load((users, users), p1.name, p2.name)
    c = client_as(city_staff)
    text = c.get(reverse("reports:funder_summary_csv", args=[2021])).content.decode(
        "utf-8-sig"
    )
    lines = {line.split(",")[0]: line.split(",")[1:] for line in text.splitlines()}
    label = str(REGISTRY["training_participants"].label)
    with_unit = lines[label]
    assert with_unit[1:] == ["40", "30", "70"]  # SNS相談事業 first (by name)
    satisfaction = lines[str(REGISTRY["training_satisfaction"].label)]
    assert satisfaction[-1] == selectors.NOT_SUMMED
    published = c.get(
        reverse("reports:funder_summary_csv", args=[2021]), {"publication": "on"}
    ).content.decode("utf-8-sig")
    sessions = {
        line.split(",")[0]: line.split(",")[1:] for line in published.splitlines()
    }[str(REGISTRY["peer_sessions"].label)]
    assert sessions[1:] == ["<5", "<5", "<5"]  # 2 + 1 = 3
    page = c.get(reverse("reports:funder_summary", args=[2021])).content.decode()
    assert "SNS相談事業" in page and selectors.NOT_SUMMED in page
    # The index links each year's summed report, and each programme's page
    # and report, for the funder's staff.
    index = c.get(reverse("reports:index")).content.decode()
    assert f'href="{reverse("reports:funder_summary", args=[2021])}"' in index
    assert f'href="{p1.get_absolute_url()}"' in index
    annual = reverse("reports:annual")
    assert f'href="{annual}?fiscal_year=2021&amp;programme={p2.pk}"' in index


# IMPORTS: the column 事業
# ------------------------------------------------------------------------------


def _import(kind, headers, rows, by):
    dataset = tablib.Dataset(headers=headers)
    for row in rows:
        dataset.append(row)
    return run_import(kind, dataset, by=by, dry_run=False)


def test_an_unknown_programme_or_one_of_another_year_is_a_row_error(city_staff):
    org = default_organisation()
    counsellor, coordinator, _f = staff(org, "a")
    programme_create(
        by=city_staff, fiscal_year=2021, name="居場所事業", municipality="市"
    )
    places(org)
    outcome = _import(
        "salon_visits",
        ["日付", "施設", "人数", "事業"],
        [
            ["2021-04-05", "サロン", "3", "居場所事業"],
            ["2021-04-06", "サロン", "3", "ない事業"],
            ["2022-04-06", "サロン", "3", "居場所事業"],  # fiscal year 2022
            ["2021-04-07", "サロン", "3", ""],
        ],
        coordinator,
    )
    assert [e.row for e in outcome.errors] == [3, 4]
    assert (
        "事業" in outcome.errors[0].message and "ない事業" in outcome.errors[0].message
    )
    assert "令和3年度" in outcome.errors[1].message
    assert "令和4年度" in outcome.errors[1].message
    assert SalonVisit.objects.count() == 0  # whole or nothing


def test_a_programme_of_another_organisation_is_unknown_to_an_import(city_staff):
    org_b = Organisation.objects.create(name="NPO法人B")
    programme_create(
        by=city_staff,
        fiscal_year=2021,
        name="Bの事業",
        municipality="市",
        organisation=org_b,
    )
    counsellor, *_ = staff(default_organisation(), "a")
    outcome = _import(
        "consultations",
        [*CONSULTATION_HEADERS, "事業"],
        [
            [
                "2021-05-01",
                "10:00",
                "電話",
                "",
                "1",
                counsellor.username,
                "",
                "",
                "",
                "Bの事業",
            ]
        ],
        counsellor,
    )
    assert [e.row for e in outcome.errors] == [2]
    assert "Bの事業" in outcome.errors[0].message


def test_an_import_finds_names_only_in_the_importing_organisation(city_staff):
    """A counsellor, facility or event of another organisation is unknown."""
    org_b = Organisation.objects.create(name="NPO法人B")
    counsellor_a, coordinator_a, facilitator_a = staff(default_organisation(), "a")
    counsellor_b, _k, facilitator_b = staff(org_b, "b")
    places(org_b, "B")
    outcome = _import(
        "consultations",
        CONSULTATION_HEADERS,
        [["2021-05-01", "10:00", "電話", "", "1", counsellor_b.username, "", "", ""]],
        counsellor_a,
    )
    assert [e.row for e in outcome.errors] == [2]
    assert "担当者" in outcome.errors[0].message
    outcome = _import(
        "salon_visits",
        ["日付", "施設", "人数"],
        [["2021-04-05", "サロンB", "3"]],
        coordinator_a,
    )
    assert [e.row for e in outcome.errors] == [2]
    Event.objects.create(
        date=dt.date(2021, 10, 23),
        kind="training",
        title="Bの研修",
        participant_count=3,
        organisation=org_b,
    )
    outcome = _import(
        "survey_responses",
        ["研修日付", "題名", "満足度"],
        [["2021-10-23", "Bの研修", "5"]],
        facilitator_a,
    )
    assert [e.row for e in outcome.errors] == [2]


def test_a_survey_response_names_its_events_programme(city_staff):
    org = default_organisation()
    _c, _k, facilitator = staff(org, "a")
    p1 = programme_create(
        by=city_staff, fiscal_year=2021, name="居場所事業", municipality="市"
    )
    programme_create(
        by=city_staff, fiscal_year=2021, name="別の事業", municipality="市"
    )
    Event.objects.create(
        date=dt.date(2021, 10, 23),
        kind="training",
        title="研修A",
        participant_count=3,
        programme=p1,
    )
    headers = ["研修日付", "題名", "満足度", "事業"]
    outcome = _import(
        "survey_responses",
        headers,
        [["2021-10-23", "研修A", "5", "別の事業"]],
        facilitator,
    )
    assert [e.row for e in outcome.errors] == [2]
    outcome = _import(
        "survey_responses",
        headers,
        [["2021-10-23", "研修A", "5", "居場所事業"]],
        facilitator,
    )
    assert outcome.ok


# WHO SEES WHICH PROGRAMME
# ------------------------------------------------------------------------------


def programme_urls(programme) -> list[tuple[str, str]]:
    """(method, url) of every reports URL that names the programme."""
    target = Target.objects.create(
        programme=programme, metric_key="peer_sessions", target_value=5
    )
    query = f"?fiscal_year={programme.fiscal_year}&programme={programme.pk}"
    return [
        ("get", reverse("reports:programme_detail", args=[programme.pk])),
        ("get", reverse("reports:programme_update", args=[programme.pk])),
        ("post", reverse("reports:programme_update", args=[programme.pk])),
        ("get", reverse("reports:programme_delete", args=[programme.pk])),
        ("post", reverse("reports:programme_delete", args=[programme.pk])),
        ("get", reverse("reports:target_create", args=[programme.pk])),
        ("post", reverse("reports:target_create", args=[programme.pk])),
        ("get", reverse("reports:target_update", args=[programme.pk, target.pk])),
        ("post", reverse("reports:target_update", args=[programme.pk, target.pk])),
        ("post", reverse("reports:target_delete", args=[programme.pk, target.pk])),
        ("get", reverse("reports:annual") + query),
        *(
            ("get", reverse(f"reports:annual_{fmt}") + query)
            for fmt in ("pdf", "xlsx", "csv", "json")
        ),
    ]


def test_city_staff_get_403_on_every_url_of_another_funders_programme(
    client_as, city_staff, make_user
):
    other_funder = Funder.objects.create(name="別の市")
    theirs = Programme.objects.create(
        fiscal_year=2021,
        name="別の市の事業",
        municipality="別の市",
        funder=other_funder,
    )
    ours = programme_create(
        by=city_staff, fiscal_year=2021, name="事業", municipality="市"
    )
    c = client_as(city_staff)
    answers = [
        (m, url, getattr(c, m)(url).status_code) for m, url in programme_urls(theirs)
    ]
    assert all(code == 403 for _m, _u, code in answers), answers
    assert Programme.objects.filter(pk=theirs.pk).exists()  # not deleted
    assert theirs.targets.count() == 1
    for method, url in programme_urls(ours):
        if method == "get":
            assert c.get(url).status_code == 200, url
    # the index and the report's choice list only the funder's programmes
    index = c.get(reverse("reports:index")).content.decode()
    assert "別の市の事業" not in index and "事業" in index
    page = c.get(reverse("reports:annual") + "?fiscal_year=2021").content.decode()
    assert "別の市の事業" not in page
    # and the other funder's staff see theirs, not ours
    other = make_user(Role.CITY_STAFF, username="city2", funder=other_funder)
    assert (
        client_as(other)
        .get(reverse("reports:programme_detail", args=[theirs.pk]))
        .status_code
        == 200
    )
    assert (
        client_as(other)
        .get(reverse("reports:programme_detail", args=[ours.pk]))
        .status_code
        == 403
    )


def test_an_admin_gets_404_on_another_organisations_programme(client_as, admin_user):
    org_b = Organisation.objects.create(name="NPO法人B")
    theirs = Programme.objects.create(
        fiscal_year=2021, name="Bの事業", municipality="市", organisation=org_b
    )
    ours = Programme.objects.create(
        fiscal_year=2021,
        name="Aの事業",
        municipality="市",
        organisation=default_organisation(),
    )
    c = client_as(admin_user)
    answers = [
        (m, url, getattr(c, m)(url).status_code) for m, url in programme_urls(theirs)
    ]
    assert all(code == 404 for _m, _u, code in answers), answers
    assert Programme.objects.filter(pk=theirs.pk).exists()
    for method, url in programme_urls(ours):
        if method == "get":
            assert c.get(url).status_code == 200, url
    assert "Bの事業" not in c.get(reverse("reports:index")).content.decode()
    # the summed report is for city staff of a funder
    assert c.get(reverse("reports:funder_summary", args=[2021])).status_code == 403


def test_the_cli_counts_only_the_programme_and_checks_the_user(city_staff, make_user):
    p1 = programme_create(
        by=city_staff, fiscal_year=2021, name="居場所事業", municipality="市"
    )
    p2 = programme_create(
        by=city_staff, fiscal_year=2021, name="SNS相談事業", municipality="市"
    )
    line_chat(p2, 1)
    assert report(p1)["sns"]["chats"] == 0
    assert report(p2)["sns"]["chats"] == 1
    assert report(p2, "--user", city_staff.username)["sns"]["chats"] == 1
    other = make_user(
        Role.CITY_STAFF, username="city2", funder=Funder.objects.create(name="別の市")
    )
    with pytest.raises(CommandError, match="may not see"):
        report(p2, "--user", other.username)


def test_the_programme_form_offers_organisations_and_the_funder(
    client_as, city_staff, admin_user, funder
):
    org_b = Organisation.objects.create(name="NPO法人B")
    Funder.objects.create(name="別の市")
    form = (
        client_as(city_staff).get(reverse("reports:programme_create")).context["form"]
    )
    assert set(form.fields["organisation"].queryset) == {default_organisation(), org_b}
    assert list(form.fields["funder"].queryset) == [funder]
    assert form.fields["funder"].initial == funder.pk
    form = (
        client_as(admin_user).get(reverse("reports:programme_create")).context["form"]
    )
    assert list(form.fields["organisation"].queryset) == [default_organisation()]
    # an admin cannot make a programme for an organisation she is not in
    response = client_as(admin_user).post(
        reverse("reports:programme_create"),
        {
            "fiscal_year": "2021",
            "name": "事業",
            "municipality": "市",
            "organisation": org_b.pk,
        },
    )
    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors
    assert not Programme.objects.exists()


def test_figures_only_count_the_funders_programmes_for_city_staff(
    client_as, city_staff
):
    ours = programme_create(
        by=city_staff, fiscal_year=2021, name="事業", municipality="市"
    )
    theirs = Programme.objects.create(
        fiscal_year=2021,
        name="別の市の事業",
        municipality="別の市",
        funder=Funder.objects.create(name="別の市"),
    )
    counsellor, *_ = staff(default_organisation(), "a")
    headers = [*CONSULTATION_HEADERS, "事業"]
    rows = [
        ["2021-05-01", "10:00", "電話", "", "1", counsellor.username, "", "", "", name]
        for name in (ours.name, theirs.name, theirs.name, "")
    ]
    import_rows("consultations", headers, rows, by=counsellor)
    url = reverse("reports:annual_json") + "?fiscal_year=2021&programme="
    data = json.loads(client_as(city_staff).get(url).content)
    assert data["programme"]["id"] is None
    assert data["consultations_total"]["count"] == 1
