"""A counsellor's day: register a client, record a phone consultation with
the one-page form, find it on the client's timeline; and the same form driven
entirely from the keyboard, as someone entering 20 consultations a day would."""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from consultations.models import Channel, Consultation
from tests.factories import ClientFactory

from .helpers import browser_db, log_in, open_path, url_of

pytestmark = [pytest.mark.browser, browser_db]

NEW_FORM = "consultations:consultation_create"


@pytest.fixture
def counsellor(page, users):
    log_in(page, users[Role.COUNSELLOR])
    return users[Role.COUNSELLOR]


def focused_name(page) -> str:
    """name (or id) of the focused element, and its value for a radio or box."""
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          if (!el || el === document.body) return "";
          const name = el.name || el.id || el.tagName.toLowerCase();
          return (el.type === "radio" || el.type === "checkbox")
            ? name + "=" + el.value : name;
        }"""
    )


def test_a_phone_consultation_for_a_new_client_shows_on_its_timeline(page, counsellor):
    # Register the client from the home page.
    page.get_by_role("link", name="相談者を登録").first.click()
    expect(page.get_by_role("heading", name="相談者を登録")).to_be_visible()
    page.get_by_label("表示名").fill("ブラウザ 花子")
    page.get_by_label("ふりがな").fill("ぶらうざ はなこ")
    page.get_by_role("button", name="保存").click()

    expect(page.locator(".message.success")).to_contain_text("を登録しました")
    code = page.locator("h1").inner_text().split()[0]
    assert re.fullmatch(r"C-\d{6}", code)
    client_url = page.url

    # The consultation form, opened from the menu.
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="相談", exact=True
    ).click()
    page.get_by_role("link", name="相談を記録").first.click()
    expect(page.get_by_role("heading", name="相談を記録")).to_be_visible()

    page.locator("label.channel-button", has_text="電話").click()
    expect(page.get_by_role("radio", name="電話")).to_be_checked()

    # The picker finds the client by name and offers her with her code.
    picker = page.get_by_label("相談者", exact=True)
    picker.press_sequentially("ブラウザ")
    option = page.get_by_role("option", name=re.compile(code))
    expect(option).to_have_count(1)
    option.click()
    expect(picker).to_have_value(code)
    expect(page.locator("#client-status")).to_have_text(
        "この相談者の最初の相談です。新規として数えます。"
    )
    expect(page.get_by_label("新規（匿名の相談のみ）")).to_be_disabled()

    page.locator("[name=main_complaint]").select_option("spouse_violence")
    page.get_by_label("子・親・親族の問題").check()
    page.get_by_label("内容").fill("夜に電話。住まいの相談。")
    page.get_by_role("button", name="保存", exact=False).first.click()

    # Back on the client's page, with the consultation on the timeline.
    page.wait_for_url(client_url)
    expect(page.locator(".message.success")).to_have_text("相談を記録しました。")
    entry = page.locator(".timeline .entry").first
    expect(entry.locator(".kind")).to_have_text("電話")
    expect(entry).to_contain_text("夜に電話。住まいの相談。")

    saved = Consultation.objects.get()
    assert saved.channel == Channel.PHONE
    assert saved.client.code == code
    assert saved.is_new
    assert saved.main_complaint_id == "spouse_violence"
    assert [c.code for c in saved.other_problems.all()] == ["family_problems"]


def test_the_consultation_form_walks_in_reading_order_with_tab(page, counsellor):
    open_path(page, url_of(NEW_FORM))
    # The form opens on the channel buttons, so Tab goes straight through it.
    assert focused_name(page) == "channel=line"

    seen = []
    for _ in range(60):
        page.keyboard.press("Tab")
        name = focused_name(page)
        if not seen or seen[-1] != name:  # date and time: one stop per part
            seen.append(name)
        if name == "save":
            break
    others = page.locator("[name=other_problems]").evaluate_all(
        "boxes => boxes.map(b => 'other_problems=' + b.value)"
    )
    assert seen == [
        "started_at",
        "duration_minutes",
        "counsellor",
        "client_code",
        "is_new=on",
        "main_complaint",
        *others,
        "summary",
        "programme",  # by the rules unless chosen (issue 18)
        "next-kind",
        "next-due_date",
        "next-owner",
        "next-note",
        "save",
    ]


def next_field(page) -> str:
    """Tab to the next field (past the parts of a date and time input)."""
    here = focused_name(page)
    for _ in range(10):
        page.keyboard.press("Tab")
        if focused_name(page) != here:
            break
    return focused_name(page)


def test_a_consultation_is_entered_by_keyboard_alone_and_saved_with_ctrl_enter(
    page, counsellor
):
    client = ClientFactory(code="C-100001", display_name="鍵盤 花子")
    open_path(page, url_of(NEW_FORM))

    page.keyboard.press("2")  # 2 = phone, while not typing in a field
    expect(page.get_by_role("radio", name="電話")).to_be_checked()
    expect(page.get_by_role("radio", name="電話")).to_be_focused()

    assert next_field(page) == "started_at"  # now, kept
    assert next_field(page) == "duration_minutes"
    page.keyboard.type("30")
    assert next_field(page) == "counsellor"  # me, kept
    assert next_field(page) == "client_code"
    page.keyboard.type("c-100001")  # lower case is fine
    # The "new" box is skipped: it is worked out for a known client.
    assert next_field(page) == "main_complaint"
    page.keyboard.press("ArrowDown")  # the first of the list
    assert next_field(page).startswith("other_problems=")
    next_field(page)  # the second box (the first is the main complaint)
    page.keyboard.press("Space")
    next_field(page)
    next_field(page)
    page.keyboard.press("Space")
    while focused_name(page) != "summary":
        next_field(page)
    page.keyboard.type("123 と入力しても相談方法は変わらない")
    expect(page.get_by_role("radio", name="電話")).to_be_checked()

    page.keyboard.press("Control+Enter")

    page.wait_for_url(page.base + client.get_absolute_url())
    expect(page.locator(".message.success")).to_have_text("相談を記録しました。")
    saved = Consultation.objects.get()
    assert saved.channel == Channel.PHONE
    assert saved.client == client
    assert saved.duration_minutes == 30
    assert saved.summary == "123 と入力しても相談方法は変わらない"
    assert saved.main_complaint_id == "spouse_violence"
    assert saved.other_problems.count() == 2


def test_ctrl_shift_enter_saves_and_opens_a_new_form_on_the_same_channel(
    page, counsellor
):
    open_path(page, url_of(NEW_FORM))
    page.keyboard.press("3")  # face to face
    page.locator("[name=main_complaint]").select_option("housing")
    page.keyboard.press("Control+Shift+Enter")

    expect(page.locator(".message.success")).to_have_text("相談を記録しました。")
    assert page.url.startswith(page.base + url_of(NEW_FORM))
    expect(page.get_by_role("radio", name="対面")).to_be_checked()
    expect(page.get_by_role("radio", name="対面")).to_be_focused()
    expect(page.get_by_label("相談者", exact=True)).to_have_value("")
    assert Consultation.objects.get().channel == Channel.FACE_TO_FACE

    # The next one, anonymous, by email (5), saved with Enter in a text field.
    page.keyboard.press("5")
    page.locator("[name=main_complaint]").select_option("economic")
    page.get_by_label("所要時間（分）").fill("10")
    page.get_by_label("所要時間（分）").press("Enter")

    expect(page.locator(".message.success")).to_have_text("相談を記録しました。")
    assert page.url == page.base + url_of("consultations:consultation_list")
    assert sorted(Consultation.objects.values_list("channel", flat=True)) == sorted(
        [Channel.FACE_TO_FACE, Channel.EMAIL]
    )


def test_errors_are_shown_in_japanese_and_focus_goes_to_the_first_one(page, counsellor):
    open_path(page, url_of(NEW_FORM))
    page.get_by_label("相談者", exact=True).fill("C-999999")
    page.keyboard.press("Control+Enter")

    channel_error = page.locator(".channels .errors")
    expect(channel_error).to_have_text("このフィールドは必須です。")
    expect(page.locator(".field.has-error .errors").first).to_have_text(
        "コード C-999999 の相談者はいません。"
    )
    # The keyboard user lands on the first field to fix: the channel.
    assert focused_name(page).startswith("channel=")
    page.keyboard.press("1")
    expect(page.get_by_role("radio", name="LINE")).to_be_checked()
    assert Consultation.objects.count() == 0


def test_keys_1_to_6_pick_a_channel_only_from_the_channel_buttons_and_can_be_off(
    page, counsellor
):
    """WCAG 2.1.4: a digit typed with the focus on a topic box is not a
    channel; with single-key shortcuts off (her settings page) no digit is."""
    open_path(page, url_of(NEW_FORM))
    phone = page.get_by_role("radio", name="電話")
    face = page.get_by_role("radio", name="対面")
    page.keyboard.press("2")  # the focus starts on the channel buttons
    expect(phone).to_be_checked()

    topic = page.locator("[name=other_problems]").first
    topic.focus()
    page.keyboard.press("3")
    expect(phone).to_be_checked()
    expect(face).not_to_be_checked()
    expect(topic).to_be_focused()

    open_path(page, url_of("accounts:preferences"))
    box = page.get_by_label("1文字のショートカット")
    expect(box).to_be_checked()
    box.uncheck()
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".message.success")).to_be_visible()
    counsellor.refresh_from_db()
    assert counsellor.keyboard_shortcuts is False

    open_path(page, url_of(NEW_FORM))
    expect(page.locator(".channels kbd")).to_have_count(0)
    page.get_by_role("radio", name="LINE").focus()
    page.keyboard.press("3")
    expect(face).not_to_be_checked()
