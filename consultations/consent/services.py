"""Consent and referrals: the writes that carry a rule. Each validates,
writes in a transaction and records the audit entry (codes and ids only)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import Action, audit

from ..models import Client, PartnerAgency, SupportAction
from ..services import support_action_create
from .models import Consent, Referral, categories_of


def _refused(field: str, message: str, code: str) -> ValidationError:
    """A refusal on one field of the form, with its code."""
    return ValidationError({field: ValidationError(message, code=code)})


@transaction.atomic
def consent_record(
    *,
    by,
    client: Client,
    agency: PartnerAgency,
    categories: int,
    valid_from: dt.date,
    valid_to: dt.date,
    method: str,
) -> Consent:
    consent = Consent(
        client=client,
        agency=agency,
        categories=categories,
        valid_from=valid_from,
        valid_to=valid_to,
        method=method,
        recorded_by=by,
    )
    if valid_from and valid_to and valid_to < valid_from:
        raise _refused(
            "valid_to", _("The end date cannot be before the start date."), "period"
        )
    consent.full_clean()
    consent.save()
    audit(user=by, action=Action.CREATE, obj=consent)
    return consent


@transaction.atomic
def consent_withdraw(*, by, consent: Consent) -> Consent:
    """The client withdraws her consent: from now on no referral relies on it."""
    consent = (
        Consent.objects.select_for_update(of=("self",))
        .select_related("client")
        .get(pk=consent.pk)
    )
    if consent.withdrawn_at is not None:
        raise ValidationError(
            _("This consent was already withdrawn."), code="withdrawn"
        )
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = by
    consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit(user=by, action=Action.CHANGE, obj=consent, detail="withdrawn")
    return consent


def _check_consent(
    consent: Consent, *, client: Client, agency: PartnerAgency, day, categories
):
    """Why this consent does not allow the referral (a ValidationError), or
    nothing when it does."""
    if consent.client_id != client.pk:
        raise _refused(
            "consent", _("This consent is another client's."), "other_client"
        )
    if consent.agency_id != agency.pk:
        raise _refused(
            "consent",
            _("This consent is for another agency (%(agency)s), not for %(chosen)s.")
            % {"agency": consent.agency.name, "chosen": agency.name},
            "other_agency",
        )
    state = consent.state_on(day)
    if state == Consent.State.WITHDRAWN:
        raise _refused(
            "consent",
            _("This consent was withdrawn on %(date)s.")
            % {"date": f"{timezone.localdate(consent.withdrawn_at):%Y-%m-%d}"},
            "withdrawn",
        )
    if state == Consent.State.EXPIRED:
        raise _refused(
            "consent",
            _("This consent expired on %(date)s, before the referral's date.")
            % {"date": f"{consent.valid_to:%Y-%m-%d}"},
            "expired",
        )
    if state == Consent.State.NOT_YET:
        raise _refused(
            "consent",
            _("This consent is valid only from %(date)s, after the referral's date.")
            % {"date": f"{consent.valid_from:%Y-%m-%d}"},
            "not_yet",
        )
    uncovered = categories & ~consent.categories
    if uncovered:
        names = "、".join(str(c.label) for c in categories_of(uncovered))
        raise _refused(
            "categories",
            _("The consent does not cover: %(categories)s.") % {"categories": names},
            "not_covered",
        )


@transaction.atomic
def referral_create(
    *,
    by,
    client: Client,
    agency: PartnerAgency,
    kind: str,
    date: dt.date,
    categories: int,
    consent: Consent | None = None,
    override_reason: str = "",
) -> Referral:
    """Refer the client, or pass information about her, to a partner agency.

    It needs a consent valid on ``date`` for this agency that covers
    ``categories``; the consent's row is locked until the referral is saved,
    so that a withdrawal at the same moment waits for it (or it for the
    withdrawal, and is then refused). Without a consent it needs an emergency
    override: a reason, audited and shown on the supervisors' worklist.

    The referral is also recorded as a support action of kind referral (the
    reports count those), in the same transaction."""
    override_reason = (override_reason or "").strip()
    if date and date > timezone.localdate():
        raise _refused("date", _("A referral cannot be dated in the future."), "future")
    if consent is not None:
        if override_reason:
            raise ValidationError(
                _(
                    "Choose a consent or give a reason for an emergency override, "
                    "not both."
                ),
                code="both",
            )
        consent = (
            Consent.objects.select_for_update(of=("self",))
            .select_related("agency")
            .get(pk=consent.pk)
        )
        _check_consent(
            consent, client=client, agency=agency, day=date, categories=categories
        )
    elif not override_reason:
        raise _refused(
            "consent",
            _(
                "There is no consent for this. Record the client's consent "
                "first, or, in an emergency, give the reason for going ahead "
                "without it."
            ),
            "no_consent",
        )
    action = support_action_create(
        by=by,
        client=client,
        kind=SupportAction.Kind.REFERRAL,
        date=date,
        staff=by,
        partner_agency=agency,
    )
    referral = Referral(
        client=client,
        agency=agency,
        kind=kind,
        date=date,
        categories=categories,
        consent=consent,
        override_reason=override_reason,
        staff=by,
        support_action=action,
    )
    referral.full_clean()
    referral.save()
    audit(
        user=by,
        action=Action.CREATE,
        obj=referral,
        detail=f"consent#{consent.pk}" if consent else "emergency override",
    )
    return referral


def _locked(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("client")
        .get(pk=referral.pk)
    )


@transaction.atomic
def referral_answer(*, by, referral: Referral, accepted: bool) -> Referral:
    """The agency accepted or declined a sent referral."""
    referral = _locked(referral)
    if referral.status != Referral.Status.SENT:
        raise ValidationError(
            _("The agency's answer to this referral is already recorded."),
            code="answered",
        )
    referral.status = Referral.Status.ACCEPTED if accepted else Referral.Status.DECLINED
    referral.responded_at = timezone.now()
    referral.save(update_fields=["status", "responded_at"])
    audit(user=by, action=Action.CHANGE, obj=referral, detail=referral.status)
    return referral


@transaction.atomic
def referral_record_outcome(
    *, by, referral: Referral, outcome: str, outcome_date: dt.date
) -> Referral:
    """What came of an accepted or declined referral (once)."""
    referral = _locked(referral)
    if referral.status == Referral.Status.SENT:
        raise ValidationError(
            _("Record the agency's answer before the outcome."), code="not_answered"
        )
    if referral.has_outcome:
        raise ValidationError(
            _("The outcome of this referral is already recorded."), code="done"
        )
    outcome = (outcome or "").strip()
    if not outcome or outcome_date is None:
        raise _refused("outcome", _("Write the outcome and its date."), "required")
    referral.outcome = outcome
    referral.outcome_date = outcome_date
    referral.full_clean()
    referral.save(update_fields=["outcome", "outcome_date"])
    audit(user=by, action=Action.CHANGE, obj=referral, detail="outcome")
    return referral


def wipe_texts(client: Client) -> None:
    """Anonymisation (consultations.anonymise): the free texts about the
    client become the marker; the records stay, so the counts do too."""
    from ..anonymise import ANONYMISED_NAME

    Referral.objects.filter(client=client).exclude(override_reason="").update(
        override_reason=ANONYMISED_NAME
    )
    Referral.objects.filter(client=client).exclude(outcome="").update(
        outcome=ANONYMISED_NAME
    )
