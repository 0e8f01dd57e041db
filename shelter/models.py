"""Places (居場所): facilities and rooms, stays, unmet requests, salon visits and
the opening calendars of each service.

A stay holds its room on the days from its start date up to (not including)
its end date: the nights. A day rest (一時利用) holds its room on its one date.
Two stays that are not cancelled never hold one room on the same day:
``Stay.clean()`` says so with the dates, and on PostgreSQL an exclusion
constraint makes it impossible whatever writes to the table.

An overnight stay may be an entrusted temporary protection (一時保護委託): the
prefecture's women's consultation support centre places a woman, with her
consent, in the shelter (see ``Stay`` for the fields and their rules).
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

import jpdates
from accounts.scoping import Scoped, ScopedManager, ScopedQuerySet
from consultations.consent.models import Consent
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


class ProtectionReason(models.TextChoices):
    """Why a woman was placed in temporary protection (一時保護の理由), along
    the main complaints (主訴) of the national statistics (福祉行政報告例).
    The codes are stable: the annual report's JSON carries them."""

    SPOUSE_VIOLENCE = "spouse_violence", _("Violence by her husband or partner")
    FAMILY_VIOLENCE = "family_violence", _("Violence by a child, parent or relative")
    DATING_VIOLENCE = "dating_violence", _("Violence by a dating partner")
    OTHER_VIOLENCE = "other_violence", _("Violence by someone else")
    SEXUAL_VIOLENCE = "sexual_violence", _("Sexual violence")
    HOUSING = "housing", _("Housing problems, nowhere to live")
    FINANCIAL = "financial", _("Financial problems")
    OTHER = "other", pgettext_lazy("protection reason", "Other")


class ProtectionDestination(models.TextChoices):
    """Where she went when the protection ended (退所先). Stable codes."""

    HOME = "home", _("Back home")
    INDEPENDENT = "independent", _("Her own home (flat etc.)")
    RELATIVES = "relatives", _("Relatives or acquaintances")
    WOMEN_FACILITY = "women_facility", _("Women's independence support facility")
    MOTHER_CHILD_FACILITY = (
        "mother_child_facility",
        _("Mother and child living support facility"),
    )
    OTHER_FACILITY = "other_facility", _("Another facility")
    MEDICAL = "medical", _("Medical institution")
    OTHER = "other", pgettext_lazy("protection destination", "Other")


# The fields of an entrusted temporary protection: empty unless the stay is
# one (constraint stay_protection_only_when_entrusted).
PROTECTION_FIELDS = (
    "protection_consent_on",
    "protection_consent_method",
    "protection_agency",
    "protection_reference",
    "protection_admitted_on",
    "protection_discharged_on",
    "protection_children",
    "protection_reason",
    "protection_destination",
)

_NOT_ENTRUSTED = Q(
    protection_consent_on__isnull=True,
    protection_consent_method="",
    protection_agency__isnull=True,
    protection_reference="",
    protection_admitted_on__isnull=True,
    protection_discharged_on__isnull=True,
    protection_children__isnull=True,
    protection_reason="",
    protection_destination="",
)


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
    day rest on one date (0 nights).

    **Entrusted temporary protection (一時保護委託).** An overnight stay (a day
    rest is not protection) may be one: the women's consultation support
    centre (a partner agency) places her here, with her consent, under its
    reference number. It records the consent (date and how it was given),
    the dates of admission and discharge, the children protected with her,
    the reason and, once discharged, where she went. The fields live on the
    stay itself, so that the database checks them against the stay's dates
    and children:

    - admission on a night of the stay: start date ≤ admission < end date
      (the protection may begin after she arrived, when the centre decides);
    - discharge on or after admission and at the latest on the day of
      departure (empty while she is still protected; checking out discharges
      her that day if nothing earlier was recorded);
    - consent on or before admission; children with her ≤ the stay's children.

    **Length of stay (在所日数)** = discharge − admission + 1 days: both the
    day of admission and the day of discharge count, as the prefectures
    count protection days (20–22 March is 3 days; ``protection_days``). A
    protection counts once, in the fiscal year its stay began, as the stay
    itself does (and so in the stay's programme, which is that year's), with
    its full length also when it ends in the next year (20 March – 10 April
    2022 is 22 days in 令和3年度 and nothing in 令和4年度); the average
    length is over the protections discharged by the time of the report
    (``selectors.temporary_protection_figures``)."""

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
    entrusted = models.BooleanField(
        _("entrusted temporary protection"),
        default=False,
        help_text=_(
            "Placed here by the women's consultation support centre (一時保護委託)."
        ),
    )
    protection_consent_on = models.DateField(
        _("consent given on"), null=True, blank=True
    )
    protection_consent_method = models.CharField(
        _("how consent was given"),
        max_length=10,
        choices=Consent.Method.choices,
        blank=True,
    )
    protection_agency = models.ForeignKey(
        "consultations.PartnerAgency",
        verbose_name=_("referring body"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    protection_reference = models.CharField(
        _("reference number of the referring body"), max_length=40, blank=True
    )
    protection_admitted_on = models.DateField(_("admitted on"), null=True, blank=True)
    protection_discharged_on = models.DateField(
        _("discharged on"), null=True, blank=True
    )
    protection_children = models.PositiveSmallIntegerField(
        _("children protected with her"), null=True, blank=True
    )
    protection_reason = models.CharField(
        _("reason for protection"),
        max_length=20,
        choices=ProtectionReason.choices,
        blank=True,
    )
    protection_destination = models.CharField(
        _("destination on discharge"),
        max_length=30,
        choices=ProtectionDestination.choices,
        blank=True,
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
            # Entrusted temporary protection (see the docstring).
            models.CheckConstraint(
                condition=Q(entrusted=False) | Q(kind="overnight"),
                name="stay_protection_only_overnight",
            ),
            models.CheckConstraint(
                condition=Q(entrusted=True) | _NOT_ENTRUSTED,
                name="stay_protection_only_when_entrusted",
            ),
            models.CheckConstraint(
                condition=Q(entrusted=False)
                | (
                    Q(
                        protection_consent_on__isnull=False,
                        protection_agency__isnull=False,
                        protection_admitted_on__isnull=False,
                        protection_children__isnull=False,
                    )
                    & ~Q(protection_consent_method="")
                    & ~Q(protection_reason="")
                ),
                name="stay_protection_complete",
            ),
            models.CheckConstraint(
                condition=Q(protection_consent_method__in=["", *Consent.Method.values]),
                name="stay_protection_consent_method_valid",
            ),
            models.CheckConstraint(
                condition=Q(protection_reason__in=["", *ProtectionReason.values]),
                name="stay_protection_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    protection_destination__in=["", *ProtectionDestination.values]
                ),
                name="stay_protection_destination_valid",
            ),
            models.CheckConstraint(
                condition=Q(protection_admitted_on__isnull=True)
                | Q(
                    protection_admitted_on__gte=F("start_date"),
                    protection_admitted_on__lt=F("end_date"),
                ),
                name="stay_protection_admitted_during_stay",
            ),
            models.CheckConstraint(
                condition=Q(protection_discharged_on__isnull=True)
                | Q(
                    protection_discharged_on__gte=F("protection_admitted_on"),
                    protection_discharged_on__lte=F("end_date"),
                ),
                name="stay_protection_discharged_in_order",
            ),
            models.CheckConstraint(
                condition=Q(protection_consent_on__isnull=True)
                | Q(protection_consent_on__lte=F("protection_admitted_on")),
                name="stay_protection_consent_before_admission",
            ),
            models.CheckConstraint(
                condition=Q(protection_children__isnull=True)
                | Q(protection_children__lte=F("children")),
                name="stay_protection_children_with_her",
            ),
            models.CheckConstraint(
                condition=Q(protection_destination="")
                | Q(protection_discharged_on__isnull=False),
                name="stay_protection_destination_after_discharge",
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
            # The annual report's temporary protections (by discharge date).
            models.Index(
                fields=["protection_discharged_on"],
                name="stay_protection_discharge",
                condition=Q(entrusted=True),
            ),
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
    def protection_days(self) -> int | None:
        """Length of an entrusted temporary protection in days, both the day
        of admission and the day of discharge counted; None until she is
        discharged."""
        if not (self.protection_admitted_on and self.protection_discharged_on):
            return None
        return (self.protection_discharged_on - self.protection_admitted_on).days + 1

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
        if not errors:
            errors.update(self.protection_errors())
        if errors:
            raise ValidationError(errors)
        self.check_room_is_free()

    def protection_errors(self) -> dict[str, ValidationError]:
        """What is wrong with the temporary protection, by field: the
        messages for the rules the constraints guarantee."""
        if not self.entrusted:
            for name in PROTECTION_FIELDS:
                field = self._meta.get_field(name)
                setattr(self, field.attname, None if field.null else "")
            return {}
        errors = {}
        if self.kind != self.Kind.OVERNIGHT:
            return {
                "entrusted": ValidationError(
                    _("Only an overnight stay can be a temporary protection."),
                    code="protection_day_rest",
                )
            }
        required = {
            "protection_consent_on": _("Give the date of her consent."),
            "protection_consent_method": _("Say how she gave her consent."),
            "protection_agency": _("Choose the body that placed her."),
            "protection_admitted_on": _("Give the date of admission."),
            "protection_children": _(
                "Give the number of children protected with her (0 if none)."
            ),
            "protection_reason": _("Choose the reason for the protection."),
        }
        for name, message in required.items():
            if getattr(self, self._meta.get_field(name).attname) in (None, ""):
                errors[name] = ValidationError(message, code="required")
        if not (self.start_date and self.end_date):
            return errors
        admitted = self.protection_admitted_on
        discharged = self.protection_discharged_on
        dates = {
            "start": jpdates.on_screen(self.start_date),
            "end": jpdates.on_screen(self.end_date),
        }
        if admitted and not (self.start_date <= admitted < self.end_date):
            errors["protection_admitted_on"] = ValidationError(
                _(
                    "Admission must be on a night of the stay: from %(start)s "
                    "to the day before %(end)s."
                ),
                code="protection_admission",
                params=dates,
            )
        if discharged and admitted and discharged < admitted:
            errors["protection_discharged_on"] = ValidationError(
                _("Discharge cannot be before admission."), code="protection_order"
            )
        elif discharged and discharged > self.end_date:
            errors["protection_discharged_on"] = ValidationError(
                _("Discharge must be at the latest on the day of departure, %(end)s."),
                code="protection_discharge",
                params=dates,
            )
        consent = self.protection_consent_on
        if consent and admitted and consent > admitted:
            errors["protection_consent_on"] = ValidationError(
                _("Her consent must come before admission (or on that day)."),
                code="protection_consent",
            )
        children = self.protection_children
        if children is not None and children > (self.children or 0):
            errors["protection_children"] = ValidationError(
                _(
                    "At most the children who stay with her (%(children)d); "
                    "change the accompanying children first."
                ),
                code="protection_children",
                params={"children": self.children or 0},
            )
        if self.protection_destination and not discharged:
            errors["protection_destination"] = ValidationError(
                _("Give the date of discharge with where she went."),
                code="protection_destination",
            )
        return errors

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
    """The stay's dates as pages show them."""
    return stay_dates_labeller()(kind, start, end)


def stay_dates_labeller(screen=jpdates.on_screen):
    """stay_dates_label() with its texts translated once, for a page that
    labels hundreds of stays (the calendar: a lazy text translated and
    formatted per stay was a tenth of its time); ``screen`` writes a date
    (the calendar passes one that remembers its dates)."""
    day_rest = str(_("%(date)s (day rest)"))
    overnight = str(_("%(start)s to %(end)s (%(nights)d nights)"))

    def label(kind: str, start: dt.date, end: dt.date) -> str:
        if kind == Stay.Kind.DAY_REST:
            return day_rest % {"date": screen(start)}
        return overnight % {
            "start": screen(start),
            "end": screen(end),
            "nights": (end - start).days,
        }

    return label


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
