"""Consent per purpose, referrals only with valid consent, the emergency
override, the referral's states and the information letter (issue 19)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import jpdates
from accounts.models import AuditEntry
from accounts.roles import Role
from consultations.consent import services
from consultations.consent.models import Consent, InfoCategory, Referral, mask_of
from consultations.models import PartnerAgency, SupportAction
from reports.tests.helpers import pdf_fonts, pdf_text
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
C = InfoCategory


def today():
    return timezone.localdate()


@pytest.fixture
def agencies():
    return list(PartnerAgency.objects.order_by("pk")[:2])


@pytest.fixture
def person(counsellor):
    return ClientFactory(assigned_counsellor=counsellor)


def record(counsellor, person, agency, *, categories=None, start=None, end=None):
    return services.consent_record(
        by=counsellor,
        client=person,
        agency=agency,
        categories=categories or mask_of([C.NAME_CONTACT, C.CONSULTATION]),
        valid_from=start or today() - dt.timedelta(days=30),
        valid_to=end or today() + dt.timedelta(days=30),
        method=Consent.Method.WRITTEN,
    )


def refer(counsellor, person, agency, consent=None, **kwargs):
    return services.referral_create(
        by=counsellor,
        client=person,
        agency=agency,
        kind=kwargs.pop("kind", Referral.Kind.REFERRAL),
        date=kwargs.pop("date", today()),
        categories=kwargs.pop("categories", C.NAME_CONTACT.value),
        consent=consent,
        **kwargs,
    )


def nothing_written():
    return not Referral.objects.exists() and not SupportAction.objects.exists()


# CONSENT
# ------------------------------------------------------------------------------


def test_a_consent_is_recorded_and_audited(counsellor, person, agencies):
    consent = record(counsellor, person, agencies[0])
    assert consent.state == Consent.State.VALID
    entry = AuditEntry.objects.get(object_type="consultations.consent")
    assert (entry.action, entry.object_id, entry.client_code) == (
        "create",
        str(consent.pk),
        person.code,
    )


def test_a_consent_cannot_end_before_it_starts(counsellor, person, agencies):
    with pytest.raises(ValidationError):
        record(
            counsellor,
            person,
            agencies[0],
            start=today(),
            end=today() - dt.timedelta(days=1),
        )
    assert not Consent.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(
            client=person,
            agency=agencies[0],
            categories=1,
            valid_from=today(),
            valid_to=today() - dt.timedelta(days=1),
            method="written",
            recorded_by=counsellor,
        )


@pytest.mark.parametrize("categories", [0, 128])
def test_a_consent_covers_known_categories_only(
    counsellor, person, agencies, categories
):
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(
            client=person,
            agency=agencies[0],
            categories=categories,
            valid_from=today(),
            valid_to=today(),
            method="written",
            recorded_by=counsellor,
        )


def test_the_states_of_a_consent(counsellor, person, agencies):
    day = dt.date(2026, 6, 10)
    consent = Consent(valid_from=dt.date(2026, 6, 1), valid_to=dt.date(2026, 6, 30))
    assert consent.state_on(day) == "valid"
    assert consent.state_on(dt.date(2026, 5, 31)) == "not_yet"
    assert consent.state_on(dt.date(2026, 7, 1)) == "expired"
    assert consent.state_on(dt.date(2026, 6, 30)) == "valid"  # the last day
    consent.withdrawn_at = timezone.now()
    assert consent.state_on(day) == "withdrawn"


def test_withdrawing_ends_a_consent_once_and_is_audited(counsellor, person, agencies):
    consent = record(counsellor, person, agencies[0])
    services.consent_withdraw(by=counsellor, consent=consent)
    consent.refresh_from_db()
    assert consent.withdrawn_by == counsellor and consent.state == "withdrawn"
    assert AuditEntry.objects.filter(
        object_type="consultations.consent", action="change", detail="withdrawn"
    ).exists()
    with pytest.raises(ValidationError):
        services.consent_withdraw(by=counsellor, consent=consent)


def test_the_client_page_shows_each_consent_with_its_state(
    client_as, counsellor, person, agencies
):
    record(counsellor, person, agencies[0])  # valid
    record(
        counsellor,
        person,
        agencies[1],
        start=today() - dt.timedelta(days=60),
        end=today() - dt.timedelta(days=1),
    )  # expired
    record(
        counsellor,
        person,
        agencies[1],
        start=today() + dt.timedelta(days=1),
        end=today() + dt.timedelta(days=60),
    )  # not yet
    withdrawn = record(counsellor, person, agencies[0])
    services.consent_withdraw(by=counsellor, consent=withdrawn)
    page = client_as(counsellor).get(person.get_absolute_url()).content.decode()
    for label in ("Valid", "Expired", "Not yet valid", "Withdrawn"):
        assert f"{label}</span>" in page, label


def test_the_consent_form_records_one(client_as, counsellor, person, agencies):
    url = reverse("consultations:consent_create", args=[person.pk])
    response = client_as(counsellor).post(
        url,
        {
            "agency": agencies[0].pk,
            "categories": [C.HOUSING.value, C.FINANCES.value],
            "valid_from": "2026-04-01",
            "valid_to": "2026-03-31",
            "method": "spoken",
        },
    )
    assert response.status_code == 200  # the end before the start: refused
    assert not Consent.objects.exists()
    response = client_as(counsellor).post(
        url,
        {
            "agency": agencies[0].pk,
            "categories": [C.HOUSING.value, C.FINANCES.value],
            "valid_from": "2026-04-01",
            "valid_to": "2027-03-31",
            "method": "spoken",
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.categories == C.HOUSING | C.FINANCES
    assert consent.recorded_by == counsellor


# REFERRALS: ONLY WITH VALID CONSENT
# ------------------------------------------------------------------------------


def test_a_referral_with_valid_consent_is_a_support_action_too(
    counsellor, person, agencies
):
    consent = record(counsellor, person, agencies[0])
    referral = refer(counsellor, person, agencies[0], consent)
    action = referral.support_action
    assert (action.kind, action.partner_agency, action.client, action.date) == (
        "referral",
        agencies[0],
        person,
        today(),
    )
    entry = AuditEntry.objects.get(object_type="consultations.referral")
    assert entry.detail == f"consent#{consent.pk}"
    assert entry.client_code == person.code


def test_a_referral_without_consent_is_refused(counsellor, person, agencies):
    with pytest.raises(ValidationError) as error:
        refer(counsellor, person, agencies[0])
    assert error.value.error_dict["consent"][0].code == "no_consent"
    assert nothing_written()


@pytest.mark.parametrize(
    "start,end,code",
    [
        (-60, -1, "expired"),
        (1, 60, "not_yet"),
    ],
)
def test_a_referral_outside_the_consents_dates_is_refused(
    counsellor, person, agencies, start, end, code
):
    consent = record(
        counsellor,
        person,
        agencies[0],
        start=today() + dt.timedelta(days=start),
        end=today() + dt.timedelta(days=end),
    )
    with pytest.raises(ValidationError) as error:
        refer(counsellor, person, agencies[0], consent)
    assert error.value.error_dict["consent"][0].code == code
    assert nothing_written()


def test_a_referral_on_a_withdrawn_consent_is_refused(counsellor, person, agencies):
    consent = record(counsellor, person, agencies[0])
    services.consent_withdraw(by=counsellor, consent=consent)
    with pytest.raises(ValidationError) as error:
        refer(counsellor, person, agencies[0], consent)
    assert error.value.error_dict["consent"][0].code == "withdrawn"
    assert nothing_written()


def test_a_referral_relying_on_another_agencys_consent_is_refused(
    counsellor, person, agencies
):
    consent = record(counsellor, person, agencies[0])
    with pytest.raises(ValidationError) as error:
        refer(counsellor, person, agencies[1], consent)
    assert error.value.error_dict["consent"][0].code == "other_agency"
    assert nothing_written()


def test_a_referral_relying_on_another_clients_consent_is_refused(
    counsellor, person, agencies
):
    consent = record(counsellor, ClientFactory(), agencies[0])
    with pytest.raises(ValidationError) as error:
        refer(counsellor, person, agencies[0], consent)
    assert error.value.error_dict["consent"][0].code == "other_client"
    assert nothing_written()


def test_a_referral_passing_more_than_the_consent_covers_is_refused(
    counsellor, person, agencies
):
    consent = record(counsellor, person, agencies[0])  # name, consultation
    with pytest.raises(ValidationError) as error:
        refer(
            counsellor,
            person,
            agencies[0],
            consent,
            categories=mask_of([C.NAME_CONTACT, C.VIOLENCE]),
        )
    assert error.value.error_dict["categories"][0].code == "not_covered"
    assert str(C.VIOLENCE.label) in error.value.messages[0]
    assert nothing_written()


def test_a_referral_cannot_be_dated_in_the_future(counsellor, person, agencies):
    consent = record(counsellor, person, agencies[0])
    with pytest.raises(ValidationError):
        refer(counsellor, person, agencies[0], consent, date=today() + dt.timedelta(1))
    assert nothing_written()


def test_the_database_wants_a_consent_or_an_override_reason(
    counsellor, person, agencies
):
    action = SupportAction.objects.create(
        client=person, kind="referral", date=today(), staff=counsellor
    )
    consent = record(counsellor, person, agencies[0])
    for consent_, reason in ((None, ""), (consent, "急ぎ")):
        with pytest.raises(IntegrityError), transaction.atomic():
            Referral.objects.create(
                client=person,
                agency=agencies[0],
                kind="referral",
                date=today(),
                categories=1,
                consent=consent_,
                override_reason=reason,
                staff=counsellor,
                support_action=action,
            )


def test_the_referral_form_refuses_without_consent_and_writes_nothing(
    client_as, counsellor, person, agencies
):
    expired = record(
        counsellor,
        person,
        agencies[0],
        start=today() - dt.timedelta(days=60),
        end=today() - dt.timedelta(days=1),
    )
    url = reverse("consultations:referral_create", args=[person.pk])
    data = {
        "agency": agencies[0].pk,
        "kind": "information",
        "date": today().isoformat(),
        "categories": [C.NAME_CONTACT.value],
    }
    http = client_as(counsellor)
    response = http.post(url, data)
    assert response.status_code == 200
    assert "There is no consent for this." in response.content.decode()
    response = http.post(url, {**data, "consent": expired.pk})
    assert response.status_code == 200
    assert "This consent expired on" in response.content.decode()
    assert nothing_written()
    valid = record(counsellor, person, agencies[0])
    response = http.post(url, {**data, "consent": valid.pk})
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == referral.get_absolute_url()
    assert referral.kind == "information" and referral.consent == valid


# THE EMERGENCY OVERRIDE
# ------------------------------------------------------------------------------


def test_an_override_needs_a_reason_and_is_audited(counsellor, person, agencies):
    with pytest.raises(ValidationError):
        refer(counsellor, person, agencies[0], override_reason="   ")
    assert nothing_written()
    referral = refer(
        counsellor, person, agencies[0], override_reason="命の危険があり警察へ"
    )
    assert referral.is_override and referral.consent is None
    entry = AuditEntry.objects.get(object_type="consultations.referral")
    assert entry.detail == "emergency override"
    assert "命" not in entry.detail  # the reason stays out of the audit trail


def test_an_override_with_a_consent_too_is_refused(counsellor, person, agencies):
    consent = record(counsellor, person, agencies[0])
    with pytest.raises(ValidationError):
        refer(counsellor, person, agencies[0], consent, override_reason="急ぎ")
    assert nothing_written()


def test_overrides_are_on_the_supervisors_worklists_only(
    client_as, make_user, counsellor, admin_user, person, agencies
):
    refer(counsellor, person, agencies[0], override_reason="夜間に警察へ通報")
    supervisor = make_user(Role.COUNSELLOR, username="sv", is_supervisor=True)
    team = client_as(admin_user).get(reverse("consultations:team_worklist"))
    assert "夜間に警察へ通報" in team.content.decode()
    home = client_as(supervisor).get(reverse("home")).content.decode()
    assert "夜間に警察へ通報" in home and 'id="referral-overrides"' in home
    home = client_as(counsellor).get(reverse("home")).content.decode()
    assert "夜間に警察へ通報" not in home
    assert 'id="referral-overrides"' not in home


@pytest.mark.parametrize("page", ["team", "home"])
def test_the_overrides_list_is_one_query_whatever_its_length(
    client_as, make_user, admin_user, counsellor, person, agencies, page
):
    supervisor = make_user(Role.COUNSELLOR, username="sv", is_supervisor=True)
    http = client_as(admin_user if page == "team" else supervisor)
    url = reverse("consultations:team_worklist" if page == "team" else "home")

    def queries(n):
        for i in range(n):
            refer(counsellor, ClientFactory(), agencies[i % 2], override_reason="急")
        http.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert http.get(url).status_code == 200
        return len(ctx.captured_queries)

    assert queries(5) == queries(45)


# THE REFERRAL'S STATES
# ------------------------------------------------------------------------------


def test_sent_then_answered_then_outcome(counsellor, person, agencies):
    referral = refer(counsellor, person, agencies[0], override_reason="急ぎ")
    assert referral.status == "sent"
    with pytest.raises(ValidationError):  # no outcome before the answer
        services.referral_record_outcome(
            by=counsellor, referral=referral, outcome="x", outcome_date=today()
        )
    services.referral_answer(by=counsellor, referral=referral, accepted=False)
    referral.refresh_from_db()
    assert referral.status == "declined" and referral.responded_at
    with pytest.raises(ValidationError):  # answered once
        services.referral_answer(by=counsellor, referral=referral, accepted=True)
    with pytest.raises(ValidationError):  # an outcome has a text
        services.referral_record_outcome(
            by=counsellor, referral=referral, outcome=" ", outcome_date=today()
        )
    services.referral_record_outcome(
        by=counsellor, referral=referral, outcome="別の窓口へ", outcome_date=today()
    )
    with pytest.raises(ValidationError):  # and is recorded once
        services.referral_record_outcome(
            by=counsellor, referral=referral, outcome="y", outcome_date=today()
        )
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == ("declined", "別の窓口へ")
    details = set(
        AuditEntry.objects.filter(
            object_type="consultations.referral", action="change"
        ).values_list("detail", flat=True)
    )
    assert details == {"declined", "outcome"}


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "lost"},
        {"status": "accepted"},  # answered without a time
        {"responded_at": "now"},  # a time, still sent
        {"outcome": "x", "outcome_date": "today"},  # an outcome, still sent
    ],
)
def test_the_database_refuses_states_out_of_the_flow(
    counsellor, person, agencies, fields
):
    referral = refer(counsellor, person, agencies[0], override_reason="急ぎ")
    values = {
        k: timezone.now() if v == "now" else today() if v == "today" else v
        for k, v in fields.items()
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(**values)


def test_the_referral_page_answers_and_records_the_outcome(
    client_as, counsellor, person, agencies
):
    referral = refer(counsellor, person, agencies[0], override_reason="急ぎ")
    http = client_as(counsellor)
    assert http.get(referral.get_absolute_url()).status_code == 200
    http.post(
        reverse("consultations:referral_answer", args=[referral.pk]),
        {"answer": "accepted"},
    )
    http.post(
        reverse("consultations:referral_outcome", args=[referral.pk]),
        {"outcome": "面談につながった", "outcome_date": today().isoformat()},
    )
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.outcome == "面談につながった"


# THE SUPPORT-ACTION FORM
# ------------------------------------------------------------------------------


def test_the_support_action_form_sends_a_referral_to_an_agency_away(
    client_as, counsellor, person, agencies
):
    record(counsellor, person, agencies[0])  # even with consent: the form
    url = reverse("consultations:support_action_create", args=[person.pk])
    data = {
        "kind": "referral",
        "date": today().isoformat(),
        "staff": counsellor.pk,
        "partner_agency": agencies[0].pk,
    }
    response = client_as(counsellor).post(url, data)
    assert response.status_code == 200
    assert "Refer or provide information" in response.content.decode()
    assert not SupportAction.objects.exists()
    # Other kinds of support with an agency, and a referral without one
    # (to no agency), are recorded as before.
    for kind, agency in (("accompaniment", agencies[0].pk), ("referral", "")):
        response = client_as(counsellor).post(
            url, {**data, "kind": kind, "partner_agency": agency}
        )
        assert response.status_code == 302, kind
    assert SupportAction.objects.count() == 2


def test_an_action_cannot_be_turned_into_a_referral_nor_a_referrals_changed(
    client_as, counsellor, person, agencies
):
    action = SupportAction.objects.create(
        client=person, kind="accompaniment", date=today(), staff=counsellor,
        partner_agency=agencies[0],
    )  # fmt: skip
    url = reverse("consultations:support_action_update", args=[action.pk])
    data = {
        "kind": "referral",
        "date": today().isoformat(),
        "staff": counsellor.pk,
        "partner_agency": agencies[0].pk,
    }
    assert client_as(counsellor).post(url, data).status_code == 200
    action.refresh_from_db()
    assert action.kind == "accompaniment"
    referral = refer(counsellor, person, agencies[0], override_reason="急ぎ")
    url = reverse(
        "consultations:support_action_update", args=[referral.support_action_id]
    )
    # Its note may be edited; its kind and agency may not.
    response = client_as(counsellor).post(url, {**data, "note": "電話で連絡"})
    assert response.status_code == 302
    response = client_as(counsellor).post(
        url, {**data, "partner_agency": agencies[1].pk}
    )
    assert response.status_code == 200
    referral.support_action.refresh_from_db()
    assert referral.support_action.partner_agency == agencies[0]


# THE INFORMATION LETTER
# ------------------------------------------------------------------------------


def test_the_letter_names_only_what_the_consent_covers_and_the_referral_passes(
    client_as, counsellor, person, agencies
):
    consent = record(
        counsellor,
        person,
        agencies[0],
        categories=mask_of([C.NAME_CONTACT, C.HOUSING, C.CHILDREN]),
    )
    referral = refer(
        counsellor,
        person,
        agencies[0],
        consent,
        categories=mask_of([C.NAME_CONTACT, C.HOUSING]),
    )
    response = client_as(counsellor).get(
        reverse("consultations:referral_letter", args=[referral.pk])
    )
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = " ".join(pdf_text(response.content).split())
    for passed in (C.NAME_CONTACT, C.HOUSING):
        assert str(passed.label) in text
    # covered but not passed, and neither covered nor passed
    for absent in (C.CHILDREN, C.VIOLENCE, C.FINANCES):
        assert str(absent.label) not in text
    assert agencies[0].name in text
    assert person.organisation.name in text
    assert jpdates.to_wareki(today()) in text  # the referral's date
    assert jpdates.to_wareki(consent.valid_from) in text  # in wareki
    # Her name and contact details are passed: they are in the letter; her
    # code never is, nor the children's situation (covered, not passed).
    assert person.display_name in text
    if person.phone:
        assert person.phone in text
    assert person.code not in text
    assert "子ども" not in text

    # Without her name and contact details, the letter does not name her.
    housing_only = refer(
        counsellor, person, agencies[0], consent, categories=C.HOUSING.value
    )
    text = pdf_text(
        client_as(counsellor)
        .get(reverse("consultations:referral_letter", args=[housing_only.pk]))
        .content
    )
    assert person.display_name not in " ".join(text.split())
    assert str(C.HOUSING.label) in text
    assert "IPAexGothic" in pdf_fonts(response.content)
    entry = AuditEntry.objects.filter(action="export").earliest("pk")
    assert (entry.object_type, entry.object_id, entry.detail) == (
        "consultations.referral",
        str(referral.pk),
        "information letter",
    )


# ANONYMISATION
# ------------------------------------------------------------------------------


def test_anonymising_wipes_the_referrals_texts(counsellor, person, agencies):
    from consultations.anonymise import ANONYMISED_NAME, client_anonymise

    referral = refer(counsellor, person, agencies[0], override_reason="夫から逃げて")
    services.referral_answer(by=counsellor, referral=referral, accepted=True)
    services.referral_record_outcome(
        by=counsellor, referral=referral, outcome="入所", outcome_date=today()
    )
    client_anonymise(client=person, by=counsellor)
    referral.refresh_from_db()
    assert referral.override_reason == ANONYMISED_NAME
    assert referral.outcome == ANONYMISED_NAME
