"""The LINE desk in a browser at phone (375 px) and desktop (1280 px) widths:
the queue with its claim button, a chat in progress with its end and
transfer forms, and the supervision page fit the window (wide tables scroll
in their own box), every control is labelled and no id is used twice.
Claiming from the queue works by clicking. Screenshots go to
``IBASHO_SCREENSHOTS`` when it names a folder."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from consultations.line import chats
from consultations.models import LineChat
from consultations.tests.line_factories import LineMessageFactory, LineUserFactory
from tests.factories import ClientFactory

from .helpers import DESKTOP, browser_db, log_in, open_path

pytestmark = [pytest.mark.browser, browser_db]

PHONE = {"width": 375, "height": 740}
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const width = document.documentElement.scrollWidth;
  if (width > window.innerWidth) {
    problems.push(`page is ${width}px wide in a ${window.innerWidth}px window`);
  }
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button", "reset"].includes(el.type)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label");
    if (!named) problems.push("no label: " + el.outerHTML.slice(0, 100));
  }
  const seen = new Set();
  for (const el of document.querySelectorAll("[id]")) {
    if (seen.has(el.id)) problems.push("id used twice: " + el.id);
    seen.add(el.id);
  }
  return problems;
}"""


def desk(users) -> dict:
    """Two people waiting, one chat in progress held by the counsellor."""
    now = timezone.now()
    made = {}
    for minutes, name in ((25, "さくら"), (7, "とても長い表示名のラインの利用者さん")):
        person = LineUserFactory(display_name=name, client=ClientFactory())
        chat = LineChat.objects.create(
            line_user=person, started_at=now - dt.timedelta(minutes=minutes)
        )
        LineMessageFactory(
            line_user=person, chat=chat, sent_at=chat.started_at, text="相談したいです"
        )
        made.setdefault("waiting", []).append(chat)
    held = LineChat.objects.create(
        line_user=LineUserFactory(display_name="ゆき"),
        started_at=now - dt.timedelta(minutes=40),
    )
    LineMessageFactory(
        line_user=held.line_user,
        chat=held,
        sent_at=held.started_at,
        text="夜になると不安で眠れません。" * 4,
    )
    chats.chat_claim(chat=held, by=users[Role.COUNSELLOR])
    made["held"] = held
    return made


def check(page, name: str, size: dict) -> None:
    page.set_viewport_size(size)
    problems = page.evaluate(LAYOUT_PROBLEMS)
    assert not problems, f"{name} at {size['width']}px: {problems}"
    folder = os.environ.get("IBASHO_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=str(Path(folder) / f"{name}-{size['width']}.png"), full_page=True
        )


def test_the_desk_pages_fit_a_phone_and_a_desktop(page, users):
    made = desk(users)
    users[Role.ADMIN].is_supervisor = True  # admins are supervisors anyway
    log_in(page, users[Role.COUNSELLOR])
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        open_path(page, reverse("line:inbox"))
        check(page, "desk", size)
        open_path(page, reverse("line:conversation", args=[made["held"].line_user_id]))
        page.locator("details.chat-end summary").click()
        page.locator("details.chat-transfer summary").click()
        check(page, "chat", size)
        open_path(
            page, reverse("line:conversation", args=[made["waiting"][1].line_user_id])
        )
        check(page, "waiting-chat", size)
    page.context.clear_cookies()
    log_in(page, users[Role.ADMIN])
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        open_path(page, reverse("line:supervision"))
        page.locator("tr.chat-active details summary").first.click()
        check(page, "supervision", size)


def test_claiming_from_the_queue_opens_the_chat_held_by_me(page, users):
    made = desk(users)
    log_in(page, users[Role.COUNSELLOR])
    page.set_viewport_size(PHONE)
    open_path(page, reverse("line:inbox"))
    oldest = made["waiting"][0]
    page.locator("#queue .chat-claim button").first.click()
    page.wait_for_url(
        page.base + reverse("line:conversation", args=[oldest.line_user_id]) + "#chat"
    )
    oldest.refresh_from_db()
    assert oldest.status == "active"
    assert oldest.claimed_by == users[Role.COUNSELLOR]
    assert page.locator("#chat details.chat-end").count() == 1
