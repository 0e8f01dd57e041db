"""A coordinator books a stay from the room calendar, then is refused an
overlapping booking with the conflict message."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from jpdates import screen_date
from shelter.models import Stay
from shelter.tests.factories import RoomFactory
from tests.factories import ClientFactory

from .helpers import browser_db, log_in, url_of

pytestmark = [pytest.mark.browser, browser_db]


def next_month() -> dt.date:
    """The first of next month: every day of it is in the future."""
    today = timezone.localdate()
    return (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


@pytest.fixture
def coordinator(page, users):
    log_in(page, users[Role.COORDINATOR])
    return users[Role.COORDINATOR]


def free_cell(page, room, day: dt.date):
    return page.locator(f"td.free a[href*='room={room.pk}&start={day:%Y-%m-%d}']")


def test_coordinator_books_a_stay_in_the_calendar_then_gets_the_conflict_message(
    page, coordinator
):
    room = RoomFactory(name="1号室")
    RoomFactory(name="2号室", facility=room.facility)
    first, second = ClientFactory(code="C-200001"), ClientFactory(code="C-200002")
    month = next_month()
    arrive, leave = month.replace(day=10), month.replace(day=13)

    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="居室カレンダー"
    ).click()
    page.get_by_role("textbox", name="月").fill(f"{month:%Y-%m}")
    page.get_by_role("button", name="表示").click()
    expect(page.locator("h1 .subtitle")).to_contain_text(
        f"{month.year}年{month.month}月"
    )

    # Click the free cell of room 1 on the 10th: the form opens on that room and day.
    free_cell(page, room, arrive).click()
    expect(page.get_by_role("heading", name="居室を予約")).to_be_visible()
    expect(page.get_by_label("開始日")).to_have_value(f"{arrive:%Y-%m-%d}")
    expect(page.get_by_label("居室")).to_have_value(str(room.pk))
    page.get_by_role("combobox", name="相談者", exact=True).fill(first.code)
    page.get_by_label("終了日").fill(f"{leave:%Y-%m-%d}")
    page.get_by_role("button", name="予約する").click()

    # Back on the calendar of that month, the stay fills the 10th to the 12th.
    expect(page.locator(".message.success")).to_contain_text(first.code)
    stay_cell = page.locator("td.stay.reserved", has_text=first.display_name)
    expect(stay_cell).to_have_attribute("colspan", "3")
    expect(free_cell(page, room, arrive)).to_have_count(0)

    # An overlapping booking from the 8th to the 11th is refused, saying why.
    free_cell(page, room, month.replace(day=8)).click()
    page.get_by_role("combobox", name="相談者", exact=True).fill(second.code)
    page.get_by_label("終了日").fill(f"{month.replace(day=11):%Y-%m-%d}")
    page.get_by_role("button", name="予約する").click()

    error = page.get_by_role("alert")
    expect(error).to_contain_text("1号室は")
    expect(error).to_contain_text(screen_date(arrive, timezone.localdate()))
    expect(error).to_contain_text(
        "予約が入っています。別の日か別の居室を選んでください。"
    )
    expect(page.get_by_role("combobox", name="相談者", exact=True)).to_have_value(
        second.code
    )
    assert list(Stay.objects.values_list("client__code", flat=True)) == [first.code]

    # The same days in the other room are free.
    page.get_by_label("居室").select_option(label="やどかりハウス 2号室")
    page.get_by_role("button", name="予約する").click()
    expect(page.locator(".message.success")).to_contain_text(second.code)
    assert Stay.objects.count() == 2
    assert url_of("shelter:calendar") in page.url


def test_the_calendar_of_this_month_opens_from_the_menu(page, coordinator):
    RoomFactory(name="1号室")
    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="居室カレンダー"
    ).click()
    assert page.url == page.base + url_of("shelter:calendar")
    today = timezone.localdate()
    expect(page.locator("table.occupancy th.today .dom")).to_have_text(str(today.day))


def test_coordinator_books_an_entrusted_temporary_protection(page, coordinator):
    """The 一時保護委託 section opens when its box is ticked (no script), and
    the stay's page shows what was recorded. Fields are found by their ids:
    their Japanese labels arrive with the catalogue."""
    from consultations.models import PartnerAgency

    centre = PartnerAgency.objects.create(
        name="県女性相談支援センター",
        category=PartnerAgency.Category.WOMEN_SUPPORT_CENTRE,
    )
    room = RoomFactory(name="3号室（親子室）")
    person = ClientFactory(code="C-200003")
    month = next_month()
    arrive, leave = month.replace(day=3), month.replace(day=17)

    page.goto(
        page.base
        + url_of("shelter:stay_create")
        + f"?room={room.pk}&start={arrive:%Y-%m-%d}&end={leave:%Y-%m-%d}"
    )
    page.get_by_role("combobox", name="相談者", exact=True).fill(person.code)
    page.get_by_label("同伴児数").fill("1")
    agency = page.locator("#id_protection_agency")
    expect(agency).to_be_hidden()
    page.locator("#id_entrusted").check()
    expect(agency).to_be_visible()
    agency.select_option(str(centre.pk))
    page.locator("#id_protection_reference").fill("女相第127号")
    page.locator("#id_protection_consent_on").fill(f"{arrive:%Y-%m-%d}")
    page.locator("#id_protection_consent_method").select_option("written")
    page.locator("#id_protection_reason").select_option("spouse_violence")
    page.get_by_role("button", name="予約する").click()
    expect(page.locator(".message.success")).to_contain_text(person.code)

    stay = Stay.objects.get(client=person)
    assert stay.entrusted
    assert stay.protection_admitted_on == arrive  # blank: the first day
    assert stay.protection_children == 1  # blank: the accompanying children
    page.goto(page.base + stay.get_absolute_url())
    section = page.locator("section.protection-detail")
    expect(section).to_contain_text("県女性相談支援センター")
    expect(section).to_contain_text("女相第127号")
    expect(page.locator("h1 .badge.protection")).to_be_visible()
