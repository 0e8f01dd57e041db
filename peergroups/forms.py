from __future__ import annotations

import re
import unicodedata

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from accounts.forms import OrganisationChoiceMixin
from accounts.roles import Role
from consultations.models import Client
from reports.attribution import ProgrammeChoiceField

from .models import MAX_HEAD_COUNT, Frequency, Group, Series, Session


def facilitator_choices():
    """Facilitators and admins of the user's organisations."""
    return (
        scoping.members_of()
        .filter(
            Q(groups__name__in=[Role.FACILITATOR, Role.ADMIN]) | Q(is_superuser=True),
            is_active=True,
        )
        .distinct()
        .order_by("username")
    )


class FacilitatorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = f"{obj.last_name} {obj.first_name}".strip()
        return f"{name} ({obj.username})" if name else obj.username


def parse_client_codes(text: str) -> list[str]:
    """Codes separated by spaces, commas, 、 or new lines, in the order given,
    each once (full-width characters accepted)."""
    text = unicodedata.normalize("NFKC", text or "")
    codes = []
    for code in re.split(r"[\s,、;]+", text):
        code = code.strip().upper()
        if code and code not in codes:
            codes.append(code)
    return codes


class ClientCodesField(forms.CharField):
    """Named participants by client code; cleans to a list of clients (one
    query)."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})

    def clean(self, value):
        value = super().clean(value)
        codes = parse_client_codes(value)
        if not codes:
            return []
        found = {c.code: c for c in Client.objects.filter(code__in=codes)}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(
                _("No client with the code %(codes)s."),
                code="unknown_client",
                params={"codes": "、".join(unknown)},
            )
        return [found[c] for c in codes]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class GroupForm(OrganisationChoiceMixin, forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name", "description", "active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class SessionForm(forms.ModelForm):
    """A session with its attendance: everyone present (head count) and the
    clients among them who are named. The anonymous count is worked out."""

    head_count = forms.IntegerField(
        label=_("People present (head count)"),
        min_value=0,
        max_value=MAX_HEAD_COUNT,
        initial=0,
        help_text=_(
            "Everyone who took part, named or not. The named clients below are "
            "part of this number, so nobody is counted twice."
        ),
    )
    client_codes = ClientCodesField(
        label=_("Named clients (client codes)"),
        required=False,
        help_text=_("For example C-000012 C-000034 (spaces, commas or new lines)."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    programme = ProgrammeChoiceField()

    class Meta:
        model = Session
        fields = [
            "group",
            "date",
            "end_date",
            "start_time",
            "end_time",
            "place",
            "facilitator",
            "theme",
            "programme",
        ]
        widgets = {
            "date": DateInput(),
            "end_date": DateInput(),
            "start_time": TimeInput(),
            "end_time": TimeInput(),
        }
        field_classes = {"facilitator": FacilitatorChoiceField}

    def __init__(self, *args, attendees=None, **kwargs):
        super().__init__(*args, **kwargs)
        groups = Group.objects.all()
        if self.instance.pk is None:
            groups = groups.filter(active=True)
        else:
            groups = groups.filter(Q(active=True) | Q(pk=self.instance.group_id))
        self.fields["group"].queryset = groups
        self.fields["facilitator"].queryset = facilitator_choices()
        self.fields["programme"].for_record(self.instance if self.instance.pk else None)
        if self.instance.pk is not None and not self.is_bound:
            attendees = list(attendees or [])
            self.initial["client_codes"] = " ".join(c.code for c in attendees)
            self.initial["head_count"] = self.instance.anonymous_count + len(attendees)
            self.initial["version"] = self.instance.version

    def _post_clean(self):
        # The service validates the model (with the attendance); the form only
        # checks its own fields.
        pass


class SeriesForm(forms.ModelForm):
    """A rule, a period, the holiday policy, and what every session shares."""

    start_time = forms.TimeField(
        label=_("start time"), required=False, widget=TimeInput()
    )
    end_time = forms.TimeField(label=_("end time"), required=False, widget=TimeInput())
    place = forms.CharField(label=_("place"), max_length=200, required=False)
    facilitator = FacilitatorChoiceField(
        label=_("facilitator"), queryset=None, required=False
    )
    theme = forms.CharField(label=_("theme"), max_length=200, required=False)

    class Meta:
        model = Series
        fields = [
            "group",
            "frequency",
            "weekday",
            "week_of_month",
            "first_date",
            "last_date",
            "holiday_policy",
        ]
        widgets = {
            "first_date": DateInput(),
            "last_date": DateInput(),
            "holiday_policy": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = Group.objects.filter(active=True)
        self.fields["facilitator"].queryset = facilitator_choices()
        self.fields["week_of_month"].help_text = _(
            "Only for “once a month”, e.g. the second Tuesday."
        )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("frequency") == Frequency.MONTHLY
            and cleaned.get("week_of_month") is None
        ):
            self.add_error("week_of_month", _("Choose which week of the month."))
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("The end time must be after the start time."))
        return cleaned

    def _post_clean(self):
        pass


class FiscalYearForm(forms.Form):
    fy = forms.IntegerField(required=False, min_value=1990, max_value=2100)
    group = forms.ModelChoiceField(
        queryset=Group.objects.all(), required=False, label=_("group")
    )
