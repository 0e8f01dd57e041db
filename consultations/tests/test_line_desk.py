"""The LINE desk's opening hours, automatic replies (outside the hours, and
the greeting with its consent button), postbacks and consent, and canned
replies (issue 17). The Messaging API is a local stub (line_stub.py) that the
real line-bot-sdk client talks to; the replies go out through the real task
worker (`manage.py db_worker`)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from consultations.line import canned, desk_hours
from consultations.line.models import CONSENT_POSTBACK_DATA
from consultations.models import (
    CannedReply,
    LineAutoReply,
    LineAutoReplyClaim,
    LineMessage,
    LineUser,
)
from shelter.line_desk import line_desk_hours
from shelter.models import CalendarException, Service
from shelter.services import calendar_exception_add, opening_calendar_set

from .line_stub import StubLineApi
from .test_line_outbound import run_worker
from .test_line_webhook import HANAKO, event, payload, post, sign

pytestmark = pytest.mark.django_db

REPLY = "/v2/bot/message/reply"
T = dt.time
TOKYO = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture
def line_api():
    with (
        StubLineApi() as stub,
        override_settings(LINE_API_BASE_URL=stub.url, LINE_AUTO_REPLIES=True),
    ):
        yield stub


@pytest.fixture
def closed_now():
    """The LINE desk is closed now and has been since the end of an extra
    open day three days ago (the same closed period for the whole test)."""
    opening_calendar_set(by=None, service=Service.LINE, weekly={})
    calendar_exception_add(
        by=None,
        service=Service.LINE,
        date=timezone.localdate() - dt.timedelta(days=3),
        kind=CalendarException.Kind.OPEN,
    )


@pytest.fixture
def open_now():
    """Open every day, all day."""
    opening_calendar_set(
        by=None,
        service=Service.LINE,
        weekly=dict.fromkeys(range(7), (None, None)),
        closed_on_public_holidays=False,
        closed_over_year_end=False,
    )


def now_ms() -> int:
    return int(time.time() * 1000)


def message(event_id, text, token, redelivery=False, user=HANAKO):
    return event(
        event_id,
        user,
        "message",
        timestamp=now_ms(),
        redelivery=redelivery,
        replyToken=token,
        message={"id": event_id[-8:], "type": "text", "text": text},
    )


def deliver(client, *events):
    body = payload(*events)
    assert post(client, body, sign(body)).status_code == 200


def consented(user_id=HANAKO) -> LineUser:
    return LineUser.objects.create(
        line_user_id=user_id, consent_given_at=timezone.now()
    )


def automatic():
    return LineMessage.objects.filter(direction="out").exclude(automatic="")


# OPENING HOURS
# ------------------------------------------------------------------------------


def at(day, hour, minute=0):
    return dt.datetime(2021, 6, day, hour, minute, tzinfo=TOKYO)


@pytest.fixture
def mon_wed_to_sat():
    opening_calendar_set(
        by=None,
        service=Service.LINE,
        weekly=dict.fromkeys((0, 2, 3, 4, 5), (T(10), T(20))),
    )


def test_the_desk_is_open_within_its_hours_and_closed_outside(mon_wed_to_sat):
    # June 2021: the 7th is a Monday, the 8th a Tuesday (closed).
    assert desk_hours.is_open(at(9, 10))
    assert desk_hours.is_open(at(9, 19, 59))
    assert not desk_hours.is_open(at(9, 20))
    assert not desk_hours.is_open(at(10, 9, 59))
    assert not desk_hours.is_open(at(8, 12))


def test_a_closed_period_runs_from_the_last_closing_time(mon_wed_to_sat):
    """The key of "once per closed period": the same from the evening to the
    next opening, a new one after the next day's closing."""
    wednesday_close = at(9, 20)
    assert desk_hours.closed_since(at(9, 21)) == wednesday_close
    assert desk_hours.closed_since(at(10, 9)) == wednesday_close
    assert desk_hours.closed_since(at(10, 21)) == at(10, 20)
    # Tuesday is closed all day: since Monday's closing.
    assert desk_hours.closed_since(at(8, 12)) == at(7, 20)


def test_without_a_provider_or_a_calendar_the_desk_is_always_open(mon_wed_to_sat):
    desk_hours.unregister(line_desk_hours)
    try:
        assert desk_hours.is_open(at(8, 3)) and desk_hours.hours_text() == ""
    finally:
        desk_hours.register(line_desk_hours)
    from shelter.models import OpeningCalendar

    OpeningCalendar.objects.filter(service=Service.LINE).delete()
    assert desk_hours.is_open(at(8, 3))


def test_the_hours_as_text_group_the_days_with_the_same_hours():
    opening_calendar_set(
        by=None,
        service=Service.LINE,
        weekly={0: (T(10), T(20)), 2: (T(10), T(20)), 5: (T(13), T(17))},
    )
    with translation.override("en"):
        text = desk_hours.hours_text()
    assert text == (
        "Mon, Wed 10:00–20:00; Sat 13:00–17:00"
        " (closed on public holidays and over the year-end break)"
    )


# AUTOMATIC REPLY OUTSIDE THE HOURS
# ------------------------------------------------------------------------------


def test_a_message_outside_the_hours_gets_one_automatic_reply_with_its_token(
    client, line_api, closed_now
):
    """Through the reply token (free), with the hours and the emergency
    numbers; never again for LINE's redelivery of the event, the same event
    delivered twice, nor a second message in the same closed period."""
    consented()
    first = message("01HDESK0000000000000000001", "夜分にすみません", "token-1")
    deliver(client, first)
    run_worker()
    replies = line_api.sent(REPLY)
    assert len(replies) == 1
    assert replies[0]["json"]["replyToken"] == "token-1"
    [sent] = replies[0]["json"]["messages"]
    assert "受付時間外" in sent["text"] and "#8008" in sent["text"]
    assert "{受付時間}" not in sent["text"] and "20:00" not in sent["text"]
    assert "quickReply" not in sent

    redelivered = message(
        "01HDESK0000000000000000001", "夜分にすみません", "token-1b", redelivery=True
    )
    deliver(client, redelivered)
    deliver(client, first)
    deliver(client, message("01HDESK0000000000000000002", "まだですか", "token-2"))
    run_worker()
    assert len(line_api.sent(REPLY)) == 1
    [stored] = automatic()
    assert stored.automatic == "outside_hours" and stored.sent_by is None
    assert stored.status == "sent" and stored.sent_via == "reply"
    assert stored.text == sent["text"]
    assert LineAutoReplyClaim.objects.count() == 1


def test_a_redelivered_event_never_triggers_an_automatic_reply(
    client, line_api, closed_now
):
    """The first delivery never arrived: the redelivery is stored, but its
    reply token is too old to use, and nothing is pushed."""
    consented()
    deliver(
        client,
        message("01HDESK0000000000000000003", "再送", "token-3", redelivery=True),
    )
    run_worker()
    assert line_api.requests == [] and not automatic().exists()


def test_a_message_inside_the_hours_gets_no_automatic_reply(client, line_api, open_now):
    consented()
    deliver(client, message("01HDESK0000000000000000004", "こんにちは", "token-4"))
    run_worker()
    assert line_api.sent(REPLY) == [] and not LineAutoReplyClaim.objects.exists()
    # The token is left for the counsellor's free reply.
    assert not LineMessage.objects.get().reply_token_used


def test_an_inactive_automatic_reply_is_not_sent(client, line_api, closed_now):
    consented()
    LineAutoReply.objects.update(active=False)
    deliver(client, message("01HDESK0000000000000000005", "こんばんは", "token-5"))
    run_worker()
    assert line_api.requests == []


# FIRST CONTACT, POSTBACKS AND CONSENT
# ------------------------------------------------------------------------------


def test_a_first_contact_gets_the_greeting_with_a_consent_button(
    client, line_api, open_now
):
    deliver(client, message("01HDESK0000000000000000006", "相談したいです", "token-6"))
    run_worker()
    [reply] = line_api.sent(REPLY)
    [greeting] = reply["json"]["messages"]
    assert "個人情報" in greeting["text"] and "{受付時間}" not in greeting["text"]
    [button] = greeting["quickReply"]["items"]
    assert button["type"] == "action"
    assert button["action"] == {
        "type": "postback",
        "label": "同意して相談する",
        "data": CONSENT_POSTBACK_DATA,
        "displayText": "同意して相談する",
    }
    assert automatic().get().automatic == "greeting"
    # Once: a second message before consenting gets no second greeting.
    deliver(client, message("01HDESK0000000000000000007", "もしもし", "token-7"))
    run_worker()
    assert len(line_api.sent(REPLY)) == 1


def test_a_first_contact_outside_the_hours_gets_both_in_one_reply(
    client, line_api, closed_now
):
    """One reply token, two messages; the greeting last, so that LINE shows
    its consent button."""
    follow = event("01HDESK0000000000000000008", HANAKO, "follow", timestamp=now_ms())
    follow["replyToken"] = "token-8"
    deliver(client, follow)
    run_worker()
    [reply] = line_api.sent(REPLY)
    notice, greeting = reply["json"]["messages"]
    assert "受付時間外" in notice["text"] and "quickReply" in greeting
    assert sorted(automatic().values_list("automatic", flat=True)) == [
        "greeting",
        "outside_hours",
    ]


def test_a_consent_postback_records_the_consent_with_its_time(client, line_api):
    """The postback is kept in the conversation; consent is recorded once,
    with the time of the tap; the badge goes."""
    person = LineUser.objects.create(line_user_id=HANAKO)
    tapped = now_ms()
    deliver(
        client,
        event(
            "01HDESK0000000000000000009",
            HANAKO,
            "postback",
            timestamp=tapped,
            replyToken="token-9",
            postback={"data": CONSENT_POSTBACK_DATA},
        ),
    )
    person.refresh_from_db()
    assert person.consent_given_at == dt.datetime.fromtimestamp(tapped / 1000, dt.UTC)
    stored = LineMessage.objects.get(kind="postback")
    assert stored.text == CONSENT_POSTBACK_DATA and stored.direction == "in"
    run_worker()
    assert line_api.requests == []  # no greeting for a consent


def test_other_postbacks_are_stored_with_their_parameters(client):
    deliver(
        client,
        event(
            "01HDESK0000000000000000010",
            HANAKO,
            "postback",
            postback={
                "data": "callback=choose",
                "params": {"datetime": "2021-06-10T18:00", "bogus": "x"},
            },
        ),
    )
    stored = LineMessage.objects.get()
    assert stored.text == "callback=choose datetime=2021-06-10T18:00"
    assert LineUser.objects.get().consent_given_at is None


def test_the_inbox_and_conversation_mark_a_person_without_consent(
    client_as, counsellor
):
    waiting = LineUser.objects.create(line_user_id=HANAKO, display_name="はなこ")
    c = client_as(counsellor)
    c.cookies["django_language"] = "en"
    assert "Consent not confirmed" in c.get(reverse("line:inbox")).content.decode()
    page = c.get(reverse("line:conversation", args=[waiting.pk])).content.decode()
    assert "Consent not confirmed" in page
    LineUser.objects.filter(pk=waiting.pk).update(consent_given_at=timezone.now())
    page = c.get(reverse("line:conversation", args=[waiting.pk])).content.decode()
    assert "Consent not confirmed" not in page


# CANNED REPLIES
# ------------------------------------------------------------------------------


def test_canned_reply_variables_are_filled_in():
    text = "相談員の{相談員名}です。受付時間は{受付時間}です。{相談者名} {x}"
    assert canned.fill(text, counsellor_name="佐藤", hours="月 10:00–20:00") == (
        "相談員の佐藤です。受付時間は月 10:00–20:00です。{相談者名} {x}"
    )
    assert canned.fill(text) == text


def test_the_reply_box_offers_the_active_canned_replies_filled_in(
    client_as, counsellor, mon_wed_to_sat
):
    CannedReply.objects.all().delete()
    CannedReply.objects.create(title="あいさつ", text="{相談員名}です。{受付時間}")
    CannedReply.objects.create(title="古い", text="使わない", active=False)
    person = LineUser.objects.create(line_user_id=HANAKO)
    page = client_as(counsellor).get(reverse("line:conversation", args=[person.pk]))
    html = page.content.decode()
    assert 'role="listbox"' in html and "js/canned_replies.js" in html
    [reply] = page.context["canned_replies"]
    assert reply.text.startswith(f"{counsellor.display_name}です。")
    assert "10:00～20:00" in reply.text and "使わない" not in html
