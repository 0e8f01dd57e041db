"""Quick replies in the demo: the stand-in Messaging API accepts a reply
whose message carries quick reply buttons with postback actions (as the
greeting's consent button), refuses one LINE would refuse, and the
simulator's phone shows the buttons; tapping one posts a signed postback
event to the app's real webhook, which records the consent."""

import pytest
from django.urls import reverse

from consultations.line.models import CONSENT_POSTBACK_DATA
from consultations.models import LineMessage, LineUser
from devtools.models import SimulatedDelivery, SimulatedEvent

from .test_line_api import AUTH, event_of
from .test_simulator import new_person, web  # noqa: F401 (fixture)

API = "/dev/line-api"
BUTTON = {
    "type": "action",
    "action": {
        "type": "postback",
        "label": "同意して相談する",
        "data": CONSENT_POSTBACK_DATA,
        "displayText": "同意して相談する",
    },
}


def reply_with(client, token, quick_reply):
    message = {"type": "text", "text": "個人情報の取り扱い…", "quickReply": quick_reply}
    return client.post(
        f"{API}/v2/bot/message/reply",
        {"replyToken": token, "messages": [message]},
        content_type="application/json",
        **AUTH,
    )


@pytest.mark.django_db
def test_the_stand_in_accepts_a_reply_with_a_postback_quick_reply(client):
    from devtools.models import SimulatedPerson

    person = SimulatedPerson.objects.create(display_name="さくら", is_following=True)
    event = event_of(person)
    response = reply_with(client, event.reply_token, {"items": [BUTTON]})
    assert response.status_code == 200
    [message] = SimulatedDelivery.objects.get().messages
    assert message["quickReply"]["items"][0]["action"]["data"] == CONSENT_POSTBACK_DATA


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quick_reply", "prop"),
    [
        ({"items": []}, "messages[0].quickReply.items"),
        (
            {"items": [{**BUTTON, "action": {**BUTTON["action"], "label": "あ" * 21}}]},
            "messages[0].quickReply.items[0].action.label",
        ),
        (
            {"items": [{**BUTTON, "action": {**BUTTON["action"], "data": ""}}]},
            "messages[0].quickReply.items[0].action.data",
        ),
    ],
)
def test_the_stand_in_refuses_a_quick_reply_line_would_refuse(
    client, quick_reply, prop
):
    from devtools.models import SimulatedPerson

    person = SimulatedPerson.objects.create(display_name="さくら", is_following=True)
    response = reply_with(client, event_of(person).reply_token, quick_reply)
    assert response.status_code == 400
    assert [d["property"] for d in response.json()["details"]] == [prop]
    assert not SimulatedDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_tapping_the_consent_button_on_the_phone_records_consent(web):  # noqa: F811
    person = new_person(web)
    SimulatedDelivery.objects.create(
        request_id="00000000-0000-0000-0000-000000000001",
        endpoint="reply",
        to=person.line_user_id,
        messages=[
            {
                "type": "text",
                "text": "個人情報の取り扱い…",
                "quickReply": {"items": [BUTTON]},
            }
        ],
        sent_messages=[{"id": "1"}],
        message_count=1,
    )
    delivery = SimulatedDelivery.objects.get()
    phone = web.get(reverse("line_simulator:phone", args=[person.pk]))
    assert "同意して相談する" in phone.content.decode()
    [item] = [i for i in phone.context["items"] if i.buttons]
    assert item.buttons == ((0, "同意して相談する"),)

    response = web.post(
        reverse("line_simulator:quick_reply", args=[person.pk]),
        {"delivery": delivery.pk, "index": 0},
        follow=True,
    )
    assert response.status_code == 200
    tap = SimulatedEvent.objects.get(kind="postback")
    assert tap.webhook_status == 200 and tap.postback_data == CONSENT_POSTBACK_DATA
    line_user = LineUser.objects.get(line_user_id=person.line_user_id)
    assert line_user.consent_given_at is not None
    assert LineMessage.objects.filter(line_user=line_user, kind="postback").exists()
    # Her tap shows as her words, and the buttons go once she has answered.
    assert "同意して相談する" in response.content.decode()
    assert not [i for i in response.context["items"] if i.buttons]


@pytest.mark.django_db(transaction=True)
def test_a_button_that_is_not_there_is_said_plainly(web):  # noqa: F811
    person = new_person(web)
    response = web.post(
        reverse("line_simulator:quick_reply", args=[person.pk]),
        {"delivery": 999, "index": 0},
        follow=True,
    )
    assert "そのボタンはもうありません。" in response.content.decode()
    assert not SimulatedEvent.objects.filter(kind="postback").exists()
