"""Replies go out through the Messaging API. A local HTTP server stands in
for LINE (LINE_API_BASE_URL points at it), so the real line-bot-sdk client
builds and sends the request; nothing in the SDK is mocked."""

import logging
import uuid

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.models import AuditEntry
from consultations.models import LineMessage
from consultations.tests.line_factories import (
    LineMessageFactory,
    LineUserFactory,
    newest_id,
)
from tests.factories import ClientFactory

from .line_stub import StubLineApi

pytestmark = pytest.mark.django_db

TEXT = "明日10時に市役所の前でお待ちしています。"
LINE_USER_ID = "U1234567890abcdef1234567890abcdef"


@pytest.fixture
def line_api():
    with StubLineApi() as stub, override_settings(LINE_API_BASE_URL=stub.url):
        yield stub


@pytest.fixture
def person():
    return LineUserFactory(
        line_user_id=LINE_USER_ID,
        display_name="はなこ",
        client=ClientFactory(),
        is_following=True,
    )


def send(c, person, text=TEXT, retry_key=None):
    return c.post(
        reverse("line:reply", args=[person.pk]),
        {
            "text": text,
            "retry_key": str(retry_key or uuid.uuid4()),
            "seen_message_id": newest_id(person),
        },
        follow=True,
    )


def test_a_reply_is_pushed_to_the_messaging_api_and_stored(
    client_as, counsellor, person, line_api
):
    key = uuid.uuid4()
    response = send(client_as(counsellor), person, retry_key=key)

    assert len(line_api.requests) == 1
    request = line_api.requests[0]
    assert request["method"] == "POST"
    assert request["path"] == "/v2/bot/message/push"
    assert request["headers"]["Authorization"] == "Bearer test-access-token"
    assert request["headers"]["X-Line-Retry-Key"] == str(key)
    assert request["json"] == {
        "to": LINE_USER_ID,
        "messages": [{"type": "text", "text": TEXT}],
        "notificationDisabled": False,
    }
    stored = LineMessage.objects.get()
    assert (stored.direction, stored.kind, stored.text) == ("out", "text", TEXT)
    assert stored.sent_by == counsellor and stored.retry_key == key
    assert "返信を送信しました" in response.content.decode()
    assert TEXT in response.content.decode()  # in the conversation now
    assert AuditEntry.objects.filter(
        action="create",
        object_type="consultations.linemessage",
        client_code=person.client.code,
    ).exists()


def test_a_refused_reply_is_shown_kept_in_the_form_and_logged_without_its_text(
    client_as, counsellor, person, line_api, caplog
):
    """A 4xx other than 409 and 429 is a plain refusal: nothing went out."""
    line_api.status = 400
    caplog.set_level(logging.DEBUG)

    response = send(client_as(counsellor), person)

    assert len(line_api.requests) == 1
    page = response.content.decode()
    assert "LINEが返信を受け付けませんでした（エラー 400）" in page
    assert TEXT in page  # still in the form, to send again
    assert not LineMessage.objects.exists()
    logged = [r for r in caplog.records if r.name.startswith("consultations")]
    assert any("failed" in r.getMessage() and "400" in r.getMessage() for r in logged)
    assert any("stub error" in r.getMessage() for r in logged)  # LINE's message
    everything = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records
    )
    assert TEXT not in everything
    assert LINE_USER_ID not in everything


def test_a_form_sent_twice_pushes_and_stores_the_reply_once(
    client_as, counsellor, person, line_api
):
    c = client_as(counsellor)
    key = uuid.uuid4()
    send(c, person, retry_key=key)
    send(c, person, retry_key=key)
    assert len(line_api.requests) == 1
    assert LineMessage.objects.count() == 1


def test_a_409_for_a_retry_key_counts_as_sent(client_as, counsellor, person, line_api):
    """LINE answers 409 when it already accepted a request with this key."""
    line_api.status = 409
    response = send(client_as(counsellor), person)
    assert LineMessage.objects.filter(direction="out").count() == 1
    assert "返信を送信しました" in response.content.decode()


def test_an_unreachable_messaging_api_is_reported(client_as, counsellor, person):
    with StubLineApi() as stub:
        url = stub.url  # a port that is free again once the stub stops
    with override_settings(LINE_API_BASE_URL=url):
        response = send(client_as(counsellor), person)
    assert "LINEに接続できませんでした" in response.content.decode()
    assert not LineMessage.objects.exists()


@override_settings(LINE_CHANNEL_ACCESS_TOKEN="")
def test_without_an_access_token_nothing_is_sent(client_as, counsellor, person):
    response = send(client_as(counsellor), person)
    assert "LINEが設定されていません" in response.content.decode()
    assert not LineMessage.objects.exists()


def test_an_empty_reply_is_refused(client_as, counsellor, person, line_api):
    response = send(client_as(counsellor), person, text="  ")
    assert "このフィールドは必須です" in response.content.decode()
    assert not line_api.requests


def test_the_display_name_is_fetched_from_the_profile_endpoint(
    client_as, counsellor, line_api
):
    person = LineUserFactory(line_user_id=LINE_USER_ID, display_name="")
    LineMessageFactory(line_user=person)
    line_api.profile = {
        "displayName": "はなこ",
        "userId": LINE_USER_ID,
        "language": "ja",
        "pictureUrl": "https://profile.line-scdn.net/x",
        "statusMessage": "",
    }
    response = client_as(counsellor).post(
        reverse("line:refresh_profile", args=[person.pk]), follow=True
    )
    assert line_api.requests[0]["path"] == f"/v2/bot/profile/{LINE_USER_ID}"
    assert (
        line_api.requests[0]["headers"]["Authorization"] == "Bearer test-access-token"
    )
    person.refresh_from_db()
    assert person.display_name == "はなこ"
    assert person.picture_url == "https://profile.line-scdn.net/x"
    assert person.is_following is True  # LINE has a profile only for friends
    assert "LINEの表示名を更新しました" in response.content.decode()


def test_a_failed_profile_fetch_is_reported(client_as, counsellor, line_api):
    line_api.status = 500
    person = LineUserFactory(display_name="")
    response = client_as(counsellor).post(
        reverse("line:refresh_profile", args=[person.pk]), follow=True
    )
    assert "LINEのプロフィールを取得できませんでした" in response.content.decode()
    person.refresh_from_db()
    assert person.is_following is None  # still unknown


def test_storing_one_retry_key_twice_keeps_the_first_message(counsellor, person):
    """Two submissions racing past the first check meet the unique key."""
    from consultations.line.services import line_reply_store

    key = uuid.uuid4()
    first = line_reply_store(line_user=person, by=counsellor, text=TEXT, retry_key=key)
    again = line_reply_store(line_user=person, by=counsellor, text=TEXT, retry_key=key)
    assert again.pk == first.pk
    assert LineMessage.objects.count() == 1
