"""Issue 19 in a browser: a counsellor assesses a client, writes a support
plan with a task, and a supervisor approves it; the plan then shows as
approved. Both people's pages fit a phone (375 px) and a desktop (1280 px)
without scrolling sideways.

The locators use names and ids, not texts: the pages' new texts are English
until the Japanese catalogue has them."""

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.roles import Role
from consultations.models import SupportPlan
from tests.factories import ClientFactory

from .helpers import DESKTOP, browser_db, log_in, open_path

pytestmark = [pytest.mark.browser, browser_db]
PHONE = {"width": 375, "height": 740}


def fits(page, path: str) -> None:
    """The page at ``path`` has no horizontal overflow on a phone or a desktop."""
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        open_path(page, path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], (
            f"{path} is {width}px wide at {viewport['width']}px"
        )
    page.set_viewport_size(DESKTOP)


def test_assess_write_a_plan_and_have_it_approved(page, users):
    counsellor, supervisor = users[Role.COUNSELLOR], users[Role.ADMIN]
    person = ClientFactory(assigned_counsellor=counsellor, urgency="low")
    client_path = reverse("consultations:client_detail", args=[person.pk])
    plan_path = reverse("consultations:plan_detail", args=[person.pk])

    log_in(page, counsellor)
    # The assessment: answers, the suggested level, then saved.
    open_path(page, reverse("consultations:assessment_create", args=[person.pk]))
    answers = {
        "violence": "severe", "abuser_knows": "yes", "children": "no_children",
        "suicide": "none", "housing": "unsure", "money": "short", "health": "ok",
    }  # fmt: skip
    for name, value in answers.items():
        page.locator(f"input[name={name}][value={value}]").check()
    page.locator("button[name=preview]").click()
    expect(page.locator("#suggested-level .badge.urgency-high")).to_be_visible()
    page.locator("button[name=save]").click()
    page.wait_for_url(f"**{client_path}*")
    expect(page.locator(".assessment-history tbody tr")).to_have_count(1)
    expect(page.locator("h1 .badge.urgency-high")).to_be_visible()
    fits(page, client_path)

    # The plan: written as a draft, with a task.
    open_path(page, reverse("consultations:plan_create", args=[person.pk]))
    page.locator("#id_wishes").fill("「子どもと安心して暮らしたい。」")
    page.locator("#id_goals").fill("安全な住まいを見つける。")
    page.locator("#id_review_on").fill(
        (dt.date.today() + dt.timedelta(days=30)).isoformat()
    )
    page.locator("form.form button.primary").click()
    page.wait_for_url(f"**{plan_path}*")
    expect(page.locator("#draft .badge.plan-draft").first).to_be_visible()
    page.locator("#task_description").fill("市役所の窓口へ同行する")
    page.locator("#task_owner_staff").select_option(str(counsellor.pk))
    page.locator("#task_due_on").fill(
        (dt.date.today() + dt.timedelta(days=7)).isoformat()
    )
    task_create = reverse(
        "consultations:task_create", args=[SupportPlan.objects.get().pk]
    )
    page.locator(f"form[action='{task_create}'] button").click()
    expect(page.locator("#draft .plan-tasks")).to_contain_text("市役所の窓口へ同行する")
    # Not hers to approve.
    expect(page.locator("#draft form[action$='/approve/']")).to_have_count(0)
    fits(page, plan_path)

    # The supervisor approves it.
    page.context.clear_cookies()
    log_in(page, supervisor)
    expect(page.locator("#approvals .plans-awaiting")).to_contain_text(person.code)
    open_path(page, plan_path)
    fits(page, plan_path)
    page.locator("#draft form[action$='/approve/'] button").click()
    page.wait_for_url(f"**{plan_path}*")
    expect(page.locator("#current .badge.plan-approved")).to_be_visible()
    expect(page.locator("#current .plan-tasks")).to_contain_text(
        "市役所の窓口へ同行する"
    )
    expect(page.locator("#draft")).to_have_count(0)
    plan = SupportPlan.objects.get()
    assert (plan.status, plan.approved_by) == ("approved", supervisor)
    fits(page, plan_path)
    fits(page, client_path)
