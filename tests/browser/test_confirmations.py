"""Deleting asks first, under the real Content-Security-Policy: Chromium runs
the page's own script, which asks with confirm() (an inline onclick would be
blocked by the CSP and the delete would go through on one click). Dismissing
the question keeps the record; accepting deletes it."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from shelter.models import SalonVisit, UnmetRequest
from shelter.tests.factories import SalonVisitFactory, UnmetRequestFactory

from .helpers import browser_db, log_in, open_path

pytestmark = [pytest.mark.browser, browser_db]


class Dialogs:
    """Answers each confirm() with the next of ``answers`` and keeps what it
    asked."""

    def __init__(self, page):
        self.asked: list[str] = []
        self.answers: list[bool] = []
        page.on("dialog", self.answer)

    def answer(self, dialog):
        self.asked.append((dialog.type, dialog.message))
        if self.answers.pop(0):
            dialog.accept()
        else:
            dialog.dismiss()


def test_deleting_an_unmet_request_asks_first(page, users):
    unmet = UnmetRequestFactory(date=dt.date(2021, 10, 1), note="確認用の記録")
    log_in(page, users[Role.COORDINATOR])
    dialogs = Dialogs(page)
    path = "/shelter/unmet/?fy=2021"
    open_path(page, path)
    row = page.get_by_role("row").filter(has_text="確認用の記録")

    dialogs.answers.append(False)
    row.get_by_role("button", name="削除").click()
    assert dialogs.asked == [("confirm", "この記録を削除しますか？")]
    open_path(page, path)  # the list, fetched again, still has it
    expect(row).to_be_visible()
    assert UnmetRequest.objects.filter(pk=unmet.pk).exists()

    dialogs.answers.append(True)
    with page.expect_navigation():
        row.get_by_role("button", name="削除").click()
    expect(page.get_by_role("status")).to_contain_text(
        "利用できなかった希望を削除しました。"
    )
    assert len(dialogs.asked) == 2
    expect(row).to_have_count(0)
    assert not UnmetRequest.objects.filter(pk=unmet.pk).exists()


def test_deleting_a_salon_day_asks_first_and_saving_does_not(page, users):
    visit = SalonVisitFactory(date=dt.date(2021, 10, 6), visitors=4)
    log_in(page, users[Role.COORDINATOR])
    dialogs = Dialogs(page)
    path = f"/shelter/salon/{visit.pk}/"
    open_path(page, path)

    dialogs.answers.append(False)
    page.get_by_role("button", name="削除").click()
    assert dialogs.asked == [("confirm", "この記録を削除しますか？")]
    open_path(page, path)
    expect(page.get_by_role("button", name="削除")).to_be_visible()
    assert SalonVisit.objects.filter(pk=visit.pk).exists()

    # Saving asks nothing (Enter in a field submits with the first button).
    page.get_by_label("利用者数").fill("5")
    with page.expect_navigation():
        page.get_by_label("利用者数").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("記録を保存しました")
    visit.refresh_from_db()
    assert visit.visitors == 5 and len(dialogs.asked) == 1

    # From the keyboard: Tab to the delete button, press Enter, accept.
    open_path(page, path)
    dialogs.answers.append(True)
    page.get_by_role("button", name="削除").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("記録を削除しました。")
    assert len(dialogs.asked) == 2
    assert not SalonVisit.objects.filter(pk=visit.pk).exists()
