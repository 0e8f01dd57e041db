import pytest

from training.models import SurveyResponse

from .factories import EventFactory, SpeakerFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def records():
    event = EventFactory()
    return event, SpeakerFactory(event=event), SurveyResponseFactory(event=event)


def pages(event_pk):
    return [
        "/training/",
        "/training/new/",
        f"/training/{event_pk}/",
        f"/training/{event_pk}/edit/",
        f"/training/{event_pk}/delete/",
        f"/training/{event_pk}/survey/",
        f"/training/{event_pk}/speakers/new/",
    ]


@pytest.mark.parametrize("role_user", ["facilitator", "admin_user"])
def test_facilitators_and_admins_open_every_page(
    request, role_user, client_as, records
):
    web = client_as(request.getfixturevalue(role_user))
    for url in pages(records[0].pk):
        assert web.get(url).status_code == 200, url


@pytest.mark.parametrize("role_user", ["counsellor", "coordinator", "city_staff"])
def test_other_roles_get_403_and_change_nothing(request, role_user, client_as, records):
    event, speaker, response = records
    web = client_as(request.getfixturevalue(role_user))
    for url in pages(event.pk):
        assert web.get(url).status_code == 403, url
    assert web.post(f"/training/responses/{response.pk}/delete/").status_code == 403
    assert web.post(f"/training/speakers/{speaker.pk}/delete/").status_code == 403
    assert web.post(f"/training/{event.pk}/delete/").status_code == 403
    assert SurveyResponse.objects.filter(pk=response.pk).exists()


def test_deleting_a_response_recomputes_the_satisfaction(client_as, facilitator):
    event = EventFactory()
    keep = SurveyResponseFactory(event=event, satisfaction=5)
    drop = SurveyResponseFactory(event=event, satisfaction=1)
    page = client_as(facilitator).post(
        f"/training/responses/{drop.pk}/delete/", follow=True
    )
    assert list(event.responses.all()) == [keep]
    assert "100.0%" in page.content.decode()


def test_get_on_a_post_only_url_is_refused(client_as, facilitator, records):
    response = client_as(facilitator).get(f"/training/speakers/{records[1].pk}/delete/")
    assert response.status_code == 405
