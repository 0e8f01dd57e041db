"""The list pages whose rows are made in Python (values, labels and links
computed once per row, issue 22): what a row shows, that what a person typed
is still escaped, and that a list counts its rows once."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.models import Complaint
from consultations.tests.factories import ConsultationFactory
from peergroups.tests.factories import SessionFactory
from shelter.models import UnmetRequest
from shelter.services import stay_book
from shelter.tests.factories import (
    RoomFactory,
    ShelterFactory,
    StayFactory,
    UnmetRequestFactory,
)
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
NAME = '<b>"花子"</b>'
ESCAPED = "&lt;b&gt;&quot;花子&quot;&lt;/b&gt;"


def test_the_room_calendar_escapes_a_name_in_its_cells(client_as, coordinator):
    person = ClientFactory(display_name=NAME)
    room = RoomFactory(name="<i>1号室</i>", facility=ShelterFactory(name="<u>家</u>"))
    stay_book(
        by=None,
        room=room,
        client=person,
        start=dt.date(2021, 10, 1),
        end=dt.date(2021, 10, 4),
    )
    html = client_as(coordinator).get("/shelter/calendar/?month=2021-10").content
    html = html.decode()
    assert f'<span class="who">{ESCAPED}</span>' in html
    body = html.split('<table class="occupancy">', 1)[1]
    assert "&lt;i&gt;1号室&lt;/i&gt;" in body
    assert '<th scope="rowgroup" colspan="33">&lt;u&gt;家&lt;/u&gt;</th>' in body
    assert NAME not in html and "<i>1号室</i>" not in html and "<u>家</u>" not in html


def test_a_consultation_row_shows_its_client_problems_and_badges(client_as, counsellor):
    person = ClientFactory(display_name=NAME, code="C-000777")
    main, *others = list(Complaint.objects.order_by("order", "code")[:3])
    with_client = ConsultationFactory(
        client=person,
        main_complaint=main,
        is_new=True,
        has_withdrawn_message=True,
        duration_minutes=25,
    )
    with_client.other_problems.set(reversed(others))
    anonymous = ConsultationFactory(client=None, duration_minutes=None)
    html = client_as(counsellor).get("/consultations/?fiscal_year=2021").content
    html = html.decode()
    assert f'<a href="/clients/{person.pk}/">C-000777 {ESCAPED}</a>' in html, (
        "the client's link, code and escaped name"
    )
    assert (
        f'{main.label}<span class="muted">（{others[0].label}、{others[1].label}）'
        in html
    ), "the other problems in their order, after the main complaint"
    assert 'class="badge new"' in html and 'class="badge closed"' in html
    assert f'href="/consultations/{with_client.pk}/"' in html
    assert f'href="/consultations/{anonymous.pk}/"' in html
    assert '<td class="num">25</td>' in html and '<td class="num"></td>' in html


def _counts_of(table: str, queries) -> list[str]:
    """The queries counting rows of ``table``, alone or by group (not those
    with a count in a subquery)."""
    found = []
    for q in queries:
        sql = q["sql"]
        columns = sql.partition(" FROM ")[0]
        grouped = "COUNT(" in columns and "(SELECT" not in columns
        if (sql.startswith("SELECT COUNT(") or grouped) and f'FROM "{table}"' in sql:
            found.append(sql)
    return found


def test_the_consultation_list_counts_its_consultations_once(client_as, counsellor):
    """The channel counts give the paginator its total: the year's
    consultations are counted by one query, not two."""
    ConsultationFactory.create_batch(3)
    web = client_as(counsellor)
    with CaptureQueriesContext(connection) as ctx:
        response = web.get("/consultations/?fiscal_year=2021")
    assert response.status_code == 200
    assert len(_counts_of("consultations_consultation", ctx.captured_queries)) == 1


def test_the_session_list_counts_its_sessions_once(client_as, facilitator):
    """The year's totals give the paginator its count."""
    SessionFactory.create_batch(3)
    web = client_as(facilitator)
    with CaptureQueriesContext(connection) as ctx:
        response = web.get("/groups/sessions/?fy=2021")
    assert response.status_code == 200
    assert "3" in response.content.decode()
    assert len(_counts_of("peergroups_session", ctx.captured_queries)) == 1


def test_a_session_row_escapes_what_was_typed_and_shows_its_days(
    client_as, facilitator
):
    from peergroups.tests.factories import GroupFactory

    SessionFactory(
        group=GroupFactory(name="<i>会</i>"),
        theme=NAME,
        place="<u>部屋</u>",
        date=dt.date(2021, 10, 15),
        end_date=dt.date(2021, 10, 16),
        anonymous_count=12,
    )
    html = client_as(facilitator).get("/groups/sessions/?fy=2021").content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert f"<td>{ESCAPED}</td>" in body
    assert "<td>&lt;i&gt;会&lt;/i&gt;</td>" in body
    assert "<td>&lt;u&gt;部屋&lt;/u&gt;</td>" in body
    assert '<span class="badge">' in body  # two days
    assert '<td class="num"><strong>12</strong></td>' in body
    assert NAME not in html and "<i>会</i>" not in html


def test_an_unmet_request_row_shows_its_client_labels_and_delete_form(
    client_as, coordinator
):
    """The row made in Python prints what its template printed: the date,
    the reason and what was wanted, the client's link, code and escaped name
    (or a dash), the escaped note, and a delete form that comes back here."""
    person = ClientFactory(display_name=NAME, code="C-000999")
    with_client = UnmetRequest.objects.create(
        date=dt.date(2021, 10, 5),
        reason="no_room",
        wanted="day_rest",
        client=person,
        note=NAME,
    )
    without = UnmetRequestFactory(date=dt.date(2021, 10, 4), reason="other")
    web = client_as(coordinator)
    html = web.get("/shelter/unmet/?fy=2021&page=1").content.decode()
    client_cell = (
        f'<td><a href="/shelter/clients/{person.pk}/">C-000999</a> {ESCAPED}</td>'
    )
    assert (
        '<tr><td><span class="date" data-iso="2021-10-05">2021年10月5日</span></td>'
        f"<td>空室なし</td><td>一時利用</td>{client_cell}<td>{ESCAPED}</td>"
    ) in html
    assert "<td>その他</td><td>宿泊</td><td>–</td><td></td>" in html
    rows = html[html.index("<tbody>") : html.index("</tbody>")]
    for unmet in (with_client, without):
        assert f'action="/shelter/unmet/{unmet.pk}/delete/"' in rows
    back = (
        '<input type="hidden" name="next" value="/shelter/unmet/?fy=2021&amp;page=1">'
    )
    assert rows.count(back) == 2 and html.count(back) == 3, "and the quick entry"
    assert rows.count('<input type="hidden" name="csrfmiddlewaretoken"') == 2
    assert NAME not in html


def test_the_unmet_request_list_counts_its_requests_once(client_as, coordinator):
    """The counts by reason give the paginator its total: the year's requests
    are counted by one query (grouped by reason), not two."""
    UnmetRequest.objects.bulk_create(
        UnmetRequestFactory.build(date=dt.date(2021, 10, 1), reason=reason)
        for reason in [*UnmetRequest.Reason.values * 11, "work"]
    )
    web = client_as(coordinator)
    with CaptureQueriesContext(connection) as ctx:
        response = web.get("/shelter/unmet/?fy=2021&page=2")
    assert response.status_code == 200
    assert len(_counts_of("shelter_unmetrequest", ctx.captured_queries)) == 1
    page = response.context["page"]
    assert (page.paginator.count, page.paginator.num_pages) == (56, 2)
    assert len(page.object_list) == 6
    assert web.get("/shelter/unmet/?fy=2022").context["page"].paginator.count == 0


def test_a_stay_row_shows_its_dates_room_and_client(client_as, coordinator):
    person = ClientFactory(display_name=NAME, code="C-000888")
    stay = StayFactory(client=person)
    html = client_as(coordinator).get("/shelter/stays/").content.decode()
    assert f'<a href="/shelter/stays/{stay.pk}/">' in html
    assert f'<a href="/shelter/clients/{person.pk}/">C-000888</a> {ESCAPED}' in html
    assert f"{stay.room.facility.name} {stay.room.name}" in html


def test_the_list_select_renders_what_djangos_select_renders():
    """ListSelect makes in Python the HTML that Select makes with templates:
    escaped values and labels, the selected option, groups, attributes."""
    from django import forms

    from consultations.forms import ListSelect

    choices = [
        ("", "すべて"),
        ('a"b', "<i>x</i> & y"),
        ("群", [(1, "一"), (2, "二")]),
    ]
    attrs = {"id": "id_f", "required": True, "disabled": False, "data-x": '"q"'}
    for value in ("", 'a"b', 2, None):
        expected = forms.Select(choices=choices).render("f", value, attrs=attrs)
        got = ListSelect(choices=choices).render("f", value, attrs=attrs)
        assert got == expected


def test_an_inbox_row_shows_its_person_client_chat_and_counts(client_as, counsellor):
    """The inbox row made in Python prints what its template printed: the
    escaped names, the badges, the chat and its holder, the preview of a
    reply, the counts (the page and its live updates share it)."""
    from consultations.line import chats
    from consultations.models import LineChat, LineUser
    from consultations.tests.line_factories import (
        LineMessageFactory,
        LineUserFactory,
    )

    person = ClientFactory(display_name=NAME, code="C-000999")
    line_user = LineUserFactory(display_name=NAME, client=person, is_following=False)
    now = dt.datetime.now(dt.UTC)
    chat = LineChat.objects.create(line_user=line_user, started_at=now)
    LineMessageFactory(line_user=line_user, chat=chat)
    chats.chat_claim(chat=chat, by=counsellor)
    LineMessageFactory(
        line_user=line_user,
        direction="out",
        status="sent",
        webhook_event_id=None,
        line_message_id="",
        sent_by=counsellor,
        text="<お返事>",
    )
    LineUser.objects.filter(pk=line_user.pk).update(
        last_event_at=dt.datetime.now(dt.UTC)
    )
    html = client_as(counsellor).get("/line/inbox/").content.decode()
    row = html[html.index('<tr class="unread">') :]
    row = row[: row.index("</tr>")]
    assert f'<a href="/line/inbox/{line_user.pk}/">{ESCAPED}</a>' in row
    assert row.count('<span class="badge closed') == 2, "not a friend, no consent"
    assert f'<a href="/clients/{person.pk}/">C-000999</a> {ESCAPED}' in row
    assert (
        f'<span class="badge chat-active">{chat.Status.ACTIVE.label}</span> '
        f"{counsellor.display_name}</td>"
    ) in row
    assert '<span class="muted">' in row and "&lt;お返事&gt;</td>" in row
    assert '<span class="count">1</span></td>' in row
    assert NAME not in html and "<お返事>" not in html


def test_the_desk_escapes_the_names_it_reads_as_values(
    client_as, counsellor, make_user
):
    """The holder of a row's chat, and the people and clients of the queue
    and of my chats, read as values (issue 22), are still escaped."""
    from accounts.roles import Role
    from consultations.line import chats
    from consultations.models import LineChat
    from consultations.tests.line_factories import (
        LineMessageFactory,
        LineUserFactory,
    )

    now = dt.datetime.now(dt.UTC)
    holder = make_user(Role.COUNSELLOR, last_name=NAME, first_name="")
    held = LineUserFactory(display_name="held")
    chat = LineChat.objects.create(line_user=held, started_at=now)
    LineMessageFactory(line_user=held, chat=chat)
    chats.chat_claim(chat=chat, by=holder)
    waiting = LineUserFactory(display_name=NAME, client=ClientFactory())
    LineMessageFactory(
        line_user=waiting,
        chat=LineChat.objects.create(line_user=waiting, started_at=now),
    )
    mine = LineUserFactory(display_name=NAME)
    my_chat = LineChat.objects.create(line_user=mine, started_at=now)
    LineMessageFactory(line_user=mine, chat=my_chat)
    chats.chat_claim(chat=my_chat, by=counsellor)
    html = client_as(counsellor).get("/line/inbox/").content.decode()
    assert (
        f'<span class="badge chat-active">{chat.Status.ACTIVE.label}</span> '
        f"{ESCAPED}</td>"
    ) in html
    for section_id, person in (("queue", waiting), ("mine", mine)):
        section = html[html.index(f'id="{section_id}"') :]
        section = section[: section.index("</section>")]
        link = f'<a href="/line/inbox/{person.pk}/">{ESCAPED}</a>'
        assert link in section, section_id
    assert waiting.client.code in html
    assert NAME not in html


def test_the_consultation_filter_reads_its_choices_without_a_cursor(
    client_as, counsellor, monkeypatch
):
    """The counsellor and complaint choices are read by a plain query: on
    PostgreSQL, iterator() after the view's transaction is a cursor WITH
    HOLD and three round trips."""
    from django.db.models.query import QuerySet

    def no_iterator(self, *args, **kwargs):
        raise AssertionError(f"iterator() on {self.model.__name__}")

    monkeypatch.setattr(QuerySet, "iterator", no_iterator)
    html = client_as(counsellor).get("/consultations/").content.decode()
    assert f'<option value="{counsellor.pk}">{counsellor.display_name}</option>' in html
    complaint = Complaint.objects.order_by("order", "code").first()
    assert f'<option value="{complaint.code}">{complaint.label}</option>' in html


def test_a_consultation_without_a_client_says_anonymous_in_japanese(
    client_as, counsellor
):
    """The row's labels are translated (they were once left out of the
    catalogue: tests/test_messages_extractable.py)."""
    ConsultationFactory(client=None, is_new=False)
    html = client_as(counsellor).get("/consultations/?fiscal_year=").content.decode()
    assert '<span class="muted">匿名</span>' in html
