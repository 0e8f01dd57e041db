"""Live updates in the browser (issue 17): a counsellor's open conversation
shows a message that a signed webhook brings within 2 s, without a reload;
the reply box says a newer message arrived; when the live endpoint fails the
page says the connection is lost, and the notice goes once it answers."""

import urllib.request

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.roles import Role
from consultations.models import LineMessage
from consultations.tests.line_factories import LineUserFactory
from consultations.tests.test_line_outbound import message_event
from consultations.tests.test_line_webhook import payload, sign

from .helpers import browser_db, log_in, open_path

pytestmark = [pytest.mark.browser, browser_db]

LINE_USER_ID = "U" + "b" * 32
TEXT = "いま話せますか。"


def post_webhook(base: str, body: bytes) -> int:
    request = urllib.request.Request(  # noqa: S310 - the live server's http URL
        f"{base}{reverse('line:webhook')}",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Line-Signature": sign(body)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status


def test_a_new_message_shows_on_the_open_conversation_without_a_reload(page, users):
    person = LineUserFactory(line_user_id=LINE_USER_ID, is_following=True)
    log_in(page, users[Role.COUNSELLOR])
    page.set_viewport_size({"width": 375, "height": 740})
    open_path(page, reverse("line:conversation", args=[person.pk]))
    page.evaluate("window.__notReloaded = true")
    expect(page.locator("[data-line-newer]")).to_be_hidden()

    event = message_event("01BROWSERLIVE0000000000001", TEXT, "8001", user=LINE_USER_ID)
    assert post_webhook(page.base, payload(event)) == 200
    expect(page.locator(".line-msg.in .bubble").last).to_have_text(TEXT, timeout=2000)
    assert page.evaluate("window.__notReloaded") is True
    expect(page.locator("[data-line-newer]")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the conversation is {width}px wide at 375px"

    # "Show them": the reply form now counts the new message as seen.
    page.locator("[data-line-seen]").click()
    expect(page.locator("[data-line-newer]")).to_be_hidden()
    new = LineMessage.objects.get(webhook_event_id="01BROWSERLIVE0000000000001")
    expect(page.locator("input[name=seen_message_id]")).to_have_value(str(new.pk))


def test_the_page_says_when_the_connection_is_lost_and_when_it_is_back(page, users):
    person = LineUserFactory(line_user_id=LINE_USER_ID, is_following=True)
    log_in(page, users[Role.COUNSELLOR])
    open_path(page, reverse("line:conversation", args=[person.pk]))
    lost = page.locator("[data-line-live-lost]")
    expect(lost).to_be_hidden()

    page.route("**/line/live/**", lambda route: route.abort())
    expect(lost).to_be_visible()
    page.unroute("**/line/live/**")
    # The next try (after a pause of a few seconds) answers: the notice goes.
    expect(lost).to_be_hidden(timeout=10_000)
    expect(page.locator("[data-line-live-ended]")).to_be_hidden()
