from __future__ import annotations

import unicodedata

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import OrganisationChoiceMixin
from consultations.models import Client
from reports.attribution import ProgrammeChoiceField

from .models import Event, SurveyResponse

MAX_SURVEY_ROWS = 50


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class EventForm(OrganisationChoiceMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    programme = ProgrammeChoiceField()

    class Meta:
        model = Event
        fields = [
            "kind", "date", "title", "venue", "participant_count", "notes",
            "programme",
        ]  # fmt: skip
        widgets = {
            "date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "kind": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].for_record(self.instance if self.instance.pk else None)
        if self.instance.pk is not None and not self.is_bound:
            self.initial["version"] = self.instance.version

    def _post_clean(self):
        # The service validates the model (uniqueness of date and title too).
        pass


class SpeakerForm(forms.Form):
    client_code = forms.CharField(
        label=_("Client code"),
        max_length=20,
        help_text=_("For example C-000012."),
    )
    talk_title = forms.CharField(label=_("talk"), max_length=200, required=False)
    consent = forms.BooleanField(
        label=_("She consents to being recorded as a speaker at this event."),
        required=False,
    )

    def clean_client_code(self):
        code = unicodedata.normalize("NFKC", self.cleaned_data["client_code"])
        code = code.strip().upper()
        try:
            return Client.objects.get(code=code)
        except Client.DoesNotExist:
            raise forms.ValidationError(
                _("No client with the code %(codes)s."),
                code="unknown_client",
                params={"codes": code},
            ) from None


class SurveyRowForm(forms.Form):
    """One respondent: a row of 1–5 buttons and an optional comment. A row
    left without a score is ignored."""

    satisfaction = forms.TypedChoiceField(
        label=_("satisfaction"),
        choices=SurveyResponse.Score.choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("comment"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": _("Comment (optional)")}
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("comment") and cleaned.get("satisfaction") is None:
            self.add_error(
                "satisfaction",
                _("Choose 1 to 5 for this respondent, or clear the comment."),
            )
        return cleaned


def survey_formset(data=None, *, rows: int = 10):
    """``rows`` empty rows (when bound, the number of rows posted, at most
    MAX_SURVEY_ROWS)."""
    formset_class = forms.formset_factory(
        SurveyRowForm,
        extra=max(1, min(rows, MAX_SURVEY_ROWS)),
        max_num=MAX_SURVEY_ROWS,
        absolute_max=MAX_SURVEY_ROWS,
    )
    return formset_class(data, prefix="r")


class FiscalYearForm(forms.Form):
    fy = forms.IntegerField(required=False, min_value=1990, max_value=2100)
