"""The stand-in Messaging API answers with LINE's paths, JSON shapes, headers
and refusals: through Django's test client for the details, and through
line-bot-sdk against the live server for what the app's own calls read."""

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone

from devtools import simulator
from devtools.models import SimulatedDelivery, SimulatedEvent, SimulatedPerson

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
API = "/dev/line-api"
TOKEN = "test-access-token"  # config.settings.test
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe"
    b"\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def person():
    return SimulatedPerson.objects.create(display_name="さくら", is_following=True)


def push_body(to, *texts):
    return {"to": to, "messages": [{"type": "text", "text": t} for t in texts]}


def push(client, body, retry_key=None, **headers):
    if retry_key:
        headers["HTTP_X_LINE_RETRY_KEY"] = str(retry_key)
    return client.post(
        f"{API}/v2/bot/message/push",
        body,
        content_type="application/json",
        **{**AUTH, **headers},
    )


def event_of(person, **fields):
    defaults = {
        "kind": SimulatedEvent.Kind.TEXT,
        "webhook_event_id": simulator.new_webhook_event_id(),
        "message_id": simulator.new_message_id(),
        "reply_token": simulator.new_reply_token(),
        "text": "こんにちは",
    }
    return SimulatedEvent.objects.create(person=person, **{**defaults, **fields})


# Push ----------------------------------------------------------------------


def test_a_push_is_accepted_with_lines_answer_and_kept(client, person):
    response = push(client, push_body(person.line_user_id, "明日10時にお電話します"))

    assert response.status_code == 200
    sent = response.json()["sentMessages"]
    assert len(sent) == 1 and sent[0]["id"].isdigit() and sent[0]["quoteToken"]
    delivery = SimulatedDelivery.objects.get()
    assert response["x-line-request-id"] == delivery.request_id
    assert (delivery.endpoint, delivery.to, delivery.delivered) == (
        "push",
        person.line_user_id,
        True,
    )
    assert delivery.messages == [{"type": "text", "text": "明日10時にお電話します"}]


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", TOKEN]
)
def test_a_request_without_the_channel_token_gets_401(client, person, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    for response in (
        client.post(
            f"{API}/v2/bot/message/push",
            push_body(person.line_user_id, "x"),
            content_type="application/json",
            **headers,
        ),
        client.get(f"{API}/v2/bot/profile/{person.line_user_id}", **headers),
        client.get(f"{API}/v2/bot/message/quota", **headers),
    ):
        assert response.status_code == 401
        assert response.json()["message"].startswith("Authentication failed")
    assert not SimulatedDelivery.objects.exists()


def test_a_repeated_retry_key_gets_409_naming_the_accepted_request(client, person):
    key = uuid.uuid4()
    first = push(client, push_body(person.line_user_id, "一度だけ"), retry_key=key)
    again = push(client, push_body(person.line_user_id, "一度だけ"), retry_key=key)

    assert first.status_code == 200
    assert again.status_code == 409
    assert again.json()["message"] == "The retry key is already accepted"
    assert again.json()["sentMessages"] == first.json()["sentMessages"]
    assert again["x-line-accepted-request-id"] == first["x-line-request-id"]
    assert again["x-line-request-id"] != first["x-line-request-id"]
    assert SimulatedDelivery.objects.count() == 1


def test_a_retry_key_that_is_not_a_uuid_is_refused(client, person):
    response = push(client, push_body(person.line_user_id, "x"), retry_key="abc")
    assert response.status_code == 400
    assert "X-Line-Retry-Key" in response.json()["message"]


@pytest.mark.parametrize(
    ("messages", "prop"),
    [
        ([], "messages"),
        ([{"type": "text", "text": "x"}] * 6, "messages"),
        ([{"type": "text", "text": ""}], "messages[0].text"),
        ([{"type": "text", "text": "あ" * 5001}], "messages[0].text"),
        ([{"type": "text", "text": "ok"}, {"type": "nonsense"}], "messages[1].type"),
    ],
)
def test_a_body_line_would_refuse_gets_400_with_details(client, person, messages, prop):
    response = push(client, {"to": person.line_user_id, "messages": messages})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "The request body has 1 error(s)"
    assert [d["property"] for d in body["details"]] == [prop]
    assert not SimulatedDelivery.objects.exists()


def test_text_of_exactly_5000_characters_is_accepted(client, person):
    response = push(client, push_body(person.line_user_id, "あ" * 5000))
    assert response.status_code == 200


def test_a_push_to_a_malformed_user_id_is_refused(client):
    response = push(client, push_body("someone", "x"))
    assert response.status_code == 400
    assert "'to'" in response.json()["message"]


def test_a_push_to_someone_who_blocked_the_account_answers_200_but_is_not_delivered(
    client, person
):
    person.is_following = False
    person.save()
    response = push(client, push_body(person.line_user_id, "届かない"))
    assert response.status_code == 200
    assert SimulatedDelivery.objects.get().delivered is False


def test_past_the_monthly_quota_a_push_gets_429_and_replies_still_go(
    client, person, settings
):
    settings.LINE_SIMULATOR_MONTHLY_QUOTA = 2
    assert push(client, push_body(person.line_user_id, "1", "2")).status_code == 200
    refused = push(client, push_body(person.line_user_id, "3"))
    assert refused.status_code == 429
    assert refused.json() == {"message": "You have reached your monthly limit."}

    event = event_of(person)
    replied = client.post(
        f"{API}/v2/bot/message/reply",
        {"replyToken": event.reply_token, "messages": [{"type": "text", "text": "3"}]},
        content_type="application/json",
        **AUTH,
    )
    assert replied.status_code == 200


# Reply ---------------------------------------------------------------------


def reply(client, token, text="お返事です"):
    return client.post(
        f"{API}/v2/bot/message/reply",
        {"replyToken": token, "messages": [{"type": "text", "text": text}]},
        content_type="application/json",
        **AUTH,
    )


def test_a_reply_token_is_used_once_for_the_person_who_wrote(client, person):
    event = event_of(person)

    first = reply(client, event.reply_token)
    assert first.status_code == 200
    assert len(first.json()["sentMessages"]) == 1
    delivery = SimulatedDelivery.objects.get()
    assert (delivery.endpoint, delivery.to) == ("reply", person.line_user_id)

    again = reply(client, event.reply_token)
    assert again.status_code == 400
    assert again.json() == {"message": "Invalid reply token"}
    assert SimulatedDelivery.objects.count() == 1


def test_an_unknown_or_expired_reply_token_is_refused(client, person):
    old = event_of(person, sent_at=timezone.now() - dt.timedelta(minutes=2))
    for token in ("0" * 32, old.reply_token):
        response = reply(client, token)
        assert response.status_code == 400
        assert response.json() == {"message": "Invalid reply token"}
    assert not SimulatedDelivery.objects.exists()


# Profile, quota, content ---------------------------------------------------


def test_the_profile_of_a_friend_and_404_for_anyone_else(client, person):
    response = client.get(f"{API}/v2/bot/profile/{person.line_user_id}", **AUTH)
    assert response.status_code == 200
    assert response.json() == {
        "userId": person.line_user_id,
        "displayName": "さくら",
        "language": "ja",
    }
    person.is_following = False
    person.save()
    for user_id in (person.line_user_id, "U" + "f" * 32):
        response = client.get(f"{API}/v2/bot/profile/{user_id}", **AUTH)
        assert response.status_code == 404
        assert response.json() == {"message": "Not found"}


def test_the_quota_and_its_consumption_count_pushes_only(client, person):
    push(client, push_body(person.line_user_id, "1", "2"))
    reply(client, event_of(person).reply_token)

    quota = client.get(f"{API}/v2/bot/message/quota", **AUTH)
    used = client.get(f"{API}/v2/bot/message/quota/consumption", **AUTH)
    assert quota.json() == {"type": "limited", "value": 200}
    assert used.json() == {"totalUsage": 2}


def test_the_content_endpoint_serves_what_the_person_sent(client, person):
    photo = event_of(
        person, kind="image", text="", content=PNG, content_type="image/png"
    )
    response = client.get(f"{API}/v2/bot/message/{photo.message_id}/content", **AUTH)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content == PNG

    text = event_of(person)
    for message_id in (text.message_id, "123"):
        missing = client.get(f"{API}/v2/bot/message/{message_id}/content", **AUTH)
        assert missing.status_code == 404
        assert missing.json() == {"message": "Not found"}


# Through line-bot-sdk, as the app calls LINE ------------------------------


@pytest.fixture
def stand_in(live_server, settings):
    url = f"{live_server.url}{API}"
    settings.LINE_API_BASE_URL = url
    settings.LINE_DATA_API_BASE_URL = url
    return url


@pytest.mark.django_db(transaction=True)
def test_line_bot_sdk_reads_every_answer_of_the_stand_in(stand_in):
    from linebot.v3 import messaging as sdk

    from consultations.line import messaging

    person = SimulatedPerson.objects.create(display_name="みどり", is_following=True)
    photo = event_of(
        person, kind="image", text="", content=PNG, content_type="image/png"
    )
    written = event_of(person)

    # The app's own wrapper: push with a retry key, then the profile.
    key = str(uuid.uuid4())
    messaging.push_text(to=person.line_user_id, text="こんにちは", retry_key=key)
    messaging.push_text(to=person.line_user_id, text="こんにちは", retry_key=key)
    assert SimulatedDelivery.objects.filter(endpoint="push").count() == 1  # 409: sent
    assert messaging.display_name(line_user_id=person.line_user_id) == "みどり"

    configuration = sdk.Configuration(host=stand_in, access_token=TOKEN)
    with sdk.ApiClient(configuration) as api_client:
        api = sdk.MessagingApi(api_client)
        answer = api.reply_message(
            sdk.ReplyMessageRequest(
                reply_token=written.reply_token,
                messages=[sdk.TextMessage(text="お返事")],
            )
        )
        assert answer.sent_messages[0].id.isdigit()
        quota = api.get_message_quota()
        assert (quota.type, quota.value) == ("limited", 200)
        assert api.get_message_quota_consumption().total_usage == 1
        blob = sdk.MessagingApiBlob(api_client)
        assert bytes(blob.get_message_content(photo.message_id)) == PNG

    bad = sdk.Configuration(host=stand_in, access_token="not-the-token")
    with sdk.ApiClient(bad) as api_client, pytest.raises(sdk.ApiException) as exc:
        sdk.MessagingApi(api_client).get_message_quota()
    assert exc.value.status == 401


# Only where the simulator is on ---------------------------------------------


@override_settings(LINE_SIMULATOR=False)
def test_switched_off_at_run_time_every_url_answers_404(client_as, counsellor, person):
    web = client_as(counsellor)
    assert web.get("/dev/line-simulator/").status_code == 404
    assert web.get(f"/dev/line-simulator/{person.pk}/").status_code == 404
    assert push(web, push_body(person.line_user_id, "x")).status_code == 404
    assert web.get(f"{API}/v2/bot/message/quota", **AUTH).status_code == 404


def test_with_the_setting_off_the_urls_and_the_app_are_not_there():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env["LINE_SIMULATOR"] = "false"
    code = (
        "import django; django.setup()\n"
        "from django.apps import apps\n"
        "from django.urls import Resolver404, resolve\n"
        "assert not apps.is_installed('devtools')\n"
        "for path in ('/dev/line-simulator/', '/dev/line-api/v2/bot/message/push',"
        " '/dev/line-api/v2/bot/message/quota'):\n"
        "    try:\n"
        "        resolve(path)\n"
        "    except Resolver404:\n"
        "        continue\n"
        "    raise SystemExit('resolves: ' + path)\n"
        "resolve('/line/webhook')\n"
        "print('absent')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "absent"


def test_production_refuses_to_start_with_the_simulator_on():
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL"}
    }
    base = {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "ALLOWED_HOSTS": "ibasho.example.jp",
        "LINE_CHANNEL_SECRET": "s",
        "LINE_CHANNEL_ACCESS_TOKEN": "t",
        "LINE_SECRETS_KEYS": "gXzvNVAjvpYVV_PVgN4nNnVSZ21wOg8IFTJ2FhxVtqI=",
        "SECRET_KEY": "x" * 50,
    }
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.LINE_SIMULATOR, 'devtools' in settings.INSTALLED_APPS)"
    )

    def run(**env):
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**base, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )

    refused = run(LINE_SIMULATOR="true")
    assert refused.returncode != 0
    assert "LINE_SIMULATOR is a development tool" in refused.stderr
    started = run()
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "False False"
