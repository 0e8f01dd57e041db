"""The LINE simulator writes as a client: each action becomes a webhook body
of LINE's shape, signed with the channel secret and posted over HTTP to the
app's real webhook (pytest-django's live server), which stores it. The
person's phone shows the replies the stand-in Messaging API received."""

import json
import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.roles import Role, sync_role_permissions
from consultations.models import LineMessage, LineUser
from devtools import simulator
from devtools.models import SimulatedEvent, SimulatedPerson

from .test_line_api import AUTH, PNG, event_of, push, push_body

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def web(client, live_server, settings):
    """A counsellor's browser session on the simulator, whose webhook posts
    go to the live server, as LINE's would."""
    sync_role_permissions()  # the role groups, gone after an earlier flush
    from tests.factories import UserFactory

    settings.LINE_SIMULATOR_WEBHOOK_URL = f"{live_server.url}/line/webhook"
    client.force_login(UserFactory(username="sim-counsellor", roles=(Role.COUNSELLOR,)))
    return client


def new_person(web, name="あおい", follow=True):
    data = {"display_name": name}
    if follow:
        data["follow"] = "on"
    response = web.post(reverse("line_simulator:create_person"), data)
    person = SimulatedPerson.objects.get(display_name=name)
    assert response.status_code == 302
    assert response["Location"] == reverse("line_simulator:phone", args=[person.pk])
    return person


def send(web, person, **data):
    return web.post(reverse("line_simulator:send", args=[person.pk]), data, follow=True)


def test_a_new_person_follows_and_her_text_is_stored_by_the_real_webhook(web):
    person = new_person(web)
    line_user = LineUser.objects.get(line_user_id=person.line_user_id)
    assert list(line_user.messages.values_list("kind", flat=True)) == ["follow"]

    response = send(web, person, text="はじめまして。相談したいことがあります。")
    assert response.status_code == 200

    sent = SimulatedEvent.objects.get(person=person, kind="text")
    assert sent.webhook_status == 200
    stored = line_user.messages.get(kind="text")
    assert stored.direction == "in"
    assert stored.text == "はじめまして。相談したいことがあります。"
    assert stored.line_message_id == sent.message_id
    assert stored.webhook_event_id == sent.webhook_event_id
    assert "はじめまして。相談したいことがあります。" in response.content.decode()


def test_the_body_is_lines_shape_and_its_signature_is_valid(web):
    from linebot.v3.webhook import SignatureValidator

    person = SimulatedPerson.objects.create(display_name="ゆい", is_following=True)
    event = event_of(person, text="テスト")
    body = simulator.webhook_body(event)
    assert SignatureValidator("test-channel-secret").validate(
        body.decode(), simulator.signature(body)
    )
    payload = json.loads(body)
    assert set(payload) == {"destination", "events"}
    (raw,) = payload["events"]
    assert raw["type"] == "message" and raw["mode"] == "active"
    assert raw["source"] == {"type": "user", "userId": person.line_user_id}
    assert raw["deliveryContext"] == {"isRedelivery": False}
    assert raw["replyToken"] == event.reply_token
    assert len(raw["webhookEventId"]) == 26
    assert raw["message"]["id"] == event.message_id
    assert raw["message"]["text"] == "テスト" and raw["message"]["quoteToken"]


def test_a_photo_is_stored_by_the_webhook_and_served_by_the_content_endpoint(web):
    person = new_person(web)
    photo = SimpleUploadedFile("letter.png", PNG, content_type="image/png")
    assert send(web, person, attachment=photo).status_code == 200

    sent = SimulatedEvent.objects.get(person=person, kind="image")
    stored = LineMessage.objects.get(kind="image")
    assert stored.line_user.line_user_id == person.line_user_id
    assert stored.line_message_id == sent.message_id
    assert sent.webhook_status == 200

    body = json.loads(simulator.webhook_body(sent))["events"][0]["message"]
    assert body["contentProvider"] == {"type": "line"}

    content = web.get(
        f"/dev/line-api/v2/bot/message/{stored.line_message_id}/content", **AUTH
    )
    assert content.status_code == 200
    assert content.content == PNG
    assert content["Content-Type"] == "image/png"


def test_a_photo_from_the_simulator_shows_in_the_conversation_after_the_worker(
    web, live_server, settings, tmp_path
):
    """Issue 16's demo path end to end: the simulator's photo reaches the
    webhook, the real worker downloads it from the stand-in's content
    endpoint, and the counsellor's conversation shows its thumbnail."""
    from reports.tests.test_import_jobs import run_worker

    settings.LINE_DATA_API_BASE_URL = f"{live_server.url}/dev/line-api"
    settings.LINE_MEDIA_ROOT = str(tmp_path / "line-media")
    import io

    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGBA", (800, 600), (200, 120, 140, 255)).save(picture, "PNG")
    person = new_person(web)
    photo = SimpleUploadedFile(
        "letter.png", picture.getvalue(), content_type="image/png"
    )
    assert send(web, person, attachment=photo).status_code == 200
    run_worker()

    stored = LineMessage.objects.get(kind="image")
    assert stored.media.status == "downloaded"
    page = web.get(reverse("line:conversation", args=[stored.line_user_id]))
    thumbnail = reverse("line:media_thumbnail", args=[stored.line_user_id, stored.pk])
    assert thumbnail in page.content.decode()
    answer = web.get(thumbnail)
    assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"


def test_a_file_keeps_its_name_and_size_in_the_body(web):
    person = new_person(web)
    upload = SimpleUploadedFile(
        "診断書.pdf", b"%PDF-1.4 demo", content_type="application/pdf"
    )
    send(web, person, attachment=upload)
    sent = SimulatedEvent.objects.get(person=person, kind="file")
    message = json.loads(simulator.webhook_body(sent))["events"][0]["message"]
    assert message == {
        "id": sent.message_id,
        "type": "file",
        "fileName": "診断書.pdf",
        "fileSize": len(b"%PDF-1.4 demo"),
    }
    assert LineMessage.objects.filter(kind="file").count() == 1


def test_unsend_block_and_follow_again_reach_the_webhook(web):
    person = new_person(web)
    send(web, person, text="やっぱり取り消します")
    web.post(reverse("line_simulator:unsend", args=[person.pk]))
    message = LineMessage.objects.get(kind="text")
    assert message.unsent is True
    assert SimulatedEvent.objects.get(kind="text").unsent is True

    web.post(reverse("line_simulator:unfollow", args=[person.pk]))
    line_user = LineUser.objects.get(line_user_id=person.line_user_id)
    assert line_user.is_following is False

    web.post(reverse("line_simulator:follow", args=[person.pk]))
    line_user.refresh_from_db()
    assert line_user.is_following is True
    refollow = SimulatedEvent.objects.filter(kind="follow").latest("sent_at")
    assert json.loads(simulator.webhook_body(refollow))["events"][0]["follow"] == {
        "isUnblocked": True
    }

    nothing_left = web.post(
        reverse("line_simulator:unsend", args=[person.pk]), follow=True
    )
    assert 'class="message error"' in nothing_left.content.decode()
    assert SimulatedEvent.objects.filter(kind="unsend").count() == 1


def test_the_phone_shows_the_replies_for_her_and_is_audited(web):
    person = new_person(web)
    other = SimulatedPerson.objects.create(display_name="別の人", is_following=True)
    push(web, push_body(person.line_user_id, "ご連絡ありがとうございます"))
    push(web, push_body(other.line_user_id, "別の人への返信"))

    page = web.get(reverse("line_simulator:phone", args=[person.pk]))
    feed = web.get(reverse("line_simulator:feed", args=[person.pk]))
    for response in (page, feed):
        assert response.status_code == 200
        assert "ご連絡ありがとうございます" in response.content.decode()
        assert "別の人への返信" not in response.content.decode()
    assert AuditEntry.objects.filter(
        action="view", object_type="devtools.simulatedperson", object_id=str(person.pk)
    ).exists()


def test_a_webhook_that_cannot_be_reached_is_said_plainly(web, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.LINE_SIMULATOR_WEBHOOK_URL = f"http://127.0.0.1:{port}/line/webhook"
    person = SimulatedPerson.objects.create(display_name="ひな", is_following=True)
    response = send(web, person, text="届くかな")
    assert SimulatedEvent.objects.get(kind="text").webhook_status == 0
    assert response.status_code == 200
    assert not LineMessage.objects.exists()
    assert 'class="message error"' in response.content.decode()


def test_an_empty_message_is_refused_with_a_message(web):
    person = SimulatedPerson.objects.create(display_name="なな", is_following=True)
    response = send(web, person, text="   ")
    assert response.status_code == 400
    assert not SimulatedEvent.objects.exists()
