"""Live updates of the LINE pages (issue 17): the polling endpoints answer
304 with the same ETag while nothing changed, and the new part of the page
after a webhook; a poll costs one query; the token belongs to a session and
a counsellor; a reply from a page that missed a newer message is refused
unless confirmed."""

from __future__ import annotations

import html
import re
import uuid
from urllib.parse import parse_qsl

import pytest
from django.urls import reverse

from accounts.roles import Role
from consultations.models import LineMessage
from consultations.tests.line_factories import LineUserFactory, newest_id
from tests.factories import ClientFactory

from .test_line_outbound import LINE_USER_ID, line_api, message_event, webhook
from .test_safety_flags import ja

__all__ = ["line_api"]  # the stub Messaging API fixture
STALE = (
    "A new message from this person arrived after this page was drawn. Read it "
    "above, then tick the box to send your reply as it is."
)

pytestmark = pytest.mark.django_db

LIVE = re.compile(
    r'data-line-live="(?P<kind>\w+)" data-live-url="(?P<url>[^"]+)" '
    r'data-live-token="(?P<token>[^"]+)"'
)


@pytest.fixture
def person(db):
    return LineUserFactory(
        line_user_id=LINE_USER_ID, client=ClientFactory(), is_following=True
    )


def live_attrs(response) -> dict:
    found = LIVE.search(response.content.decode())
    assert found, "the page has no live element"
    return {k: html.unescape(v) for k, v in found.groupdict().items()}


def poll(c, attrs, etag=None, **params):
    # As line_live.js does: the live URL's own query, and the token.
    headers = {"If-None-Match": etag} if etag else {}
    url, _, query = attrs["url"].partition("?")
    own = dict(parse_qsl(query))
    return c.get(url, {**own, "t": attrs["token"], **params}, headers=headers)


def test_a_conversation_poll_answers_304_until_a_webhook_brings_a_message(
    client_as, counsellor, person, django_assert_max_num_queries
):
    c = client_as(counsellor)
    webhook(c, message_event("01LIVE0000000000000000000001", "はじめまして", "7001"))
    attrs = live_attrs(c.get(person.get_absolute_url()))
    assert attrs["kind"] == "conversation"
    last = newest_id(person)

    first = poll(c, attrs, after=last)
    assert first.status_code == 200
    etag = first["ETag"]
    assert "はじめまして" not in first.content.decode()  # already on the page
    with django_assert_max_num_queries(1):
        again = poll(c, attrs, etag=etag, after=last)
    assert again.status_code == 304
    assert again["ETag"] == etag

    webhook(c, message_event("01LIVE0000000000000000000002", "相談したいです", "7002"))
    changed = poll(c, attrs, etag=etag, after=last, seen="1")
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    body = changed.content.decode()
    new = LineMessage.objects.get(webhook_event_id="01LIVE0000000000000000000002")
    assert f'id="message-{new.pk}"' in body and "相談したいです" in body
    assert "はじめまして" not in body
    assert changed["X-Last-Message"] == str(new.pk)
    new.refresh_from_db()
    assert new.read_at is not None  # shown on a page in view: read
    assert poll(c, attrs, etag=changed["ETag"], after=new.pk).status_code == 304


def test_the_inbox_and_worklist_polls_redraw_their_rows_after_a_webhook(
    client_as, counsellor, django_assert_max_num_queries
):
    c = client_as(counsellor)
    inbox = live_attrs(c.get(reverse("line:inbox")))
    home = live_attrs(c.get(reverse("home")))
    assert (inbox["kind"], home["kind"]) == ("inbox", "worklist")
    tags = {}
    for name, attrs in (("inbox", inbox), ("home", home)):
        tags[name] = poll(c, attrs)["ETag"]
        with django_assert_max_num_queries(1):
            assert poll(c, attrs, etag=tags[name]).status_code == 304

    webhook(c, message_event("01LIVE0000000000000000000003", "こんばんは", "7003"))
    newcomer = LineMessage.objects.get(webhook_event_id="01LIVE0000000000000000000003")
    url = reverse("line:conversation", args=[newcomer.line_user_id])
    for name, attrs in (("inbox", inbox), ("home", home)):
        response = poll(c, attrs, etag=tags[name])
        assert response.status_code == 200, name
        assert f'href="{url}"' in response.content.decode(), name

    # Read elsewhere: the unread count changes, so do the tags.
    tag = poll(c, inbox)["ETag"]
    c.get(url)
    assert poll(c, inbox, etag=tag).status_code == 200


def test_the_desk_poll_redraws_the_queue_when_a_chat_waits_or_is_claimed(
    client_as, counsellor, make_user, django_assert_max_num_queries
):
    """A new person's message puts her in the queue of every open desk; a
    claim by someone else (no new message) takes her out of it and into that
    counsellor's chats, without a reload."""
    from consultations.line import chats
    from consultations.models import LineChat

    c = client_as(counsellor)
    desk = live_attrs(c.get(reverse("line:inbox")))
    tag = poll(c, desk)["ETag"]
    webhook(c, message_event("01LIVE0000000000000000000009", "はじめまして", "7009"))
    chat = LineChat.objects.get()
    claim = reverse("line:chat_claim", args=[chat.pk])
    response = poll(c, desk, etag=tag)
    assert response.status_code == 200
    assert f'action="{claim}"' in response.content.decode()  # in the queue
    tag = response["ETag"]
    with django_assert_max_num_queries(1):
        assert poll(c, desk, etag=tag).status_code == 304

    other = make_user(Role.COUNSELLOR, username="counsellor2")
    chats.chat_claim(chat=chat, by=other)
    response = poll(c, desk, etag=tag)
    assert response.status_code == 200
    assert f'action="{claim}"' not in response.content.decode()
    # Her own desk shows it among her chats.
    mine = client_as(other)
    parts = poll(mine, live_attrs(mine.get(reverse("line:inbox")))).content.decode()
    desk_part = parts.split('data-live-part="rows"')[0]
    assert reverse("line:conversation", args=[chat.line_user_id]) in desk_part


def test_a_poll_needs_the_token_of_this_session_and_a_counsellor(
    client, client_as, counsellor, make_user, person
):
    c = client_as(counsellor)
    attrs = live_attrs(c.get(person.get_absolute_url()))
    assert poll(c, attrs).status_code == 200
    assert c.get(attrs["url"]).status_code == 403  # no token
    assert poll(c, {**attrs, "token": attrs["token"] + "x"}).status_code == 403

    # The counsellor's token with another session (another user's cookie).
    other = make_user(Role.COUNSELLOR, username="counsellor2")
    client.force_login(other)
    assert poll(client, attrs).status_code == 403

    # Her own session again, but she is no longer a counsellor.
    client.force_login(counsellor)
    attrs = live_attrs(client.get(person.get_absolute_url()))
    assert poll(client, attrs).status_code == 200
    counsellor.groups.clear()
    assert poll(client, attrs).status_code == 403

    # Signed out: the session is gone.
    counsellor.groups.add(*other.groups.all())
    assert poll(client, attrs).status_code == 200
    client.post(reverse("accounts:logout"))
    assert poll(client, attrs).status_code == 403


def test_city_staff_get_no_live_updates(client_as, city_staff, counsellor, person):
    c = client_as(city_staff)
    assert c.get(person.get_absolute_url()).status_code == 403
    for name, args in (
        ("line:conversation_updates", [person.pk]),
        ("line:inbox_updates", []),
        ("line:worklist_updates", []),
    ):
        assert c.get(reverse(name, args=args)).status_code == 403
    # Nor with a counsellor's token over their own session.
    token = live_attrs(client_as(counsellor).get(person.get_absolute_url()))["token"]
    c = client_as(city_staff)
    url = reverse("line:conversation_updates", args=[person.pk])
    assert c.get(url, {"t": token}).status_code == 403


def reply(c, person, seen, **extra):
    return c.post(
        reverse("line:reply", args=[person.pk]),
        {
            "text": "お返事します",
            "retry_key": str(uuid.uuid4()),
            "seen_message_id": seen,
        }
        | extra,
    )


def test_a_reply_from_a_page_that_missed_a_newer_message_needs_the_tick(
    client_as, counsellor, person, line_api
):
    c = client_as(counsellor)
    webhook(c, message_event("01LIVE0000000000000000000004", "はじめまして", "7004"))
    page = c.get(person.get_absolute_url()).content.decode()
    seen = newest_id(person)
    assert f'name="seen_message_id" value="{seen}"' in page
    assert "data-line-newer hidden" in page
    assert html.escape(ja("There are new messages.")) in page
    webhook(c, message_event("01LIVE0000000000000000000005", "やっぱり", "7005"))

    refused = reply(c, person, seen)
    assert refused.status_code == 200
    assert html.escape(ja(STALE)) in refused.content.decode()
    assert 'name="stale_confirmed"' in refused.content.decode()
    assert not LineMessage.objects.filter(direction="out").exists()
    assert line_api.sent("/v2/bot/message/reply") == []
    assert line_api.sent("/v2/bot/message/push") == []

    sent = reply(c, person, seen, stale_confirmed="on")
    assert sent.status_code == 302
    assert LineMessage.objects.filter(direction="out", text="お返事します").count() == 1


def test_a_reply_that_saw_the_newest_message_needs_no_tick(
    client_as, counsellor, person, line_api
):
    c = client_as(counsellor)
    webhook(c, message_event("01LIVE0000000000000000000006", "はじめまして", "7006"))
    assert reply(c, person, newest_id(person)).status_code == 302
    # A reply of hers is newer, but only the person's messages count.
    assert reply(c, person, newest_id(person) - 1).status_code == 302
    assert LineMessage.objects.filter(direction="out").count() == 2


def test_the_worklist_polls_draw_its_first_rows_or_a_page_of_the_whole_list(
    client_as, counsellor
):
    """Of 55 unread conversations, the home worklist's poll draws the first
    20 with the count and the link to the whole list; the whole list's page
    updates itself too, page by page (50 a page)."""
    from consultations import casework
    from consultations.tests.line_factories import LineMessageFactory

    for _ in range(55):
        LineMessageFactory(line_user=LineUserFactory(client=None))
    c = client_as(counsellor)
    all_url = reverse("consultations:worklist_all", args=["unread_line"])
    home = poll(c, live_attrs(c.get(reverse("home")))).content.decode()
    assert home.count('class="badge new"') == casework.WORKLIST_SHOWN
    assert '<span class="count-badge">55</span>' in home
    assert f'<a href="{all_url}">' in home

    whole = c.get(all_url, {"page": 2})
    attrs = live_attrs(whole)
    assert attrs["kind"] == "worklist" and "list=all" in attrs["url"]
    assert whole.content.decode().count('class="badge new"') == 5
    for page, rows in ((1, 50), (2, 5)):
        body = poll(c, attrs, page=page).content.decode()
        assert body.count('class="badge new"') == rows
        assert "count-badge" not in body and all_url not in body
