from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import PartnerAgency
from .models import Consent, InfoCategory, Referral, mask_of


class CategoriesField(forms.TypedMultipleChoiceField):
    """The fixed categories of information as checkboxes; cleans to a bit mask."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(choices=InfoCategory.choices, coerce=int, **kwargs)

    def clean(self, value):
        return mask_of(super().clean(value))

    def prepare_value(self, value):
        if isinstance(value, int):
            return [c.value for c in InfoCategory if value & c.value]
        return value


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def agencies():
    return PartnerAgency.objects.filter(active=True)


class ConsentForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Partner agency"), queryset=None)
    categories = CategoriesField(label=_("Information it covers"))
    valid_from = forms.DateField(label=_("Valid from"), widget=DATE)
    valid_to = forms.DateField(label=_("Valid to"), widget=DATE)
    method = forms.ChoiceField(
        label=_("How it was given"),
        choices=Consent.Method.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies()
        self.fields["valid_from"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error(
                "valid_to", _("The end date cannot be before the start date.")
            )
        return data


class ConsentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return (
            f"{obj.agency.name} {obj.valid_from:%Y-%m-%d}–{obj.valid_to:%Y-%m-%d}"
            f" ({obj.state_label})"
        )


class ReferralForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Partner agency"), queryset=None)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Referral.Kind.choices, widget=forms.RadioSelect
    )
    date = forms.DateField(label=_("Date"), widget=DATE)
    categories = CategoriesField(label=_("Information passed"))
    consent = ConsentChoiceField(
        label=_("Consent it relies on"),
        queryset=None,
        required=False,
        empty_label=_("No consent (emergency override)"),
    )
    override_reason = forms.CharField(
        label=_("Emergency override: reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Only when the information must go without her consent (danger to "
            "life). Supervisors see every override."
        ),
    )

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies()
        self.fields["date"].initial = timezone.localdate()
        self.fields["consent"].queryset = (
            Consent.objects.filter(client=client)
            .select_related("agency")
            .order_by("-valid_to", "-id")
        )
