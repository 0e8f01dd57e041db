"""The coordinator's pages: who may see them, what they show, and a constant
number of queries whatever the number of stays."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.roles import Role
from shelter.models import Service, Stay, UnmetRequest
from shelter.services import opening_calendar_set, stay_book
from tests.factories import ClientFactory

from .factories import RoomFactory, SalonFactory, SalonVisitFactory, StayFactory

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def rooms():
    room = RoomFactory(name="1号室")
    return [room, RoomFactory(facility=room.facility, name="2号室")]


@pytest.fixture
def stay(rooms):
    person = ClientFactory(
        display_name="山田 花子", phone="070-0000-9999", notes="DVの相談あり"
    )
    return stay_book(
        by=None, room=rooms[0], client=person, start=D(2021, 10, 1), end=D(2021, 10, 4)
    )


def coordinator_urls(stay):
    return [
        reverse("shelter:calendar"),
        reverse("shelter:calendar") + "?month=2021-10",
        reverse("shelter:stay_list"),
        reverse("shelter:stay_create"),
        reverse("shelter:stay_update", args=[stay.pk]),
        reverse("shelter:client_stays", args=[stay.client.pk]),
        reverse("shelter:unmet_list"),
        reverse("shelter:unmet_create"),
        reverse("shelter:salon_list"),
        reverse("shelter:salon_create"),
        reverse("shelter:opening_days"),
        reverse("shelter:opening_calendar", args=["salon"]),
    ]


def test_coordinators_and_admins_open_every_page(client_as, make_user, stay):
    for role in (Role.COORDINATOR, Role.ADMIN):
        c = client_as(make_user(role))
        for url in [*coordinator_urls(stay), stay.get_absolute_url()]:
            assert c.get(url).status_code == 200, (role, url)


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.CITY_STAFF, Role.COUNSELLOR])
def test_other_roles_get_403(client_as, make_user, stay, role):
    c = client_as(make_user(role))
    for url in coordinator_urls(stay):
        assert c.get(url).status_code == 403, url
    response = c.post(reverse("shelter:stay_action", args=[stay.pk, "cancel"]))
    assert response.status_code == 403
    stay.refresh_from_db()
    assert stay.status == Stay.Status.RESERVED


def test_counsellors_read_a_stay_but_cannot_act_on_it(client_as, counsellor, stay):
    page = client_as(counsellor).get(stay.get_absolute_url()).content.decode()
    assert "山田 花子" in page and "2021年10月1日〜2021年10月4日（3泊）" in page
    assert "チェックイン" not in page and "予約を取り消す" not in page


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.CITY_STAFF])
def test_a_stay_is_hidden_from_facilitators_and_city_staff(
    client_as, make_user, stay, role
):
    response = client_as(make_user(role)).get(stay.get_absolute_url())
    assert response.status_code == 403
    assert "山田" not in response.content.decode()


def test_coordinators_never_see_a_clients_phone_or_notes(client_as, coordinator, stay):
    c = client_as(coordinator)
    urls = [
        *coordinator_urls(stay),
        stay.get_absolute_url(),
        reverse("shelter:stay_create") + "?q=山田",
        reverse("shelter:stay_list") + "?client=山田",
    ]
    for url in urls:
        page = c.get(url).content.decode()
        assert "070-0000-9999" not in page and "DVの相談" not in page, url
    # The client page of the counsellors stays closed.
    assert c.get(stay.client.get_absolute_url()).status_code == 403


def test_the_booking_search_finds_by_code_or_name_but_not_by_phone(
    client_as, coordinator, stay
):
    c = client_as(coordinator)
    url = reverse("shelter:stay_create")
    assert stay.client.code in c.get(url + "?q=山田").content.decode()
    assert stay.client.code in c.get(url + f"?q={stay.client.code}").content.decode()
    page = c.get(url + "?q=9999").content.decode()
    assert "該当する相談者はいません" in page


def make_stays(rooms, count):
    clients = [ClientFactory() for _ in range(5)]
    for i in range(count):
        room = rooms[i % 2]
        start = D(2021, 10, 1) + dt.timedelta(days=(i // 2) % 30)
        kind = Stay.Kind.DAY_REST if i % 3 == 0 else Stay.Kind.OVERNIGHT
        StayFactory(
            room=room,
            client=clients[i % 5],
            kind=kind,
            start_date=start,
            end_date=start if kind == Stay.Kind.DAY_REST else start + dt.timedelta(1),
        )


def count_queries(c, url, django_assert_max_num_queries, n):
    with django_assert_max_num_queries(n) as captured:
        response = c.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/shelter/calendar/?month=2021-10",
        "/shelter/stays/",
        "/shelter/stays/?start=2021-10-01&end=2021-10-31&status=reserved",
        "/shelter/unmet/?fy=2021",
        "/shelter/salon/?month=2021-10",
    ],
)
def test_pages_run_the_same_queries_with_5_and_with_50_rows(
    client_as, coordinator, rooms, url, django_assert_max_num_queries
):
    c = client_as(coordinator)
    salon = SalonFactory()
    make_stays(rooms, 5)
    for i in range(5):
        SalonVisitFactory(facility=salon, date=D(2021, 10, 1 + i))
        UnmetRequest.objects.create(
            date=D(2021, 10, 1), reason="work", client=ClientFactory()
        )
    few = count_queries(c, url, django_assert_max_num_queries, 25)
    Stay.objects.all().delete()
    make_stays(rooms, 50)
    for i in range(5, 25):
        SalonVisitFactory(facility=salon, date=D(2021, 10, 1 + i))
    UnmetRequest.objects.bulk_create(
        UnmetRequest(date=D(2021, 10, 1), reason="childcare", client=ClientFactory())
        for _ in range(30)
    )
    assert count_queries(c, url, django_assert_max_num_queries, few) == few


def test_the_calendar_shows_each_stay_once_across_its_days(
    client_as, coordinator, rooms, stay
):
    opening_calendar_set(
        by=None, service=Service.SHELTER, weekly=dict.fromkeys(range(7), (None, None))
    )
    page = (
        client_as(coordinator).get("/shelter/calendar/?month=2021-10").content.decode()
    )
    cells = re.findall(
        r'<td class="stay reserved overnight[^"]*" colspan="(\d+)"', page
    )
    assert cells == ["3"]
    assert "山田 花子" in page
    # Free days link to the booking form for that room and day.
    assert f"?room={rooms[0].pk}&amp;start=2021-10-04" in page
    assert f"?room={rooms[1].pk}&amp;start=2021-10-01" in page
    assert f"?room={rooms[0].pk}&amp;start=2021-10-02" not in page
    assert 'title="スポーツの日"' not in page  # no holiday in October 2021
    assert "2021年10月" in page and "令和3年10月" in page


def test_a_one_day_stay_shows_its_clients_name_and_code_in_the_month(
    client_as, coordinator, rooms
):
    """Not one character and a tooltip (issue 21): the name and the code."""
    person = ClientFactory(display_name="山田 花子")
    StayFactory(
        room=rooms[1], client=person, start_date=D(2021, 10, 5), kind="day_rest"
    )
    page = (
        client_as(coordinator).get("/shelter/calendar/?month=2021-10").content.decode()
    )
    cell = re.search(r'<td class="stay [^"]*" colspan="1">.*?</td>', page).group(0)
    assert '<span class="who">山田 花子</span>' in cell
    assert f'<span class="code">{person.code}</span>' in cell


def test_the_calendar_lists_one_day_room_by_room_for_phones(
    client_as, coordinator, rooms, stay
):
    """?day= shows that day's month and, room by room, who stays (code,
    name, dates) or a link to book the free room."""
    c = client_as(coordinator)
    page = c.get("/shelter/calendar/?day=2021-10-02").content.decode()
    day = page[page.index('<section class="day-view"') :]
    day = day[: day.index("</section>")]
    assert "2021年10月2日" in day
    assert "?day=2021-10-01" in day and "?day=2021-10-03" in day
    assert f"{stay.client.code} 山田 花子" in day
    assert stay.get_absolute_url() in day
    assert f"?room={rooms[1].pk}&amp;start=2021-10-02" in day
    assert "令和3年10月" in page  # the month of that day
    # Without a day: today in this month, else the month's first day.
    page = c.get("/shelter/calendar/?month=2021-10").content.decode()
    assert "?day=2021-09-30" in page and "?day=2021-10-02" in page
    # A day that is no date is the month's (or this month's) day, not an error.
    assert c.get("/shelter/calendar/?day=2021-13-40").status_code == 200


def test_a_stay_from_the_month_before_starts_the_row(client_as, coordinator, rooms):
    StayFactory(room=rooms[0], start_date=D(2021, 9, 29), end_date=D(2021, 10, 3))
    page = (
        client_as(coordinator).get("/shelter/calendar/?month=2021-10").content.decode()
    )
    assert re.search(r'class="stay reserved overnight from-before" colspan="2"', page)


def test_clicking_a_free_cell_books_the_room(client_as, coordinator, rooms):
    c = client_as(coordinator)
    person = ClientFactory()
    next_url = "/shelter/calendar/?month=2021-10"
    url = f"/shelter/stays/new/?room={rooms[1].pk}&start=2021-10-05&next={next_url}"
    page = c.get(url).content.decode()
    assert 'value="2021-10-05"' in page and 'value="2021-10-06"' in page
    response = c.post(
        url,
        {
            "client": person.code.lower(),
            "room": rooms[1].pk,
            "kind": "overnight",
            "start_date": "2021-10-05",
            "end_date": "2021-10-08",
            "children": "1",
            "next": next_url,
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == next_url
    assert "予約しました" in response.content.decode()
    stay = Stay.objects.get()
    assert (stay.client, stay.room, stay.nights, stay.children) == (
        person,
        rooms[1],
        3,
        1,
    )


def test_a_clash_shows_the_dates_on_the_form_not_a_500(
    client_as, coordinator, rooms, stay
):
    response = client_as(coordinator).post(
        reverse("shelter:stay_create"),
        {
            "client": ClientFactory().code,
            "room": rooms[0].pk,
            "kind": "day_rest",
            "start_date": "2021-10-02",
            "end_date": "",
            "children": "0",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "2021年10月1日〜2021年10月4日（3泊）" in page and "予約が入っています" in page
    )
    assert Stay.objects.count() == 1


def test_an_unknown_client_code_is_a_form_error(client_as, coordinator, rooms):
    response = client_as(coordinator).post(
        reverse("shelter:stay_create"),
        {
            "client": "C-999999",
            "room": rooms[0].pk,
            "kind": "overnight",
            "start_date": "2021-10-02",
            "end_date": "2021-10-03",
            "children": "0",
        },
    )
    assert "コード C-999999 の相談者はいません" in response.content.decode()


def test_check_in_check_out_and_cancel_from_the_stay_page(
    client_as, coordinator, rooms, stay
):
    c = client_as(coordinator)
    response = c.post(
        reverse("shelter:stay_action", args=[stay.pk, "check-in"]), follow=True
    )
    assert "チェックインしました" in response.content.decode()
    response = c.post(
        reverse("shelter:stay_action", args=[stay.pk, "cancel"]), follow=True
    )
    assert "この宿泊は取消できません（現在：利用中）" in response.content.decode()
    c.post(reverse("shelter:stay_action", args=[stay.pk, "check-out"]))
    stay.refresh_from_db()
    assert stay.status == Stay.Status.COMPLETED
    assert (
        c.get(reverse("shelter:stay_action", args=[stay.pk, "cancel"])).status_code
        == 405
    )


def test_changing_a_stay_keeps_the_other_persons_edit(client_as, coordinator, stay):
    c = client_as(coordinator)
    url = reverse("shelter:stay_update", args=[stay.pk])
    data = {
        "room": stay.room_id,
        "kind": "overnight",
        "start_date": "2021-10-01",
        "end_date": "2021-10-05",
        "children": "0",
        "version": stay.version,
    }
    assert c.post(url, data).status_code == 302
    response = c.post(url, {**data, "end_date": "2021-10-06"})
    assert "ほかの人がこの記録を保存しました" in response.content.decode()
    stay.refresh_from_db()
    assert stay.end_date == D(2021, 10, 5)


def test_stay_list_filters(client_as, coordinator, rooms, stay):
    StayFactory(room=rooms[1], start_date=D(2021, 12, 1), end_date=D(2021, 12, 3))
    c = client_as(coordinator)
    page = c.get("/shelter/stays/?start=2021-10-03&end=2021-10-03").content.decode()
    assert "山田 花子" in page and "2021-12-01" not in page
    page = c.get("/shelter/stays/?client=山田").content.decode()
    assert "山田 花子" in page and "2021-12-01" not in page
    page = c.get("/shelter/stays/?kind=day_rest").content.decode()
    assert "該当する宿泊はありません" in page


def test_unmet_request_quick_entry_from_the_calendar(client_as, coordinator, stay):
    c = client_as(coordinator)
    page = c.get("/shelter/calendar/?month=2021-10").content.decode()
    assert reverse("shelter:unmet_create") in page
    response = c.post(
        reverse("shelter:unmet_create"),
        {
            "date": "2021-10-02",
            "reason": "no_room",
            "wanted": "overnight",
            "client": "",
            "note": "",
            "next": "/shelter/calendar/?month=2021-10",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/shelter/calendar/?month=2021-10"
    assert "利用できなかった希望を記録しました" in response.content.decode()
    assert UnmetRequest.objects.get().reason == "no_room"


def test_unmet_request_quick_entry_from_the_client_page(client_as, coordinator, stay):
    c = client_as(coordinator)
    url = reverse("shelter:client_stays", args=[stay.client.pk])
    page = c.get(url).content.decode()
    assert f'value="{stay.client.code}"' in page
    response = c.post(
        reverse("shelter:unmet_create"),
        {
            "date": "2021-11-02",
            "reason": "childcare",
            "wanted": "day_rest",
            "client": stay.client.code,
            "next": url,
        },
        follow=True,
    )
    assert "育児" in response.content.decode()
    unmet = UnmetRequest.objects.get()
    assert unmet.client == stay.client
    assert AuditEntry.objects.filter(
        object_type="shelter.unmetrequest", client_code=stay.client.code
    ).exists()


def test_an_incomplete_unmet_request_comes_back_with_its_errors(client_as, coordinator):
    response = client_as(coordinator).post(
        reverse("shelter:unmet_create"),
        {"date": "2021-11-02", "next": "/shelter/calendar/"},
    )
    assert response.status_code == 200
    assert "このフィールドは必須です" in response.content.decode()
    assert not UnmetRequest.objects.exists()


def test_recording_a_salon_day_naming_clients(client_as, coordinator):
    salon = SalonFactory()
    people = [ClientFactory(), ClientFactory()]
    c = client_as(coordinator)
    response = c.post(
        reverse("shelter:salon_create"),
        {
            "facility": salon.pk,
            "date": "2021-10-06",
            "visitors": "5",
            "clients": f"{people[0].code}、{people[1].code.lower()}",
        },
        follow=True,
    )
    assert "2021年10月6日の利用者数5人を記録しました" in response.content.decode()
    visit = salon.visits.get()
    assert set(visit.clients.all()) == set(people)
    response = c.post(
        reverse("shelter:salon_create"),
        {"facility": salon.pk, "date": "2021-10-06", "visitors": "1", "clients": ""},
    )
    assert "すでに記録されています" in response.content.decode()
    response = c.post(
        reverse("shelter:salon_update", args=[visit.pk]),
        {"visitors": "1", "clients": f"{people[0].code} {people[1].code}"},
    )
    assert "利用者数は1人です" in response.content.decode()


def test_opening_days_page_shows_a_fiscal_year_per_month(client_as, coordinator):
    opening_calendar_set(
        by=None,
        service=Service.SALON,
        weekly={d: (dt.time(12), dt.time(16)) for d in (0, 2, 3, 4, 5)},
    )
    page = client_as(coordinator).get("/shelter/opening/?fy=2021").content.decode()
    assert "令和3年度" in page
    assert '<td class="num total">243</td>' in page


def test_editing_an_opening_calendar_in_the_browser(client_as, coordinator):
    c = client_as(coordinator)
    url = reverse("shelter:opening_calendar", args=["consultation"]) + "?fy=2021"
    data = {"weekly": "1", "closed_on_public_holidays": "on"}
    for day in (0, 2, 3, 4, 5):
        data |= {f"open_{day}": "on", f"opens_{day}": "10:00", f"closes_{day}": "16:00"}
    response = c.post(url, data, follow=True)
    assert "曜日と時間を保存しました" in response.content.decode()
    # Year-end break left open this time: 4 more days than Tsuchiura's 243.
    assert "開設日 247日" in response.content.decode()
    response = c.post(
        url,
        {
            "exception": "1",
            "date": "2021-08-12",
            "kind": "closed",
            "reason": "夏季休業",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "開設日 246日" in page and "夏季休業" in page
    response = c.post(url, {**data, "opens_0": "17:00"})
    assert "開始を先に" in response.content.decode()


def test_the_calendar_page_query_count_does_not_grow_with_the_stays(
    client_as, coordinator, django_assert_num_queries
):
    """Rooms in one query, the month's stays (with their clients' codes and
    names) in one, the shelter's opening calendar in two: the same count for
    an empty month and a full one."""
    shelter_rooms = [RoomFactory() for _ in range(3)]
    opening_calendar_set(
        by=None, service=Service.SHELTER, weekly=dict.fromkeys(range(7), (None, None))
    )
    c = client_as(coordinator)
    c.get("/shelter/calendar/?month=2021-10")  # warm the session and role caches
    with CaptureQueriesContext(connection) as empty:
        c.get("/shelter/calendar/?month=2021-10")
    assert len(empty.captured_queries) <= 15
    clients = [ClientFactory() for _ in range(10)]
    for r, room in enumerate(shelter_rooms):
        for i in range(31):  # a stay every night of October in every room
            start = D(2021, 10, 1) + dt.timedelta(days=i)
            StayFactory(
                room=room,
                client=clients[(i + r) % 10],
                start_date=start,
                end_date=start + dt.timedelta(days=1),
            )
    with django_assert_num_queries(len(empty.captured_queries)):
        response = c.get("/shelter/calendar/?month=2021-10")
    assert response.content.decode().count('class="stay reserved') == 93


def test_the_home_page_shows_coordinators_today_at_the_shelter(
    client_as, coordinator, counsellor, rooms
):
    from django.utils import timezone

    today = timezone.localdate()
    StayFactory(room=rooms[0], start_date=today, end_date=today + dt.timedelta(2))
    StayFactory(
        room=rooms[1],
        start_date=today - dt.timedelta(1),
        end_date=today + dt.timedelta(1),
        status=Stay.Status.CHECKED_IN,
    )
    page = client_as(coordinator).get("/").content.decode()
    assert "居場所（シェルター・サロン）" in page
    assert re.search(r"<dt>宿泊中</dt><dd>1</dd>", page)
    assert re.search(r"<dt>本日の入所予定</dt><dd>1</dd>", page)
    page = client_as(counsellor).get("/").content.decode()
    assert "本日の入所予定" not in page


def test_admins_keep_facilities_and_rooms_in_the_django_admin(
    client_as, admin_user, stay
):
    admin_user.is_staff = True
    admin_user.save()
    c = client_as(admin_user)
    for url in (
        "/admin/shelter/facility/",
        "/admin/shelter/facility/add/",
        f"/admin/shelter/facility/{stay.room.facility_id}/change/",
        "/admin/shelter/room/",
        "/admin/shelter/room/add/",
        "/admin/shelter/stay/",
    ):
        assert c.get(url).status_code == 200, url
    # Stays are read-only there: bookings follow the rules in the app.
    assert c.get("/admin/shelter/stay/add/").status_code == 403


def test_removing_an_unknown_change_is_a_404_not_a_500(client_as, coordinator):
    url = reverse("shelter:opening_calendar", args=["salon"])
    c = client_as(coordinator)
    assert c.post(url, {"remove": "abc"}).status_code == 404
    assert c.post(url, {"remove": "999"}).status_code == 404
    assert c.get(reverse("shelter:opening_calendar", args=["nope"])).status_code == 404
