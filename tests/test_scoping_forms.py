"""Users of several organisations (issue 18): a new top-level record asks
which organisation it belongs to, from hers only; a record's client and
staff are chosen from her organisations only."""

import pytest
from django.urls import reverse

from accounts import scoping
from accounts.models import Organisation
from accounts.roles import Role
from consultations.models import Client, Consultation
from peergroups.models import Group
from shelter.models import UnmetRequest
from tests.factories import ClientFactory
from training.models import Event

pytestmark = pytest.mark.django_db
# accounts.scoping.organisation_for_new_record's message, in Japanese (the
# pages' language): "Choose the organisation this record belongs to."
CHOOSE = "この記録が属する団体を選んでください。"


@pytest.fixture
def orgs(db):
    return [Organisation.objects.create(name=n) for n in ("A団体", "B団体", "C団体")]


@pytest.fixture
def both(make_user, orgs):
    """A member of A and B, holding the staff roles."""
    a, b, _c = orgs
    return make_user(
        Role.COUNSELLOR,
        Role.COORDINATOR,
        Role.FACILITATOR,
        username="both",
        organisations=[a, b],
    )


CREATES = {
    "consultations:client_create": (Client, {"display_name": "新しい人"}),
    "peergroups:group_create": (Group, {"name": "新しい会", "active": "on"}),
    "training:event_create": (
        Event,
        {
            "kind": "lecture",
            "date": "2021-10-05",
            "title": "新しい研修",
            "participant_count": "10",
        },
    ),
    "shelter:unmet_create": (
        UnmetRequest,
        {"date": "2021-10-02", "reason": "no_room", "wanted": "overnight"},
    ),
}


@pytest.mark.parametrize("name", sorted(CREATES))
def test_a_user_of_several_organisations_chooses_one_of_hers(
    client_as, both, orgs, name
):
    a, b, c = orgs
    model, data = CREATES[name]
    web = client_as(both)
    page = web.get(reverse(name))
    if page.status_code == 200:  # the unmet form is on other pages too
        options = page.context["form"].fields["organisation"].queryset
        assert set(options) == {a, b}
        assert page.context["form"]["organisation"].value() is None  # no default
    # none chosen: refused, nothing written
    response = web.post(reverse(name), data)
    assert response.status_code == 200
    assert not model.objects.exists()
    # one she does not belong to: refused as an invalid choice
    response = web.post(reverse(name), {**data, "organisation": c.pk})
    assert response.status_code == 200
    assert "organisation" in response.context["form"].errors
    assert not model.objects.exists()
    # hers: written into it
    response = web.post(reverse(name), {**data, "organisation": b.pk})
    assert response.status_code == 302, response.context["form"].errors
    assert model.objects.get().organisation == b


def test_without_a_choice_the_page_says_to_choose(client_as, both):
    response = client_as(both).post(
        reverse("shelter:unmet_create"),
        {"date": "2021-10-02", "reason": "no_room", "wanted": "overnight"},
    )
    assert CHOOSE in response.content.decode()


@pytest.mark.parametrize("name", sorted(CREATES))
def test_a_user_of_one_organisation_has_no_choice(client_as, make_user, orgs, name):
    a = orgs[0]
    user = make_user(
        Role.COUNSELLOR,
        Role.COORDINATOR,
        Role.FACILITATOR,
        username="one",
        organisations=[a],
    )
    model, data = CREATES[name]
    web = client_as(user)
    if name != "shelter:unmet_create":
        assert "organisation" not in web.get(reverse(name)).context["form"].fields
    assert web.post(reverse(name), data).status_code == 302
    assert model.objects.get().organisation == a


def test_an_unmet_request_of_a_client_is_her_organisations(client_as, both, orgs):
    a, b, _c = orgs
    with scoping.organisations([a.pk]):
        person = ClientFactory(code="A-000001")
    data = {"date": "2021-10-02", "reason": "no_room", "wanted": "overnight"}
    web = client_as(both)
    assert (
        web.post(reverse("shelter:unmet_create"), {**data, "client": person.code})
    ).status_code == 302
    assert UnmetRequest.objects.get().organisation == a
    response = web.post(
        reverse("shelter:unmet_create"),
        {**data, "client": person.code, "organisation": b.pk},
    )
    assert response.status_code == 200
    assert UnmetRequest.objects.count() == 1


def test_another_organisations_client_and_staff_are_not_found(
    client_as, make_user, orgs
):
    """Posted by hand: B's client code is an unknown code, B's counsellor an
    invalid choice; the lookup finds only A's clients."""
    a, b, _c = orgs
    mine = make_user(Role.COUNSELLOR, username="mine", organisations=[a])
    theirs = make_user(Role.COUNSELLOR, username="theirs", organisations=[b])
    with scoping.organisations([b.pk]):
        ClientFactory(code="B-000001", display_name="乙の人")
    with scoping.organisations([a.pk]):
        own = ClientFactory(code="A-000001", display_name="甲の人")
    web = client_as(mine)
    data = {
        "channel": "phone",
        "started_at": "2021-10-05T10:00",
        "main_complaint": "other",
    }
    response = web.post(
        reverse("consultations:consultation_create"),
        {**data, "counsellor": mine.pk, "client_code": "B-000001"},
    )
    assert "コード B-000001 の相談者はいません" in response.content.decode()
    response = web.post(
        reverse("consultations:consultation_create"),
        {**data, "counsellor": theirs.pk, "client_code": own.code},
    )
    assert "counsellor" in response.context["form"].errors
    assert not Consultation.objects.exists()
    found = web.get(reverse("consultations:client_lookup"), {"q": "の人"}).json()
    assert [r["code"] for r in found["results"]] == ["A-000001"]


def test_a_case_is_not_handed_to_another_organisations_counsellor(
    client_as, make_user, orgs
):
    a, b, _c = orgs
    admin = make_user(Role.ADMIN, username="a-admin", organisations=[a])
    mine = make_user(Role.COUNSELLOR, username="mine", organisations=[a])
    theirs = make_user(Role.COUNSELLOR, username="theirs", organisations=[b])
    with scoping.organisations([a.pk]):
        person = ClientFactory(assigned_counsellor=mine)
    web = client_as(admin)
    url = reverse("consultations:client_reassign", args=[person.pk])
    web.post(url, {"counsellor": theirs.pk, "version": person.version})
    person.refresh_from_db()
    assert person.assigned_counsellor == mine
    page = web.get(reverse("consultations:client_detail", args=[person.pk]))
    assert "theirs" not in page.content.decode()


def test_the_admin_add_page_asks_an_admin_of_several_organisations(
    client_as, make_user, orgs
):
    from consultations.models import CannedReply
    from shelter.models import Facility

    a, b, c = orgs
    admin = make_user(Role.ADMIN, username="a-b-admin", organisations=[a, b])
    web = client_as(admin)
    url = reverse("admin:consultations_cannedreply_add")
    page = web.get(url)
    assert set(page.context["adminform"].form.fields["organisation"].queryset) == {
        a,
        b,
    }
    data = {"title": "組織の定型", "text": "本文", "order": "0", "active": "on"}
    assert web.post(url, {**data, "organisation": c.pk}).status_code == 200
    assert web.post(url, {**data, "organisation": b.pk}).status_code == 302
    added = CannedReply.objects.get(title="組織の定型")
    assert added.organisation == b
    # the change page keeps the organisation out of reach
    change = web.get(reverse("admin:consultations_cannedreply_change", args=[added.pk]))
    assert "organisation" not in change.context["adminform"].form.fields
    facility = {
        "name": "家",
        "kind": "salon",
        "active": "on",
        "rooms-TOTAL_FORMS": "0",
        "rooms-INITIAL_FORMS": "0",
    }
    url = reverse("admin:shelter_facility_add")
    assert web.post(url, {**facility, "organisation": a.pk}).status_code == 302
    assert Facility.objects.get().organisation == a


def test_a_line_user_is_linked_or_given_a_client_in_her_own_organisation(
    client_as, both, orgs
):
    from consultations.tests.line_factories import LineUserFactory

    a, b, _c = orgs
    with scoping.organisations([a.pk]):
        line_user = LineUserFactory()
    with scoping.organisations([b.pk]):
        ClientFactory(code="B-000001")
    web = client_as(both)
    response = web.post(
        reverse("line:link_client", args=[line_user.pk]), {"code": "B-000001"}
    )
    assert "コード B-000001 の相談者はいません" in response.content.decode()
    line_user.refresh_from_db()
    assert line_user.client_id is None
    web.post(reverse("line:create_client", args=[line_user.pk]), {"display_name": "新"})
    line_user.refresh_from_db()
    assert line_user.client.organisation == a
