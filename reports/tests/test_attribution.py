"""Programme attribution (issue 18): the default programme of a new record
from the programme rules, on every way a record is made, the per-record
choice on the forms, the rules' validation, and the data-quality page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import scoping
from accounts.models import Organisation
from consultations import services as consultation_services
from consultations.line.models import LineChannel, LineChat
from consultations.models import Consultation, SupportAction
from consultations.tests.factories import ConsultationFactory
from consultations.tests.line_factories import LineUserFactory
from peergroups.models import Session
from peergroups.tests.factories import GroupFactory, SessionFactory
from reports import attribution
from reports.models import Programme, ProgrammeRule
from reports.tests.import_files import HEADER, consultation_row, csv_bytes
from shelter import services as shelter_services
from shelter.models import Facility, Room, SalonVisit, Stay
from shelter.tests.factories import (
    RoomFactory,
    SalonFactory,
    SalonVisitFactory,
    ShelterFactory,
)
from tests.factories import ClientFactory, default_organisation
from training.tests.factories import EventFactory

pytestmark = pytest.mark.django_db
D = dt.date
K = ProgrammeRule.RecordKind
FY2021 = {"valid_from": D(2021, 4, 1), "valid_until": D(2022, 3, 31)}


def jst(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


@pytest.fixture
def org():
    return default_organisation()


@pytest.fixture
def other_org(org):
    """A second organisation. Records made outside a request then need one:
    the tests make theirs in ``org``'s scope unless they say otherwise."""
    other = Organisation.objects.create(name="よそのNPO")
    with scoping.organisations([org.pk]):
        yield other


_names = iter(range(10**6))


def programme(organisation, name=None) -> Programme:
    return Programme.objects.create(
        fiscal_year=2021,
        name=name or f"事業{next(_names)}",
        municipality="市",
        organisation=organisation,
    )


def rule(prog, kind, **fields) -> ProgrammeRule:
    fields = {**FY2021, **fields}
    made = ProgrammeRule(programme=prog, record_kind=kind, **fields)
    made.full_clean()
    made.save()
    return made


def sql_matches(record) -> int:
    """How many programmes' rules match the record, by the data-quality
    page's SQL (which must agree with the Python of new records)."""
    kind = attribution.kind_of(type(record))
    return (
        type(record)
        .objects.filter(pk=record.pk)
        .annotate(n=attribution.matches_count(kind))
        .values_list("n", flat=True)
        .get()
    )


def check(record, programme_or_none, matches: int) -> None:
    record.refresh_from_db()
    assert record.programme == programme_or_none
    assert sql_matches(record) == matches


# RULE MATCHING (both implementations)
# ------------------------------------------------------------------------------


def test_a_consultation_takes_the_programme_of_its_rule(org):
    prog = programme(org)
    rule(prog, K.CONSULTATION)
    check(ConsultationFactory(started_at=jst(2021, 10, 1, 10)), prog, 1)


def test_a_rule_covers_its_kind_of_record_only(org):
    rule(programme(org), K.SUPPORT_ACTION)
    check(ConsultationFactory(started_at=jst(2021, 10, 1, 10)), None, 0)


@pytest.mark.parametrize(
    "day, covered",
    [
        (D(2021, 3, 31), False),
        (D(2021, 4, 1), True),
        (D(2022, 3, 31), True),
        (D(2022, 4, 1), False),
    ],
)
def test_a_rule_covers_its_dates_both_ends_included(org, day, covered):
    prog = programme(org)
    rule(prog, K.TRAINING_EVENT)
    check(EventFactory(date=day), prog if covered else None, int(covered))


def test_a_rule_without_an_end_has_none(org):
    prog = programme(org)
    rule(prog, K.TRAINING_EVENT, valid_until=None)
    check(EventFactory(date=D(2030, 1, 1)), prog, 1)


@pytest.mark.parametrize(
    "started_at, covered",
    [
        # 00:30 on 1 April in Japan is still 31 March in UTC: the local date
        # counts, on both sides of midnight.
        ((2021, 3, 31, 23, 30), False),
        ((2021, 4, 1, 0, 30), True),
    ],
)
def test_a_date_and_time_counts_by_its_local_date(org, started_at, covered):
    prog = programme(org)
    rule(prog, K.CONSULTATION)
    # Given in UTC, as the database and LINE give it.
    record = ConsultationFactory(started_at=jst(*started_at).astimezone(dt.UTC))
    check(record, prog if covered else None, int(covered))


def test_a_consultation_rule_with_a_channel_covers_that_channel_only(org):
    prog = programme(org)
    rule(prog, K.CONSULTATION, channel="sns")
    check(ConsultationFactory(channel="sns", started_at=jst(2021, 5, 1, 9)), prog, 1)
    check(ConsultationFactory(channel="phone", started_at=jst(2021, 5, 1, 9)), None, 0)


def test_a_support_action_takes_its_rule(org, counsellor):
    prog = programme(org)
    rule(prog, K.SUPPORT_ACTION)
    action = consultation_services.support_action_create(
        by=counsellor,
        client=ClientFactory(),
        kind="interview",
        date=D(2021, 6, 1),
        staff=counsellor,
    )
    check(action, prog, 1)


def test_a_stay_rule_with_a_facility_covers_that_shelters_rooms(org, counsellor):
    prog = programme(org)
    house = ShelterFactory()
    other = ShelterFactory(name="もう一つの家")
    rule(prog, K.STAY, facility=house)
    person = ClientFactory()
    here = shelter_services.stay_book(
        by=counsellor, room=RoomFactory(facility=house), client=person,
        start=D(2021, 7, 1), end=D(2021, 7, 3),
    )  # fmt: skip
    there = shelter_services.stay_book(
        by=counsellor, room=RoomFactory(facility=other), client=person,
        start=D(2021, 7, 1), end=D(2021, 7, 3),
    )  # fmt: skip
    check(here, prog, 1)
    check(there, None, 0)


def test_a_salon_rule_with_a_facility_covers_that_salon(org):
    prog = programme(org)
    salon = SalonFactory()
    rule(prog, K.SALON_VISIT, facility=salon)
    check(SalonVisitFactory(facility=salon, date=D(2021, 8, 1)), prog, 1)
    other = SalonFactory(name="別のサロン")
    check(SalonVisitFactory(facility=other, date=D(2021, 8, 1)), None, 0)


def test_a_session_rule_with_a_group_covers_that_group(org):
    prog = programme(org)
    group = GroupFactory()
    rule(prog, K.PEER_SESSION, group=group)
    check(SessionFactory(group=group, date=D(2021, 9, 1)), prog, 1)
    check(SessionFactory(group=GroupFactory(), date=D(2021, 9, 1)), None, 0)


def test_a_line_chat_rule_with_an_account_covers_that_accounts_chats(org):
    prog = programme(org)
    ours = LineChannel.objects.create(name="相談LINE", channel_id="1001")
    theirs = LineChannel.objects.create(name="別のLINE", channel_id="1002")
    rule(prog, K.LINE_CHAT, line_channel=ours)
    started = jst(2021, 11, 1, 20)
    chat = LineChat.objects.create(
        line_user=LineUserFactory(channel=ours), started_at=started
    )
    check(chat, prog, 1)
    elsewhere = LineChat.objects.create(
        line_user=LineUserFactory(channel=theirs), started_at=started
    )
    check(elsewhere, None, 0)


def test_another_organisations_rules_are_ignored(org, other_org):
    rule(programme(other_org), K.CONSULTATION)
    check(ConsultationFactory(started_at=jst(2021, 10, 1, 10)), None, 0)


def test_two_programmes_rules_matching_leave_it_empty(org):
    rule(programme(org), K.CONSULTATION)
    rule(programme(org), K.CONSULTATION, channel="phone")
    check(ConsultationFactory(channel="phone", started_at=jst(2021, 10, 1)), None, 2)


def test_two_rules_of_one_programme_are_one_match(org):
    prog = programme(org)
    rule(prog, K.CONSULTATION)
    rule(prog, K.CONSULTATION, channel="phone")
    check(ConsultationFactory(channel="phone", started_at=jst(2021, 10, 1)), prog, 1)


def test_a_programme_given_is_kept(org):
    rule(programme(org), K.CONSULTATION)
    chosen = programme(org)
    record = ConsultationFactory(started_at=jst(2021, 10, 1, 10), programme=chosen)
    record.refresh_from_db()
    assert record.programme == chosen


def test_a_programme_of_another_organisation_is_refused(org, other_org):
    with pytest.raises(ValidationError) as error:
        ConsultationFactory(programme=programme(other_org))
    assert "programme" in error.value.message_dict
    assert not Consultation.objects.exists()


def test_a_record_edited_later_keeps_its_programme(org):
    """The rules apply when a record is made; an edit does not re-attribute."""
    prog = programme(org)
    rule(prog, K.TRAINING_EVENT)
    event = EventFactory(date=D(2021, 10, 1))
    event.date = D(2023, 1, 1)
    event.save()
    event.refresh_from_db()
    assert event.programme == prog


# CREATE PATHS: bulk, import, form
# ------------------------------------------------------------------------------


def _consultations(n, counsellor, person):
    return [
        Consultation(
            channel="phone",
            started_at=jst(2021, 10, 1, 9) + dt.timedelta(hours=i),
            counsellor=counsellor,
            client=person,
        )
        for i in range(n)
    ]


def test_bulk_creation_reads_the_rules_once(org, counsellor, django_assert_num_queries):
    prog = programme(org)
    rule(prog, K.CONSULTATION)
    person = ClientFactory()
    with django_assert_num_queries(2) as few:  # the rules, the insert
        Consultation.objects.bulk_create(_consultations(2, counsellor, person))
    with django_assert_num_queries(len(few.captured_queries)):
        Consultation.objects.bulk_create(_consultations(20, counsellor, person))
    assert set(Consultation.objects.values_list("programme", flat=True)) == {prog.pk}


def test_bulk_stays_read_their_rooms_facilities_once(org, coordinator):
    prog = programme(org)
    house = ShelterFactory()
    rule(prog, K.STAY, facility=house)
    rooms = [
        RoomFactory(facility=house),
        RoomFactory(facility=ShelterFactory(name="B")),
    ]
    person = ClientFactory()
    Stay.objects.bulk_create(
        Stay(
            room_id=room.pk,  # the room's id only: its facility is read
            client=person,
            start_date=D(2021, 10, 1),
            end_date=D(2021, 10, 2),
        )
        for room in rooms
    )
    got = dict(Stay.objects.values_list("room_id", "programme_id"))
    assert got == {rooms[0].pk: prog.pk, rooms[1].pk: None}


def test_a_series_gives_its_sessions_the_groups_programme(org, facilitator):
    from peergroups.services import series_create

    prog = programme(org)
    group = GroupFactory()
    rule(prog, K.PEER_SESSION, group=group)
    series_create(
        by=facilitator, group=group, frequency="weekly", weekday=1,
        week_of_month=None, first_date=D(2021, 10, 5), last_date=D(2021, 10, 26),
        holiday_policy="skip",
    )  # fmt: skip
    assert Session.objects.count() > 1
    assert set(Session.objects.values_list("programme", flat=True)) == {prog.pk}


def test_imported_rows_take_the_programme_of_their_rule(org, counsellor, tmp_path):
    prog = programme(org)
    rule(prog, K.CONSULTATION, channel="phone")
    path = tmp_path / "consultations.csv"
    path.write_bytes(csv_bytes([HEADER, consultation_row(1), consultation_row(2)]))
    call_command(
        "import_records", "consultations", str(path),
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    assert list(Consultation.objects.values_list("programme", flat=True)) == [
        prog.pk,
        prog.pk,
    ]


def _form_data(counsellor, **extra):
    return {
        "channel": "phone",
        "started_at": "2021-10-05T10:00",
        "main_complaint": "other",
        "counsellor": counsellor.pk,
        **extra,
    }


def test_the_consultation_form_leaves_it_to_the_rules(org, client_as, counsellor):
    prog = programme(org)
    rule(prog, K.CONSULTATION)
    page = client_as(counsellor).get(reverse("consultations:consultation_create"))
    assert 'name="programme"' in page.content.decode()
    client_as(counsellor).post(
        reverse("consultations:consultation_create"), _form_data(counsellor)
    )
    assert Consultation.objects.get().programme == prog


def test_the_forms_choice_overrides_the_rule(org, client_as, counsellor):
    rule(programme(org), K.CONSULTATION)
    chosen = programme(org)
    client_as(counsellor).post(
        reverse("consultations:consultation_create"),
        _form_data(counsellor, programme=chosen.pk),
    )
    assert Consultation.objects.get().programme == chosen


def test_the_form_offers_only_the_users_organisations_programmes(
    org, other_org, client_as, counsellor
):
    ours, theirs = (
        programme(org, "わたしたちの事業"),
        programme(other_org, "よその事業"),
    )
    c = client_as(counsellor)
    page = c.get(reverse("consultations:consultation_create")).content.decode()
    assert ours.name in page and theirs.name not in page
    refused = c.post(
        reverse("consultations:consultation_create"),
        _form_data(counsellor, programme=theirs.pk),
    )
    assert refused.status_code == 200 and not Consultation.objects.exists()


def test_editing_a_stay_changes_its_programme(org, client_as, coordinator):
    first, second = programme(org), programme(org)
    rule(first, K.STAY)
    stay = shelter_services.stay_book(
        by=coordinator, room=RoomFactory(), client=ClientFactory(),
        start=D(2021, 10, 1), end=D(2021, 10, 3),
    )  # fmt: skip
    assert stay.programme == first
    client_as(coordinator).post(
        reverse("shelter:stay_update", args=[stay.pk]),
        {
            "room": stay.room_id, "kind": "overnight", "start_date": "2021-10-01",
            "end_date": "2021-10-03", "children": 0, "version": stay.version,
            "programme": second.pk,
        },
    )  # fmt: skip
    stay.refresh_from_db()
    assert stay.programme == second


@pytest.mark.parametrize(
    "url_name, args",
    [
        ("consultations:consultation_create", ()),
        ("shelter:stay_create", ()),
        ("shelter:salon_create", ()),
        ("peergroups:session_create", ()),
        ("training:event_create", ()),
    ],
)
def test_every_create_form_offers_the_choice(
    org, client_as, admin_user, url_name, args
):
    programme(org, "選べる事業")
    page = client_as(admin_user).get(reverse(url_name, args=args)).content.decode()
    assert 'name="programme"' in page and "選べる事業" in page


def test_the_support_action_form_offers_the_choice(org, client_as, counsellor):
    programme(org, "選べる事業")
    person = ClientFactory()
    url = reverse("consultations:support_action_create", args=[person.pk])
    page = client_as(counsellor).get(url).content.decode()
    assert 'name="programme"' in page and "選べる事業" in page


def test_the_salon_visit_form_records_the_choice(org, client_as, coordinator):
    chosen = programme(org)
    salon = SalonFactory()
    client_as(coordinator).post(
        reverse("shelter:salon_create"),
        {"facility": salon.pk, "date": "2021-10-01", "visitors": 3,
         "programme": chosen.pk},
    )  # fmt: skip
    assert SalonVisit.objects.get().programme == chosen


# THE RULES' VALIDATION
# ------------------------------------------------------------------------------


def test_the_constraints_kind_list_is_the_record_kinds():
    constraint = next(
        c
        for c in ProgrammeRule._meta.constraints
        if c.name == "programme_rule_kind_known"
    )
    assert dict(constraint.condition.children)["record_kind__in"] == K.values


@pytest.mark.parametrize(
    "kind, field",
    [
        (K.SUPPORT_ACTION, "channel"),
        (K.STAY, "channel"),
        (K.CONSULTATION, "facility"),
        (K.CONSULTATION, "group"),
        (K.CONSULTATION, "line_channel"),
    ],
)
def test_a_rule_names_only_what_its_kind_has(org, kind, field):
    values = {
        "channel": "phone",
        "facility": ShelterFactory(),
        "group": GroupFactory(),
        "line_channel": LineChannel.objects.create(name="L", channel_id="9"),
    }
    made = ProgrammeRule(
        programme=programme(org), record_kind=kind, **FY2021, **{field: values[field]}
    )
    with pytest.raises(ValidationError) as error:
        made.full_clean()
    assert field in error.value.message_dict
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        made.save()


def test_a_rules_facility_group_and_account_are_the_programmes_organisations(
    org, other_org
):
    prog = programme(org)
    theirs = {
        K.STAY: ("facility", Facility.objects.create(
            name="よその家", kind="shelter", organisation=other_org)),
        K.PEER_SESSION: ("group", GroupFactory(organisation=other_org)),
        K.LINE_CHAT: ("line_channel", LineChannel.objects.create(
            name="よそ", channel_id="77", organisation=other_org)),
    }  # fmt: skip
    for kind, (field, value) in theirs.items():
        made = ProgrammeRule(
            programme=prog, record_kind=kind, **FY2021, **{field: value}
        )
        with pytest.raises(ValidationError) as error:
            made.full_clean()
        assert field in error.value.message_dict


def test_a_stay_rule_names_a_shelter_and_a_salon_rule_a_salon(org):
    prog = programme(org)
    for kind, place in ((K.STAY, SalonFactory()), (K.SALON_VISIT, ShelterFactory())):
        made = ProgrammeRule(programme=prog, record_kind=kind, **FY2021, facility=place)
        with pytest.raises(ValidationError) as error:
            made.full_clean()
        assert "facility" in error.value.message_dict


def test_admins_edit_the_rules_on_the_programmes_admin_page(org, client_as, admin_user):
    prog = programme(org)
    house = ShelterFactory()
    url = reverse("admin:reports_programme_change", args=[prog.pk])
    admin_user.is_staff = True
    admin_user.save()
    c = client_as(admin_user)
    assert "rules-TOTAL_FORMS" in c.get(url).content.decode()
    data = {
        "fiscal_year": 2021, "name": prog.name, "organisation": org.pk,
        "municipality": "市",
        "targets-TOTAL_FORMS": 0, "targets-INITIAL_FORMS": 0,
        "rules-TOTAL_FORMS": 1, "rules-INITIAL_FORMS": 0,
        "rules-0-record_kind": "consultation", "rules-0-valid_from": "2021-04-01",
        "rules-0-facility": house.pk,
    }  # fmt: skip
    refused = c.post(url, data)
    assert refused.status_code == 200 and not ProgrammeRule.objects.exists()
    data["rules-0-record_kind"] = "stay"
    assert c.post(url, data).status_code == 302
    assert ProgrammeRule.objects.get().facility == house


def test_only_admins_see_the_rules_in_the_django_admin(org, client_as, make_user):
    from django.contrib.auth.models import Permission

    from accounts.roles import Role

    prog = programme(org)
    staff = make_user(Role.CITY_STAFF, username="cityadmin", is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(content_type__app_label="reports")
    )
    page = client_as(staff).get(
        reverse("admin:reports_programme_change", args=[prog.pk])
    )
    assert page.status_code == 200
    assert "rules-TOTAL_FORMS" not in page.content.decode()


# THE DATA-QUALITY PAGE
# ------------------------------------------------------------------------------


def _world(org, other_org, n):
    """n records of no programme and n of two, in org; and of other_org."""
    rule(programme(org), K.TRAINING_EVENT, valid_from=D(2021, 10, 1))
    rule(programme(org), K.TRAINING_EVENT, valid_from=D(2021, 10, 1))
    for i in range(n):
        EventFactory(date=D(2021, 9, 1) - dt.timedelta(days=i))  # no rule yet
        EventFactory(date=D(2021, 10, 1) + dt.timedelta(days=i))  # two rules
        ConsultationFactory(started_at=jst(2021, 10, 1) + dt.timedelta(hours=i))
    EventFactory(date=D(2021, 9, 1), organisation=other_org)


def test_the_data_quality_page_lists_no_programme_and_two(
    org, other_org, client_as, admin_user
):
    rule(programme(org), K.TRAINING_EVENT, valid_from=D(2021, 10, 1))
    rule(programme(org), K.TRAINING_EVENT, valid_from=D(2021, 10, 1))
    none = EventFactory(date=D(2021, 9, 1))
    two = EventFactory(date=D(2021, 10, 2))
    attributed = EventFactory(date=D(2021, 10, 3), programme=programme(org))
    theirs = EventFactory(date=D(2021, 9, 1), organisation=other_org)
    page = client_as(admin_user).get(reverse("reports:data_quality"))
    html = page.content.decode()
    assert f'data-case="none" data-pk="{none.pk}"' in html
    assert f'data-case="several" data-pk="{two.pk}"' in html
    assert f'data-pk="{attributed.pk}"' not in html
    assert f'data-pk="{theirs.pk}"' not in html
    assert reverse("training:event_detail", args=[two.pk]) in html
    events = next(s for s in page.context["sections"] if s["kind"] == K.TRAINING_EVENT)
    assert [case["count"] for case in events["cases"]] == [1, 1]


def test_the_data_quality_page_caps_its_lists(org, client_as, admin_user, monkeypatch):
    from reports import data_quality

    monkeypatch.setattr(data_quality, "SHOWN", 2)
    for i in range(5):
        EventFactory(date=D(2021, 9, 1) + dt.timedelta(days=i))
    page = client_as(admin_user).get(reverse("reports:data_quality"))
    events = next(s for s in page.context["sections"] if s["kind"] == K.TRAINING_EVENT)
    none = events["cases"][0]
    assert (none["count"], len(none["rows"]), none["more"]) == (5, 2, 3)
    assert "3" in page.content.decode()


def test_the_data_quality_page_runs_the_same_queries_for_any_number_of_records(
    org, other_org, client_as, admin_user, django_assert_num_queries
):
    c = client_as(admin_user)
    url = reverse("reports:data_quality")
    _world(org, other_org, 2)
    c.get(url)  # the session and the user's roles are read once
    with django_assert_num_queries(25) as few:  # 3 a kind, 4 for the request
        c.get(url)
    _world(org, other_org, 25)
    with django_assert_num_queries(len(few.captured_queries)):
        c.get(url)


def test_the_menu_links_admins_to_the_data_quality_page(client_as, admin_user):
    page = client_as(admin_user).get(reverse("home")).content.decode()
    assert reverse("reports:data_quality") in page


def test_data_quality_links_every_kind_to_its_record(org, counsellor):
    """Every kind of record has a page to choose its programme on."""
    person = ClientFactory()
    records = {
        K.CONSULTATION: ConsultationFactory(client=person),
        K.SUPPORT_ACTION: SupportAction.objects.create(
            client=person, kind="interview", date=D(2021, 10, 1), staff=counsellor
        ),
        K.STAY: Stay.objects.create(
            room=Room.objects.create(facility=ShelterFactory(), name="1"),
            client=person, start_date=D(2021, 10, 1), end_date=D(2021, 10, 2),
        ),
        K.SALON_VISIT: SalonVisitFactory(),
        K.PEER_SESSION: SessionFactory(),
        K.TRAINING_EVENT: EventFactory(),
        K.LINE_CHAT: LineChat.objects.create(
            line_user=LineUserFactory(), started_at=jst(2021, 10, 1)
        ),
    }  # fmt: skip
    for kind in attribution.KINDS:
        url = attribution.record_url(kind, records[kind.kind])
        assert url.startswith("/")


def test_users_of_another_organisation_are_not_offered_its_programmes(
    org, other_org, client_as, make_user
):
    from accounts.roles import Role

    programme(org, "本部の事業")
    outsider = make_user(Role.ADMIN, username="outsider", organisations=[other_org])
    page = client_as(outsider).get(reverse("training:event_create")).content.decode()
    assert "本部の事業" not in page
