"""The client picker (issue 21): suggestions tell two women of the same name
apart, each endpoint returns only what its users may see, a name typed and not
picked is told as such, and the forms carry the combobox markup.

Messages are read in English (the msgids); the browser tests
(tests/browser/test_client_picker.py) drive the picker itself."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from consultations.models import Consultation, SupportAction
from consultations.picker import looks_like_code
from consultations.services import support_action_create
from consultations.tests.factories import ConsultationFactory
from shelter.models import Stay
from shelter.tests.factories import RoomFactory, StayFactory
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

COUNSELLOR_KEYS = {
    "code",
    "display_name",
    "kana",
    "age_band",
    "date",
    "date_text",
    "has_consultations",
}
COORDINATOR_KEYS = COUNSELLOR_KEYS - {"has_consultations"}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def two_misaki(counsellor):
    """Two clients called 鈴木 美咲: the older one consulted and was
    supported, the newer one stayed at the shelter."""
    first = ClientFactory(
        code="C-000003",
        display_name="鈴木 美咲",
        kana="すずき みさき",
        age_band="40s",
        phone="090-1111-2222",
        email="misaki@example.jp",
        area="土浦市",
    )
    second = ClientFactory(
        code="C-000040",
        display_name="鈴木 美咲",
        kana="スズキ ミサキ",
        age_band="20s",
        phone="080-3333-4444",
    )
    ConsultationFactory(
        client=first,
        counsellor=counsellor,
        started_at=timezone.make_aware(dt.datetime(2021, 9, 3, 10, 0)),
    )
    # Through the service, as the app records one (it keeps the client's
    # cached last-contact date).
    support_action_create(
        by=counsellor,
        client=first,
        staff=counsellor,
        kind=SupportAction.Kind.INTERVIEW,
        date=dt.date(2021, 9, 20),
    )
    room = RoomFactory()
    StayFactory(client=second, room=room, start_date=dt.date(2021, 8, 1))
    StayFactory(
        client=second,
        room=room,
        start_date=dt.date(2021, 10, 1),
        status=Stay.Status.CANCELLED,
    )
    return first, second


def lookup(http, name, q):
    response = http.get(reverse(name), {"q": q})
    assert response.status_code == 200
    return response.json()["results"]


def test_counsellor_suggestions_tell_two_of_the_same_name_apart(
    client_as, counsellor, two_misaki
):
    first, second = two_misaki
    results = lookup(client_as(counsellor), "consultations:client_lookup", "美咲")
    assert [r["code"] for r in results] == ["C-000040", "C-000003"]
    newer, older = results
    assert set(older) == COUNSELLOR_KEYS
    assert (older["kana"], older["age_band"], older["date"]) == (
        "すずき みさき",
        "40s",
        "2021-09-20",  # the support action, later than the consultation
    )
    assert older["date_text"].startswith("last contact ")
    assert older["has_consultations"] is True
    # No contact for the newer one yet (a stay is not a counsellor's contact).
    assert (newer["age_band"], newer["date"], newer["date_text"]) == ("20s", "", "")
    assert newer["has_consultations"] is False


def test_coordinator_suggestions_hold_only_what_a_coordinator_may_see(
    client_as, coordinator, two_misaki
):
    """Code, display name, kana, age band and the last stay (not cancelled):
    no contact details, nothing of the consultations."""
    first, second = two_misaki
    http = client_as(coordinator)
    results = lookup(http, "shelter:client_lookup", "すずき")
    assert [r["code"] for r in results] == ["C-000040", "C-000003"]
    assert all(set(r) == COORDINATOR_KEYS for r in results)
    newer, older = results
    assert (newer["date"], newer["age_band"]) == ("2021-08-01", "20s")
    assert newer["date_text"].startswith("last stay ")
    assert (older["date"], older["date_text"]) == ("", "")
    body = http.get(reverse("shelter:client_lookup"), {"q": "美咲"}).content.decode(
        "unicode_escape"
    )
    for hidden in ("090-1111-2222", "misaki@example.jp", "土浦市", "2021-09"):
        assert hidden not in body


@pytest.mark.parametrize("typed", ["090-1111-2222", "09011112222", "3333-4444"])
def test_a_coordinator_cannot_find_a_client_by_phone(
    client_as, coordinator, two_misaki, typed
):
    """Not even an unflagged one: a coordinator does not see phone numbers,
    so a number must not confirm whose it is."""
    assert lookup(client_as(coordinator), "shelter:client_lookup", typed) == []


def test_the_pickers_are_for_their_own_roles(client_as, counsellor, coordinator):
    assert (
        client_as(coordinator).get(reverse("consultations:client_lookup")).status_code
        == 403
    )
    assert client_as(counsellor).get(reverse("shelter:client_lookup")).status_code == (
        403
    )


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("consultations:client_lookup", Role.COUNSELLOR),
        ("shelter:client_lookup", Role.COORDINATOR),
    ],
)
def test_a_search_takes_the_same_queries_for_5_and_50_matches(
    client_as, make_user, name, role
):
    user = make_user(role, username="searcher")
    http = client_as(user)
    room = RoomFactory()

    def make(count):
        # One room, one stay after another (stays in a room never overlap).
        made = Stay.objects.count()
        for n in range(made, made + count):
            person = ClientFactory(display_name=f"佐藤 {n}", kana="さとう")
            ConsultationFactory(client=person, counsellor=user)
            StayFactory(
                client=person,
                room=room,
                start_date=dt.date(2020, 1, 1) + dt.timedelta(n * 3),
            )

    def queries():
        http.get(reverse(name), {"q": "x"})  # session and roles read once
        with CaptureQueriesContext(connection) as captured:
            assert http.get(reverse(name), {"q": "さとう"}).status_code == 200
        return len(captured)

    make(5)
    five = queries()
    make(45)
    assert queries() == five, "the search runs more queries with more matches"


def test_a_name_typed_without_picking_is_told_so_and_nothing_is_saved(
    client_as, counsellor, two_misaki
):
    http = client_as(counsellor)
    before = Consultation.objects.count()
    data = {
        "channel": "phone",
        "started_at": "2021-10-05T10:00",
        "counsellor": counsellor.pk,
    }
    page = http.post(
        reverse("consultations:consultation_create"),
        {**data, "client_code": "鈴木 美咲"},
    ).content.decode()
    assert "“鈴木 美咲” is not a client code." in page
    assert "pick her in the list" in page
    page = http.post(
        reverse("consultations:consultation_create"),
        {**data, "client_code": "c-999999"},
    ).content.decode()
    assert "No client has the code C-999999." in page
    assert Consultation.objects.count() == before


def test_the_booking_form_tells_a_name_that_was_not_picked(
    client_as, coordinator, two_misaki
):
    room = RoomFactory()
    page = (
        client_as(coordinator)
        .post(
            reverse("shelter:stay_create"),
            {
                "client": "鈴木",
                "room": room.pk,
                "kind": "overnight",
                "start_date": "2031-10-01",
                "end_date": "2031-10-03",
                "children": "0",
            },
        )
        .content.decode()
    )
    assert "“鈴木” is not a client code." in page
    assert not Stay.objects.filter(start_date=dt.date(2031, 10, 1)).exists()


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("C-000123", True),
        ("c000123", True),
        ("Ｃ－０００１２３", True),
        ("T-000001", True),
        ("鈴木 美咲", False),
        ("すずき", False),
        ("Misaki", False),
        ("", False),
    ],
)
def test_what_looks_like_a_code(typed, code):
    assert looks_like_code(typed) is code


@pytest.mark.parametrize(
    ("role", "name", "field"),
    [
        (Role.COUNSELLOR, "consultations:consultation_create", "client_code"),
        (Role.COORDINATOR, "shelter:stay_create", "client"),
        (Role.COORDINATOR, "shelter:unmet_create", "client"),
    ],
)
def test_the_forms_carry_the_combobox(client_as, make_user, role, name, field):
    """An ARIA 1.2 combobox: the input names its listbox (which is on the
    page), says it is collapsed, and the script comes as a file (CSP)."""
    page = client_as(make_user(role, username="user")).get(reverse(name)).content
    page = page.decode()
    tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', page).group(0)
    assert 'role="combobox"' in tag
    assert 'aria-expanded="false"' in tag
    assert 'aria-autocomplete="list"' in tag
    listbox = re.search(r'aria-controls="([^"]+)"', tag).group(1)
    assert f'id="{listbox}" role="listbox"' in page
    endpoint = "shelter" if field == "client" else "consultations"
    assert f'data-lookup="{reverse(endpoint + ":client_lookup")}"' in tag
    assert "js/client_picker.js" in page
