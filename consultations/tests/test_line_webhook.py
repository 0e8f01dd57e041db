"""The LINE webhook, exercised through the real endpoint: raw bytes posted
with an X-Line-Signature header, then what was stored is checked."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import socket

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from consultations.models import LineMessage, LineUser

pytestmark = pytest.mark.django_db

URL = "/line/webhook/"
HANAKO = "U4af4980629a1b2c3d4e5f60718293a4b"
YUKI = "U9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def sign(body: bytes, secret: str | None = None) -> str:
    secret = settings.LINE_CHANNEL_SECRET if secret is None else secret
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def post(client, body: bytes, signature: str | None):
    headers = {} if signature is None else {"HTTP_X_LINE_SIGNATURE": signature}
    return client.post(URL, data=body, content_type="application/json", **headers)


def event(event_id, user_id, kind, timestamp=1625665242211, redelivery=False, **extra):
    """A webhook event shaped as the Messaging API reference shows it."""
    return {
        "type": kind,
        "mode": "active",
        "timestamp": timestamp,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": event_id,
        "deliveryContext": {"isRedelivery": redelivery},
        **extra,
    }


def text_event(event_id, user_id, text, message_id, **kw):
    return event(
        event_id,
        user_id,
        "message",
        replyToken="b60d432864f44d079f6d8efe86cf404b",
        message={
            "id": message_id,
            "type": "text",
            "quoteToken": "q3Plxr4AgKd...",
            "text": text,
        },
        **kw,
    )


def payload(*events) -> bytes:
    return json.dumps(
        {"destination": "Uxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "events": list(events)},
        ensure_ascii=False,
    ).encode()


def realistic_payload() -> bytes:
    return payload(
        event(
            "01H8X0A1FOLLOW0000000000AA",
            HANAKO,
            "follow",
            timestamp=1625665200000,
            replyToken="8cf9239d56244f4197887e939187e19e",
            follow={"isUnblocked": False},
        ),
        text_event(
            "01H8X0A1TEXT00000000000AB",
            HANAKO,
            "家賃が払えそうになくて相談したいです。",
            "468789577898262530",
            timestamp=1625665242211,
        ),
        event(
            "01H8X0A1IMAGE0000000000AC",
            HANAKO,
            "message",
            timestamp=1625665250000,
            replyToken="0f3779fba3b349968c5d07db31eab56f",
            message={
                "id": "468789577898262531",
                "type": "image",
                "quoteToken": "yHAz4Ua2wx7...",
                "contentProvider": {"type": "line"},
            },
        ),
        event("01H8X0A1UNFOLLOW000000000AD", YUKI, "unfollow", timestamp=1625665260000),
    )


def nothing_stored():
    return not LineUser.objects.exists() and not LineMessage.objects.exists()


def test_a_signed_payload_with_several_events_stores_each_of_them(client):
    body = realistic_payload()
    response = post(client, body, sign(body))
    assert response.status_code == 200
    hanako = LineUser.objects.get(line_user_id=HANAKO)
    stored = list(hanako.messages.order_by("sent_at"))
    assert [(m.kind, m.direction) for m in stored] == [
        ("follow", "in"),
        ("text", "in"),
        ("image", "in"),
    ]
    follow, text, image = stored
    assert text.text == "家賃が払えそうになくて相談したいです。"
    assert text.line_message_id == "468789577898262530"
    assert text.webhook_event_id == "01H8X0A1TEXT00000000000AB"
    assert text.sent_at == dt.datetime(2021, 7, 7, 13, 40, 42, 211000, tzinfo=dt.UTC)
    # An image is kept as a placeholder with its message id, not its content.
    assert image.text == ""
    assert image.line_message_id == "468789577898262531"
    assert image.display_text == "「画像」"
    assert follow.display_text == "「友だち追加」"
    assert hanako.is_following
    assert hanako.first_contact_at == follow.sent_at
    assert hanako.last_event_at == image.sent_at
    assert text.read_at is None and text.consultation is None
    # Someone who blocked the account is known as not following.
    yuki = LineUser.objects.get(line_user_id=YUKI)
    assert not yuki.is_following
    assert list(yuki.messages.values_list("kind", flat=True)) == ["unfollow"]


def test_a_wrong_signature_is_refused_and_nothing_is_stored(client):
    body = realistic_payload()
    response = post(client, body, sign(body, secret="someone-elses-secret"))
    assert response.status_code == 400
    assert nothing_stored()


def test_a_request_without_the_signature_header_is_refused(client):
    response = post(client, realistic_payload(), None)
    assert response.status_code == 400
    assert nothing_stored()


def test_an_empty_signature_header_is_refused(client):
    response = post(client, realistic_payload(), "")
    assert response.status_code == 400
    assert nothing_stored()


def test_a_body_changed_after_signing_is_refused(client):
    body = realistic_payload()
    signature = sign(body)
    tampered = body.replace("家賃".encode(), "食費".encode())
    assert tampered != body
    response = post(client, tampered, signature)
    assert response.status_code == 400
    assert nothing_stored()


@pytest.mark.parametrize(
    "body",
    [
        b'{"destination": "U1", "events": [',
        b"not json at all",
        b"",
        b'["events"]',
        b'{"destination": "U1"}',
        b'{"destination": "U1", "events": {"type": "message"}}',
        b'{"destination": "U1", "events": ["message"]}',
        "\u5bb6\u8cc3".encode("shift_jis"),
    ],
    ids=[
        "truncated",
        "not-json",
        "empty",
        "array",
        "no-events",
        "events-not-list",
        "event-not-object",
        "not-utf8",
    ],
)
def test_malformed_json_with_a_valid_signature_is_refused(client, body):
    response = post(client, body, sign(body))
    assert response.status_code == 400
    assert nothing_stored()


def test_a_redelivered_event_is_stored_once(client):
    first = payload(text_event("01H8X0A1REDELIVER0000000AA", HANAKO, "こんにちは", "1"))
    assert post(client, first, sign(first)).status_code == 200
    again = payload(
        text_event(
            "01H8X0A1REDELIVER0000000AA", HANAKO, "こんにちは", "1", redelivery=True
        ),
        text_event("01H8X0A1NEWONE00000000000B", HANAKO, "続きです", "2"),
    )
    response = post(client, again, sign(again))
    assert response.status_code == 200
    assert list(
        LineMessage.objects.order_by("id").values_list("webhook_event_id", "text")
    ) == [
        ("01H8X0A1REDELIVER0000000AA", "こんにちは"),
        ("01H8X0A1NEWONE00000000000B", "続きです"),
    ]
    assert LineUser.objects.count() == 1


def test_the_same_event_twice_in_one_payload_is_stored_once(client):
    twice = text_event("01H8X0A1TWICE000000000000A", HANAKO, "二重", "1")
    body = payload(twice, twice)
    assert post(client, body, sign(body)).status_code == 200
    assert LineMessage.objects.count() == 1


def test_the_database_refuses_a_second_row_for_one_event_id():
    from django.db import IntegrityError, transaction

    from consultations.tests.line_factories import LineMessageFactory

    LineMessageFactory(webhook_event_id="01H8X0A1SAME0000000000000A")
    with pytest.raises(IntegrityError), transaction.atomic():
        LineMessageFactory(webhook_event_id="01H8X0A1SAME0000000000000A")


def test_other_message_types_are_kept_as_placeholders_with_their_id(client):
    body = payload(
        event(
            "01H8X0A1STICKER000000000AA",
            HANAKO,
            "message",
            message={
                "id": "100",
                "type": "sticker",
                "packageId": "446",
                "stickerId": "1988",
            },
        ),
        event(
            "01H8X0A1FUTURE0000000000AB",
            HANAKO,
            "message",
            message={"id": "101", "type": "a-type-from-the-future"},
        ),
    )
    assert post(client, body, sign(body)).status_code == 200
    kinds = dict(LineMessage.objects.values_list("line_message_id", "kind"))
    assert kinds == {"100": "sticker", "101": "other"}
    other = LineMessage.objects.get(line_message_id="101")
    assert other.display_text == "「その他のメッセージ」"


def test_events_the_inbox_does_not_keep_are_ignored_but_answered(client):
    """Group chats, beacons and the like: 200, nothing stored. (Postbacks are
    kept: consultations/tests/test_line_desk.py.)"""
    group_message = text_event("01H8X0A1GROUP00000000000AA", HANAKO, "グループ", "1")
    group_message["source"] = {"type": "group", "groupId": "Ca56f9", "userId": HANAKO}
    body = payload(
        group_message,
        event(
            "01H8X0A1BEACON0000000000AB",
            HANAKO,
            "beacon",
            beacon={"hwid": "d41d8cd98f", "type": "enter"},
        ),
    )
    assert post(client, body, sign(body)).status_code == 200
    assert nothing_stored()


def test_the_verify_request_of_the_line_console_is_answered(client):
    """LINE's "Verify" button sends a signed payload without events."""
    body = payload()
    assert post(client, body, sign(body)).status_code == 200


def test_a_withdrawn_message_loses_its_text(client):
    first = payload(text_event("01H8X0A1UNSEND0000000000AA", HANAKO, "やっぱり", "77"))
    post(client, first, sign(first))
    unsend = payload(
        event(
            "01H8X0A1UNSEND0000000000AB", HANAKO, "unsend", unsend={"messageId": "77"}
        )
    )
    assert post(client, unsend, sign(unsend)).status_code == 200
    message = LineMessage.objects.get()
    assert message.unsent and message.text == ""
    assert message.display_text == "「送信取消されたメッセージ」"


def test_following_again_after_blocking_is_noticed(client):
    body = payload(
        event("01H8X0A1B1000000000000000A", HANAKO, "unfollow", timestamp=1000),
        event("01H8X0A1B2000000000000000B", HANAKO, "follow", timestamp=2000),
    )
    post(client, body, sign(body))
    assert LineUser.objects.get().is_following
    # An unfollow that LINE redelivers late does not undo the later follow.
    late = payload(
        event("01H8X0A1B0000000000000000C", HANAKO, "unfollow", timestamp=500)
    )
    post(client, late, sign(late))
    assert LineUser.objects.get().is_following


@override_settings(LINE_CHANNEL_SECRET="")
def test_without_a_channel_secret_every_request_is_refused(client):
    body = realistic_payload()
    assert post(client, body, sign(body, secret="")).status_code == 400
    assert nothing_stored()


def test_the_webhook_takes_only_post(client):
    assert client.get(URL).status_code == 405


def test_the_webhook_answers_without_any_outgoing_connection(client, monkeypatch):
    """No call to LINE (or anywhere) while LINE waits for the answer."""

    def refuse(*args, **kwargs):
        raise AssertionError("the webhook opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    body = realistic_payload()
    assert post(client, body, sign(body)).status_code == 200


def test_the_webhook_logs_no_message_text_or_user_id(client, caplog):
    caplog.set_level(logging.DEBUG)
    body = realistic_payload()
    post(client, body, sign(body))
    post(client, b"{broken", sign(b"{broken"))
    post(client, body, "bad")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "家賃" not in logged and HANAKO not in logged
    assert "refused" in logged


def test_the_webhook_runs_the_same_queries_for_3_or_30_messages(
    client, django_assert_num_queries
):
    def body(start, n):
        return payload(
            *(
                text_event(f"01H8X0A1BULK{start + i:014d}", HANAKO, f"m{i}", str(i))
                for i in range(n)
            )
        )

    small, large = body(0, 3), body(100, 30)
    post(client, small, sign(small))  # the person is known from here on
    # 10 to store (with the check for new people and for tombstones, and
    # the person's open chat), 1 to count the call, 1 for the organisation
    # the account belongs to
    with django_assert_num_queries(12) as few:
        post(client, body(200, 3), sign(body(200, 3)))
    with django_assert_num_queries(len(few.captured_queries)):
        post(client, large, sign(large))
    assert LineMessage.objects.count() == 36


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the in-memory SQLite test database locks whole tables across threads",
)
@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_event_at_the_same_time_store_it_once():
    """LINE may redeliver while the first delivery is still being handled."""
    import threading

    from django.test import Client

    body = payload(text_event("01H8X0A1RACE000000000000AA", HANAKO, "同時", "1"))
    signature = sign(body)
    statuses = []
    start = threading.Barrier(2)

    def deliver():
        try:
            start.wait()
            statuses.append(post(Client(), body, signature).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200, 200]
    assert LineMessage.objects.count() == 1
    assert LineUser.objects.count() == 1


# MALFORMED BUT SIGNED BODIES (issue 15, F7)
# ------------------------------------------------------------------------------

GOOD = text_event("01H8X0A1GOOD000000000000AA", HANAKO, "普通のメッセージ", "501")


def with_escape(body: bytes, marker: str, escape: str) -> bytes:
    """The body with ``marker`` replaced by a raw JSON escape such as
    ``\\ud800``, which json.dumps would not write."""
    assert marker.encode() in body
    return body.replace(marker.encode(), escape.encode())


def stored_texts():
    return dict(LineMessage.objects.values_list("webhook_event_id", "text"))


@pytest.mark.parametrize(
    ("escape", "cleaned"),
    [
        ("\\ud800", "前\ufffd後"),  # a lone high surrogate becomes U+FFFD
        ("\\udfff", "前\ufffd後"),  # a lone low surrogate too
        ("\\u0000", "前後"),  # PostgreSQL cannot store NUL: it is removed
    ],
    ids=["high-surrogate", "low-surrogate", "nul"],
)
def test_a_text_with_a_lone_surrogate_or_nul_is_stored_cleaned_with_the_rest(
    client, caplog, escape, cleaned
):
    caplog.set_level(logging.DEBUG)
    bad = text_event("01H8X0A1BAD0000000000000AB", HANAKO, "前MARK後", "502")
    body = with_escape(payload(bad, GOOD), "MARK", escape)
    response = post(client, body, sign(body))
    assert response.status_code == 200
    assert stored_texts() == {
        "01H8X0A1GOOD000000000000AA": "普通のメッセージ",
        "01H8X0A1BAD0000000000000AB": cleaned,
    }
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "01H8X0A1BAD0000000000000AB" in logged  # the event id, not its text
    assert "前" not in logged and HANAKO not in logged


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"], ids=["nul", "surrogate"])
@pytest.mark.parametrize("field", ["userId", "webhookEventId", "messageId"])
def test_an_id_with_nul_or_a_lone_surrogate_skips_only_that_event(
    client, escape, field
):
    bad = text_event("01H8X0A1BADID00000000000AB", HANAKO, "壊れたID", "503")
    if field == "userId":
        bad["source"]["userId"] = "UMARK"
    elif field == "webhookEventId":
        bad["webhookEventId"] = "01H8X0A1MARK"
    else:
        bad["message"]["id"] = "5MARK03"
    body = with_escape(payload(bad, GOOD), "MARK", escape)
    response = post(client, body, sign(body))
    assert response.status_code == 200
    texts = stored_texts()
    assert texts["01H8X0A1GOOD000000000000AA"] == "普通のメッセージ"
    if field == "messageId":
        # The message itself is still kept, without the unusable id.
        assert LineMessage.objects.get(text="壊れたID").line_message_id == ""
    else:
        assert list(texts) == ["01H8X0A1GOOD000000000000AA"]


@pytest.mark.parametrize("where", ["outside", "inside-an-event"])
def test_deeply_nested_json_is_refused_with_a_400(client, where):
    depth = 100_000
    nested = b"[" * depth + b"]" * depth
    if where == "outside":
        body = nested
    else:
        body = with_escape(
            payload(GOOD, {"type": "x", "deep": "MARK"}), '"MARK"', nested.decode()
        )
    response = post(client, body, sign(body))
    assert response.status_code == 400
    assert nothing_stored()


def test_a_database_error_on_one_event_keeps_the_others(client, monkeypatch, caplog):
    """Whatever else the database refuses in one event, the other events of
    the delivery are stored, and the refused one is logged by type and id."""
    from django.db import DataError, transaction

    from consultations.line import services

    real = services.line_events_store

    @transaction.atomic  # as the real service is
    def refuse_one(*, events, channel):
        events = list(events)
        if any(e.webhook_event_id == "01H8X0A1REFUSED0000000000AB" for e in events):
            now = dt.datetime.now(tz=dt.UTC)
            LineUser.objects.create(  # a write that must be rolled back too
                line_user_id="Uhalfwritten", first_contact_at=now, last_event_at=now
            )
            raise DataError("refused by the database")
        return real(events=events, channel=channel)

    monkeypatch.setattr(services, "line_events_store", refuse_one)
    caplog.set_level(logging.DEBUG)
    refused = text_event("01H8X0A1REFUSED0000000000AB", YUKI, "拒否される", "504")
    body = payload(GOOD, refused)
    response = post(client, body, sign(body))
    assert response.status_code == 200
    assert stored_texts() == {"01H8X0A1GOOD000000000000AA": "普通のメッセージ"}
    assert not LineUser.objects.filter(line_user_id="Uhalfwritten").exists()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused a text event 01H8X0A1REFUSED0000000000AB" in logged
    assert "拒否" not in logged and YUKI not in logged


def test_a_database_outage_still_answers_an_error_so_that_line_redelivers(
    client, monkeypatch
):
    """An outage is not a bad event: the delivery is answered with the app's
    503 (LINE redelivers any answer that is not 2xx) and nothing is stored."""
    from django.db import OperationalError

    from consultations.line import services

    def outage(*, events, channel):
        raise OperationalError("the database is down")

    monkeypatch.setattr(services, "line_events_store", outage)
    body = payload(GOOD)
    response = post(client, body, sign(body))
    assert response.status_code == 503
    assert response["Retry-After"]
    assert stored_texts() == {}
