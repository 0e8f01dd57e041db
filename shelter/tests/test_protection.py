"""Entrusted temporary protection (一時保護委託, issue 20): what a stay records,
the rules the database keeps, the length of stay and the report's table, and
the pages. Messages are read in English (the source strings)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from accounts.models import AuditEntry
from accounts.roles import Role
from consultations.models import PartnerAgency
from reports.services import programme_create
from shelter import selectors, services
from shelter.models import ProtectionDestination, ProtectionReason, Stay
from tests.factories import ClientFactory

from .factories import RoomFactory, StayFactory

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def centre():
    return PartnerAgency.objects.create(
        name="県女性相談支援センター",
        category=PartnerAgency.Category.WOMEN_SUPPORT_CENTRE,
    )


@pytest.fixture
def room():
    return RoomFactory(name="1号室")


def protection(centre, **fields):
    return {
        "protection_consent_on": D(2022, 3, 20),
        "protection_consent_method": "written",
        "protection_agency": centre,
        "protection_reference": "女相-2022-014",
        "protection_admitted_on": D(2022, 3, 20),
        "protection_discharged_on": None,
        "protection_children": 1,
        "protection_reason": ProtectionReason.SPOUSE_VIOLENCE,
        "protection_destination": "",
        **fields,
    }


def entrusted_stay(centre, start, end, *, children=1, status="completed", **fields):
    """An entrusted stay written straight to the table (each its own room)."""
    values = protection(
        centre,
        protection_consent_on=start,
        protection_admitted_on=start,
        protection_discharged_on=end,
        protection_children=min(1, children),
    )
    values.update(fields)
    return StayFactory(
        start_date=start,
        end_date=end,
        children=children,
        status=status,
        entrusted=True,
        **values,
    )


# LENGTH OF STAY AND THE FISCAL YEAR
# ------------------------------------------------------------------------------


def test_length_of_stay_counts_the_day_of_admission_and_of_discharge(centre):
    stay = entrusted_stay(centre, D(2022, 3, 20), D(2022, 3, 22))
    assert stay.nights == 2
    assert stay.protection_days == 3
    stay.protection_discharged_on = None
    assert stay.protection_days is None  # still protected


def test_a_stay_across_31_march_counts_in_the_year_it_began_with_full_length(
    centre, django_assert_num_queries
):
    """20 March – 10 April 2022: 22 days, all in 令和3年度 (the year its
    stay began, as the stay and its programme), nothing in 令和4年度."""
    entrusted_stay(centre, D(2022, 3, 20), D(2022, 4, 10))
    with django_assert_num_queries(1):
        fy2021 = selectors.temporary_protection_figures(D(2021, 4, 1), D(2022, 3, 31))
    assert (fy2021["stays"], fy2021["discharged"]) == (1, 1)
    assert fy2021["average_days"] == Decimal("22.0")
    fy2022 = selectors.temporary_protection_figures(D(2022, 4, 1), D(2023, 3, 31))
    assert fy2022["stays"] == 0
    assert fy2022["average_days"] is None
    assert selectors.fiscal_year_figures(2021)["temporary_protection"] == fy2021


def test_the_average_is_over_every_discharged_stay_to_one_place(centre):
    # 22, 3 and 4 days: 29 / 3 = 9.666… → 9.7
    entrusted_stay(centre, D(2022, 4, 1), D(2022, 4, 22))
    entrusted_stay(
        centre,
        D(2022, 5, 1),
        D(2022, 5, 3),
        protection_reason=ProtectionReason.HOUSING,
    )
    entrusted_stay(
        centre,
        D(2022, 6, 1),
        D(2022, 6, 6),
        protection_discharged_on=D(2022, 6, 4),
        protection_destination=ProtectionDestination.MOTHER_CHILD_FACILITY,
    )
    figures = selectors.temporary_protection_figures(D(2022, 4, 1), D(2023, 3, 31))
    assert figures["stays"] == 3
    assert figures["average_days"] == Decimal("9.7")
    counts = {row["code"]: row["count"] for row in figures["by_reason"]}
    assert counts == {
        **dict.fromkeys(ProtectionReason.values, 0),
        "spouse_violence": 2,
        "housing": 1,
    }
    # Every reason, in the fixed order, with its label.
    assert [row["code"] for row in figures["by_reason"]] == ProtectionReason.values
    assert figures["by_reason"][0]["label"] == "Violence by her husband or partner"


def test_cancelled_and_ordinary_stays_count_nowhere_and_the_average_waits_for_discharge(
    centre, room
):
    entrusted_stay(centre, D(2022, 5, 1), D(2022, 5, 3), status="cancelled")
    entrusted_stay(
        centre, D(2022, 6, 1), D(2022, 6, 9), status="checked_in",
        protection_discharged_on=None,
    )  # fmt: skip
    StayFactory(start_date=D(2022, 7, 1), end_date=D(2022, 7, 3))
    figures = selectors.temporary_protection_figures(D(2022, 4, 1), D(2023, 3, 31))
    # The one still protected is counted; her length waits for her discharge.
    assert (figures["stays"], figures["discharged"]) == (1, 0)
    assert figures["average_days"] is None
    assert sum(row["count"] for row in figures["by_reason"]) == 1


def test_a_programme_counts_only_the_stays_attributed_to_it(centre, city_staff):
    programme = programme_create(
        by=city_staff, fiscal_year=2022, name="寄り添い支援事業", municipality="市"
    )
    entrusted_stay(centre, D(2022, 5, 1), D(2022, 5, 3), programme=programme)
    entrusted_stay(centre, D(2022, 6, 1), D(2022, 6, 11))
    year = (D(2022, 4, 1), D(2023, 3, 31))
    mine = selectors.temporary_protection_figures(*year, programmes=[programme.pk])
    assert (mine["stays"], mine["average_days"]) == (1, Decimal("3.0"))
    every = selectors.temporary_protection_figures(*year)
    assert (every["stays"], every["average_days"]) == (2, Decimal("7.0"))


# THE DATABASE'S RULES
# ------------------------------------------------------------------------------


BROKEN = {
    "a day rest": {"kind": "day_rest", "end_date": D(2022, 3, 20)},
    "discharge before admission": {"protection_discharged_on": D(2022, 3, 19)},
    "admission before the stay": {
        "protection_admitted_on": D(2022, 3, 19),
        "protection_consent_on": D(2022, 3, 19),
    },
    "admission on the day of departure": {"protection_admitted_on": D(2022, 4, 10)},
    "discharge after departure": {"protection_discharged_on": D(2022, 4, 11)},
    "consent after admission": {"protection_consent_on": D(2022, 3, 21)},
    "more children than stay": {"protection_children": 2},
    "no consent": {"protection_consent_on": None},
    "no consent method": {"protection_consent_method": ""},
    "no referring body": {"protection_agency": None},
    "no reason": {"protection_reason": ""},
    "an unknown reason": {"protection_reason": "gossip"},
    "an unknown destination": {"protection_destination": "moon"},
    "a destination before discharge": {
        "protection_discharged_on": None,
        "protection_destination": "home",
    },
    "not entrusted but with details": {"entrusted": False},
}


@pytest.mark.parametrize("case", BROKEN)
def test_the_database_refuses_a_protection_that_breaks_a_rule(centre, case):
    stay = entrusted_stay(
        centre,
        D(2022, 3, 20),
        D(2022, 4, 10),
        protection_destination=ProtectionDestination.INDEPENDENT,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Stay.objects.filter(pk=stay.pk).update(**BROKEN[case])


def test_the_database_accepts_the_edges_of_the_rules(centre):
    """Consent and admission on the first day, discharge on the day of
    departure, as many children as stay: allowed."""
    stay = entrusted_stay(centre, D(2022, 3, 20), D(2022, 4, 10), children=2)
    Stay.objects.filter(pk=stay.pk).update(protection_children=2)
    stay.refresh_from_db()
    assert stay.protection_days == 22


# THE SERVICES
# ------------------------------------------------------------------------------


def test_booking_an_entrusted_stay_records_its_protection(centre, room, coordinator):
    stay = services.stay_book(
        by=coordinator,
        room=room,
        client=ClientFactory(),
        start=D(2022, 3, 20),
        end=D(2022, 4, 10),
        children=1,
        protection=protection(centre),
    )
    stay.refresh_from_db()
    assert stay.entrusted
    assert stay.protection_agency == centre
    assert stay.protection_reference == "女相-2022-014"


def test_a_day_rest_cannot_be_a_protection(centre, room):
    with pytest.raises(ValidationError) as caught:
        services.stay_book(
            by=None,
            room=room,
            client=ClientFactory(),
            kind=Stay.Kind.DAY_REST,
            start=D(2022, 3, 20),
            protection=protection(centre),
        )
    assert caught.value.message_dict["entrusted"] == [
        "Only an overnight stay can be a temporary protection."
    ]
    assert not Stay.objects.exists()


def test_the_service_names_each_broken_rule_and_writes_nothing(centre, room):
    with pytest.raises(ValidationError) as caught:
        services.stay_book(
            by=None,
            room=room,
            client=ClientFactory(),
            start=D(2022, 3, 20),
            end=D(2022, 4, 10),
            children=0,
            protection=protection(
                centre,
                protection_admitted_on=D(2022, 4, 10),
                protection_consent_on=None,
                protection_children=1,
            ),
        )
    errors = caught.value.message_dict
    assert errors["protection_admitted_on"] == [
        "Admission must be on a night of the stay: from 20 Mar 2022 to the day "
        "before 10 Apr 2022."
    ]
    assert errors["protection_consent_on"] == ["Give the date of her consent."]
    assert errors["protection_children"][0].startswith(
        "At most the children who stay with her (0)"
    )
    assert not Stay.objects.exists()


def test_checking_out_early_discharges_her_that_day(centre, room):
    stay = services.stay_book(
        by=None,
        room=room,
        client=ClientFactory(),
        start=D(2022, 3, 20),
        end=D(2022, 4, 10),
        children=1,
        protection=protection(centre),
    )
    services.stay_check_in(stay=stay, by=None, today=D(2022, 3, 20))
    stay = services.stay_check_out(stay=stay, by=None, today=D(2022, 4, 2))
    assert stay.end_date == D(2022, 4, 2)
    assert stay.protection_discharged_on == D(2022, 4, 2)
    assert stay.protection_days == 14


def test_shortening_a_stay_below_its_discharge_is_refused(centre, room):
    stay = services.stay_book(
        by=None,
        room=room,
        client=ClientFactory(),
        start=D(2022, 3, 20),
        end=D(2022, 4, 10),
        children=1,
        protection=protection(centre, protection_discharged_on=D(2022, 4, 8)),
    )
    with pytest.raises(ValidationError) as caught:
        services.stay_update(
            stay=stay, by=None, expected_version=stay.version, end_date=D(2022, 4, 5)
        )
    assert caught.value.message_dict["protection_discharged_on"] == [
        "Discharge must be at the latest on the day of departure, 5 Apr 2022."
    ]


def test_a_completed_stay_gets_its_discharge_and_destination_later(centre):
    stay = entrusted_stay(
        centre, D(2022, 3, 20), D(2022, 4, 10), protection_discharged_on=None
    )
    stay = services.stay_protection_set(
        stay=stay,
        by=None,
        expected_version=stay.version,
        protection=protection(
            centre,
            protection_discharged_on=D(2022, 4, 10),
            protection_destination=ProtectionDestination.INDEPENDENT,
        ),
    )
    assert stay.protection_destination == "independent"
    assert stay.version == 2
    # Removing it empties every field.
    stay = services.stay_protection_set(
        stay=stay, by=None, expected_version=stay.version, protection=None
    )
    stay.refresh_from_db()
    assert not stay.entrusted
    assert stay.protection_agency is None and stay.protection_reason == ""


def test_a_cancelled_stay_cannot_become_a_protection(centre, room):
    stay = StayFactory(status=Stay.Status.CANCELLED)
    with pytest.raises(ValidationError, match="cancelled stay"):
        services.stay_protection_set(
            stay=stay,
            by=None,
            expected_version=stay.version,
            protection=protection(centre),
        )


# THE PAGES
# ------------------------------------------------------------------------------


def booking(room, centre, **fields):
    return {
        "client": "",
        "room": room.pk,
        "kind": "overnight",
        "start_date": "2022-03-20",
        "end_date": "2022-04-10",
        "children": "1",
        "entrusted": "on",
        "protection_agency": centre.pk,
        "protection_reference": "女相-2022-014",
        "protection_consent_on": "2022-03-20",
        "protection_consent_method": "spoken",
        "protection_reason": "spouse_violence",
        "protection_admitted_on": "",
        "protection_children": "",
        "protection_discharged_on": "",
        "protection_destination": "",
        **fields,
    }


def test_a_coordinator_books_an_entrusted_stay_from_the_form(
    client_as, coordinator, room, centre
):
    person = ClientFactory()
    c = client_as(coordinator)
    response = c.post(
        reverse("shelter:stay_create"), booking(room, centre, client=person.code)
    )
    assert response.status_code == 302
    stay = Stay.objects.get()
    # Blanks take the first day and the accompanying children.
    assert stay.protection_admitted_on == D(2022, 3, 20)
    assert stay.protection_children == 1
    page = c.get(stay.get_absolute_url()).content.decode()
    assert "Entrusted temporary protection" in page
    assert "県女性相談支援センター" in page
    assert "Violence by her husband or partner" in page
    listing = c.get(reverse("shelter:stay_list") + "?entrusted=on").content.decode()
    assert 'class="badge protection"' in listing


def test_the_form_shows_the_rule_and_books_nothing(
    client_as, coordinator, room, centre
):
    person = ClientFactory()
    response = client_as(coordinator).post(
        reverse("shelter:stay_create"),
        booking(
            room,
            centre,
            client=person.code,
            protection_consent_on="2022-03-21",
            protection_reason="",
        ),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Her consent must come before admission (or on that day)." in page
    assert "Choose the reason for the protection." in page
    assert not Stay.objects.exists()


def test_an_unticked_box_books_an_ordinary_stay(client_as, coordinator, room, centre):
    person = ClientFactory()
    data = booking(room, centre, client=person.code)
    del data["entrusted"]
    client_as(coordinator).post(reverse("shelter:stay_create"), data)
    stay = Stay.objects.get()
    assert not stay.entrusted
    assert stay.protection_agency is None


def test_counsellors_read_the_protection_as_they_read_the_stay_and_it_is_audited(
    client_as, counsellor, centre
):
    stay = entrusted_stay(centre, D(2022, 3, 20), D(2022, 4, 10))
    page = client_as(counsellor).get(stay.get_absolute_url()).content.decode()
    assert "Entrusted temporary protection" in page
    assert 'id="protection-days">22 days<' in page
    # A counsellor reads, she does not change it.
    assert reverse("shelter:stay_protection", args=[stay.pk]) not in page
    assert AuditEntry.objects.filter(
        user=counsellor, action="view", object_type="shelter.stay"
    ).exists()


def test_the_protection_page_records_a_completed_stays_discharge(
    client_as, coordinator, centre
):
    stay = entrusted_stay(
        centre, D(2022, 3, 20), D(2022, 4, 10), protection_discharged_on=None
    )
    c = client_as(coordinator)
    url = reverse("shelter:stay_protection", args=[stay.pk])
    assert url in c.get(stay.get_absolute_url()).content.decode()
    assert c.get(url).status_code == 200
    data = booking(stay.room, centre, version=stay.version)
    data.update(
        protection_consent_on="2022-03-20",
        protection_admitted_on="2022-03-20",
        protection_children="1",
        protection_discharged_on="2022-04-09",
        protection_destination="relatives",
    )
    response = c.post(url, data)
    assert response.status_code == 302
    stay.refresh_from_db()
    assert stay.protection_discharged_on == D(2022, 4, 9)
    assert stay.protection_destination == "relatives"
    assert stay.protection_days == 21


def test_the_stay_list_keeps_its_queries_with_entrusted_stays(
    client_as, coordinator, centre, django_assert_max_num_queries
):
    c = client_as(coordinator)
    url = reverse("shelter:stay_list")
    for i in range(5):
        entrusted_stay(centre, D(2022, 5, 1) + dt.timedelta(days=10 * i),
                       D(2022, 5, 4) + dt.timedelta(days=10 * i))  # fmt: skip
    c.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as five:
        c.get(url)
    for i in range(45):
        StayFactory(start_date=D(2022, 9, 1) + dt.timedelta(days=5 * i))
    with django_assert_max_num_queries(len(five)):
        c.get(url)


def test_only_coordinators_change_a_protection(client_as, make_user, centre):
    stay = entrusted_stay(centre, D(2022, 3, 20), D(2022, 4, 10))
    url = reverse("shelter:stay_protection", args=[stay.pk])
    for role, status in (
        (Role.COUNSELLOR, 403),
        (Role.FACILITATOR, 403),
        (Role.COORDINATOR, 200),
    ):
        assert client_as(make_user(role)).get(url).status_code == status, role


def test_changing_an_open_stay_shows_and_can_remove_its_protection(
    client_as, coordinator, centre
):
    stay = entrusted_stay(
        centre, D(2022, 3, 20), D(2022, 4, 10), status="reserved",
        protection_discharged_on=None,
    )  # fmt: skip
    c = client_as(coordinator)
    url = reverse("shelter:stay_update", args=[stay.pk])
    page = c.get(url).content.decode()
    assert re.search(r'<input type="checkbox" name="entrusted"[^>]* checked', page)
    assert 'value="女相-2022-014"' in page
    data = booking(stay.room, centre, version=stay.version)
    del data["entrusted"]
    response = c.post(url, data)
    assert response.status_code == 302
    stay.refresh_from_db()
    assert not stay.entrusted
    assert stay.protection_reference == ""
    assert stay.protection_consent_on is None
