"""Places (居場所): facilities and rooms, stays, unmet requests, salon visits and
the opening calendars of each service.

A stay holds its room on the days from its start date up to (not including)
its end date: the nights. A day rest (一時利用) holds its room on its one date.
Two stays that are not cancelled never hold one room on the same day:
``Stay.clean()`` says so with the dates, and on PostgreSQL an exclusion
constraint makes it impossible whatever writes to the table.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.scoping import Scoped, ScopedManager, ScopedQuerySet
from reports.fields import programme_field

# FACILITIES AND ROOMS (master data, in the Django admin)
# ------------------------------------------------------------------------------


class Facility(Scoped):
    """A shelter house (e.g. やどかりハウス) or a drop-in salon."""

    class Kind(models.TextChoices):
        SHELTER = "shelter", _("Shelter house")
        SALON = "salon", _("Drop-in salon")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["shelter", "salon"]), name="facility_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(name=""), name="facility_name_not_blank"
            ),
            models.UniqueConstraint(
                fields=["organisation", "name"],
                name="facility_name_unique_in_organisation",
                violation_error_message=_(
                    "This organisation already has a facility with this name."
                ),
            ),
        ]

    def __str__(self):
        return self.name


class Room(models.Model):
    """A room of a shelter house; stays book one room."""

    scope_path = "facility__organisation"

    facility = models.ForeignKey(
        Facility,
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        related_name="rooms",
    )
    name = models.CharField(_("name"), max_length=50)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["facility__name", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "name"], name="room_name_unique_in_facility"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="room_name_not_blank"),
        ]

    def __str__(self):
        return f"{self.facility.name} {self.name}"

    def clean(self):
        if self.facility_id and self.facility.kind != Facility.Kind.SHELTER:
            raise ValidationError(
                {"facility": _("Only a shelter house has rooms.")}, code="not_shelter"
            )


# STAYS
# ------------------------------------------------------------------------------


class OccupiedDays(models.Func):
    """PostgreSQL: the days a stay holds its room, as a date range. Overnight:
    [start, end); day rest (end = start): [start, start + 1)."""

    function = "daterange"
    arity = 2

    def __init__(self, start, end, **extra):
        from django.contrib.postgres.fields import DateRangeField

        day_after_start = models.ExpressionWrapper(
            F(start) + models.Value(1), output_field=models.DateField()
        )
        super().__init__(
            F(start),
            Greatest(F(end), day_after_start),
            output_field=DateRangeField(),
            **extra,
        )

    def as_sql(self, compiler, connection, **extra_context):
        # daterange(start, end, '[)') with the bounds written into the SQL, so
        # that the constraint's DDL needs no parameter.
        return super().as_sql(
            compiler,
            connection,
            template="%(function)s(%(expressions)s, '[)')",
            **extra_context,
        )


class StayOverlapConstraint(ExclusionConstraint):
    """The exclusion constraint, on PostgreSQL only (SQLite has no such thing;
    there the check in Stay.clean() runs inside a write transaction that
    SQLite's IMMEDIATE mode serialises). Validation is left to Stay.clean(),
    which names the dates and works on both databases."""

    def constraint_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using=None):
        return None


class StayQuerySet(ScopedQuerySet):
    def counted(self):
        """Stays that count anywhere: all but the cancelled ones."""
        return self.exclude(status=Stay.Status.CANCELLED)

    def overlapping(self, start: dt.date, end: dt.date):
        """Stays holding their room on some day of [start, end) (end exclusive)."""
        return self.filter(start_date__lt=end).filter(
            Q(kind=Stay.Kind.OVERNIGHT, end_date__gt=start)
            | Q(kind=Stay.Kind.DAY_REST, start_date__gte=start)
        )


class Stay(Scoped):
    """One room booked for one client: overnight (nights = end − start) or a
    day rest on one date (0 nights)."""

    organisation_from = "client"
    programme = programme_field()

    class Kind(models.TextChoices):
        OVERNIGHT = "overnight", _("Overnight stay")
        DAY_REST = "day_rest", _("Day rest")

    class Status(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        CHECKED_IN = "checked_in", _("Checked in")
        COMPLETED = "completed", pgettext_lazy("stay", "Completed")
        CANCELLED = "cancelled", pgettext_lazy("stay", "Cancelled")

    MAX_CHILDREN = 10
    MAX_NIGHTS = 90

    room = models.ForeignKey(
        Room, verbose_name=_("room"), on_delete=models.PROTECT, related_name="stays"
    )
    client = models.ForeignKey(
        "consultations.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="stays",
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.OVERNIGHT
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(
        _("end date"), help_text=_("The day of departure; for a day rest, its date.")
    )
    children = models.PositiveSmallIntegerField(_("accompanying children"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RESERVED
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScopedManager.from_queryset(StayQuerySet)()

    class Meta:
        verbose_name = _("stay")
        verbose_name_plural = _("stays")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["overnight", "day_rest"]),
                name="stay_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["reserved", "checked_in", "completed", "cancelled"]
                ),
                name="stay_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind="overnight", end_date__gt=F("start_date"))
                | Q(kind="day_rest", end_date=F("start_date")),
                name="stay_dates_match_kind",
            ),
            models.CheckConstraint(
                condition=Q(children__lte=10), name="stay_children_plausible"
            ),
            StayOverlapConstraint(
                name="stay_no_overlap",
                expressions=[
                    ("room", RangeOperators.EQUAL),
                    (OccupiedDays("start_date", "end_date"), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status="cancelled"),
            ),
        ]
        indexes = [
            models.Index(fields=["room", "start_date"], name="stay_room_start"),
            models.Index(fields=["start_date", "end_date"], name="stay_dates"),
        ]

    def __str__(self):
        return f"{self.room} {self.dates_label}"

    def get_absolute_url(self):
        return reverse("shelter:stay_detail", args=[self.pk])

    @property
    def audit_client_code(self) -> str:
        return self.client.code if self.client_id else ""

    @property
    def nights(self) -> int:
        if self.kind == self.Kind.DAY_REST or not (self.start_date and self.end_date):
            return 0
        return (self.end_date - self.start_date).days

    @property
    def occupied_until(self) -> dt.date:
        """The first day after the stay on which the room is free again."""
        return max(self.end_date, self.start_date + dt.timedelta(days=1))

    @property
    def dates_label(self) -> str:
        return stay_dates_label(self.kind, self.start_date, self.end_date)

    @property
    def is_cancellable(self) -> bool:
        return self.status == self.Status.RESERVED

    @property
    def is_open(self) -> bool:
        """Reserved or checked in: still to happen or under way."""
        return self.status in (self.Status.RESERVED, self.Status.CHECKED_IN)

    def clean(self):
        errors = {}
        if self.room_id and not self.room.active:
            errors["room"] = _("This room is not in use.")
        if self.start_date and self.kind == self.Kind.DAY_REST:
            if self.end_date and self.end_date != self.start_date:
                errors["end_date"] = _(
                    "A day rest is on one date: leave the end date blank or give "
                    "the same date."
                )
            self.end_date = self.start_date
        elif self.start_date and self.end_date:
            if self.end_date <= self.start_date:
                errors["end_date"] = _(
                    "The end date must be after the start date (for a day rest "
                    "choose “Day rest”)."
                )
            elif self.nights > self.MAX_NIGHTS:
                errors["end_date"] = _(
                    "A stay is at most %(max)d nights; book a longer stay in parts."
                ) % {"max": self.MAX_NIGHTS}
        if self.children is not None and self.children > self.MAX_CHILDREN:
            errors["children"] = _("At most %(max)d accompanying children.") % {
                "max": self.MAX_CHILDREN
            }
        if errors:
            raise ValidationError(errors)
        self.check_room_is_free()

    def conflicts(self) -> models.QuerySet[Stay]:
        """Other stays, not cancelled, that hold this room on one of its days."""
        return (
            Stay.objects.counted()
            .filter(room_id=self.room_id)
            .overlapping(self.start_date, self.occupied_until)
            .exclude(pk=self.pk)
            .order_by("start_date")
        )

    def check_room_is_free(self) -> None:
        if self.status == self.Status.CANCELLED or not (
            self.room_id and self.start_date and self.end_date
        ):
            return
        taken = list(self.conflicts().only("kind", "start_date", "end_date")[:5])
        if taken:
            raise overlap_error(self.room, taken)


def stay_dates_label(kind: str, start: dt.date, end: dt.date) -> str:
    if kind == Stay.Kind.DAY_REST:
        return _("%(date)s (day rest)") % {"date": start.isoformat()}
    return _("%(start)s to %(end)s (%(nights)d nights)") % {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "nights": (end - start).days,
    }


def overlap_error(room: Room, taken) -> ValidationError:
    dates = "、".join(stay_dates_label(s.kind, s.start_date, s.end_date) for s in taken)
    return ValidationError(
        _("%(room)s is already booked for %(dates)s. Choose other dates or a room."),
        code="overlap",
        params={"room": str(room), "dates": dates},
    )


# UNMET REQUESTS
# ------------------------------------------------------------------------------


class UnmetRequest(Scoped):
    """Someone wanted to stay (or rest) but could not. The Ueda report names
    this gap: mothers who wanted a rest but could not leave home."""

    organisation_from = "client"

    class Reason(models.TextChoices):
        CHILDCARE = "childcare", _("Childcare")
        CAREGIVING = "caregiving", _("Caregiving")
        WORK = "work", _("Work")
        NO_ROOM = "no_room", _("No room free")
        OTHER = "other", _("Other")

    date = models.DateField(_("date"), db_index=True)
    client = models.ForeignKey(
        "consultations.Client",
        verbose_name=_("client"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="unmet_stay_requests",
    )
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    wanted = models.CharField(
        _("wanted"),
        max_length=10,
        choices=Stay.Kind.choices,
        default=Stay.Kind.OVERNIGHT,
    )
    note = models.CharField(
        _("note"),
        max_length=200,
        blank=True,
        help_text=_("Short, and without names."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("unmet request")
        verbose_name_plural = _("unmet requests")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    reason__in=["childcare", "caregiving", "work", "no_room", "other"]
                ),
                name="unmet_request_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(wanted__in=["overnight", "day_rest"]),
                name="unmet_request_wanted_valid",
            ),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_reason_display()}"

    @property
    def audit_client_code(self) -> str:
        return self.client.code if self.client_id else ""


# SALON VISITS
# ------------------------------------------------------------------------------


class SalonVisit(Scoped):
    """One day at a salon: how many people came, optionally naming clients."""

    organisation_from = "facility"
    programme = programme_field()

    MAX_VISITORS = 500

    facility = models.ForeignKey(
        Facility,
        verbose_name=_("salon"),
        on_delete=models.PROTECT,
        related_name="visits",
    )
    date = models.DateField(_("date"))
    visitors = models.PositiveIntegerField(_("number of visitors"))
    clients = models.ManyToManyField(
        "consultations.Client",
        verbose_name=_("named clients"),
        blank=True,
        related_name="salon_visits",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("salon visit day")
        verbose_name_plural = _("salon visits")
        ordering = ["-date", "facility__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "date"],
                name="salon_visit_one_per_day",
                violation_error_message=_(
                    "The visitors of this salon on this date are already recorded; "
                    "edit that entry instead."
                ),
            ),
            models.CheckConstraint(
                condition=Q(visitors__lte=500), name="salon_visit_visitors_plausible"
            ),
        ]

    def __str__(self):
        return f"{self.facility.name} {self.date:%Y-%m-%d}"

    def clean(self):
        if self.facility_id and self.facility.kind != Facility.Kind.SALON:
            raise ValidationError(
                {"facility": _("Choose a drop-in salon.")}, code="not_salon"
            )


# OPENING CALENDARS
# ------------------------------------------------------------------------------


class Service(models.TextChoices):
    CONSULTATION_DESK = "consultation", _("Consultation desk")
    PHONE_LINE = "phone_line", _("Phone and SNS line")
    SALON = "salon", _("Salon")
    SHELTER = "shelter", _("Shelter")
    LINE = "line", _("LINE desk")


class OpeningCalendar(models.Model):
    """When a service is open: weekly days and hours, closed on public holidays
    and over the year-end break unless told otherwise, plus one-off changes.
    Open days are computed from it (shelter.calendar.open_days)."""

    service = models.CharField(
        _("service"), max_length=20, choices=Service.choices, unique=True
    )
    closed_on_public_holidays = models.BooleanField(
        _("closed on public holidays"), default=True
    )
    closed_over_year_end = models.BooleanField(
        _("closed over the year-end break (29 December – 3 January)"), default=True
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("opening calendar")
        verbose_name_plural = _("opening calendars")
        ordering = ["service"]
        constraints = [
            models.CheckConstraint(
                condition=Q(service__in=Service.values),
                name="opening_calendar_service_valid",
            ),
        ]

    def __str__(self):
        return self.get_service_display()

    def get_absolute_url(self):
        return reverse("shelter:opening_calendar", args=[self.service])


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningHours(models.Model):
    """A weekday on which the service opens, with its hours (none: all day)."""

    calendar = models.ForeignKey(
        OpeningCalendar,
        verbose_name=_("opening calendar"),
        on_delete=models.CASCADE,
        related_name="hours",
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        ordering = ["calendar", "weekday"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "weekday"], name="opening_hours_one_per_weekday"
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=6), name="opening_hours_weekday_valid"
            ),
            models.CheckConstraint(
                condition=Q(opens__isnull=True, closes__isnull=True)
                | Q(opens__lt=F("closes")),
                name="opening_hours_opens_before_closes",
            ),
        ]

    def __str__(self):
        return f"{self.calendar} {self.get_weekday_display()}"


class CalendarException(models.Model):
    """A one-off change: a closure on a usual day, or an extra open day."""

    class Kind(models.TextChoices):
        CLOSED = "closed", pgettext_lazy("opening", "Closed")
        OPEN = "open", _("Extra open day")

    calendar = models.ForeignKey(
        OpeningCalendar,
        verbose_name=_("opening calendar"),
        on_delete=models.CASCADE,
        related_name="exceptions",
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["calendar", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"],
                name="calendar_exception_one_per_day",
                violation_error_message=_("This date already has a change."),
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["closed", "open"]),
                name="calendar_exception_kind_valid",
            ),
        ]

    def __str__(self):
        return f"{self.calendar} {self.date:%Y-%m-%d} {self.get_kind_display()}"
