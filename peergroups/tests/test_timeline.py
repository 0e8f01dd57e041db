import datetime as dt

import pytest

from accounts.roles import Role, has_role
from consultations.timeline import entries_for
from peergroups.timeline import sessions_attended
from training.tests.factories import SpeakerFactory
from training.timeline import talks_given

from .factories import AttendanceFactory, SessionFactory

pytestmark = pytest.mark.django_db


def these_providers(client, user):
    """Only this app's and training's entries (the page adds other apps')."""
    return [*sessions_attended(client, user), *talks_given(client, user)]


def test_counsellor_sees_sessions_attended_and_talks_given(
    counsellor, django_assert_max_num_queries
):
    attendance = AttendanceFactory(
        session=SessionFactory(
            date=dt.date(2022, 1, 1), end_date=dt.date(2022, 1, 3), theme="お正月"
        )
    )
    client = attendance.client
    AttendanceFactory(client=client, session=SessionFactory(date=dt.date(2021, 10, 15)))
    SpeakerFactory(client=client, talk_title="わたしの経験")
    with django_assert_max_num_queries(3):
        entries = these_providers(client, counsellor)
    apps = sorted(e.app for e in entries)
    assert apps == ["peergroups", "peergroups", "training"]
    new_year = next(e for e in entries if e.when == dt.date(2022, 1, 1))
    assert "2022年1月3日" in new_year.detail
    assert new_year.url == ""  # counsellors cannot open session pages
    talk = next(e for e in entries if e.app == "training")
    assert talk.detail == "わたしの経験"


def test_provider_queries_do_not_grow_with_the_entries(
    counsellor, django_assert_num_queries
):
    attendance = AttendanceFactory()
    client = attendance.client
    for day in range(1, 30):
        AttendanceFactory(
            client=client, session=SessionFactory(date=dt.date(2021, 11, day))
        )
        SpeakerFactory(client=client)
    has_role(counsellor, Role.COUNSELLOR)  # the roles are read once per request
    with django_assert_num_queries(2):
        entries = these_providers(client, counsellor)
    assert len(entries) == 59


@pytest.mark.parametrize("role_user", ["facilitator", "coordinator", "city_staff"])
def test_other_roles_see_no_sessions_or_talks(request, role_user):
    attendance = AttendanceFactory()
    SpeakerFactory(client=attendance.client)
    assert entries_for(attendance.client, request.getfixturevalue(role_user)) == []


def test_admin_sees_entries_with_links(admin_user):
    attendance = AttendanceFactory()
    (entry,) = entries_for(attendance.client, admin_user)
    assert entry.url == attendance.session.get_absolute_url()
