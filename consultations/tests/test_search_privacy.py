"""A phone number finds a client whose contact details are hidden (DV
support measure, no phone or mail) only for her assigned counsellor and
admins: otherwise a search would confirm whose number it is."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from consultations import selectors
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

PHONE = "090-1234-5678"


@pytest.fixture
def people(make_user):
    assigned = make_user(Role.COUNSELLOR, username="assigned")
    other = make_user(Role.COUNSELLOR, username="other")
    admin = make_user(Role.COUNSELLOR, Role.ADMIN, username="boss")
    hidden = ClientFactory(
        display_name="秘匿 花子",
        phone=PHONE,
        address_confidential=True,
        assigned_counsellor=assigned,
    )
    no_contact = ClientFactory(
        display_name="連絡不可 桜",
        phone="080-5555-0000",
        no_phone_or_mail=True,
        assigned_counsellor=assigned,
    )
    plain = ClientFactory(phone="070-1111-2222", assigned_counsellor=assigned)
    return assigned, other, admin, hidden, no_contact, plain


def found(user, query):
    return {
        c.code for c in selectors.client_list(fetched_by=user, filters={"q": query})
    } | {m["code"] for m in selectors.client_lookup(fetched_by=user, query=query)}


def test_phone_search_respects_hidden_contact_details(people):
    assigned, other, admin, hidden, no_contact, plain = people
    for typed in (PHONE, "09012345678", "０９０１２３４５６７８", "1234-5678"):
        assert found(other, typed) == set()
        assert found(assigned, typed) == {hidden.code}
        assert found(admin, typed) == {hidden.code}
    assert found(other, "08055550000") == set()
    assert found(assigned, "08055550000") == {no_contact.code}
    # A client without hidden details is found by phone by anyone.
    assert found(other, "070-1111-2222") == {plain.code}
    # Names and codes are not contact details: found as before.
    assert found(other, "秘匿") == {hidden.code}
    assert found(other, hidden.code) == {hidden.code}


def test_the_client_list_page_does_not_confirm_a_hidden_number(client_as, people):
    assigned, other, *_rest = people
    url = reverse("consultations:client_list") + "?q=09012345678"
    assert "秘匿 花子" not in client_as(other).get(url).content.decode()
    assert "秘匿 花子" in client_as(assigned).get(url).content.decode()
