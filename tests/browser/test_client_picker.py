"""The client picker (issue 21) in a browser: two women of the same name are
told apart and the one picked is the one saved; a name typed and not picked
is stopped before the form is sent; a coordinator books a night by searching
a client by name; the list fits a 375 px screen.

The picker's own texts are new msgids (English until the catalogue has them):
these tests match on roles, ids and the data, not on those texts."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from consultations.models import Consultation
from shelter.models import Stay
from shelter.tests.factories import RoomFactory, StayFactory
from tests.factories import ClientFactory

from .helpers import browser_db, log_in, open_path, url_of

pytestmark = [pytest.mark.browser, browser_db]
PHONE = {"width": 375, "height": 740}


def two_misaki():
    """C-000003 first (the older record), C-000040 second: the picker lists
    the newer first, so C-000003 is the second suggestion."""
    older = ClientFactory(
        code="C-000003",
        display_name="鈴木 美咲",
        kana="すずき みさき",
        age_band="40s",
        phone="090-1111-2222",
    )
    newer = ClientFactory(
        code="C-000040", display_name="鈴木 美咲", kana="すずき みさき", age_band="20s"
    )
    return older, newer


def test_two_of_the_same_name_are_told_apart_and_the_second_is_saved(page, users):
    older, newer = two_misaki()
    log_in(page, users[Role.COUNSELLOR])
    open_path(page, url_of("consultations:consultation_create"))
    page.locator("label.channel-button", has_text="電話").click()

    picker = page.get_by_role("combobox", name="相談者")
    expect(picker).to_have_attribute("aria-expanded", "false")
    picker.press_sequentially("鈴木 美咲")
    listbox = page.get_by_role("listbox")
    expect(picker).to_have_attribute("aria-expanded", "true")
    options = listbox.get_by_role("option")
    expect(options).to_have_count(2)
    # Each suggestion says which one she is: code, kana and age band.
    expect(options.nth(0)).to_contain_text("C-000040")
    expect(options.nth(0)).to_contain_text("すずき みさき")
    expect(options.nth(0)).to_contain_text("20代")
    expect(options.nth(1)).to_contain_text("C-000003")
    expect(options.nth(1)).to_contain_text("40代")
    # Never a contact detail.
    expect(listbox).not_to_contain_text("090")

    # The keyboard: down twice to the second, Enter picks her.
    picker.press("ArrowDown")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    picker.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(picker).to_have_attribute("aria-activedescendant", re.compile(r".+-1$"))
    picker.press("Enter")
    expect(picker).to_have_value("C-000003")
    expect(picker).to_have_attribute("aria-expanded", "false")
    chosen = page.locator(".picker-chosen")
    expect(chosen).to_contain_text("C-000003")
    expect(chosen).to_contain_text("鈴木 美咲")
    expect(chosen).to_contain_text("40代")
    # Her first consultation, so it counts as new.
    expect(page.locator("#client-status")).not_to_be_empty()

    page.locator("[name=main_complaint]").select_option("housing")
    page.get_by_label("内容").fill("住まいの相談。")
    page.get_by_role("button", name="保存", exact=False).first.click()
    expect(page.locator(".message.success")).to_be_visible()
    saved = Consultation.objects.get()
    assert saved.client == older
    assert not Consultation.objects.filter(client=newer).exists()


def test_a_name_typed_and_not_picked_is_stopped_before_saving(page, users):
    two_misaki()
    log_in(page, users[Role.COUNSELLOR])
    open_path(page, url_of("consultations:consultation_create"))
    page.locator("label.channel-button", has_text="電話").click()
    picker = page.get_by_role("combobox", name="相談者")
    picker.press_sequentially("鈴木 美咲")
    expect(page.get_by_role("listbox").get_by_role("option")).to_have_count(2)
    url = page.url

    page.get_by_role("button", name="保存", exact=False).first.click()
    problem = page.locator(".picker-problem")
    expect(problem).not_to_be_empty()
    expect(picker).to_have_attribute("aria-invalid", "true")
    expect(picker).to_be_focused()
    assert page.url == url
    assert not Consultation.objects.exists()

    # Picking one (a click this time) clears the message and saves.
    page.get_by_role("option", name=re.compile("C-000040")).click()
    expect(problem).to_be_empty()
    expect(picker).to_have_value("C-000040")
    page.locator("[name=main_complaint]").select_option("housing")
    page.get_by_role("button", name="保存", exact=False).first.click()
    expect(page.locator(".message.success")).to_be_visible()
    assert Consultation.objects.get().client.code == "C-000040"


def test_escape_closes_the_list_and_a_changed_text_drops_the_pick(page, users):
    two_misaki()
    log_in(page, users[Role.COUNSELLOR])
    open_path(page, url_of("consultations:consultation_create"))
    picker = page.get_by_role("combobox", name="相談者")
    picker.press_sequentially("C-000003")
    # A code typed in full is a pick already.
    expect(page.locator(".picker-chosen")).to_contain_text("鈴木 美咲")
    picker.press("Escape")
    expect(picker).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("listbox")).to_be_hidden()
    picker.press("Backspace")
    expect(page.locator(".picker-chosen")).to_be_empty()


def test_a_coordinator_books_a_night_by_searching_a_client_by_name(page, users):
    older, newer = two_misaki()
    room = RoomFactory(name="1号室")
    StayFactory(client=newer, room=room, start_date=dt.date(2021, 8, 1))
    arrive = timezone.localdate() + dt.timedelta(days=30)
    log_in(page, users[Role.COORDINATOR])
    open_path(page, url_of("shelter:stay_create"))

    picker = page.get_by_role("combobox", name="相談者", exact=True)
    picker.press_sequentially("すずき")
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(2)
    # What a coordinator may see: code, name, kana, age band, last stay.
    expect(options.nth(0)).to_contain_text("C-000040")
    expect(options.nth(0)).to_contain_text("2021年8月1日")
    expect(page.get_by_role("listbox")).not_to_contain_text("090")
    options.nth(1).click()
    expect(picker).to_have_value("C-000003")

    page.get_by_label("居室").select_option(str(room.pk))
    page.get_by_label("開始日").fill(f"{arrive:%Y-%m-%d}")
    page.get_by_label("終了日").fill(f"{arrive + dt.timedelta(days=1):%Y-%m-%d}")
    page.get_by_role("button", name="予約する").click()
    expect(page.locator(".message.success")).to_contain_text("C-000003")
    stay = Stay.objects.get(start_date=arrive)
    assert stay.client == older and stay.nights == 1


@pytest.mark.parametrize(
    ("role", "name"),
    [
        (Role.COUNSELLOR, "consultations:consultation_create"),
        (Role.COORDINATOR, "shelter:stay_create"),
        (Role.COORDINATOR, "shelter:unmet_create"),
    ],
)
def test_the_open_list_fits_a_375_px_screen(page, users, role, name):
    two_misaki()
    ClientFactory(
        code="C-000041",
        display_name="鈴木 美咲子さんという長いお名前の方",
        kana="すずき みさこさんというながいおなまえのかた",
    )
    page.set_viewport_size(PHONE)
    log_in(page, users[role])
    open_path(page, url_of(name))
    picker = page.locator("input[role=combobox]")
    picker.press_sequentially("鈴木")
    expect(page.get_by_role("listbox").get_by_role("option")).to_have_count(3)
    overflow = page.evaluate(
        "() => document.scrollingElement.scrollWidth"
        " - document.scrollingElement.clientWidth"
    )
    assert overflow <= 0, f"{overflow} px of horizontal scroll at 375 px"
    box = page.get_by_role("listbox").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
