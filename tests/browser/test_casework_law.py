"""Issue 19 end to end, as a counsellor's case goes: she assesses a woman,
writes her support plan, a supervisor approves it, she records the woman's
consent, refers her to an agency relying on it, and downloads the
information letter, which names the woman (her name and contact details are
covered) and only the information passed.

The steps are those of test_plans.py and test_consent.py, run on one case
in one sitting, in Japanese."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.roles import Role
from consultations.models import Consent, PartnerAgency, Referral, SupportPlan
from tests.factories import ClientFactory

from .helpers import browser_db, log_in, open_path

pytestmark = [pytest.mark.browser, browser_db]


def test_assess_plan_approve_consent_refer_and_download_the_letter(page, users):
    counsellor, supervisor = users[Role.COUNSELLOR], users[Role.ADMIN]
    person = ClientFactory(
        assigned_counsellor=counsellor, urgency="low", display_name="試験 さくら"
    )
    agency = PartnerAgency.objects.get(name="ハローワーク")
    client_path = person.get_absolute_url()
    plan_path = reverse("consultations:plan_detail", args=[person.pk])
    today = dt.date.today()

    log_in(page, counsellor)
    # 1. The urgency assessment: the answers suggest 高; saved, it is the
    #    case's urgency.
    open_path(page, reverse("consultations:assessment_create", args=[person.pk]))
    answers = {
        "violence": "severe", "abuser_knows": "yes", "children": "no_children",
        "suicide": "none", "housing": "unsure", "money": "short", "health": "ok",
    }  # fmt: skip
    for name, value in answers.items():
        page.locator(f"input[name={name}][value={value}]").check()
    page.locator("button[name=save]").click()
    page.wait_for_url(f"**{client_path}*")
    expect(page.locator(".assessment-history tbody tr")).to_have_count(1)
    person.refresh_from_db()
    assert person.urgency == "high"

    # 2. The support plan, a draft with one task.
    open_path(page, reverse("consultations:plan_create", args=[person.pk]))
    page.locator("#id_wishes").fill("「子どもと安心して暮らしたい。」")
    page.locator("#id_goals").fill("仕事を見つけて、住まいを決める。")
    page.locator("#id_review_on").fill((today + dt.timedelta(days=30)).isoformat())
    page.locator("form.form button.primary").click()
    page.wait_for_url(f"**{plan_path}*")
    expect(page.locator("#draft .badge.plan-draft").first).to_have_text(
        "下書き（未承認）"
    )
    page.locator("#task_description").fill("ハローワークへ同行する")
    page.locator("#task_owner_staff").select_option(str(counsellor.pk))
    page.locator("#task_due_on").fill((today + dt.timedelta(days=7)).isoformat())
    plan = SupportPlan.objects.get(client=person)
    task_create = reverse("consultations:task_create", args=[plan.pk])
    page.locator(f"form[action='{task_create}'] button").click()
    expect(page.locator("#draft .plan-tasks")).to_contain_text("ハローワークへ同行する")

    # 3. Another person, a supervisor, approves it.
    page.context.clear_cookies()
    log_in(page, supervisor)
    open_path(page, plan_path)
    page.locator("#draft form[action$='/approve/'] button").click()
    page.wait_for_url(f"**{plan_path}*")
    expect(page.locator("#current .badge.plan-approved")).to_be_visible()
    plan.refresh_from_db()
    assert (plan.status, plan.approved_by) == ("approved", supervisor)

    # 4. Back to the counsellor: the woman's consent, written.
    page.context.clear_cookies()
    log_in(page, counsellor)
    open_path(page, client_path)
    consent_url = reverse("consultations:consent_create", args=[person.pk])
    page.locator(f'#consents a[href="{consent_url}"]').click()
    page.wait_for_url(page.base + consent_url)
    page.select_option("#id_agency", str(agency.pk))
    for value in ("1", "32"):  # name and contact details; her finances
        page.check(f'input[name="categories"][value="{value}"]')
    page.fill("#id_valid_to", (today + dt.timedelta(days=180)).isoformat())
    page.check('input[name="method"][value="written"]')
    page.locator("form.form button[type=submit].primary").click()
    page.wait_for_url(page.base + client_path + "#consents")
    consent = Consent.objects.get(client=person)

    # 5. The referral to the agency, relying on it.
    referral_url = reverse("consultations:referral_create", args=[person.pk])
    page.locator(f'#consents a[href="{referral_url}"]').click()
    page.wait_for_url(page.base + referral_url)
    page.select_option("#id_agency", str(agency.pk))
    page.check('input[name="kind"][value="referral"]')
    page.check('input[name="categories"][value="1"]')
    page.select_option("#id_consent", str(consent.pk))
    page.locator("form.form button[type=submit].primary").click()
    referral = Referral.objects.get(client=person)
    page.wait_for_url(page.base + referral.get_absolute_url())
    assert referral.consent == consent

    # 6. The information letter.
    letter_url = reverse("consultations:referral_letter", args=[referral.pk])
    with page.expect_download() as info:
        page.locator(f'a[href="{letter_url}"]').click()
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    flat = "".join(text.split())
    assert "情報提供書" in flat and "ハローワーク" in flat
    assert "試験さくら" in flat  # her name: covered and passed
    assert "経済状況" not in flat  # covered, not passed
    assert person.code not in flat
