"""The main pages of each role at tablet width (768 px): no sideways scrolling
of the page, every form control labelled, no id used twice, Japanese page
language and no untranslated English. Wide tables scroll inside their own
box, not the page."""

import datetime as dt

import pytest

from accounts.roles import Role
from consultations.tests.factories import ConsultationFactory
from consultations.tests.line_factories import LineMessageFactory
from peergroups.tests.factories import AttendanceFactory
from shelter.tests.factories import StayFactory
from training.tests.factories import SurveyResponseFactory

from .helpers import TABLET, browser_db, log_in, open_path, url_of

pytestmark = [pytest.mark.browser, browser_db]

# What a page must hold, checked in the browser: the page body fits the
# window, every visible form control has a label (or an aria-label), and
# no id appears twice (a label's "for" would point at the wrong control).
PAGE_PROBLEMS = """() => {
  const problems = [];
  const width = document.documentElement.scrollWidth;
  if (width > window.innerWidth) {
    problems.push(`page is ${width}px wide in a ${window.innerWidth}px window`);
  }
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (["hidden", "submit", "button", "reset"].includes(el.type)) continue;
    const named = (el.labels && el.labels.length) || el.getAttribute("aria-label")
      || el.getAttribute("aria-labelledby") || el.title;
    if (!named) problems.push("no label: " + el.outerHTML.slice(0, 100));
  }
  const seen = new Set();
  for (const el of document.querySelectorAll("[id]")) {
    if (seen.has(el.id)) problems.push("id used twice: " + el.id);
    seen.add(el.id);
  }
  if (document.documentElement.lang !== "ja") problems.push("page language is not ja");
  return problems;
}"""


# Words in Latin letters a Japanese page may show: the product name, channel
# and file-format names, key names, the language switch (compared in lower
# case); and the test users' names (b_admin, b_facilitator...), which are data.
LATIN_ALLOWED = {
    "ibasho", "line", "sns", "dv", "ctrl", "enter", "shift", "english",
    "csv", "excel", "pdf", "xlsx", "json", "utf-", "npo",
    "admin", "counsellor", "coordinator", "facilitator", "city",
}  # fmt: skip
LATIN_WORDS = r"""() => {
  const words = new Set();
  const latin = /[A-Za-z][A-Za-z-]{2,}/g;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement.closest("script, style, noscript, .account .who")) continue;
    for (const word of node.textContent.match(latin) || []) words.add(word);
  }
  const attributes = ["placeholder", "title", "aria-label"];
  for (const el of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
    for (const name of attributes) {
      const text = el.getAttribute(name) || "";
      for (const word of text.match(latin) || []) words.add(word);
    }
  }
  return [...words];
}"""


@pytest.fixture
def records(users):
    """One of each record the main pages show."""
    consultation = ConsultationFactory(
        counsellor=users[Role.COUNSELLOR],
        client__assigned_counsellor=users[Role.COUNSELLOR],
        summary="住まいの相談",
    )
    client = consultation.client
    stay = StayFactory(client=client, start_date=dt.date(2021, 10, 4))
    attendance = AttendanceFactory(client=client)
    response = SurveyResponseFactory(comment="よかった")
    message = LineMessageFactory(text="こんにちは、相談したいです")
    return {
        "client": client,
        "stay": stay,
        "session": attendance.session,
        "event": response.event,
        "line_user": message.line_user,
    }


def main_pages(role, records) -> list[str]:
    pages = {
        Role.COUNSELLOR: [
            ("home",),
            ("consultations:consultation_create",),
            ("consultations:consultation_list",),
            ("consultations:client_list",),
            ("consultations:client_create",),
            ("consultations:client_detail", records["client"].pk),
            ("line:inbox",),
            ("line:conversation", records["line_user"].pk),
            ("reports:import",),
        ],
        Role.COORDINATOR: [
            ("home",),
            ("shelter:calendar",),
            ("shelter:stay_list",),
            ("shelter:stay_create",),
            ("shelter:stay_detail", records["stay"].pk),
            ("shelter:salon_list",),
            ("shelter:unmet_list",),
            ("shelter:opening_days",),
        ],
        Role.FACILITATOR: [
            ("home",),
            ("peergroups:session_list",),
            ("peergroups:session_create",),
            ("peergroups:session_detail", records["session"].pk),
            ("peergroups:group_list",),
            ("training:event_list",),
            ("training:event_detail", records["event"].pk),
            ("training:survey", records["event"].pk),
        ],
        Role.CITY_STAFF: [("home",), ("reports:annual",), ("reports:index",)],
        Role.ADMIN: [
            ("home",),
            ("consultations:client_detail", records["client"].pk),
            ("consultations:team_worklist",),
        ],
    }[role]
    paths = [url_of(*page) for page in pages]
    return [path for path in paths if path]  # the report pages once they land


@pytest.mark.parametrize(
    "role",
    [Role.COUNSELLOR, Role.COORDINATOR, Role.FACILITATOR, Role.CITY_STAFF, Role.ADMIN],
)
def test_main_pages_fit_a_tablet_label_every_field_and_speak_japanese(
    page, users, records, role
):
    page.set_viewport_size(TABLET)
    log_in(page, users[role])
    problems = {}
    paths = main_pages(role, records)
    if role == Role.COORDINATOR:
        paths.append(url_of("shelter:calendar") + "?month=2021-10")  # with a stay
    for path in paths:
        response = open_path(page, path)
        assert response.status == 200, f"{path}: {response.status}"
        found = page.evaluate(PAGE_PROBLEMS)
        english = {
            w for w in page.evaluate(LATIN_WORDS) if w.lower() not in LATIN_ALLOWED
        }
        if english:
            found.append(f"not in Japanese: {sorted(english)}")
        if found:
            problems[path] = found
    assert problems == {}


def test_the_room_calendar_scrolls_inside_its_box_at_tablet_width(page, users, records):
    page.set_viewport_size(TABLET)
    log_in(page, users[Role.COORDINATOR])
    open_path(page, url_of("shelter:calendar") + "?month=2021-10")
    box = page.locator(".scroll").first
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")
    # The booking buttons stay within reach of the keyboard.
    page.locator("table.occupancy td.free a").first.focus()
    assert page.evaluate("document.activeElement.closest('td.free') !== null")
