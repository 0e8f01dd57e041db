"""Safety flags (DV support measure, no phone or mail, reply only in LINE).

* Only the assigned counsellor and supervisors (the admin role) may set or
  clear a flag, in the form and in the service: a forged POST changes nothing.
* Clearing a flag needs a reason; it is kept, audited and shown to the
  supervisors on the team worklist.
* A flagged client's phone, e-mail and area appear nowhere for anyone else:
  every page of the app, its filters and searches, the client picker, the
  exports and the Django admin (even with staff status).
"""

import io
from urllib.parse import unquote

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import AuditEntry
from accounts.roles import Role
from consultations import services
from consultations.models import Client, LineMessage, SafetyFlagClearance
from consultations.tests.line_factories import LineUserFactory
from tests.factories import ClientFactory
from tests.test_role_matrix import (
    MATRIX,
    url_for,
    world,  # noqa: F401 (a fixture used below)
)

pytestmark = pytest.mark.django_db

PHONE = "090-1111-2222"
EMAIL = "hidden@example.jp"
AREA = "秘密町"
HIDDEN = (PHONE, "09011112222", EMAIL, AREA)


def ja(message: str) -> str:
    """A message as the (Japanese-first) pages show it."""
    with translation.override("ja"):
        return gettext(message)


@pytest.fixture
def assigned(make_user):
    return make_user(Role.COUNSELLOR, username="assigned")


@pytest.fixture
def other(make_user):
    return make_user(Role.COUNSELLOR, username="other")


@pytest.fixture
def boss(make_user):
    """A supervisor: a counsellor who also holds the admin role."""
    return make_user(Role.COUNSELLOR, Role.ADMIN, username="boss")


@pytest.fixture
def flagged(assigned):
    return ClientFactory(
        display_name="秘匿 花子",
        phone=PHONE,
        email=EMAIL,
        area=AREA,
        household_type="single",
        address_confidential=True,
        no_phone_or_mail=True,
        assigned_counsellor=assigned,
    )


def form_data(client: Client, **changes) -> dict:
    """What the edit form posts for ``client`` (ticked boxes only)."""
    client.refresh_from_db()
    data = {
        "display_name": client.display_name,
        "kana": client.kana,
        "phone": client.phone,
        "email": client.email,
        "area": client.area,
        "household_type": client.household_type,
        "version": client.version,
    }
    data.update({name: "on" for name in Client.SAFETY_FLAGS if getattr(client, name)})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# WHO MAY CHANGE A FLAG
# ------------------------------------------------------------------------------


def test_the_flag_boxes_are_offered_only_to_the_assigned_counsellor_and_supervisors(
    client_as, flagged, assigned, other, boss
):
    url = reverse("consultations:client_update", args=[flagged.pk])
    for user, offered in ((other, False), (assigned, True), (boss, True)):
        page = client_as(user).get(url).content.decode()
        for name in Client.SAFETY_FLAGS:
            assert (f'name="{name}"' in page) is offered, (user.username, name)
        assert ('name="flag_clear_reason"' in page) is offered


def test_a_forged_post_by_an_unassigned_counsellor_leaves_the_flags_alone(
    client_as, flagged, other
):
    """F1: she unticks the boxes (leaves them out of the POST) and saves; the
    rest of her edit is kept, the flags are not, the contact details stay
    hidden from her and a LINE reply still asks for the safety check."""
    line_user = LineUserFactory(client=flagged)
    c = client_as(other)
    data = form_data(flagged, kana="ひとく はなこ", flag_clear_reason="forged")
    for name in Client.SAFETY_FLAGS:
        data.pop(name, None)
    response = c.post(reverse("consultations:client_update", args=[flagged.pk]), data)
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.kana == "ひとく はなこ"
    assert flagged.address_confidential and flagged.no_phone_or_mail
    assert not SafetyFlagClearance.objects.exists()
    page = c.get(flagged.get_absolute_url()).content.decode()
    for value in HIDDEN:
        assert value not in page
    reply = c.post(
        reverse("line:reply", args=[line_user.pk]),
        {"text": "こんにちは", "retry_key": "8d0f4d3e-6a1b-4c55-9a37-0c7e4c1f2a10"},
    )
    assert (
        ja("This client has safety flags: tick the box to confirm before sending.")
        in reply.content.decode()
    )
    assert not LineMessage.objects.filter(direction="out").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"address_confidential": False},
        {"no_phone_or_mail": False},
        {"line_only": True},  # setting one is refused too
    ],
)
def test_the_service_refuses_a_flag_change_by_an_unassigned_counsellor(
    flagged, other, change
):
    with pytest.raises(ValidationError) as refused:
        services.client_update(
            client=flagged,
            by=other,
            expected_version=flagged.version,
            flag_clear_reason="because",
            **change,
        )
    assert refused.value.code == "flags_forbidden"
    fresh = Client.objects.get(pk=flagged.pk)
    assert (fresh.address_confidential, fresh.no_phone_or_mail, fresh.line_only) == (
        True,
        True,
        False,
    )
    assert fresh.version == flagged.version
    assert not SafetyFlagClearance.objects.exists()


def test_the_service_checks_the_stored_flags_not_the_ones_in_memory(flagged, other):
    """An edit form applies the posted values to its instance before the
    service runs: the service compares with the stored row."""
    flagged.address_confidential = False
    with pytest.raises(ValidationError):
        services.client_update(
            client=flagged,
            by=other,
            expected_version=flagged.version,
            address_confidential=False,
        )
    assert Client.objects.get(pk=flagged.pk).address_confidential


# CLEARING A FLAG
# ------------------------------------------------------------------------------


def test_clearing_a_flag_without_a_reason_is_refused_and_writes_nothing(
    client_as, flagged, assigned
):
    version = flagged.version
    audited = AuditEntry.objects.count()
    data = form_data(flagged, flag_clear_reason="  ")
    del data["address_confidential"]  # unticked
    response = client_as(assigned).post(
        reverse("consultations:client_update", args=[flagged.pk]), data
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert ja("Give a reason for clearing a safety flag.") in page
    # The page still warns with the stored flags.
    assert ja("Address must not be disclosed (DV support measure).") in page
    flagged.refresh_from_db()
    assert flagged.address_confidential and flagged.version == version
    assert not SafetyFlagClearance.objects.exists()
    assert AuditEntry.objects.count() == audited


def test_the_service_refuses_a_clearance_without_a_reason(flagged, assigned):
    with pytest.raises(ValidationError) as refused:
        services.client_update(
            client=flagged,
            by=assigned,
            expected_version=flagged.version,
            no_phone_or_mail=False,
            flag_clear_reason=" ",
        )
    assert refused.value.code == "flag_clear_reason_required"
    assert Client.objects.get(pk=flagged.pk).no_phone_or_mail


def test_the_database_refuses_a_clearance_without_a_reason(flagged, assigned):
    with pytest.raises(IntegrityError), transaction.atomic():
        SafetyFlagClearance.objects.create(
            client=flagged, flag="line_only", reason="", cleared_by=assigned
        )


def test_a_clearance_with_a_reason_is_kept_audited_and_shown_to_supervisors(
    client_as, flagged, assigned, other, boss
):
    data = form_data(flagged, flag_clear_reason="保護命令の期間が終了")
    del data["address_confidential"]
    response = client_as(assigned).post(
        reverse("consultations:client_update", args=[flagged.pk]), data
    )
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert not flagged.address_confidential and flagged.no_phone_or_mail
    clearance = SafetyFlagClearance.objects.get()
    assert (clearance.flag, clearance.reason, clearance.cleared_by) == (
        "address_confidential",
        "保護命令の期間が終了",
        assigned,
    )
    entry = AuditEntry.objects.get(detail__startswith="safety flag cleared")
    assert entry.client_code == flagged.code and entry.user == assigned
    assert "address_confidential" in entry.detail
    for personal in ("秘匿", "保護命令", PHONE, AREA):
        assert personal not in entry.detail
    # Still flagged (no phone or mail): the others still do not see the details.
    page = client_as(other).get(flagged.get_absolute_url()).content.decode()
    assert PHONE not in page and AREA not in page

    team = client_as(boss).get(reverse("consultations:team_worklist"))
    section = team.content.decode().split('id="flag-clearances"')[1]
    assert flagged.code in section
    assert f'href="{flagged.get_absolute_url()}"' in section
    assert "保護命令の期間が終了" in section
    assert ja("address must not be disclosed (DV support measure)") in section
    assert assigned.display_name in section


def test_a_supervisor_may_clear_a_flag_of_a_case_that_is_not_hers(flagged, boss):
    services.client_update(
        client=flagged,
        by=boss,
        expected_version=flagged.version,
        no_phone_or_mail=False,
        flag_clear_reason="本人の希望",
    )
    assert SafetyFlagClearance.objects.get().cleared_by == boss


def test_a_counsellor_marked_supervisor_may_clear_a_flag_but_others_may_not(
    flagged, other
):
    """ "Supervisor" means the same here as on the LINE desk: admins, and
    counsellors marked as supervisors (accounts.roles.is_supervisor)."""
    with pytest.raises(ValidationError):
        services.client_update(
            client=flagged,
            by=other,
            expected_version=flagged.version,
            no_phone_or_mail=False,
            flag_clear_reason="本人の希望",
        )
    other.is_supervisor = True
    other.save(update_fields=["is_supervisor"])
    services.client_update(
        client=flagged,
        by=other,
        expected_version=flagged.version,
        no_phone_or_mail=False,
        flag_clear_reason="本人の希望",
    )
    assert SafetyFlagClearance.objects.get().cleared_by == other


def test_clearances_older_than_30_days_leave_the_team_worklist(
    client_as, flagged, boss
):
    import datetime as dt

    from django.utils import timezone

    SafetyFlagClearance.objects.create(
        client=flagged, flag="line_only", reason="古い理由", cleared_by=boss
    )
    SafetyFlagClearance.objects.update(
        cleared_at=timezone.now() - dt.timedelta(days=31)
    )
    page = client_as(boss).get(reverse("consultations:team_worklist"))
    assert "古い理由" not in page.content.decode()


def test_anonymising_a_client_wipes_the_reasons_of_her_clearances(flagged, boss):
    from consultations.anonymise import ANONYMISED_NAME, client_anonymise

    services.client_update(
        client=flagged,
        by=boss,
        expected_version=flagged.version,
        line_only=False,
        no_phone_or_mail=False,
        flag_clear_reason="本人から電話あり",
    )
    client_anonymise(client=flagged, by=boss)
    assert SafetyFlagClearance.objects.get().reason == ANONYMISED_NAME


# WHERE THE HIDDEN DETAILS COULD SHOW
# ------------------------------------------------------------------------------

# The pages the role matrix opens, with the filters and searches that may list
# the client.
EXTRA_QUERIES = {
    "consultations:client_list": (
        "?q=秘匿",
        "?q={code}",
        "?q=09011112222",
        "?status=open",
        "?counsellor={assigned}",
        "?household_type=single",
        "?page=1",
    ),
    "consultations:client_detail": ("?history=all",),
    "consultations:client_lookup": ("?q=秘匿", "?q={code}", "?q=09011112222"),
    "consultations:consultation_list": ("?fiscal_year=",),
    "line:inbox": ("?unread=on",),
    "shelter:stay_create": ("?q=秘匿", "?q={code}"),
    "shelter:client_lookup": ("?q=秘匿", "?q={code}", "?q=09011112222"),
}
NOT_PAGES = {"admin:index", "admin-login", "healthz", "reports:annual_pdf"}


def _text(response) -> str:
    content = b"".join(response) if response.streaming else response.content
    if "spreadsheetml" in response.get("Content-Type", ""):
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    return content.decode("utf-8", errors="replace")


def _leaks(http, urls) -> list[str]:
    found = []
    for url in urls:
        response = http.get(url)
        assert response.status_code == 200, url
        text = _text(response)
        # A search box shows what was typed: that is not a leak.
        typed = unquote(url)
        found += [
            f"{value} on {url}"
            for value in HIDDEN
            if value in text and value not in typed
        ]
    return found


def _app_urls(records, role, assigned):
    client = records["client"]
    for name, expected in sorted(MATRIX.items()):
        if expected[role] != 200 or name in NOT_PAGES:
            continue
        url = url_for(name, records)
        yield url
        for query in EXTRA_QUERIES.get(name, ()):
            yield url + query.format(code=client.code, assigned=assigned.pk)
        if name == "consultations:consultation_export":
            yield reverse(name, args=["xlsx"])


@pytest.mark.parametrize(
    "role", [Role.COUNSELLOR, Role.COORDINATOR, Role.FACILITATOR, Role.CITY_STAFF]
)
def test_no_page_shows_a_flagged_clients_contact_details_to_anyone_else(
    client_as, make_user, request, assigned, role
):
    """F2 and the rest: every page, list filter, search, picker result and
    export the role may open, as a user who is not the assigned counsellor."""
    records = request.getfixturevalue("world")  # one record of each kind
    Client.objects.filter(pk=records["client"].pk).update(
        phone=PHONE,
        search_phone="09011112222",
        email=EMAIL,
        area=AREA,
        household_type="single",
        address_confidential=True,
        assigned_counsellor=assigned,
    )
    # city staff belong to the funder of the world's programme (its reports)
    funder = records["programme"].funder if role == Role.CITY_STAFF else None
    http = client_as(make_user(role, username=f"not-assigned-{role}", funder=funder))
    assert _leaks(http, _app_urls(records, role, assigned)) == []


def test_the_assigned_counsellor_and_supervisors_do_see_them(
    client_as, flagged, assigned, boss
):
    """The control for the test above: the same pages show the details to
    those allowed."""
    pages = [
        reverse("consultations:client_list"),
        reverse("consultations:client_list") + "?q=09011112222",
        flagged.get_absolute_url(),
        reverse("consultations:client_update", args=[flagged.pk]),
    ]
    for user in (assigned, boss):
        http = client_as(user)
        for url in pages:
            text = http.get(url).content.decode()
            assert AREA in text, (user.username, url)
        for url in pages[2:]:
            text = http.get(url).content.decode()
            assert PHONE in text and EMAIL in text, (user.username, url)


def test_the_client_list_marks_a_hidden_area_without_extra_queries(
    client_as, flagged, other, django_assert_max_num_queries
):
    for _ in range(5):
        ClientFactory(address_confidential=True, area=AREA)
    http = client_as(other)
    http.get(reverse("consultations:client_list"))  # warm up
    with django_assert_max_num_queries(8):
        page = http.get(reverse("consultations:client_list")).content.decode()
    assert AREA not in page


# THE DJANGO ADMIN
# ------------------------------------------------------------------------------


@pytest.fixture
def staff_counsellor(make_user):
    """F3: a counsellor whom an admin gave staff status."""
    return make_user(Role.COUNSELLOR, username="staffer", is_staff=True)


def test_the_django_admin_hides_them_from_a_counsellor_with_staff_status(
    client_as, flagged, staff_counsellor, boss
):
    change = reverse("admin:consultations_client_change", args=[flagged.pk])
    changelist = reverse("admin:consultations_client_changelist")
    http = client_as(staff_counsellor)
    response = http.get(change)
    assert response.status_code == 200
    page = response.content.decode()
    assert flagged.code in page
    for value in HIDDEN:
        assert value not in page
    for query in ("", "?q=09011112222", f"?q={AREA}", f"?q={flagged.code}"):
        page = http.get(changelist + query).content.decode()
        for value in HIDDEN:
            if value not in query:  # what was typed is shown back
                assert value not in page, query
    # Filtering by a hidden detail would confirm it.
    for query in (f"?area={AREA}", "?phone__contains=1111", f"?email={EMAIL}"):
        page = http.get(changelist + query).content.decode()
        assert flagged.code not in page, query

    # The control: a supervisor sees them.
    http = client_as(boss)
    page = http.get(change).content.decode()
    assert PHONE in page and EMAIL in page and AREA in page
    page = http.get(changelist + f"?area={AREA}").content.decode()
    assert flagged.code in page


def test_the_django_admin_does_not_clear_a_flag(
    client_as, flagged, staff_counsellor, boss
):
    """The flags are changed only on the app's edit page (which asks for a
    reason); an admin form posted without them leaves them set."""
    change = reverse("admin:consultations_client_change", args=[flagged.pk])
    data = {
        "display_name": flagged.display_name,
        "status": "open",
        "urgency": "medium",
        "household_type": "single",
    }
    response = client_as(staff_counsellor).post(change, {**data, "phone": ""})
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.address_confidential and flagged.no_phone_or_mail
    assert flagged.phone == PHONE and flagged.area == AREA  # not hers to change
    response = client_as(boss).post(
        change, {**data, "phone": PHONE, "email": EMAIL, "area": AREA}
    )
    assert response.status_code == 302
    flagged.refresh_from_db()
    assert flagged.address_confidential and flagged.no_phone_or_mail
