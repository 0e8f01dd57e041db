import datetime as dt

import pytest

from accounts.locking import EditConflict
from accounts.models import AuditEntry
from peergroups.models import Session
from tests.factories import ClientFactory

from .factories import AttendanceFactory, GroupFactory, SessionFactory
from .querycount import queries_for

pytestmark = pytest.mark.django_db


def pages(session_pk: int, series_pk: int, group_pk: int) -> list[str]:
    return [
        "/groups/",
        "/groups/new/",
        f"/groups/{group_pk}/edit/",
        "/groups/sessions/",
        "/groups/sessions/new/",
        f"/groups/sessions/{session_pk}/",
        f"/groups/sessions/{session_pk}/edit/",
        f"/groups/sessions/{session_pk}/delete/",
        "/groups/series/new/",
        f"/groups/series/{series_pk}/",
    ]


@pytest.fixture
def records(facilitator):
    from peergroups import services
    from peergroups.models import Frequency, HolidayPolicy

    group = GroupFactory()
    series = services.series_create(
        by=facilitator,
        group=group,
        frequency=Frequency.WEEKLY,
        weekday=0,
        week_of_month=None,
        first_date=dt.date(2022, 1, 1),
        last_date=dt.date(2022, 1, 31),
        holiday_policy=HolidayPolicy.SKIP,
    )
    return series.sessions.first(), series, group


@pytest.mark.parametrize("role_user", ["facilitator", "admin_user"])
def test_facilitators_and_admins_open_every_page(
    request, role_user, client_as, records
):
    web = client_as(request.getfixturevalue(role_user))
    session, series, group = records
    for url in pages(session.pk, series.pk, group.pk):
        assert web.get(url).status_code == 200, url


@pytest.mark.parametrize("role_user", ["counsellor", "coordinator", "city_staff"])
def test_other_roles_get_403_on_every_page(request, role_user, client_as, records):
    web = client_as(request.getfixturevalue(role_user))
    session, series, group = records
    for url in pages(session.pk, series.pk, group.pk):
        assert web.get(url).status_code == 403, url
    assert web.post(f"/groups/sessions/{session.pk}/delete/").status_code == 403
    assert Session.objects.filter(pk=session.pk).exists()


def add_sessions(count, start=0):
    group = GroupFactory(name="ピアサポートグループ")
    for i in range(start, start + count):
        session = SessionFactory(
            group=group, date=dt.date(2021, 4, 1) + dt.timedelta(days=i)
        )
        AttendanceFactory(session=session)


def test_session_list_runs_the_same_queries_for_5_and_50_sessions(
    client_as, facilitator
):
    web = client_as(facilitator)
    add_sessions(5)
    with_5 = queries_for(lambda: web.get("/groups/sessions/?fy=2021"))
    add_sessions(45, start=5)
    with_50 = queries_for(lambda: web.get("/groups/sessions/?fy=2021"))
    assert len(with_50) == len(with_5) <= 10, "\n".join(with_50)
    page = web.get("/groups/sessions/?fy=2021").content.decode()
    assert "令和3年度" in page
    assert "300" in page  # 50 sessions × (1 named + 5 anonymous)


def test_session_detail_runs_the_same_queries_for_5_and_50_attendees(
    client_as, facilitator
):
    session = SessionFactory()
    web = client_as(facilitator)
    for _ in range(5):
        AttendanceFactory(session=session)
    with_5 = queries_for(lambda: web.get(f"/groups/sessions/{session.pk}/"))
    for _ in range(45):
        AttendanceFactory(session=session)
    with_50 = queries_for(lambda: web.get(f"/groups/sessions/{session.pk}/"))
    assert len(with_50) == len(with_5) <= 10, "\n".join(with_50)


def test_session_list_totals_one_fiscal_year_with_a_multi_day_session_once(
    client_as, facilitator
):
    group = GroupFactory()
    SessionFactory(group=group, date=dt.date(2021, 12, 28), anonymous_count=4)
    SessionFactory(
        group=group,
        date=dt.date(2022, 1, 1),
        end_date=dt.date(2022, 1, 3),
        anonymous_count=10,
    )
    SessionFactory(group=group, date=dt.date(2022, 4, 1), anonymous_count=987)
    page = client_as(facilitator).get("/groups/sessions/?fy=2021").content.decode()
    assert "2022年1月1日～2022年1月3日" in page
    assert "令和3年度: 2件のセッション" in page
    assert "<dd>14</dd>" in page
    assert "987" not in page  # the next fiscal year's session is not counted


def test_session_form_creates_a_session_with_named_and_anonymous(
    client_as, facilitator
):
    a, b = ClientFactory.create_batch(2)
    group = GroupFactory()
    response = client_as(facilitator).post(
        "/groups/sessions/new/",
        {
            "group": group.pk,
            "date": "2021-10-15",
            "end_date": "",
            "start_time": "10:00",
            "end_time": "12:00",
            "place": "やどかりハウス",
            "facilitator": facilitator.pk,
            "theme": "近況",
            "head_count": "9",
            "client_codes": f"{a.code}、{b.code.lower()}",
        },
        follow=True,
    )
    session = Session.objects.get()
    assert session.anonymous_count == 7
    assert set(session.attendees.all()) == {a, b}
    page = response.content.decode()
    assert "2021年10月15日のセッションを保存しました" in page
    assert a.display_name in page


def test_session_form_names_the_unknown_client_code(client_as, facilitator):
    response = client_as(facilitator).post(
        "/groups/sessions/new/",
        {
            "group": GroupFactory().pk,
            "date": "2021-10-15",
            "head_count": "3",
            "client_codes": "C-999999",
        },
    )
    assert response.status_code == 200
    assert "C-999999" in response.content.decode()
    assert "相談者コード" in response.content.decode()
    assert not Session.objects.exists()


def test_session_form_refuses_a_head_count_below_the_named(client_as, facilitator):
    a, b = ClientFactory.create_batch(2)
    response = client_as(facilitator).post(
        "/groups/sessions/new/",
        {
            "group": GroupFactory().pk,
            "date": "2021-10-15",
            "head_count": "1",
            "client_codes": f"{a.code} {b.code}",
        },
    )
    assert "名前のある相談者2人より少なくなっています" in response.content.decode()
    assert not Session.objects.exists()


def test_session_form_refuses_a_last_day_before_the_first(client_as, facilitator):
    response = client_as(facilitator).post(
        "/groups/sessions/new/",
        {
            "group": GroupFactory().pk,
            "date": "2022-01-03",
            "end_date": "2022-01-01",
            "head_count": "1",
        },
    )
    assert "最終日は初日より後にしてください" in response.content.decode()
    assert not Session.objects.exists()


def test_edit_after_someone_else_saved_is_refused_with_a_message(
    client_as, facilitator
):
    session = SessionFactory()
    data = {
        "group": session.group.pk,
        "date": "2021-10-15",
        "head_count": "5",
        "theme": "mine",
        "version": "1",
    }
    web = client_as(facilitator)
    web.post(f"/groups/sessions/{session.pk}/edit/", data)
    response = web.post(f"/groups/sessions/{session.pk}/edit/", data)
    assert EditConflict().messages[0] in response.content.decode()
    session.refresh_from_db()
    assert session.version == 2


def test_session_detail_audits_the_named_clients(client_as, facilitator):
    attendance = AttendanceFactory()
    client_as(facilitator).get(f"/groups/sessions/{attendance.session.pk}/")
    assert AuditEntry.objects.filter(
        action="view", client_code=attendance.client.code, user=facilitator
    ).exists()


def test_deleting_a_session_removes_it_and_its_attendance(client_as, facilitator):
    attendance = AttendanceFactory()
    response = client_as(facilitator).post(
        f"/groups/sessions/{attendance.session.pk}/delete/", follow=True
    )
    assert not Session.objects.exists()
    assert "削除しました" in response.content.decode()


def test_list_opens_on_the_latest_year_with_sessions(client_as, facilitator):
    """In the demo (data for 令和3年度) the page opens on 令和3年度, not on an
    empty current year; a year with sessions opens on itself."""
    from peergroups.selectors import fiscal_year_to_show

    assert fiscal_year_to_show(today=dt.date(2026, 11, 24)) == 2026  # no data
    SessionFactory(date=dt.date(2022, 1, 18))
    assert fiscal_year_to_show(today=dt.date(2026, 11, 24)) == 2021
    SessionFactory(date=dt.date(2026, 5, 1))
    assert fiscal_year_to_show(today=dt.date(2026, 11, 24)) == 2026
    SessionFactory(date=dt.date(2027, 2, 1))  # planned later this year
    assert fiscal_year_to_show(today=dt.date(2026, 11, 24)) == 2026
    SessionFactory(date=dt.date(2027, 5, 1))  # next year's plan is ignored
    assert fiscal_year_to_show(today=dt.date(2026, 11, 24)) == 2026


def test_session_edit_form_shows_the_head_count_and_codes_and_audits(
    client_as, facilitator
):
    attendance = AttendanceFactory(session=SessionFactory(anonymous_count=4))
    page = client_as(facilitator).get(f"/groups/sessions/{attendance.session.pk}/edit/")
    form = page.context["form"]
    assert form.initial["head_count"] == 5
    assert form.initial["client_codes"] == attendance.client.code
    assert AuditEntry.objects.filter(
        action="view", client_code=attendance.client.code
    ).exists()
