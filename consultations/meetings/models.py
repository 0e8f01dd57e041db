"""Support coordination meetings (支援調整会議, Art. 15 of the 2024 act on
support for women facing difficulties; issue 20). Imported by
``consultations.models`` so that they belong to the consultations app.

- A ``CoordinationMeeting`` is held at one of three levels (代表者会議,
  実務者会議, 個別ケース検討会議) on a date, with the date of its next review.
- Its ``MeetingMember`` rows are persons or organisations: a member of staff
  (a user of this organisation) or someone from outside (a name and the
  organisation they come from: a partner agency or free text), or an
  organisation. Each has the date of its confidentiality pledge
  (守秘義務の確認) once recorded: a staff member without one does not open
  the meeting's case content; outside members' pledges are for the minutes.
- A ``MeetingCase`` is one client discussed: the situation and problems
  shared and the decisions. Its ``MeetingRole`` rows are the split of roles:
  which member does what by when. A staff member's role is also a next step
  (``consultations.FollowUp``) owned by her, so it reaches her worklist.

Case content (a case with its roles) is opened only by the meeting's pledged
staff members, the counsellor the client is assigned to, and admins
(``selectors.case_openable_by``); each opening writes an audit entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.scoping import Scoped

LEVELS = ["representatives", "practitioners", "case_review"]


class CoordinationMeeting(Scoped):
    """One sitting of the support coordination meeting."""

    class Level(models.TextChoices):
        REPRESENTATIVES = "representatives", _("Representatives' meeting")
        PRACTITIONERS = "practitioners", _("Practitioners' meeting")
        CASE_REVIEW = "case_review", _("Individual case review meeting")

    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    held_on = models.DateField(_("date held"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.TextField(
        _("agenda"),
        blank=True,
        help_text=_(
            "The topics in general terms. What is said about a person goes "
            "in her case, which only the members open."
        ),
    )
    next_review_on = models.DateField(_("next review date"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("support coordination meeting")
        verbose_name_plural = _("support coordination meetings")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=LEVELS), name="meeting_level_valid"
            ),
            models.CheckConstraint(
                condition=Q(next_review_on__isnull=True)
                | Q(next_review_on__gte=F("held_on")),
                name="meeting_review_not_before_held",
            ),
        ]
        indexes = [
            models.Index(fields=["held_on", "organisation"], name="meeting_held_org"),
        ]

    def __str__(self):
        return f"{self.get_level_display()} {self.held_on:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("consultations:meeting_detail", args=[self.pk])


class MeetingMember(Scoped):
    """A member of one meeting: a person or an organisation; a member of
    staff (``user``) or from outside (``name``, and their organisation as a
    partner agency or as free text)."""

    organisation_from = "meeting"

    class Kind(models.TextChoices):
        PERSON = "person", pgettext_lazy("member", "Person")
        ORGANISATION = "organisation", pgettext_lazy("member", "Organisation")

    meeting = models.ForeignKey(
        CoordinationMeeting,
        verbose_name=_("meeting"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member of staff"),
        on_delete=models.PROTECT,
        related_name="meeting_memberships",
        null=True,
        blank=True,
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    agency = models.ForeignKey(
        "consultations.PartnerAgency",
        verbose_name=_("partner agency"),
        on_delete=models.PROTECT,
        related_name="meeting_memberships",
        null=True,
        blank=True,
    )
    affiliation = models.CharField(
        _("organisation (if not a partner agency)"), max_length=100, blank=True
    )
    attended = models.BooleanField(_("attended"), default=True)
    pledged_on = models.DateField(
        _("confidentiality pledge date"), null=True, blank=True, editable=False
    )
    pledge_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pledge recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    pledge_recorded_on = models.DateField(
        _("pledge recorded on"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("meeting member")
        verbose_name_plural = _("meeting members")
        ordering = ["meeting", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["person", "organisation"]),
                name="meeting_member_kind_valid",
            ),
            # A member of staff is a person, and nothing else names her; an
            # outside person has a name; an organisation is a partner agency
            # or a name, never a user.
            models.CheckConstraint(
                condition=Q(
                    kind="person",
                    user__isnull=False,
                    name="",
                    agency__isnull=True,
                    affiliation="",
                )
                | (Q(kind="person", user__isnull=True) & ~Q(name=""))
                | (
                    Q(kind="organisation", user__isnull=True, affiliation="")
                    & (Q(agency__isnull=False) | ~Q(name=""))
                ),
                name="meeting_member_identified",
            ),
            # A pledge has its date, who recorded it and when; its date is
            # not after the day it was recorded (not in the future).
            models.CheckConstraint(
                condition=Q(
                    pledged_on__isnull=True,
                    pledge_recorded_by__isnull=True,
                    pledge_recorded_on__isnull=True,
                )
                | Q(
                    pledged_on__isnull=False,
                    pledge_recorded_by__isnull=False,
                    pledged_on__lte=F("pledge_recorded_on"),
                ),
                name="meeting_member_pledge_complete",
            ),
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(user__isnull=False),
                name="meeting_member_user_once",
            ),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.user_id:
            return self.user.display_name
        if self.kind == self.Kind.ORGANISATION:
            return self.agency.name if self.agency_id else self.name
        return self.name

    @property
    def organisation_name(self) -> str:
        """An outside person's organisation."""
        if self.kind != self.Kind.PERSON or self.user_id:
            return ""
        return self.agency.name if self.agency_id else self.affiliation

    @property
    def is_staff_member(self) -> bool:
        return self.user_id is not None

    @property
    def has_pledged(self) -> bool:
        return self.pledged_on is not None


class MeetingCase(Scoped):
    """A client discussed at a meeting: what was shared, what was decided."""

    organisation_from = "meeting"

    meeting = models.ForeignKey(
        CoordinationMeeting,
        verbose_name=_("meeting"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    client = models.ForeignKey(
        "consultations.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="meeting_cases",
    )
    situation = models.TextField(_("situation and problems shared"))
    decisions = models.TextField(_("decisions"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("case discussed")
        verbose_name_plural = _("cases discussed")
        ordering = ["meeting", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "client"], name="meeting_case_client_once"
            ),
            models.CheckConstraint(
                condition=~Q(situation=""), name="meeting_case_situation_not_blank"
            ),
        ]
        indexes = [
            models.Index(fields=["client", "organisation"], name="meeting_case_client"),
        ]

    def __str__(self):
        return f"{self.meeting} {self.client_id}"

    def get_absolute_url(self):
        return reverse("consultations:meeting_case", args=[self.pk])

    @property
    def audit_client_code(self) -> str:
        return self.client.code


class MeetingRole(Scoped):
    """Who does what by when, for one case: a member of the meeting. A
    staff member's role is also her next step (``follow_up``)."""

    organisation_from = "case"

    case = models.ForeignKey(
        MeetingCase,
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="roles",
    )
    member = models.ForeignKey(
        MeetingMember,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        related_name="roles",
    )
    task = models.CharField(_("what"), max_length=200)
    due_on = models.DateField(_("by when"))
    follow_up = models.OneToOneField(
        "consultations.FollowUp",
        verbose_name=_("next step"),
        on_delete=models.SET_NULL,
        related_name="meeting_role",
        null=True,
        blank=True,
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("split of roles")
        ordering = ["case", "due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(task=""), name="meeting_role_task_not_blank"
            ),
        ]

    def __str__(self):
        return self.task

    @property
    def audit_client_code(self) -> str:
        return self.case.client.code
