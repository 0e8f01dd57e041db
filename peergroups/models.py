"""Peer-support groups (ピアサポートグループ), their sessions and who attended.

Counting rule (SPEC §2: participants = named clients + anonymous head count):

* a session's **named** attendees are clients, each at most once (a unique
  constraint);
* its **anonymous count** is the number of people present who are *not* named;
* its **participants** are named + anonymous.

So nobody is counted twice. Forms never ask for the anonymous count directly:
they ask for everyone present (the head count taken in the room) and the
named clients, and store head count − named (refusing a head count smaller
than the number named). A named client who was also counted in the head count,
the usual mistake, is therefore counted once. An imported session has no named
attendees, so its 参加者数 is its anonymous count and its participants.

A session spanning several days (Ueda's New Year gathering, 1–3 January) is
one session with an end date; it counts once, in the fiscal year of its first
day.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.scoping import Scoped, ScopedManager
from reports.fields import programme_field

MAX_HEAD_COUNT = 1000


class Group(Scoped):
    """A peer-support group: the people who meet, under one name."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("peer-support group")
        verbose_name_plural = _("peer-support groups")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name=""), name="peergroup_name_not_blank"
            ),
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="peergroup_name_unique_in_organisation",
                violation_error_message=_(
                    "This organisation already has a group with this name."
                ),
            ),
        ]

    def __str__(self):
        return self.name


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")
    MONTHLY = "monthly", _("Once a month (the n-th weekday)")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeekOfMonth(models.IntegerChoices):
    FIRST = 1, _("first")
    SECOND = 2, _("second")
    THIRD = 3, _("third")
    FOURTH = 4, _("fourth")
    LAST = -1, _("last")


class HolidayPolicy(models.TextChoices):
    SKIP = "skip", _("Skip the date")
    MOVE = "move", _("Move to the next weekday that is not a holiday")
    HOLD = "hold", _("Hold the session on the holiday")


class Series(models.Model):
    """How a run of sessions was planned: a rule, a period and a rule for
    public holidays. The sessions it created are ordinary sessions, edited one
    by one; the dates it skipped (or moved) are kept here to show them."""

    scope_path = "group__organisation"

    group = models.ForeignKey(
        Group,
        verbose_name=_("group"),
        on_delete=models.PROTECT,
        related_name="series",
    )
    frequency = models.CharField(_("repeats"), max_length=12, choices=Frequency.choices)
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    week_of_month = models.SmallIntegerField(
        _("week of the month"), choices=WeekOfMonth.choices, null=True, blank=True
    )
    first_date = models.DateField(_("from"))
    last_date = models.DateField(_("until"))
    holiday_policy = models.CharField(
        _("on a public holiday"),
        max_length=4,
        choices=HolidayPolicy.choices,
        default=HolidayPolicy.SKIP,
    )
    # [{"date": "2022-01-10", "holiday": "成人の日", "moved_to": "2022-01-11"|None}]
    skipped = models.JSONField(_("skipped or moved dates"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("session series")
        verbose_name_plural = _("session series")
        ordering = ["-first_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(last_date__gte=models.F("first_date")),
                name="peergroup_series_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="peergroup_series_weekday_valid",
            ),
            models.CheckConstraint(
                condition=(
                    Q(frequency="monthly", week_of_month__in=[1, 2, 3, 4, -1])
                    | (
                        Q(frequency__in=["weekly", "fortnightly"])
                        & Q(week_of_month__isnull=True)
                    )
                ),
                name="peergroup_series_week_of_month_for_monthly_only",
            ),
            models.CheckConstraint(
                condition=Q(holiday_policy__in=["skip", "move", "hold"]),
                name="peergroup_series_holiday_policy_valid",
            ),
        ]

    def __str__(self):
        return f"{self.group} {self.first_date:%Y-%m-%d}–{self.last_date:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("peergroups:series_detail", args=[self.pk])

    def clean(self):
        if (
            self.first_date is not None
            and self.last_date is not None
            and self.last_date < self.first_date
        ):
            raise ValidationError(
                {"last_date": _("The last date must not be before the first.")}
            )
        if self.frequency == Frequency.MONTHLY and self.week_of_month is None:
            raise ValidationError(
                {"week_of_month": _("Choose which week of the month.")}
            )
        if self.frequency != Frequency.MONTHLY:
            self.week_of_month = None

    def skipped_dates(self) -> list[tuple[date, str, date | None]]:
        """(planned date, holiday name, the date it moved to or None)."""
        return [
            (
                date.fromisoformat(item["date"]),
                item.get("holiday", ""),
                date.fromisoformat(item["moved_to"]) if item.get("moved_to") else None,
            )
            for item in self.skipped
        ]

    def describe(self) -> str:
        from .series import describe_rule

        return describe_rule(self.frequency, self.weekday, self.week_of_month)


class Session(Scoped):
    """One meeting of a group. ``end_date`` is set only for a session over
    several days; it is still one session."""

    organisation_from = "group"
    programme = programme_field()

    group = models.ForeignKey(
        Group,
        verbose_name=_("group"),
        on_delete=models.PROTECT,
        related_name="sessions",
    )
    series = models.ForeignKey(
        Series,
        verbose_name=_("series"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
    )
    date = models.DateField(_("date"), db_index=True)
    end_date = models.DateField(
        _("last day"),
        null=True,
        blank=True,
        help_text=_("Only for a session over several days, e.g. 1–3 January."),
    )
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("facilitator"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="facilitated_sessions",
    )
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    anonymous_count = models.PositiveSmallIntegerField(
        _("anonymous participants"),
        default=0,
        help_text=_("People present who are not named as clients."),
    )
    attendees = models.ManyToManyField(
        "consultations.Client",
        through="Attendance",
        verbose_name=_("named participants"),
        related_name="peer_sessions",
        blank=True,
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("peer-support session")
        verbose_name_plural = _("peer-support sessions")
        ordering = ["date", "start_time", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=models.F("date")),
                name="peergroup_session_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(anonymous_count__gte=0)
                & Q(anonymous_count__lte=MAX_HEAD_COUNT),
                name="peergroup_session_anonymous_count_range",
            ),
            models.CheckConstraint(
                # On one day the session ends after it starts; over several
                # days the end time is on the last day.
                condition=Q(end_date__isnull=False)
                | Q(start_time__isnull=True)
                | Q(end_time__isnull=True)
                | Q(end_time__gt=models.F("start_time")),
                name="peergroup_session_end_time_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.group} {self.date:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("peergroups:session_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.end_date is not None and self.date is not None:
            if self.end_date == self.date:
                self.end_date = None  # a one-day session has no last day
            elif self.end_date < self.date:
                errors["end_date"] = _(
                    "The last day must be after the first day. Leave it blank "
                    "for a one-day session."
                )
        if (
            self.end_date is None
            and self.start_time is not None
            and self.end_time is not None
            and self.end_time <= self.start_time
        ):
            errors["end_time"] = _("The end time must be after the start time.")
        if errors:
            raise ValidationError(errors)

    @property
    def last_day(self):
        return self.end_date or self.date

    @property
    def is_multi_day(self) -> bool:
        return self.end_date is not None


class Attendance(models.Model):
    """A named client at a session (each client at most once)."""

    scope_path = "session__organisation"

    session = models.ForeignKey(
        Session,
        verbose_name=_("session"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    client = models.ForeignKey(
        "consultations.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="peer_attendances",
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client"], name="peergroup_attendance_once"
            ),
        ]

    def __str__(self):
        return f"{self.session} {self.client.code}"

    @property
    def audit_client_code(self) -> str:
        return self.client.code
