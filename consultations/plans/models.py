"""Urgency assessments, support plans with their tasks, and closure requests.

- An ``UrgencyAssessment`` is kept as it was saved (never edited: a new one
  is made instead), so a case shows how its risk changed over time.
- A ``SupportPlan`` is versioned per client (1, 2, ...). A draft takes effect
  when a supervisor who did not write it approves it; the approved version
  before it is then superseded. At most one approved and one draft per
  client.
- A ``ClosureRequest`` is a counsellor's closure of a case, waiting for a
  supervisor other than the requester to approve (the case closes) or
  decline it.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.scoping import Scoped

from ..models import Client, PartnerAgency

URGENCY_VALUES = ["high", "medium", "low"]


class UrgencyAssessment(Scoped):
    """A dated urgency assessment (緊急度アセスメント): structured answers, the
    level they suggest (``assessment.suggest_urgency``) and the level the
    counsellor chose; a level other than the suggested one has a reason."""

    organisation_from = "client"

    class Violence(models.TextChoices):
        NONE = "none", _("None")
        SOME = "some", _("Some")
        SEVERE = "severe", _("Severe")

    class AbuserKnows(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        UNKNOWN = "unknown", _("Unknown")

    class Children(models.TextChoices):
        YES = "yes", _("Yes")
        NO = "no", _("No")
        NO_CHILDREN = "no_children", _("No children")

    class Suicide(models.TextChoices):
        NONE = "none", _("None")
        THOUGHTS = "thoughts", _("Thoughts")
        PLAN = "plan", _("A plan")

    class Housing(models.TextChoices):
        SAFE = "safe", _("Safe")
        UNSURE = "unsure", _("Unsure")
        NONE_TONIGHT = "none_tonight", _("No place tonight")

    class Money(models.TextChoices):
        ENOUGH = "enough", _("Enough")
        SHORT = "short", _("Short")
        NONE = "none", _("None")

    class Health(models.TextChoices):
        OK = "ok", _("OK")
        NEEDS_CARE = "needs_care", _("Needs care")
        URGENT = "urgent", _("Urgent")

    ANSWERS = (
        "violence",
        "abuser_knows",
        "children",
        "suicide",
        "housing",
        "money",
        "health",
    )

    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="assessments",
    )
    assessed_on = models.DateField(_("date of the assessment"))
    violence = models.CharField(
        _("danger of violence"), max_length=10, choices=Violence.choices
    )
    abuser_knows = models.CharField(
        _("the abuser knows where she is"), max_length=10, choices=AbuserKnows.choices
    )
    children = models.CharField(
        _("children at risk"), max_length=12, choices=Children.choices
    )
    suicide = models.CharField(
        _("thoughts of suicide"), max_length=10, choices=Suicide.choices
    )
    housing = models.CharField(
        _("housing today and tonight"), max_length=12, choices=Housing.choices
    )
    money = models.CharField(
        _("money for the next days"), max_length=10, choices=Money.choices
    )
    health = models.CharField(_("health"), max_length=12, choices=Health.choices)
    suggested = models.CharField(
        _("suggested level"), max_length=10, choices=Client.Urgency.choices
    )
    chosen = models.CharField(
        _("chosen level"), max_length=10, choices=Client.Urgency.choices
    )
    reason = models.TextField(_("reason for another level"), blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("urgency assessment")
        verbose_name_plural = _("urgency assessments")
        ordering = ["-assessed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(violence__in=["none", "some", "severe"])
                & Q(abuser_knows__in=["yes", "no", "unknown"])
                & Q(children__in=["yes", "no", "no_children"])
                & Q(suicide__in=["none", "thoughts", "plan"])
                & Q(housing__in=["safe", "unsure", "none_tonight"])
                & Q(money__in=["enough", "short", "none"])
                & Q(health__in=["ok", "needs_care", "urgent"]),
                name="assessment_answers_valid",
            ),
            models.CheckConstraint(
                condition=Q(suggested__in=URGENCY_VALUES)
                & Q(chosen__in=URGENCY_VALUES),
                name="assessment_levels_valid",
            ),
            # Another level than the suggested one is explained.
            models.CheckConstraint(
                condition=Q(chosen=F("suggested")) | ~Q(reason=""),
                name="assessment_other_level_has_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["client", "assessed_on", "organisation"],
                name="assessment_client_day_org",
            )
        ]

    def __str__(self):
        return f"{self.assessed_on:%Y-%m-%d} {self.chosen}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError(
                "An urgency assessment is kept as it was saved; make a new one."
            )
        super().save(*args, **kwargs)

    @property
    def audit_client_code(self) -> str:
        return self.client.code

    @property
    def differs(self) -> bool:
        return self.chosen != self.suggested


class SupportPlan(Scoped):
    """A version of a client's support plan (支援方針・個別支援計画): her wishes
    in her own words, goals, a review date and tasks."""

    organisation_from = "client"

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        SUPERSEDED = "superseded", _("Superseded")

    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="support_plans",
    )
    version = models.PositiveIntegerField(_("version"), editable=False)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.DRAFT,
        editable=False,
    )
    wishes = models.TextField(
        _("her wishes, in her own words"),
        help_text=_("Write what she said, as she said it."),
    )
    goals = models.TextField(_("goals"))
    review_on = models.DateField(_("review date"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    approved_at = models.DateTimeField(
        _("approved at"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("support plan")
        verbose_name_plural = _("support plans")
        ordering = ["client", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "version"], name="support_plan_version_unique"
            ),
            # One plan in effect per client, and one draft being written.
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status="approved"),
                name="support_plan_one_approved",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status="draft"),
                name="support_plan_one_draft",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "approved", "superseded"]),
                name="support_plan_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="support_plan_version_positive"
            ),
            # Four eyes: nobody approves a plan she wrote.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("created_by")),
                name="support_plan_approver_not_author",
            ),
            # A draft has no approval; an approved (or superseded) plan has
            # its approver and time.
            models.CheckConstraint(
                condition=(
                    Q(
                        status="draft",
                        approved_by__isnull=True,
                        approved_at__isnull=True,
                    )
                )
                | (
                    Q(status__in=["approved", "superseded"])
                    & Q(approved_by__isnull=False, approved_at__isnull=False)
                ),
                name="support_plan_approval_recorded",
            ),
        ]
        indexes = [
            models.Index(
                fields=["review_on", "organisation"],
                name="support_plan_review_org",
                condition=Q(status="approved"),
            ),
        ]

    def __str__(self):
        return f"{self.client_id} v{self.version} {self.status}"

    def get_absolute_url(self):
        return reverse("consultations:plan_detail", args=[self.client_id])

    @property
    def audit_client_code(self) -> str:
        return self.client.code

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class PlanTask(Scoped):
    """A task of a support plan, owned by a member of staff or by a partner
    agency (exactly one), with a due date and a status."""

    organisation_from = "plan"

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    plan = models.ForeignKey(
        SupportPlan,
        verbose_name=_("support plan"),
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    description = models.CharField(_("task"), max_length=300)
    owner_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member of staff"),
        on_delete=models.PROTECT,
        related_name="plan_tasks",
        null=True,
        blank=True,
    )
    owner_agency = models.ForeignKey(
        PartnerAgency,
        verbose_name=_("partner agency"),
        on_delete=models.PROTECT,
        related_name="plan_tasks",
        null=True,
        blank=True,
    )
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("status changed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    status_changed_at = models.DateTimeField(
        _("status changed at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan task")
        verbose_name_plural = _("plan tasks")
        ordering = ["due_on", "id"]
        constraints = [
            # A member of staff or a partner agency: exactly one.
            models.CheckConstraint(
                condition=Q(owner_staff__isnull=False, owner_agency__isnull=True)
                | Q(owner_staff__isnull=True, owner_agency__isnull=False),
                name="plan_task_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "done", "dropped"]),
                name="plan_task_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_on", "organisation"],
                name="plan_task_open_due_org",
                condition=Q(status="open"),
            ),
        ]

    def __str__(self):
        return self.description

    @property
    def audit_client_code(self) -> str:
        return self.plan.client.code

    @property
    def owner_name(self) -> str:
        if self.owner_staff_id:
            return self.owner_staff.display_name
        return self.owner_agency.name if self.owner_agency_id else ""


class ClosureRequest(Scoped):
    """A case's closure, waiting for a supervisor's decision. Approved, the
    case closes (services.client_close); declined, it stays open, with the
    supervisor's note."""

    organisation_from = "client"

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting approval")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", pgettext_lazy("closure request", "Declined")

    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="closure_requests",
    )
    reason = models.CharField(
        _("closure reason"), max_length=20, choices=Client.ClosureReason.choices
    )
    note = models.TextField(_("note"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("supervisor's note"), blank=True)

    class Meta:
        verbose_name = _("closure request")
        verbose_name_plural = _("closure requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status="pending"),
                name="closure_request_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "declined"]),
                name="closure_request_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    reason__in=[
                        "resolved",
                        "referred",
                        "moved_away",
                        "lost_contact",
                        "other",
                    ]
                ),
                name="closure_request_reason_valid",
            ),
            # Four eyes: the requester does not decide.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="closure_request_decider_not_requester",
            ),
            models.CheckConstraint(
                condition=Q(
                    status="pending", decided_by__isnull=True, decided_at__isnull=True
                )
                | (
                    Q(status__in=["approved", "declined"])
                    & Q(decided_by__isnull=False, decided_at__isnull=False)
                ),
                name="closure_request_decision_recorded",
            ),
            # A declined request says why.
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decision_note=""),
                name="closure_request_decline_has_note",
            ),
        ]

    def __str__(self):
        return f"{self.client_id} {self.reason} {self.status}"

    @property
    def audit_client_code(self) -> str:
        return self.client.code
