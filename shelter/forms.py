import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import dataversion
from accounts.forms import OrganisationChoiceMixin
from consultations.forms import ListModelChoiceField
from consultations.models import Client, Consent, PartnerAgency
from consultations.picker import ClientPickerWidget, unknown_client
from reports.attribution import ProgrammeChoiceField

from .models import (
    PROTECTION_FIELDS,
    CalendarException,
    Facility,
    ProtectionDestination,
    ProtectionReason,
    Room,
    SalonVisit,
    Stay,
    UnmetRequest,
    Weekday,
)
from .selectors import BOOKING_FIELDS


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class ClientCodeField(forms.CharField):
    """A client picked by code, searched by name, kana or code in the client
    picker (consultations.picker); the coordinator sees code, display name,
    kana and age band only."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Client"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            ClientPickerWidget("shelter:client_lookup"),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        code = super().clean(value).strip()
        if not code:
            return None
        found = {
            c.code: c
            for c in Client.objects.only(*BOOKING_FIELDS).filter(
                code__in={code, code.upper()}
            )
        }
        client = found.get(code) or found.get(code.upper())
        if client is None:
            raise unknown_client(code)
        return client


def shelter_rooms():
    return (
        Room.objects.filter(
            active=True, facility__active=True, facility__kind=Facility.Kind.SHELTER
        )
        .select_related("facility")
        .order_by("facility__name", "order", "name")
    )


class RoomChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(queryset=shelter_rooms(), label=_("Room"), **kwargs)

    def label_from_instance(self, obj):
        return f"{obj.facility.name} {obj.name}"


def referring_bodies():
    """Active partner agencies, the women's consultation support centres
    first (they decide on temporary protection)."""
    centre = PartnerAgency.Category.WOMEN_SUPPORT_CENTRE
    return PartnerAgency.objects.filter(active=True).order_by(
        models.Case(
            models.When(category=centre, then=0),
            default=1,
            output_field=models.IntegerField(),
        ),
        "name",
    )


def _blank_first(choices):
    return [("", "---"), *choices]


class ProtectionFormMixin(forms.Form):
    """The 一時保護委託 section of a stay: a tick box, and the fields it asks
    for when ticked. ``visible_fields()`` leaves the section out, so that
    ``includes/form.html`` renders the rest and the page renders the section
    on its own (``protection_fields()``), hidden while the box is unticked."""

    entrusted = forms.BooleanField(
        label=_("Entrusted temporary protection (一時保護委託)"),
        required=False,
        help_text=_("Placed here by the women's consultation support centre."),
    )
    protection_agency = forms.ModelChoiceField(
        label=_("Referring body"),
        queryset=referring_bodies(),
        required=False,
    )
    protection_reference = forms.CharField(
        label=_("Their reference number"), max_length=40, required=False
    )
    protection_consent_on = forms.DateField(
        label=_("Her consent given on"), widget=DateInput(), required=False
    )
    protection_consent_method = forms.ChoiceField(
        label=_("How she gave her consent"),
        choices=_blank_first(Consent.Method.choices),
        required=False,
    )
    protection_reason = forms.ChoiceField(
        label=_("Reason for protection"),
        choices=_blank_first(ProtectionReason.choices),
        required=False,
    )
    protection_admitted_on = forms.DateField(
        label=_("Admitted on"),
        widget=DateInput(),
        required=False,
        help_text=_("Blank: the first day of the stay."),
    )
    protection_children = forms.IntegerField(
        label=_("Children protected with her"),
        min_value=0,
        max_value=Stay.MAX_CHILDREN,
        required=False,
        help_text=_("Blank: all the accompanying children."),
    )
    protection_discharged_on = forms.DateField(
        label=_("Discharged on"),
        widget=DateInput(),
        required=False,
        help_text=_("Blank while she is protected; checking out fills it in."),
    )
    protection_destination = forms.ChoiceField(
        label=_("Where she went"),
        choices=_blank_first(ProtectionDestination.choices),
        required=False,
    )

    def visible_fields(self):
        return [f for f in super().visible_fields() if f.name not in SECTION]

    def protection_fields(self):
        """The section's fields but the tick box."""
        return [self[name] for name in SECTION if name != "entrusted"]

    def protection(self, start_date, children) -> dict | None:
        """The protection for the services (``stay_book``'s ``protection``),
        None when the box is not ticked; blanks take the defaults the help
        texts give."""
        data = self.cleaned_data
        if not data.get("entrusted"):
            return None
        protection = {name: data.get(name) for name in PROTECTION_FIELDS}
        for name in ("protection_consent_method", "protection_reason",
                     "protection_destination", "protection_reference"):  # fmt: skip
            protection[name] = protection[name] or ""
        if protection["protection_admitted_on"] is None:
            protection["protection_admitted_on"] = start_date
        if protection["protection_children"] is None:
            protection["protection_children"] = children
        return protection


SECTION = tuple(ProtectionFormMixin.declared_fields)  # in the order declared


def protection_initial(stay: Stay) -> dict:
    initial = {name: getattr(stay, name) for name in PROTECTION_FIELDS}
    initial["protection_agency"] = stay.protection_agency_id
    initial["entrusted"] = stay.entrusted
    return initial


class StayForm(ProtectionFormMixin, forms.Form):
    """Book a room (or change a booking): overnight with a departure day, or a
    day rest on one date."""

    client = ClientCodeField()
    room = RoomChoiceField()
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Stay.Kind.choices,
        initial=Stay.Kind.OVERNIGHT,
        widget=forms.RadioSelect,
    )
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(
        label=_("End date"),
        required=False,
        widget=DateInput(),
        help_text=_("The day of departure. Leave blank for a day rest."),
    )
    children = forms.IntegerField(
        label=_("Accompanying children"),
        min_value=0,
        max_value=Stay.MAX_CHILDREN,
        initial=0,
    )
    programme = ProgrammeChoiceField()

    def clean(self):
        data = super().clean()
        kind, start, end = (
            data.get("kind"),
            data.get("start_date"),
            data.get("end_date"),
        )
        if kind == Stay.Kind.OVERNIGHT and start and not end:
            self.add_error(
                "end_date", _("Give the day of departure for an overnight stay.")
            )
        if kind == Stay.Kind.DAY_REST and start:
            if end and end != start:
                self.add_error(
                    "end_date",
                    _("A day rest is on one date: leave the end date blank."),
                )
            data["end_date"] = start
        return data

    def protection_for_stay(self) -> dict | None:
        data = self.cleaned_data
        return self.protection(data.get("start_date"), data.get("children"))


class StayProtectionForm(ProtectionFormMixin, forms.Form):
    """The section alone, for a stay that is no longer open (its discharge
    and where she went are often known only afterwards)."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class StayUpdateForm(StayForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["client"]


class StayFilterForm(forms.Form):
    client = forms.CharField(
        label=_("Client"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Code or name")}),
    )
    facility = ListModelChoiceField(
        label=_("Facility"),
        required=False,
        queryset=Facility.objects.filter(kind=Facility.Kind.SHELTER),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", "---"), *Stay.Status.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", "---"), *Stay.Kind.choices]
    )
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    entrusted = forms.BooleanField(
        label=_("Temporary protections only"), required=False
    )


class UnmetRequestForm(OrganisationChoiceMixin, forms.Form):
    # A client's request belongs to her organisation; only a request without
    # a client needs the choice (the service says so when it is missing).
    organisation_required = False

    date = forms.DateField(
        label=_("Date"), widget=DateInput(), initial=timezone.localdate
    )
    reason = forms.ChoiceField(
        label=_("Why they could not stay"),
        choices=UnmetRequest.Reason.choices,
        widget=forms.RadioSelect,
    )
    wanted = forms.ChoiceField(
        label=_("Wanted"),
        choices=Stay.Kind.choices,
        initial=Stay.Kind.OVERNIGHT,
    )
    client = ClientCodeField(
        required=False, help_text=_("Leave blank if the person is not a client.")
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=200,
        help_text=_("Short, and without names."),
    )


def split_codes(text: str) -> list[str]:
    return [c.strip().upper() for c in re.split(r"[\s,、，]+", text) if c.strip()]


class SalonVisitForm(forms.Form):
    facility = ListModelChoiceField(
        label=_("Salon"),
        queryset=Facility.objects.filter(kind=Facility.Kind.SALON, active=True),
    )
    date = forms.DateField(
        label=_("Date"), widget=DateInput(), initial=timezone.localdate
    )
    visitors = forms.IntegerField(
        label=_("Number of visitors"), min_value=0, max_value=SalonVisit.MAX_VISITORS
    )
    clients = forms.CharField(
        label=_("Clients who came (optional)"),
        required=False,
        help_text=_("Client codes separated by spaces or commas."),
    )
    programme = ProgrammeChoiceField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        salons = dataversion.cached_list(self.fields["facility"].queryset)
        if len(salons) == 1:
            self.fields["facility"].initial = salons[0].pk

    def clean_clients(self):
        codes = split_codes(self.cleaned_data["clients"])
        found = {
            c.code: c
            for c in Client.objects.only(*BOOKING_FIELDS).filter(code__in=codes)
        }
        missing = [c for c in codes if c not in found]
        if missing:
            raise ValidationError(
                _("No client has the code %(codes)s."),
                code="unknown_client",
                params={"codes": "、".join(missing)},
            )
        return [found[c] for c in dict.fromkeys(codes)]


class SalonVisitUpdateForm(SalonVisitForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].disabled = True
        self.fields["date"].disabled = True


class OpeningWeekForm(forms.Form):
    """Weekly days and hours of one service, and whether it closes on public
    holidays and over the year-end break."""

    closed_on_public_holidays = forms.BooleanField(
        label=_("Closed on public holidays"), required=False
    )
    closed_over_year_end = forms.BooleanField(
        label=_("Closed over the year-end break (29 December – 3 January)"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in Weekday.choices:
            self.fields[f"open_{value}"] = forms.BooleanField(
                label=label, required=False
            )
            self.fields[f"opens_{value}"] = forms.TimeField(
                label=_("Opens"), required=False, widget=TimeInput()
            )
            self.fields[f"closes_{value}"] = forms.TimeField(
                label=_("Closes"), required=False, widget=TimeInput()
            )

    @classmethod
    def initial_for(cls, calendar) -> dict:
        if calendar is None:
            return {"closed_on_public_holidays": True, "closed_over_year_end": True}
        initial = {
            "closed_on_public_holidays": calendar.closed_on_public_holidays,
            "closed_over_year_end": calendar.closed_over_year_end,
        }
        for hours in calendar.hours.all():
            initial[f"open_{hours.weekday}"] = True
            initial[f"opens_{hours.weekday}"] = hours.opens
            initial[f"closes_{hours.weekday}"] = hours.closes
        return initial

    def rows(self):
        return [
            (
                label,
                self[f"open_{value}"],
                self[f"opens_{value}"],
                self[f"closes_{value}"],
            )
            for value, label in Weekday.choices
        ]

    def clean(self):
        data = super().clean()
        weekly = {}
        for value, _label in Weekday.choices:
            if not data.get(f"open_{value}"):
                continue
            opens, closes = data.get(f"opens_{value}"), data.get(f"closes_{value}")
            if (opens is None) != (closes is None) or (
                opens and closes and opens >= closes
            ):
                self.add_error(
                    f"opens_{value}",
                    _(
                        "Give both hours, opening before closing, or neither "
                        "(open all day)."
                    ),
                )
            weekly[value] = (opens, closes)
        data["weekly"] = weekly
        return data


class CalendarExceptionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput())
    kind = forms.ChoiceField(
        label=_("Change"),
        choices=CalendarException.Kind.choices,
        widget=forms.RadioSelect,
        initial=CalendarException.Kind.CLOSED,
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=100)


def parse_month(text: str | None, default: dt.date) -> dt.date:
    """'2021-10' -> 2021-10-01; anything else gives the default's month."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", (text or "").strip())
    if match:
        year, month = int(match[1]), int(match[2])
        if 1900 < year < 2200 and 1 <= month <= 12:
            return dt.date(year, month, 1)
    return default.replace(day=1)
