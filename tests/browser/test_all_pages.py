"""Every page of every role, on a phone (375 × 812) and on a desktop
(1280 × 900): nothing scrolls sideways, every form control has a name, and
axe-core finds no WCAG 2.1 A/AA violation.

"Every page" is every URL of the role matrix (tests/test_role_matrix.py)
that answers that role's GET with 200, on the world of tests/urlworld.py
(one record of each kind), less the URLs that serve a file instead of a
page (NOT_PAGES).

axe-core comes from the project's package-lock.json (``npm ci``, run by
bin/ensure-test-packages into node_modules/). The site's Content Security
Policy forbids inline scripts, so axe is given to each page as an init script
of the browser context (Chrome DevTools' "script to evaluate on new
document"), which the CSP does not govern; the pages' own CSP stays on.

Set IBASHO_SHOTS=/some/folder to keep a full-page screenshot of each page.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from accounts.roles import Role
from tests.test_role_matrix import MATRIX
from tests.urlworld import build_world, url_for

from .helpers import DESKTOP, browser_db, log_in, open_path

pytestmark = [pytest.mark.browser, browser_db]

PHONE = {"width": 375, "height": 812}
SIZES = {"phone": PHONE, "desktop": DESKTOP}
AXE = Path(__file__).resolve().parents[2] / "node_modules/axe-core/axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# URLs that answer with something else than a page: a download, an image,
# data for a page's script, a fragment a page fetches.
NOT_PAGES = {
    "healthz",  # plain text for load balancers
    "consultations:client_lookup",  # JSON for the client picker
    "line_simulator:feed",  # the simulator phone's conversation, refreshed
    "consultations:consultation_export",
    "consultations:referral_letter",
    "consultations:meeting_minutes",  # the minutes, a PDF
    "shelter:client_lookup",  # JSON for the coordinators' client picker
    "line:media",
    "line:media_thumbnail",
    "reports:annual_pdf",
    "reports:annual_xlsx",
    "reports:annual_csv",
    "reports:annual_json",
    "reports:funder_summary_csv",
}

# Sideways overflow. The page is no wider than the window, and no element
# ends right of the window unless a box between it and the page clips or
# scrolls it (a wide table in its own .scroll box). Elements off to the left
# (the skip link until it has the focus) widen nothing.
OVERFLOW = """() => {
  const problems = [];
  const width = window.innerWidth;
  const page = document.documentElement.scrollWidth;
  if (page > width) problems.push(`page is ${page}px wide in a ${width}px window`);
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + [...el.classList].map((c) => "." + c).join("");
  const boxed = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    // Its own box, or the text it lets spill out of it (a long word).
    const spill = getComputedStyle(el).overflowX === "visible" ? el.scrollWidth : 0;
    const right = Math.max(box.right, box.left + spill);
    if (right <= width + 1 || boxed(el)) continue;
    const path = [];
    for (let p = el; p && p !== document.body && path.length < 4; p = p.parentElement) {
      path.unshift(describe(p));
    }
    problems.push(`${path.join(" > ")} ends at ${Math.round(right)}px`);
    if (problems.length > 8) break;
  }
  return problems;
}"""

# Every form control a person can reach has a name: a label, aria-label(ledby)
# or title; a button its text (or one of those).
UNNAMED = """() => {
  const problems = [];
  const controls = document.querySelectorAll("input, select, textarea, button");
  for (const el of controls) {
    if (el.type === "hidden") continue;
    let named = (el.labels && el.labels.length) || el.getAttribute("aria-label")
      || el.getAttribute("aria-labelledby") || el.title;
    if (el.tagName === "BUTTON") named = named || el.textContent.trim();
    if (["submit", "reset", "button"].includes(el.type) && el.tagName === "INPUT") {
      named = named || el.value;
    }
    if (!named) problems.push("no name: " + el.outerHTML.slice(0, 120));
  }
  return problems;
}"""

AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
  });
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help}: `
    + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""


# Pages seen again with a query that fills them: the report of the world's
# programme (its long name once widened the page), the month of its stay.
VARIANTS = {
    "reports:annual": lambda world: (
        f"?fiscal_year=2021&programme={world['programme'].pk}"
    ),
    "shelter:calendar": lambda world: "?month=2021-10",
}
# A real programme's name, as long as they come.
PROGRAMME = (
    "令和3年度 配偶者等からの暴力の被害を受けた女性と困難な問題を抱える女性への"
    "相談・一時保護・自立支援事業（市委託）"
)


def pages_of(role, world) -> list[tuple[str, str]]:
    """(URL name, path) of every page the role may open."""
    pages = []
    for name, expected in sorted(MATRIX.items()):
        if expected[role] != 200 or name in NOT_PAGES:
            continue
        pages.append((name, url_for(name, world)))
        if name in VARIANTS:
            pages.append((name, url_for(name, world) + VARIANTS[name](world)))
    return pages


@pytest.fixture
def world(users):
    """The urlworld's records, made by the counsellor; the city staff work
    for the funder of its programme."""
    made = build_world(users[Role.COUNSELLOR], programme_name=PROGRAMME)
    city = users[Role.CITY_STAFF]
    city.funder = made["programme"].funder
    city.save(update_fields=["funder"])
    return made


@pytest.fixture
def axe_page(page):
    if not AXE.exists():
        pytest.skip(
            f"{AXE.relative_to(AXE.parents[2])} is missing: run `npm ci` "
            "(bin/ensure-test-packages does when npm is installed)"
        )
    page.context.add_init_script(path=str(AXE))
    return page


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "role",
    [
        "anonymous",
        Role.COUNSELLOR,
        Role.COORDINATOR,
        Role.FACILITATOR,
        Role.CITY_STAFF,
        Role.ADMIN,
    ],
)
def test_every_page_fits_the_screen_names_its_controls_and_passes_axe(
    axe_page, users, world, role, size
):
    page = axe_page
    page.set_viewport_size(SIZES[size])
    if role != "anonymous":
        log_in(page, users[role])
    shots = os.environ.get("IBASHO_SHOTS")
    problems = {}
    visited = 0
    for name, path in pages_of(role, world):
        response = open_path(page, path)
        found = []
        if response.status != 200:
            found.append(f"answered {response.status}")
        elif not response.headers.get("content-type", "").startswith("text/html"):
            found.append("not a page: add its name to NOT_PAGES")
        else:
            visited += 1
            found += page.evaluate(OVERFLOW)
            found += page.evaluate(UNNAMED)
            found += page.evaluate(AXE_RUN, AXE_TAGS)
            if shots:
                folder = Path(shots)
                folder.mkdir(parents=True, exist_ok=True)
                slug = re.sub(
                    r"[^a-z0-9_]+", "-", f"{name} {path.partition('?')[2]}"
                ).strip("-")
                page.screenshot(
                    path=str(folder / f"{size}-{role}-{slug}.png"), full_page=True
                )
        if found:
            problems[f"{name} {path}"] = found
    assert visited, "no page visited"
    assert not problems, "\n" + "\n".join(
        f"{where}:\n  " + "\n  ".join(found) for where, found in problems.items()
    )


def test_the_header_menu_folds_behind_a_button_on_a_phone(page, users):
    """At 375 px the menu hides behind one button that says whether it is
    open (aria-expanded) and which part it opens (aria-controls); a tap opens
    it, Escape closes it and gives the button back the focus. At 1280 px there
    is no button and the menu shows."""
    page.set_viewport_size(PHONE)
    log_in(page, users[Role.COUNSELLOR])
    button = page.locator("header button.menu-toggle")
    menu = page.locator("#" + button.get_attribute("aria-controls"))
    assert button.is_visible()
    assert button.get_attribute("aria-expanded") == "false"
    assert not menu.is_visible()
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] <= PHONE["height"] / 10, header

    button.click()
    assert button.get_attribute("aria-expanded") == "true"
    assert menu.is_visible()
    menu.locator("a").first.focus()
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert not menu.is_visible()
    assert page.evaluate("document.activeElement.classList.contains('menu-toggle')")

    page.set_viewport_size(DESKTOP)
    assert not button.is_visible()
    assert menu.is_visible()


def test_on_a_phone_the_client_history_and_the_save_button_are_in_reach(
    page, users, world
):
    """At 375 × 812: the client page's history starts within two screens and
    its actions stay on the screen when scrolled to the end; the consultation
    form's 保存 shows on the first screen (a bar at the foot of the form)."""
    page.set_viewport_size(PHONE)
    log_in(page, users[Role.COUNSELLOR])
    open_path(page, url_for("consultations:client_detail", world))
    history = page.locator("#timeline-title").bounding_box()
    assert history["y"] < 2 * PHONE["height"], history
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    record = page.locator(".client-head .actions a.primary")
    box = record.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box

    open_path(page, url_for("consultations:consultation_create", world))
    save = page.locator("#consultation-form button[name=save]")
    box = save.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], box
