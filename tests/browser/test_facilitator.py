"""A facilitator enters paper questionnaires with the 1–5 buttons form."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from training.models import SurveyResponse
from training.tests.factories import EventFactory

from .helpers import browser_db, log_in

pytestmark = [pytest.mark.browser, browser_db]


@pytest.fixture
def facilitator(page, users):
    log_in(page, users[Role.FACILITATOR])
    return users[Role.FACILITATOR]


def test_facilitator_enters_a_survey_with_the_score_buttons_and_the_keyboard(
    page, facilitator
):
    event = EventFactory(title="支援者研修会")

    page.get_by_role("navigation", name="メインメニュー").get_by_role(
        "link", name="研修・講演会"
    ).click()
    page.get_by_role("row", name=event.title).get_by_role(
        "link", name="アンケート入力"
    ).click()
    expect(page.get_by_role("heading", name="満足度アンケート")).to_be_visible()

    rows = page.locator("tr.survey-row")
    rows.nth(0).locator("label.score", has_text="5").click()
    rows.nth(0).get_by_label("回答者1: 感想").fill("とても参考になった")
    rows.nth(1).locator("label.score", has_text="4").click()
    rows.nth(2).locator("label.score", has_text="2").click()
    expect(rows.nth(0).get_by_role("radio", name="5")).to_be_checked()

    # Typing a score in a row picks it and moves on to the next row.
    rows.nth(3).get_by_role("radio", name="1").focus()
    page.keyboard.press("3")
    expect(rows.nth(3).get_by_role("radio", name="3")).to_be_checked()
    expect(rows.nth(4).get_by_role("radio", name="1")).to_be_focused()

    # A row picked by mistake is emptied again, and is then not saved.
    rows.nth(5).locator("label.score", has_text="1").click()
    rows.nth(5).get_by_role("button", name="消去").click()
    expect(rows.nth(5).get_by_role("radio", name="1")).not_to_be_checked()

    page.get_by_role("button", name="回答を保存").click()

    expect(page.locator(".message.success")).to_have_text("4件の回答を保存しました。")
    figures = page.locator("dl.figures")
    expect(figures).to_contain_text("4")
    expect(figures).to_contain_text("50.0%")  # 2 of 4 answered 4 or 5
    assert sorted(
        SurveyResponse.objects.filter(event=event).values_list(
            "satisfaction", flat=True
        )
    ) == [2, 3, 4, 5]
    assert SurveyResponse.objects.filter(comment="とても参考になった").count() == 1
