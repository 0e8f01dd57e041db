"""Screenshots of the main pages for the README, from the demo data.

Run by bin/screenshots, which starts a demo server; by hand:
    .venv/bin/python docs/screenshots/take.py http://127.0.0.1:8005 [docs/screenshots]
Drives Debian's Chromium (/usr/bin/chromium) headless at 1280 px (and three
pages at 375 px, a phone), Japanese
locale, and writes optimised 256-colour PNGs. The annual report page is
taken once the server has one (/reports/annual/).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

PASSWORD = "ibasho-demo-2021"  # noqa: S105 - the demo users' (seed_demo)
WIDTH, HEIGHT = 1280, 860
PHONE = {"width": 375, "height": 812}
MAX_HEIGHT = 1500  # longer pages are cut here
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--lang=ja-JP",
]
# Date inputs read the browser's own language from the environment (and need
# Debian's chromium-l10n): show them as a Japanese browser does.
ENV = {**os.environ, "LANG": "ja_JP.UTF-8", "LANGUAGE": "ja"}


def log_in(page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(base + "/")


def save(page, out: Path, full: bool = False) -> None:
    """A PNG of the page (or its top MAX_HEIGHT px), 256 colours."""
    page.wait_for_load_state("networkidle")
    page.mouse.move(0, 0)
    if full:
        # A window as tall as the page, so that sticky bars (a form's
        # buttons) sit where they end up, not over the middle of the shot.
        size = page.viewport_size
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size(
            {"width": size["width"], "height": min(height, MAX_HEIGHT)}
        )
        png = page.screenshot()
        page.set_viewport_size(size)
    else:
        png = page.screenshot()
    image = Image.open(io.BytesIO(png)).convert("RGB")
    if image.height > MAX_HEIGHT:
        image = image.crop((0, 0, image.width, MAX_HEIGHT))
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=0)
    image.save(out, optimize=True)
    print(f"{out} {image.width}x{image.height} {out.stat().st_size // 1024} KiB")


def counsellor(page, base, out):
    log_in(page, base, "counsellor")
    save(page, out / "worklist.png")

    page.goto(base + "/consultations/new/")
    page.keyboard.press("2")  # phone
    page.fill("#id_client_code", "C-000001")  # a whole code is a pick
    page.keyboard.press("Escape")
    page.select_option("#id_main_complaint", "economic")
    page.fill("#id_duration_minutes", "30")
    page.fill(
        "#id_summary", "夕方に電話。家計と住まいの相談。次回は面談で書類を確認する。"
    )
    page.locator("#id_summary").blur()
    save(page, out / "consultation-form.png", full=True)

    page.goto(base + "/clients/1/")
    save(page, out / "client-timeline.png", full=True)


def line_desk(page, base, out):
    """The LINE desk: a person writes from the simulator (a phone, 375 px), the
    counsellor's queue has her, and a chat in progress."""
    log_in(page, base, "counsellor")
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(base + "/dev/line-simulator/")
    page.fill("input[name=display_name]", "さくら")
    # She writes to the NPO's official account (the first one offered).
    page.locator("select[name=channel]").select_option(index=1)
    page.locator("form[action$='/people/'] button[type=submit]").click()
    page.wait_for_url("**/dev/line-simulator/*/")
    for text in (
        "こんばんは。いま話せますか。",
        "子どもが寝たので、少しだけ相談したいです。",
    ):
        page.fill("textarea[name=text]", text)
        page.locator(".sim-compose button[type=submit]").click()
        page.wait_for_load_state("load")
    save(page, out / "line-simulator.png")

    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    page.wait_for_timeout(3000)  # the worker fetches her LINE profile
    page.goto(base + "/line/inbox/")
    save(page, out / "line-desk.png")

    # A chat in progress: one the counsellor holds in the demo.
    page.locator("#mine .chat-who a").first.click()
    page.wait_for_load_state("load")
    save(page, out / "line-chat.png", full=True)


def phone(page, base, out):
    """The counsellor on a phone (375 px): her worklist, a client page, a LINE
    chat."""
    log_in(page, base, "counsellor")
    save(page, out / "phone-worklist.png")
    page.goto(base + "/clients/1/")
    save(page, out / "phone-client.png")
    page.goto(base + "/line/inbox/")
    page.locator("#mine .chat-who a").first.click()
    page.wait_for_load_state("load")
    save(page, out / "phone-line-chat.png")


def coordinator(page, base, out):
    log_in(page, base, "coordinator")
    page.goto(base + "/shelter/calendar/?month=2021-10")
    save(page, out / "shelter-calendar.png")


def facilitator(page, base, out):
    log_in(page, base, "facilitator")
    page.goto(base + "/groups/sessions/")
    save(page, out / "session-list.png")

    page.goto(base + "/training/")
    page.get_by_role("link", name="アンケート入力").first.click()
    rows = page.locator("tr.survey-row")
    for i, score in enumerate((5, 4, 5)):
        rows.nth(i).locator("label.score", has_text=str(score)).click()
    rows.nth(0).locator("input[type=text]").fill("体験談がとても参考になった")
    page.locator("body").click(position={"x": 5, "y": 5})
    save(page, out / "survey-form.png")


def city_staff(page, base, out):
    log_in(page, base, "city")
    response = page.goto(base + "/reports/annual/?fiscal_year=2021")  # the demo year
    if response.status != 200:
        print(f"no annual report page yet ({response.status}): not taken")
        return
    save(page, out / "annual-report.png", full=True)


def main(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=ARGS, env=ENV
        )
        takes = (counsellor, line_desk, phone, coordinator, facilitator, city_staff)
        for take in takes:
            on_phone = take is phone
            context = browser.new_context(
                viewport=PHONE if on_phone else {"width": WIDTH, "height": HEIGHT},
                is_mobile=on_phone,
                has_touch=on_phone,
                locale="ja-JP",
                timezone_id="Asia/Tokyo",
            )
            take(context.new_page(), base, out)
            context.close()
        browser.close()


if __name__ == "__main__":
    base = sys.argv[1].rstrip("/")
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).parent
    main(base, out)
