"""The LINE simulator (development tool) in the browser: a counsellor writes
as a client from the phone page, the real webhook stores the message, and the
counsellor's conversation shows it after a reload; a reply that reaches the
stand-in Messaging API shows on the phone without a reload. At 375 px the
phone fits the window."""

import json
import urllib.request

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from playwright.sync_api import expect

from accounts.roles import Role
from consultations.models import LineMessage, LineUser
from devtools.models import SimulatedPerson

from .helpers import browser_db, log_in, open_path

pytestmark = [pytest.mark.browser, browser_db]

TEXT = "はじめまして。夫のことで相談したいです。"
REPLY = "ご連絡ありがとうございます。担当の相談員です。"


def push_to_stand_in(base: str, to: str, text: str) -> int:
    """What a counsellor's reply does: a push to the stand-in, over HTTP."""
    request = urllib.request.Request(  # noqa: S310 - the live server's http URL
        f"{base}/dev/line-api/v2/bot/message/push",
        data=json.dumps(
            {"to": to, "messages": [{"type": "text", "text": text}]}
        ).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {django_settings.LINE_CHANNEL_ACCESS_TOKEN}",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_a_message_from_the_simulator_shows_in_the_counsellors_conversation(
    page, users
):
    log_in(page, users[Role.COUNSELLOR])
    page.set_viewport_size({"width": 375, "height": 740})
    open_path(page, reverse("line_simulator:index"))
    page.locator("input[name=display_name]").fill("みさき")
    page.locator("form[action$='/people/'] button[type=submit]").click()
    page.wait_for_url("**/dev/line-simulator/*/")

    person = SimulatedPerson.objects.get(display_name="みさき")
    assert person.is_following
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the phone page is {width}px wide at 375px"

    page.locator("textarea[name=text]").fill(TEXT)
    page.locator(".sim-compose button[type=submit]").click()
    expect(page.locator(".sim-msg.me .bubble").last).to_have_text(TEXT)

    # Stored by the real webhook, and shown to the counsellor.
    line_user = LineUser.objects.get(line_user_id=person.line_user_id)
    assert line_user.messages.filter(kind=LineMessage.Kind.TEXT, text=TEXT).exists()
    phone_url = page.url
    page.set_viewport_size({"width": 1280, "height": 900})
    open_path(page, reverse("line:inbox"))
    page.reload()
    open_path(page, reverse("line:conversation", args=[line_user.pk]))
    expect(page.locator(".line-msg.in .bubble").last).to_have_text(TEXT)

    # A reply that reaches the stand-in shows on the phone, no reload.
    page.goto(phone_url)
    expect(page.locator(".sim-msg.me .bubble").last).to_have_text(TEXT)
    assert push_to_stand_in(page.base, person.line_user_id, REPLY) == 200
    expect(page.locator(".sim-msg.account .bubble").last).to_have_text(REPLY)
