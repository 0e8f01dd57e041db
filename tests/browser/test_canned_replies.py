"""Canned replies (定型文) from the keyboard, in the browser: in the reply box
Ctrl+/ opens the list, typing searches it, the arrow keys move, Enter puts
the reply (variables filled in) into the box to edit, Escape goes back. At
375 px the picker fits the phone."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.roles import Role
from consultations.models import CannedReply
from consultations.tests.line_factories import LineMessageFactory, LineUserFactory

from .helpers import browser_db, log_in, open_path

pytestmark = [pytest.mark.browser, browser_db]

TYPED = "こんにちは。相談 由美から折り返しお電話してもいいですか。"


def test_a_canned_reply_is_picked_and_filled_in_by_keyboard_alone(page, users):
    CannedReply.objects.all().delete()  # the seeded ones (flushed by now anyway)
    CannedReply.objects.create(order=1, title="あいさつ", text="{相談員名}です。")
    CannedReply.objects.create(
        order=2, title="折り返し", text="{相談員名}から折り返しお電話してもいいですか。"
    )
    person = LineUserFactory(is_following=True)
    LineMessageFactory(line_user=person, text="話を聞いてほしいです")
    log_in(page, users[Role.COUNSELLOR])
    page.set_viewport_size({"width": 375, "height": 740})
    open_path(page, reverse("line:conversation", args=[person.pk]))

    box = page.locator("form.reply-form textarea[name=text]")
    box.click()
    box.type("こんにちは。")
    page.keyboard.press("Control+/")
    search = page.locator("#canned-search")
    expect(search).to_be_focused()
    search.type("折り返し")
    expect(page.locator("#canned-list [role=option]:visible")).to_have_count(1)
    page.keyboard.press("Enter")
    # The text, with the counsellor's name, goes in at the cursor; the box
    # has the focus again for editing.
    expect(box).to_be_focused()
    expect(box).to_have_value(
        "こんにちは。相談 由美から折り返しお電話してもいいですか。"
    )
    expect(page.locator("#canned-picker")).to_be_hidden()

    # Escape closes the list without inserting anything.
    page.keyboard.press("Control+/")
    expect(search).to_be_focused()
    page.keyboard.press("Escape")
    expect(box).to_be_focused()
    expect(box).to_have_value(
        "こんにちは。相談 由美から折り返しお電話してもいいですか。"
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the conversation is {width}px wide at 375px"
