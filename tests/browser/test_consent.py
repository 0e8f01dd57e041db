"""Consent and referrals in a browser (issue 19): a counsellor records a
client's consent, refers her to the agency relying on it, and downloads the
information letter (a PDF). The pages fit a phone (375 px) and a desktop
(1280 px) without sideways scrolling, every control is labelled and no id is
used twice. The steps use URLs and field names, not texts, so they hold in
either language."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from consultations.models import Consent, PartnerAgency, Referral
from tests.factories import ClientFactory

from .helpers import DESKTOP, browser_db, log_in, open_path
from .test_line_desk import LAYOUT_PROBLEMS, PHONE

pytestmark = [pytest.mark.browser, browser_db]


def fits(page, path: str) -> None:
    """The page at ``path`` has no layout problem at either width."""
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        open_path(page, path)
        problems = page.evaluate(LAYOUT_PROBLEMS)
        assert not problems, f"{path} at {size['width']}px: {problems}"
    page.set_viewport_size(DESKTOP)


def test_a_counsellor_records_consent_refers_and_downloads_the_letter(page, users):
    counsellor = users[Role.COUNSELLOR]
    person = ClientFactory(assigned_counsellor=counsellor)
    agency = PartnerAgency.objects.get(name="ハローワーク")
    log_in(page, counsellor)

    # The client's page, then the consent form.
    fits(page, person.get_absolute_url())
    consent_url = reverse("consultations:consent_create", args=[person.pk])
    page.locator(f'#consents a[href="{consent_url}"]').click()
    page.wait_for_url(page.base + consent_url)
    fits(page, consent_url)
    page.select_option("#id_agency", str(agency.pk))
    for value in ("1", "2"):  # name and contact details; the consultations
        page.check(f'input[name="categories"][value="{value}"]')
    end = timezone.localdate().replace(year=timezone.localdate().year + 1, day=1)
    page.fill("#id_valid_to", end.isoformat())
    page.check('input[name="method"][value="written"]')
    page.locator("form.form button[type=submit].primary").click()
    page.wait_for_url(page.base + person.get_absolute_url() + "#consents")
    consent = Consent.objects.get(client=person)
    assert consent.state == "valid" and consent.categories == 3
    assert page.locator("#consents ul.consents li").count() == 1

    # The referral, relying on that consent.
    referral_url = reverse("consultations:referral_create", args=[person.pk])
    page.locator(f'#consents a[href="{referral_url}"]').click()
    page.wait_for_url(page.base + referral_url)
    fits(page, referral_url)
    page.select_option("#id_agency", str(agency.pk))
    page.check('input[name="kind"][value="referral"]')
    page.check('input[name="categories"][value="1"]')
    page.select_option("#id_consent", str(consent.pk))
    page.locator("form.form button[type=submit].primary").click()
    referral = Referral.objects.get(client=person)
    page.wait_for_url(page.base + referral.get_absolute_url())
    assert referral.consent == consent and referral.support_action.kind == "referral"
    fits(page, referral.get_absolute_url())

    # The information letter.
    letter_url = reverse("consultations:referral_letter", args=[referral.pk])
    with page.expect_download() as info:
        page.locator(f'a[href="{letter_url}"]').click()
    pdf = Path(info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")

    # The agency accepts; the client's page lists the referral.
    page.locator('button[name="answer"][value="accepted"]').click()
    page.wait_for_url(page.base + referral.get_absolute_url())
    referral.refresh_from_db()
    assert referral.status == "accepted"
    fits(page, referral.get_absolute_url())  # now with the outcome form
    fits(page, person.get_absolute_url())
    assert page.locator("#consents ul.referrals li").count() == 1


def test_the_supervisors_list_of_overrides_fits_a_phone(page, users):
    from consultations.consent import services

    admin = users[Role.ADMIN]
    services.referral_create(
        by=users[Role.COUNSELLOR],
        client=ClientFactory(),
        agency=PartnerAgency.objects.get(name="警察署"),
        kind="information",
        date=timezone.localdate(),
        categories=65,
        override_reason="深夜に元夫が自宅付近に現れ、本人と連絡が取れないため"
        "警察署に情報提供した。" * 3,
    )
    log_in(page, admin)
    fits(page, reverse("consultations:team_worklist"))
    assert page.locator("#referral-overrides tbody tr").count() == 1
    fits(page, reverse("home"))
    assert page.locator("#referral-overrides tbody tr").count() == 1
