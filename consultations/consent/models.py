"""Consent per purpose (同意) and the referrals and provisions of information
(紹介・情報提供) that rely on it (issue 19). Imported by
``consultations.models`` so that they belong to the consultations app.

What information a consent covers, and what a referral passes, is a set of
fixed categories (``InfoCategory``) kept as a bit mask: one integer column,
which the database checks holds only known categories.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scoping import Scoped


class InfoCategory(models.IntegerChoices):
    """The kinds of information a consent may cover (one bit each)."""

    NAME_CONTACT = 1, _("Name and contact details")
    CONSULTATION = 2, _("What the consultations are about")
    HEALTH = 4, _("Physical and mental health")
    CHILDREN = 8, _("Children's situation")
    HOUSING = 16, _("Housing situation")
    FINANCES = 32, _("Financial situation")
    VIOLENCE = 64, _("Experience of violence")


ALL_CATEGORIES = sum(InfoCategory.values)


def mask_of(values) -> int:
    """The bit mask of these categories (ints or numeric strings)."""
    mask = 0
    for value in values:
        mask |= int(value)
    return mask


def categories_of(mask: int) -> list[InfoCategory]:
    """The categories in a bit mask, in their fixed order."""
    return [c for c in InfoCategory if mask & c.value]


def _categories_known(model: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=models.Q(categories__gte=1, categories__lte=ALL_CATEGORIES),
        name=f"{model}_categories_known",
    )


class Consent(Scoped):
    """A client's consent that information of these categories may go to one
    partner agency between two dates. Withdrawing it ends it."""

    organisation_from = "client"

    class Method(models.TextChoices):
        WRITTEN = "written", _("In writing")
        SPOKEN = "spoken", _("Spoken")
        LINE = "line", _("Over LINE")

    class State(models.TextChoices):
        VALID = "valid", _("Valid")
        NOT_YET = "not_yet", _("Not yet valid")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    client = models.ForeignKey(
        "consultations.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="consents",
    )
    agency = models.ForeignKey(
        "consultations.PartnerAgency",
        verbose_name=_("partner agency"),
        on_delete=models.PROTECT,
        related_name="consents",
    )
    categories = models.PositiveSmallIntegerField(_("information covered"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    method = models.CharField(_("how it was given"), max_length=10, choices=Method)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("withdrawn by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-valid_to", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__gte=models.F("valid_from")),
                name="consent_period_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(method__in=["written", "spoken", "line"]),
                name="consent_method_valid",
            ),
            _categories_known("consent"),
            # Withdrawn means when and by whom.
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | models.Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="consent_withdrawal_complete",
            ),
        ]
        indexes = [
            models.Index(
                fields=["client", "agency", "valid_to"], name="consent_client_agency"
            ),
        ]

    def __str__(self):
        return f"{self.agency} {self.valid_from:%Y-%m-%d}–{self.valid_to:%Y-%m-%d}"

    @property
    def audit_client_code(self) -> str:
        return self.client.code

    def state_on(self, day: dt.date) -> str:
        """Valid, not yet valid, expired or withdrawn on ``day``. A withdrawn
        consent is withdrawn whatever the day: no new referral relies on it."""
        if self.withdrawn_at is not None:
            return self.State.WITHDRAWN
        if day < self.valid_from:
            return self.State.NOT_YET
        if day > self.valid_to:
            return self.State.EXPIRED
        return self.State.VALID

    @property
    def state(self) -> str:
        return self.state_on(timezone.localdate())

    @property
    def state_label(self) -> str:
        return self.State(self.state).label

    @property
    def category_list(self) -> list[InfoCategory]:
        return categories_of(self.categories)


class Referral(Scoped):
    """A referral or a provision of information to a partner agency. It
    relies on a consent valid that day for that agency and covering what it
    passes, or, in an emergency, on an override with a reason (which the
    supervisors see). Each one is also a support action of kind referral, so
    the reports count it."""

    organisation_from = "client"

    class Kind(models.TextChoices):
        REFERRAL = "referral", _("Referral")
        INFORMATION = "information", _("Provision of information")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")

    client = models.ForeignKey(
        "consultations.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    agency = models.ForeignKey(
        "consultations.PartnerAgency",
        verbose_name=_("partner agency"),
        on_delete=models.PROTECT,
        related_name="referrals",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    date = models.DateField(_("date"))
    categories = models.PositiveSmallIntegerField(_("information passed"))
    consent = models.ForeignKey(
        Consent,
        verbose_name=_("consent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    override_reason = models.TextField(
        _("reason for the emergency override"), blank=True
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    support_action = models.OneToOneField(
        "consultations.SupportAction",
        verbose_name=_("support action"),
        on_delete=models.PROTECT,
        related_name="referral",
        editable=False,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.SENT
    )
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    outcome_date = models.DateField(_("outcome date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["referral", "information"]),
                name="referral_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["sent", "accepted", "declined"]),
                name="referral_status_valid",
            ),
            _categories_known("referral"),
            # A consent, or else an emergency override with its reason.
            models.CheckConstraint(
                condition=(
                    models.Q(consent__isnull=False) & models.Q(override_reason="")
                )
                | (models.Q(consent__isnull=True) & ~models.Q(override_reason="")),
                name="referral_consent_or_override",
            ),
            # Sent until the agency answers; an answer has its time.
            models.CheckConstraint(
                condition=models.Q(status="sent", responded_at__isnull=True)
                | (~models.Q(status="sent") & models.Q(responded_at__isnull=False)),
                name="referral_answer_has_time",
            ),
            # An outcome (text and date) only after an answer.
            models.CheckConstraint(
                condition=models.Q(outcome="", outcome_date__isnull=True)
                | (
                    ~models.Q(outcome="")
                    & models.Q(outcome_date__isnull=False)
                    & models.Q(status__in=["accepted", "declined"])
                ),
                name="referral_outcome_after_answer",
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="referral_override_time",
                condition=models.Q(consent__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.date:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("consultations:referral_detail", args=[self.pk])

    @property
    def audit_client_code(self) -> str:
        return self.client.code

    @property
    def is_override(self) -> bool:
        return self.consent_id is None

    @property
    def has_outcome(self) -> bool:
        return self.outcome_date is not None

    @property
    def category_list(self) -> list[InfoCategory]:
        return categories_of(self.categories)
