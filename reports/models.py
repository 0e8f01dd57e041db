"""Programmes (事業) and their targets.

A programme is what the city funds in one fiscal year: its name, who runs it,
its budget lines in 千円, the narrative sections of the municipal summary and
its partner agencies. Its targets are either a computed metric (a key of the
registry in reports/metrics.py, whose actual value the database gives) or a
manual indicator (such as a citizen-survey rate, whose baseline, target and
actual the city types in).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

import jpdates
from accounts.scoping import FillsOrganisation, Scoped
from consultations.models import Channel

FISCAL_YEAR_VALIDATORS = [MinValueValidator(1989), MaxValueValidator(2100)]


class Programme(FillsOrganisation, models.Model):
    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"),
        validators=FISCAL_YEAR_VALIDATORS,
        help_text=_("The year the fiscal year starts in: 2021 for 令和3年度."),
    )
    name = models.CharField(_("programme name"), max_length=200)
    organisation = models.ForeignKey(
        "accounts.Organisation",
        verbose_name=_("organisation running it"),
        on_delete=models.PROTECT,
        related_name="programmes",
    )
    funder = models.ForeignKey(
        "accounts.Funder",
        verbose_name=_("funder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="programmes",
        help_text=_("The municipality or prefecture that funds it."),
    )
    municipality = models.CharField(_("municipality"), max_length=100)
    department = models.CharField(_("department in charge"), max_length=200, blank=True)
    contractor = models.CharField(_("contractor"), max_length=200, blank=True)
    project_cost_thousand_yen = models.PositiveIntegerField(
        _("project cost (thousand yen)"), null=True, blank=True
    )
    grant_thousand_yen = models.PositiveIntegerField(
        _("grant (thousand yen)"), null=True, blank=True
    )
    local_situation = models.TextField(_("local situation and issues"), blank=True)
    purpose = models.TextField(_("purpose and goals"), blank=True)
    features = models.TextField(_("features of the programme"), blank=True)
    effects = models.TextField(_("effects of the programme"), blank=True)
    future_issues = models.TextField(_("issues for the future"), blank=True)
    overview = models.TextField(_("outline of the programme"), blank=True)
    partner_agencies = models.ManyToManyField(
        "consultations.PartnerAgency",
        verbose_name=_("partner agencies"),
        blank=True,
        related_name="programmes",
    )
    other_partners = models.TextField(
        _("other partners"),
        blank=True,
        help_text=_("One per line: partners that are not in the agency list."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-fiscal_year", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "name"],
                name="programme_name_unique_in_year",
                violation_error_message=_(
                    "This fiscal year already has a programme with this name."
                ),
            ),
            models.CheckConstraint(
                condition=Q(fiscal_year__gte=1989, fiscal_year__lte=2100),
                name="programme_fiscal_year_plausible",
            ),
            models.CheckConstraint(
                condition=~Q(name=""), name="programme_name_not_blank"
            ),
            models.CheckConstraint(
                condition=Q(grant_thousand_yen__isnull=True)
                | Q(project_cost_thousand_yen__isnull=True)
                | Q(grant_thousand_yen__lte=F("project_cost_thousand_yen")),
                name="programme_grant_within_cost",
                violation_error_message=_(
                    "The grant cannot be larger than the project cost."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.fiscal_year_label} {self.name}"

    def get_absolute_url(self):
        return reverse("reports:programme_detail", args=[self.pk])

    @property
    def fiscal_year_label(self) -> str:
        return jpdates.fiscal_year_label(self.fiscal_year)

    @property
    def other_partner_lines(self) -> list[str]:
        return [
            line.strip() for line in self.other_partners.splitlines() if line.strip()
        ]


# The consultation channels a rule may name.
RULE_CHANNELS = tuple(Channel.values)


class ProgrammeRule(models.Model):
    """Where a record's programme comes from when nobody chooses one: records
    of one kind, optionally only of one channel, facility, group or LINE
    account, dated within [valid_from, valid_until], fall under the
    programme. A record that matches the rules of exactly one programme takes
    it (reports.attribution); one that matches none or two is left for a
    person to decide, and the data-quality page lists it."""

    class RecordKind(models.TextChoices):
        CONSULTATION = "consultation", _("Consultations")
        SUPPORT_ACTION = "support_action", _("Support actions")
        STAY = "stay", _("Stays")
        SALON_VISIT = "salon_visit", _("Salon visits")
        PEER_SESSION = "peer_session", _("Peer-support sessions")
        TRAINING_EVENT = "training_event", _("Training events")
        LINE_CHAT = "line_chat", _("LINE chats")

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="rules",
    )
    record_kind = models.CharField(
        _("records"), max_length=20, choices=RecordKind.choices
    )
    channel = models.CharField(
        _("consultation channel"),
        max_length=20,
        blank=True,
        help_text=_("Consultations only: only this channel."),
    )
    facility = models.ForeignKey(
        "shelter.Facility",
        verbose_name=_("facility"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    group = models.ForeignKey(
        "peergroups.Group",
        verbose_name=_("peer-support group"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    line_channel = models.ForeignKey(
        "consultations.LineChannel",
        verbose_name=_("LINE official account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    valid_from = models.DateField(_("from"))
    valid_until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("programme rule")
        verbose_name_plural = _("programme rules")
        ordering = ["programme", "record_kind", "valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="programme_rule_dates_in_order",
                violation_error_message=_("The end date is before the start date."),
            ),
            models.CheckConstraint(
                condition=Q(
                    record_kind__in=[
                        "consultation",
                        "support_action",
                        "stay",
                        "salon_visit",
                        "peer_session",
                        "training_event",
                        "line_chat",
                    ]
                ),  # fmt: skip
                name="programme_rule_kind_known",
            ),
            # Only consultations have a channel (support actions have none:
            # a channel in their rule could never match).
            models.CheckConstraint(
                condition=Q(channel="")
                | Q(record_kind="consultation", channel__in=RULE_CHANNELS),
                name="programme_rule_channel_for_consultations",
                violation_error_message=_(
                    "Only a rule for consultations can name a channel."
                ),
            ),
            models.CheckConstraint(
                condition=Q(facility__isnull=True)
                | Q(record_kind__in=["stay", "salon_visit"]),
                name="programme_rule_facility_for_places",
                violation_error_message=_(
                    "Only a rule for stays or salon visits can name a facility."
                ),
            ),
            models.CheckConstraint(
                condition=Q(group__isnull=True) | Q(record_kind="peer_session"),
                name="programme_rule_group_for_sessions",
                violation_error_message=_(
                    "Only a rule for peer-support sessions can name a group."
                ),
            ),
            models.CheckConstraint(
                condition=Q(line_channel__isnull=True) | Q(record_kind="line_chat"),
                name="programme_rule_line_account_for_chats",
                violation_error_message=_(
                    "Only a rule for LINE chats can name a LINE official account."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.programme} · {self.get_record_kind_display()}"

    def clean(self):
        """What the rule names fits its kind of records and belongs to the
        programme's organisation."""
        from shelter.models import Facility

        kind = self.RecordKind
        errors = {}
        if self.channel and self.record_kind != kind.CONSULTATION:
            errors["channel"] = _("Only a rule for consultations can name a channel.")
        elif self.channel and self.channel not in RULE_CHANNELS:
            errors["channel"] = _("Choose a channel.")
        places = {
            kind.STAY: Facility.Kind.SHELTER,
            kind.SALON_VISIT: Facility.Kind.SALON,
        }
        if self.facility_id and self.record_kind not in places:
            errors["facility"] = _(
                "Only a rule for stays or salon visits can name a facility."
            )
        elif self.facility_id and self.facility.kind != places[self.record_kind]:
            errors["facility"] = (
                _("Choose a shelter house.")
                if self.record_kind == kind.STAY
                else _("Choose a drop-in salon.")
            )
        if self.group_id and self.record_kind != kind.PEER_SESSION:
            errors["group"] = _(
                "Only a rule for peer-support sessions can name a group."
            )
        if self.line_channel_id and self.record_kind != kind.LINE_CHAT:
            errors["line_channel"] = _(
                "Only a rule for LINE chats can name a LINE official account."
            )
        try:
            # A new programme's rules (the admin's inline) hold it unsaved.
            organisation_id = self.programme.organisation_id
        except Programme.DoesNotExist:
            organisation_id = None
        if organisation_id is not None:
            for name in ("facility", "group", "line_channel"):
                if name in errors or not getattr(self, f"{name}_id"):
                    continue
                if getattr(self, name).organisation_id != organisation_id:
                    errors[name] = _(
                        "Choose one of the programme's organisation's own."
                    )
        if errors:
            raise ValidationError(errors)


class Target(models.Model):
    """One target of a programme: a computed metric or a manual indicator."""

    class Kind(models.TextChoices):
        METRIC = "metric", _("Computed from the records")
        MANUAL = "manual", _("Entered by hand")

    class Direction(models.TextChoices):
        AT_LEAST = "at_least", _("At least the target")
        AT_MOST = "at_most", _("At most the target")

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="targets",
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.METRIC
    )
    metric_key = models.CharField(_("metric"), max_length=50, blank=True)
    label = models.CharField(
        _("label"),
        max_length=200,
        blank=True,
        help_text=_("For a computed metric, leave blank to use the metric's name."),
    )
    unit = models.CharField(
        _("unit"),
        max_length=10,
        blank=True,
        help_text=_("For a computed metric, leave blank to use the metric's unit."),
    )
    direction = models.CharField(
        _("achieved when the actual is"),
        max_length=10,
        choices=Direction.choices,
        default=Direction.AT_LEAST,
    )
    target_value = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    target_year = models.PositiveSmallIntegerField(
        _("target fiscal year"),
        null=True,
        blank=True,
        validators=FISCAL_YEAR_VALIDATORS,
        help_text=_("Only if it differs from the programme's year (e.g. 2025)."),
    )
    baseline_value = models.DecimalField(
        _("baseline"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    baseline_year = models.PositiveSmallIntegerField(
        _("baseline fiscal year"),
        null=True,
        blank=True,
        validators=FISCAL_YEAR_VALIDATORS,
    )
    actual_value = models.DecimalField(
        _("actual"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Manual indicators only; computed metrics come from the records."),
    )

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["programme", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["metric", "manual"]), name="target_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(direction__in=["at_least", "at_most"]),
                name="target_direction_valid",
            ),
            models.CheckConstraint(
                condition=(Q(kind="metric") & ~Q(metric_key="") & Q(actual_value=None))
                | (Q(kind="manual") & Q(metric_key="") & ~Q(label="")),
                name="target_metric_or_manual",
            ),
            models.CheckConstraint(
                condition=Q(target_value__gte=0), name="target_value_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(baseline_value__isnull=True) | Q(baseline_value__gte=0),
                name="target_baseline_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(actual_value__isnull=True) | Q(actual_value__gte=0),
                name="target_actual_not_negative",
            ),
            models.UniqueConstraint(
                fields=["programme", "metric_key"],
                condition=Q(kind="metric"),
                name="target_metric_once_per_programme",
                violation_error_message=_("This programme already has this metric."),
            ),
        ]

    def __str__(self):
        return self.display_label

    def clean(self):
        from .metrics import REGISTRY

        errors = {}
        if self.kind == self.Kind.METRIC:
            if self.metric_key not in REGISTRY:
                errors["metric_key"] = _("Choose a metric.")
            self.actual_value = None
        elif self.kind == self.Kind.MANUAL:
            self.metric_key = ""
            if not self.label.strip():
                errors["label"] = _("A manual indicator needs a label.")
        if (self.baseline_value is None) != (self.baseline_year is None):
            errors["baseline_year"] = _(
                "Give the baseline and its fiscal year together, or neither."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def metric(self):
        from .metrics import REGISTRY

        return REGISTRY.get(self.metric_key) if self.kind == self.Kind.METRIC else None

    @property
    def display_label(self) -> str:
        if self.label:
            return self.label
        metric = self.metric
        return str(metric.label) if metric else self.metric_key

    @property
    def display_unit(self) -> str:
        if self.unit:
            return self.unit
        metric = self.metric
        return str(metric.unit) if metric else ""

    def is_achieved(self, actual: Decimal | int | None) -> bool | None:
        """True or False, or None when there is no actual value yet."""
        if actual is None:
            return None
        if self.direction == self.Direction.AT_MOST:
            return actual <= self.target_value
        return actual >= self.target_value


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("waiting to be checked")
    CHECKING = "checking", _("being checked")
    CHECKED = "checked", _("checked: ready to import")
    REFUSED = "refused", _("refused: nothing was imported")
    WRITING = "writing", _("being imported")
    DONE = "done", _("imported")
    CANCELLED = "cancelled", _("cancelled: nothing was imported")
    EXPIRED = "expired", _("deleted before it was imported")
    FAILED = "failed", _("stopped by an unexpected error: nothing was imported")


IMPORT_FINISHED = (
    ImportStatus.REFUSED,
    ImportStatus.DONE,
    ImportStatus.CANCELLED,
    ImportStatus.EXPIRED,
    ImportStatus.FAILED,
)


class ImportJob(Scoped):
    """One browser import: the uploaded file waits in the storage "imports" under
    ``token`` (never in the database) from the check to the confirmation.
    Small files are checked and written in the request, larger ones by the
    task worker (reports/tasks.py), which records its progress here. Nothing
    here holds personal data: the kind, counts, and the numbers of bad rows;
    the messages, which may quote cells, stay beside the file."""

    Status = ImportStatus
    RUNNING = (Status.QUEUED, Status.CHECKING, Status.WRITING)
    FINISHED = IMPORT_FINISHED

    kind = models.CharField(_("what the file holds"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    token = models.CharField(max_length=32, unique=True, editable=False)
    file_format = models.CharField(
        _("format"), max_length=4, choices=[("csv", "CSV"), ("xlsx", "XLSX")]
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.QUEUED
    )
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    error_rows = models.JSONField(
        _("first rows with errors"), default=list, blank=True, editable=False
    )
    message = models.CharField(_("message"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values),
                name="importjob_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=IMPORT_FINISHED, finished_at__isnull=False)
                | Q(finished_at__isnull=True) & ~Q(status__in=IMPORT_FINISHED),
                name="importjob_finished_when_final",
            ),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.status})"

    def get_absolute_url(self):
        return reverse("reports:import_job", args=[self.pk])

    @property
    def filename(self) -> str:
        return f"{self.token}.{self.file_format}"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING
