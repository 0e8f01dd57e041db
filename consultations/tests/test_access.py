"""Client and consultation pages are for counsellors (and admins) only."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from consultations.tests.factories import ConsultationFactory
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def urls(person, consultation, action_pk):
    return [
        ("get", reverse("consultations:client_list")),
        ("get", reverse("consultations:client_create")),
        ("get", reverse("consultations:client_lookup") + "?q=a"),
        ("get", reverse("consultations:client_detail", args=[person.pk])),
        ("get", reverse("consultations:client_update", args=[person.pk])),
        ("post", reverse("consultations:client_close", args=[person.pk])),
        ("post", reverse("consultations:client_reopen", args=[person.pk])),
        ("get", reverse("consultations:support_action_create", args=[person.pk])),
        ("get", reverse("consultations:support_action_update", args=[action_pk])),
        ("get", reverse("consultations:consultation_list")),
        ("get", reverse("consultations:consultation_create")),
        ("get", reverse("consultations:consultation_export", args=["csv"])),
        ("get", reverse("consultations:consultation_export", args=["xlsx"])),
        ("get", reverse("consultations:consultation_update", args=[consultation.pk])),
        ("get", reverse("consultations:consultation_delete", args=[consultation.pk])),
        ("post", reverse("consultations:consultation_delete", args=[consultation.pk])),
    ]


@pytest.fixture
def records(counsellor):
    from consultations import services

    person = ClientFactory(display_name="秘密 花子", phone="070-0000-9999")
    consultation = ConsultationFactory(client=person, summary="秘密の相談内容")
    action = services.support_action_create(
        by=counsellor,
        client=person,
        kind="interview",
        date=consultation.started_at.date(),
        staff=counsellor,
    )
    return person, consultation, action.pk


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.FACILITATOR, Role.CITY_STAFF])
def test_other_roles_are_refused_everywhere_and_see_nothing(
    client_as, make_user, role, records
):
    person, consultation, action_pk = records
    c = client_as(make_user(role))
    for method, url in urls(person, consultation, action_pk):
        response = getattr(c, method)(url)
        assert response.status_code == 403, (role, url)
        body = response.content.decode()
        assert "秘密" not in body and "070-0000-9999" not in body
        assert "このページを開く権限がありません" in body
    consultation.refresh_from_db()  # the POSTs changed nothing
    person.refresh_from_db()
    assert person.status == "open"


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.ADMIN])
def test_counsellors_and_admins_may_open_every_page(
    client_as, make_user, role, records
):
    person, consultation, action_pk = records
    c = client_as(make_user(role))
    for method, url in urls(person, consultation, action_pk):
        if method == "get":
            assert c.get(url).status_code == 200, url
