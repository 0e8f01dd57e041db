"""Outbound LINE messages recorded as LINE took them, the quota, friendship,
profiles and withdrawn messages (issue 16). A local stub stands in for the
Messaging API (consultations/tests/line_stub.py): the real line-bot-sdk client
talks to it, and tasks run through the real worker (`manage.py db_worker`)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts.roles import Role
from consultations.line import messaging
from consultations.models import Consultation, LineChat, LineMessage, LineUser
from consultations.tests.line_factories import (
    LineMessageFactory,
    LineUserFactory,
    newest_id,
)
from reports.tests.test_import_jobs import run_worker
from tests.factories import ClientFactory

from .line_stub import MONTHLY_LIMIT, RATE_LIMIT, StubLineApi
from .test_line_webhook import payload, post, sign

pytestmark = pytest.mark.django_db

TEXT = "明日10時にお電話します"
SECRET_TEXT = "夫に見られたら困るので消します"
LINE_USER_ID = "U1234567890abcdef1234567890abcdef"
Status = LineMessage.Status


@pytest.fixture(autouse=True)
def fresh_cache():
    """The quota is cached: each test asks LINE afresh."""
    cache.clear()


@pytest.fixture
def line_api():
    with StubLineApi() as stub, override_settings(LINE_API_BASE_URL=stub.url):
        yield stub


@pytest.fixture
def web(client, counsellor):
    """A counsellor signed in, in English; the language is given back."""
    language = translation.get_language()
    client.force_login(counsellor)
    client.cookies["django_language"] = "en"
    yield client
    translation.activate(language) if language else translation.deactivate()


@pytest.fixture
def person():
    return LineUserFactory(
        line_user_id=LINE_USER_ID, client=ClientFactory(), is_following=True
    )


def send(web, person, text=TEXT, **extra):
    return web.post(
        reverse("line:reply", args=[person.pk]),
        {
            "text": text,
            "retry_key": str(uuid.uuid4()),
            "seen_message_id": newest_id(person),
            **extra,
        },
        follow=True,
    )


def page(web, person) -> str:
    return web.get(reverse("line:conversation", args=[person.pk])).content.decode()


def millis(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def webhook(client, *events):
    body = payload(*events)
    response = post(client, body, sign(body))
    assert response.status_code == 200


def message_event(event_id, text, message_id, when=None, user=LINE_USER_ID, **kw):
    return {
        "type": "message",
        "mode": "active",
        "timestamp": millis(when or timezone.now()),
        "source": {"type": "user", "userId": user},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
        "replyToken": f"reply-token-{event_id}",
        "message": {
            "id": message_id,
            "type": "text",
            "text": text,
            "quoteToken": "q",
            "markAsReadToken": f"read-token-{event_id}",
        },
        **kw,
    }


def unsend_event(event_id, message_id, when=None, user=LINE_USER_ID):
    return {
        "type": "unsend",
        "mode": "active",
        "timestamp": millis(when or timezone.now()),
        "source": {"type": "user", "userId": user},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": False},
        "unsend": {"messageId": message_id},
    }


# MAY HAVE BEEN SENT
# ------------------------------------------------------------------------------


def test_a_timeout_then_sending_the_same_again_delivers_one_message_as_stored(
    web, person, line_api, monkeypatch
):
    """LINE took the push but answered too late: the reply is kept as sent,
    locked; sending it again reuses its retry key, LINE answers 409, and the
    person has it once."""
    monkeypatch.setattr(messaging, "TIMEOUT", (2, 0.3))
    line_api.outcomes = ["timeout"]

    response = send(web, person)

    body = response.content.decode()
    assert "the reply may have been sent" in body
    assert "was not sent" not in body
    stored = LineMessage.objects.get(direction="out")
    assert (stored.status, stored.text) == (Status.UNCERTAIN, TEXT)
    assert "May have been sent: send the same again" in body
    # The reply box is empty again: the locked text is not in a form to edit.
    assert response.context["reply_form"]["text"].value() in (None, "")

    response = web.post(
        reverse("line:resend", args=[person.pk, stored.pk]), follow=True
    )

    pushes = line_api.sent("/v2/bot/message/push")
    assert len(pushes) == 2
    assert {p["headers"]["X-Line-Retry-Key"] for p in pushes} == {str(stored.retry_key)}
    assert [p["json"]["messages"][0]["text"] for p in pushes] == [TEXT, TEXT]
    assert line_api.delivered == [TEXT]
    stored.refresh_from_db()
    assert stored.status == Status.SENT and stored.text == line_api.delivered[0]
    assert "The reply was sent." in response.content.decode()


def test_a_reply_that_may_not_have_arrived_is_no_answer_until_it_is_sent(
    web, person, line_api
):
    """The chat's time of first response (an SNS figure) and the desk's
    "waiting for an answer" count only a reply LINE took."""
    from django.utils import timezone

    from consultations.line import selectors

    chat = LineChat.objects.create(line_user=person, started_at=timezone.now())
    LineMessageFactory(line_user=person, chat=chat, text="こんばんは")
    line_api.outcomes = [(500, None)]
    send(web, person)
    stored = LineMessage.objects.get(direction="out")
    assert stored.status == Status.UNCERTAIN
    chat.refresh_from_db()
    assert chat.first_response_at is None
    assert selectors.open_chat(line_user=person).waited_minutes is not None

    web.post(reverse("line:resend", args=[person.pk, stored.pk]))
    chat.refresh_from_db()
    assert chat.first_response_at is not None
    assert selectors.open_chat(line_user=person).waited_minutes is None


def test_only_the_holder_sends_an_uncertain_reply_again_or_discards_it(
    web, person, line_api, make_user
):
    from django.utils import timezone

    from consultations.line import chats

    chat = LineChat.objects.create(line_user=person, started_at=timezone.now())
    LineMessageFactory(line_user=person, chat=chat, text="こんばんは")
    line_api.outcomes = [(500, None)]
    send(web, person)
    stored = LineMessage.objects.get(direction="out")
    other = make_user(Role.COUNSELLOR, username="other")
    chats.chat_transfer(chat=chat, to=other, note="交代します", by=stored.sent_by)
    for name in ("line:resend", "line:discard"):
        response = web.post(reverse(name, args=[person.pk, stored.pk]), follow=True)
        assert "is handling this chat" in response.content.decode()
    stored.refresh_from_db()
    assert stored.status == Status.UNCERTAIN
    assert len(line_api.sent("/v2/bot/message/push")) == 1


def test_a_5xx_then_sending_the_same_again_delivers_it_once(web, person, line_api):
    line_api.outcomes = [(500, None)]
    send(web, person)
    stored = LineMessage.objects.get(direction="out")
    assert stored.status == Status.UNCERTAIN and line_api.delivered == []

    web.post(reverse("line:resend", args=[person.pk, stored.pk]))

    stored.refresh_from_db()
    assert stored.status == Status.SENT
    assert line_api.delivered == [stored.text] == [TEXT]


def test_a_reply_that_may_have_been_sent_can_be_discarded(web, person, line_api):
    line_api.outcomes = [(503, None)]
    send(web, person)
    stored = LineMessage.objects.get(direction="out")

    response = web.post(
        reverse("line:discard", args=[person.pk, stored.pk]), follow=True
    )

    stored.refresh_from_db()
    assert stored.status == Status.DISCARDED and not stored.is_delivered
    assert stored.text == TEXT  # kept in the record
    body = response.content.decode()
    assert "Discarded, not sent" in body
    assert "send the same again" not in body
    # Once discarded it cannot be sent again.
    web.post(reverse("line:resend", args=[person.pk, stored.pk]))
    assert len(line_api.sent("/v2/bot/message/push")) == 1


def test_an_unambiguous_refusal_says_not_sent_and_stores_nothing(web, person, line_api):
    line_api.outcomes = [(400, {"message": "The request body has 1 error(s)"})]
    body = send(web, person).content.decode()
    assert "LINE refused the reply (error 400). The reply was not sent" in body
    assert not LineMessage.objects.filter(direction="out").exists()


# THE TWO 429s
# ------------------------------------------------------------------------------


def test_the_monthly_limit_is_told_apart_and_the_quota_shows_on_the_inbox(
    web, person, line_api
):
    line_api.outcomes = [(429, MONTHLY_LIMIT)]
    line_api.quota, line_api.consumption = (
        {"type": "limited", "value": 200},
        {"totalUsage": 200},
    )

    body = send(web, person).content.decode()

    assert "This month&#x27;s LINE messages are used up" in body
    assert not LineMessage.objects.filter(direction="out").exists()
    inbox = web.get(reverse("line:inbox")).content.decode()
    assert "LINE messages this month: 200 of 200 used, 0 left." in inbox
    assert "Few messages are left" in inbox
    assert line_api.sent("/v2/bot/message/quota/consumption")


def test_the_quota_is_asked_of_line_once_then_cached(web, line_api):
    line_api.consumption = {"totalUsage": 12}
    first = web.get(reverse("line:inbox")).content.decode()
    web.get(reverse("line:inbox"))
    assert "12 of 200 used, 188 left." in first
    assert "Few messages are left" not in first
    assert len(line_api.sent("/v2/bot/message/quota")) == 1


def test_a_push_is_counted_in_the_cached_quota_without_asking_line_again(
    web, person, line_api
):
    """After a push the desk page shows one more message used, without
    waiting on LINE's quota endpoints (asked again when the cache expires)."""
    line_api.consumption = {"totalUsage": 12}
    web.get(reverse("line:inbox"))
    send(web, person)  # no reply token: a push
    assert LineMessage.objects.get(direction="out").sent_via == "push"
    page_text = web.get(reverse("line:inbox")).content.decode()
    assert "13 of 200 used, 187 left." in page_text
    assert len(line_api.sent("/v2/bot/message/quota")) == 1


def test_the_rate_limit_queues_the_reply_and_the_worker_retries_then_delivers(
    web, person, line_api, settings
):
    settings.LINE_RATE_LIMIT_BACKOFF_SECONDS = [0, 0, 0]
    line_api.outcomes = [(429, RATE_LIMIT), (429, RATE_LIMIT)]

    body = send(web, person).content.decode()

    stored = LineMessage.objects.get(direction="out")
    assert stored.status == Status.QUEUED
    assert "the reply is queued and will be sent" in body
    assert "Queued, will be sent" in page(web, person)
    assert line_api.delivered == []

    run_worker()

    stored.refresh_from_db()
    assert stored.status == Status.SENT
    pushes = line_api.sent("/v2/bot/message/push")
    assert len(pushes) == 3  # the request, a retry still limited, the delivery
    assert {p["headers"]["X-Line-Retry-Key"] for p in pushes} == {str(stored.retry_key)}
    assert line_api.delivered == [TEXT]


def test_a_rate_limit_that_lasts_ends_as_not_sent(web, person, line_api, settings):
    settings.LINE_RATE_LIMIT_BACKOFF_SECONDS = [0, 0]
    line_api.outcomes = [(429, RATE_LIMIT)] * 3
    send(web, person)
    run_worker()
    stored = LineMessage.objects.get(direction="out")
    assert stored.status == Status.FAILED and line_api.delivered == []
    assert len(line_api.sent("/v2/bot/message/push")) == 3


# REPLY TOKEN OR PUSH
# ------------------------------------------------------------------------------


def test_the_reply_token_is_used_while_valid_and_once_then_push(
    web, client, person, line_api
):
    webhook(client, message_event("01OUTBOUNDEVENT000000000001", "こんにちは", "9001"))

    send(web, person, text="はじめの返信")
    send(web, person, text="つぎの返信")

    replies = line_api.sent("/v2/bot/message/reply")
    assert len(replies) == 1
    assert replies[0]["json"]["replyToken"] == "reply-token-01OUTBOUNDEVENT000000000001"
    assert len(line_api.sent("/v2/bot/message/push")) == 1
    first, second = LineMessage.objects.filter(direction="out").order_by("id")
    assert (first.sent_via, second.sent_via) == ("reply", "push")
    assert first.is_delivered and second.is_delivered


def test_an_old_message_is_answered_by_push(web, client, person, line_api):
    old = timezone.now() - dt.timedelta(minutes=2)
    webhook(client, message_event("01OUTBOUNDEVENT000000000002", "前の", "9002", old))
    send(web, person)
    assert not line_api.sent("/v2/bot/message/reply")
    assert LineMessage.objects.get(direction="out").sent_via == "push"


def test_a_refused_reply_token_falls_back_to_push(web, client, person, line_api):
    webhook(client, message_event("01OUTBOUNDEVENT000000000003", "はい", "9003"))
    line_api.outcomes = [(400, {"message": "Invalid reply token"})]
    send(web, person)
    stored = LineMessage.objects.get(direction="out")
    assert (stored.status, stored.sent_via) == (Status.SENT, "push")
    assert line_api.delivered == [TEXT]


# FRIENDSHIP
# ------------------------------------------------------------------------------


def test_someone_not_a_friend_needs_a_confirmation_and_is_not_marked_delivered(
    web, person, line_api
):
    LineUser.objects.filter(pk=person.pk).update(is_following=False)

    body = send(web, person).content.decode()

    assert "This person is not a friend of the account" in body
    assert not line_api.requests and not LineMessage.objects.exists()

    body = send(web, person, not_friend_confirmed="on").content.decode()

    stored = LineMessage.objects.get(direction="out")
    assert stored.status == Status.SENT and stored.to_non_friend
    assert not stored.is_delivered
    assert "LINE accepted the reply but may not deliver it" in body
    assert "LINE accepted it but may not deliver it: not a friend" in body


def test_an_unknown_friendship_is_checked_before_sending(web, person, line_api):
    LineUser.objects.filter(pk=person.pk).update(is_following=None)
    person.refresh_from_db()
    line_api.profile = None  # LINE: 404, not a friend

    body = send(web, person).content.decode()

    assert [r["path"] for r in line_api.requests] == [f"/v2/bot/profile/{LINE_USER_ID}"]
    person.refresh_from_db()
    assert person.is_following is False
    assert "tick the box to send anyway" in body
    assert not LineMessage.objects.exists()


def test_follow_and_unfollow_events_set_the_friendship(client):
    def follow(kind, event_id, seconds):
        return {
            "type": kind,
            "mode": "active",
            "timestamp": millis(timezone.now() + dt.timedelta(seconds=seconds)),
            "source": {"type": "user", "userId": LINE_USER_ID},
            "webhookEventId": event_id,
            "deliveryContext": {"isRedelivery": False},
        }

    webhook(
        client, message_event("01OUTBOUNDEVENT000000000010", "はじめまして", "9010")
    )
    assert LineUser.objects.get().is_following is None  # no follow event came
    webhook(client, follow("follow", "01OUTBOUNDEVENT000000000011", 1))
    assert LineUser.objects.get().is_following is True
    webhook(client, follow("unfollow", "01OUTBOUNDEVENT000000000012", 2))
    assert LineUser.objects.get().is_following is False


def test_the_profile_of_someone_new_is_fetched_by_a_task(client, line_api):
    line_api.profile = {
        "displayName": "さくら",
        "userId": LINE_USER_ID,
        "pictureUrl": "https://profile.line-scdn.net/sakura",
    }
    webhook(client, message_event("01OUTBOUNDEVENT000000000020", "相談です", "9020"))
    assert not line_api.requests  # the webhook itself calls nobody

    run_worker()

    assert [r["path"] for r in line_api.requests] == [f"/v2/bot/profile/{LINE_USER_ID}"]
    person = LineUser.objects.get()
    assert person.display_name == "さくら"
    assert person.picture_url == "https://profile.line-scdn.net/sakura"
    assert person.is_following is True
    # Someone already known is not fetched again.
    webhook(client, message_event("01OUTBOUNDEVENT000000000021", "もう一度", "9021"))
    run_worker()
    assert len(line_api.requests) == 1


@override_settings(LINE_SEND_READ_RECEIPTS=True)
def test_read_receipts_are_sent_by_a_task_when_switched_on(web, client, line_api):
    webhook(client, message_event("01OUTBOUNDEVENT000000000030", "一通目", "9030"))
    webhook(client, message_event("01OUTBOUNDEVENT000000000031", "二通目", "9031"))
    run_worker()  # the profile
    person = LineUser.objects.get()

    page(web, person)
    run_worker()

    marks = line_api.sent("/v2/bot/chat/markAsRead")
    assert [m["json"] for m in marks] == [
        {"markAsReadToken": "read-token-01OUTBOUNDEVENT000000000031"}
    ]
    page(web, person)
    run_worker()
    assert len(line_api.sent("/v2/bot/chat/markAsRead")) == 1


def test_read_receipts_are_off_by_default(web, client, line_api):
    webhook(client, message_event("01OUTBOUNDEVENT000000000032", "一通目", "9032"))
    page(web, LineUser.objects.get())
    run_worker()
    assert not line_api.sent("/v2/bot/chat/markAsRead")


# WITHDRAWN MESSAGES
# ------------------------------------------------------------------------------


def end_chat(web, person, summary=None):
    """Claim the person's chat and end it as a consultation (the messages
    that arrived through the webhook are in it), with the summary the form
    proposes unless one is given."""
    chat = LineChat.objects.get(line_user=person, status="waiting")
    web.post(reverse("line:chat_claim", args=[chat.pk]))
    form = web.get(reverse("line:conversation", args=[person.pk])).context["end_form"]
    response = web.post(
        reverse("line:chat_end", args=[chat.pk]),
        {
            "outcome": "established",
            "main_complaint": "other",
            "summary": summary or form.initial["summary"],
        },
    )
    assert response.status_code == 302


def test_a_withdrawal_after_the_chat_was_recorded_hides_the_text_everywhere(
    web, client, line_api
):
    person = LineUserFactory(line_user_id=LINE_USER_ID, client=ClientFactory())
    first = message_event("01OUTBOUNDEVENT000000000040", SECRET_TEXT, "9040")
    webhook(client, first)
    webhook(client, message_event("01OUTBOUNDEVENT000000000041", "よろしく", "9041"))
    end_chat(web, person)
    consultation = Consultation.objects.get()
    assert SECRET_TEXT in consultation.summary

    webhook(client, unsend_event("01OUTBOUNDEVENT000000000042", "9040"))
    # LINE redelivers the message after its withdrawal.
    webhook(client, {**first, "deliveryContext": {"isRedelivery": True}})

    consultation.refresh_from_db()
    assert consultation.has_withdrawn_message
    assert SECRET_TEXT not in consultation.summary
    assert "よろしく" in consultation.summary
    withdrawn = LineMessage.objects.get(line_message_id="9040")
    assert withdrawn.unsent and withdrawn.text == ""
    pages = {
        "conversation": page(web, person),
        "inbox": web.get(reverse("line:inbox")).content.decode(),
        "timeline": web.get(person.client.get_absolute_url()).content.decode(),
        "consultations": web.get(
            reverse("consultations:consultation_list")
        ).content.decode(),
        "export": web.get(
            reverse("consultations:consultation_export", args=["csv"])
        ).content.decode("utf-8-sig"),
    }
    for name, body in pages.items():
        assert SECRET_TEXT not in body, name
    assert "Withdrawn by the sender" in pages["conversation"]
    assert "(contains a withdrawn message)" in pages["timeline"]
    assert "Contains a withdrawn message" in pages["consultations"]


def test_the_withdrawal_flag_clears_when_the_counsellor_checks_the_summary(
    web, client, line_api
):
    person = LineUserFactory(line_user_id=LINE_USER_ID, client=ClientFactory())
    webhook(client, message_event("01OUTBOUNDEVENT000000000050", SECRET_TEXT, "9050"))
    end_chat(
        web, person, summary="本人の言葉で: " + SECRET_TEXT.replace("消します", "消す")
    )
    webhook(client, unsend_event("01OUTBOUNDEVENT000000000051", "9050"))
    consultation = Consultation.objects.get()
    assert consultation.has_withdrawn_message
    url = reverse("consultations:consultation_update", args=[consultation.pk])
    edit = web.get(url)
    assert "withdrawn_checked" in edit.context["form"].fields
    data = {
        "channel": consultation.channel,
        "started_at": timezone.localtime(consultation.started_at).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "counsellor": consultation.counsellor_id,
        "client_code": person.client.code,
        "main_complaint": "other",
        "summary": "LINEで相談（取り消された部分は削除）",
        "version": consultation.version,
    }

    web.post(url, data)
    consultation.refresh_from_db()
    assert consultation.has_withdrawn_message  # saved, but not ticked

    web.post(url, {**data, "version": consultation.version, "withdrawn_checked": "on"})
    consultation.refresh_from_db()
    assert not consultation.has_withdrawn_message
    assert consultation.summary == "LINEで相談（取り消された部分は削除）"


def test_a_withdrawal_that_arrives_before_its_message_leaves_no_text(web, client):
    earlier = timezone.now() - dt.timedelta(seconds=30)
    webhook(client, unsend_event("01OUTBOUNDEVENT000000000061", "9060"))
    webhook(
        client,
        message_event("01OUTBOUNDEVENT000000000060", SECRET_TEXT, "9060", earlier),
    )
    webhook(  # and again, redelivered
        client,
        message_event("01OUTBOUNDEVENT000000000060", SECRET_TEXT, "9060", earlier),
    )

    assert not LineMessage.objects.exclude(text="").exists()
    row = LineMessage.objects.get(line_message_id="9060")
    assert (
        row.unsent
        and row.kind == "text"
        and row.sent_at
        == earlier.replace(microsecond=earlier.microsecond // 1000 * 1000)
    )
    person = LineUser.objects.get()
    assert SECRET_TEXT not in page(web, person)
    assert SECRET_TEXT not in web.get(reverse("line:inbox")).content.decode()


def test_replies_log_no_text_nor_line_user_id(web, person, line_api, caplog):
    caplog.set_level("DEBUG")
    line_api.outcomes = [(500, {"message": "Internal error"})]
    send(web, person)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "500" in logged and "Internal error" in logged
    assert TEXT not in logged and LINE_USER_ID not in logged
