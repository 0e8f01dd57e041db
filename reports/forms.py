from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

import jpdates
from accounts.models import Funder, Organisation
from consultations.models import PartnerAgency

from .metrics import metric_choices
from .models import Programme, Target


def fiscal_year_choices(*, around: int | None = None, before: int = 6, after: int = 6):
    """2021 -> "2021（令和3年度）", for a few years either side of ``around``."""
    centre = around or jpdates.fiscal_year(dt.date.today())
    return [
        (year, f"{year}（{jpdates.fiscal_year_label(year)}）")
        for year in range(centre - before, centre + after + 1)
    ]


class FiscalYearField(forms.TypedChoiceField):
    def __init__(self, *, required=True, **kwargs):
        super().__init__(coerce=int, required=required, empty_value=None, **kwargs)


class ProgrammeForm(forms.ModelForm):
    """Carries the version it was loaded at (accounts.locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    fiscal_year = FiscalYearField(
        label=_("Fiscal year"),
        help_text=Programme._meta.get_field("fiscal_year").help_text,
    )

    class Meta:
        model = Programme
        fields = [
            "fiscal_year",
            "name",
            "organisation",
            "funder",
            "municipality",
            "department",
            "contractor",
            "project_cost_thousand_yen",
            "grant_thousand_yen",
            "local_situation",
            "purpose",
            "features",
            "effects",
            "future_issues",
            "overview",
            "partner_agencies",
            "other_partners",
        ]
        widgets = {
            "partner_agencies": forms.CheckboxSelectMultiple,
            **{
                name: forms.Textarea(attrs={"rows": 6})
                for name in (
                    "local_situation",
                    "purpose",
                    "features",
                    "effects",
                    "future_issues",
                    "overview",
                )
            },
            "other_partners": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self._organisation_and_funder(user)
        year = self.instance.fiscal_year if self.instance.pk else None
        self.fields["fiscal_year"].choices = fiscal_year_choices(around=year)
        if not self.instance.pk:
            self.fields["fiscal_year"].initial = jpdates.fiscal_year(dt.date.today())
        shown = Q(active=True)
        if self.instance.pk:  # keep an agency chosen before it was retired
            shown |= Q(programmes=self.instance)
        self.fields["partner_agencies"].queryset = (
            PartnerAgency.objects.filter(shown).distinct().order_by("category", "name")
        )
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True

    def _organisation_and_funder(self, user) -> None:
        """City staff of a funder: any organisation may run the programme,
        and it is funded by their funder (preset, the only choice). Others
        (admins): one of their organisations, any funder or none."""
        from .selectors import funder_of

        organisation = self.fields["organisation"]
        funder = self.fields["funder"]
        funder_id = funder_of(user)
        if funder_id is not None:
            organisation.queryset = Organisation.objects.order_by("name", "id")
            funder.queryset = Funder.objects.filter(pk=funder_id)
            funder.required = True
            funder.empty_label = None
            funder.initial = funder_id
        else:
            organisation.queryset = Organisation.objects.filter(members=user).order_by(
                "name", "id"
            )
            funder.queryset = Funder.objects.order_by("name", "id")
        mine = list(organisation.queryset[:2])
        if not self.instance.pk and len(mine) == 1:
            organisation.initial = mine[0].pk


class TargetForm(forms.ModelForm):
    metric_key = forms.ChoiceField(label=_("Metric"), required=False)
    target_year = FiscalYearField(label=_("Target fiscal year"), required=False)
    baseline_year = FiscalYearField(label=_("Baseline fiscal year"), required=False)

    class Meta:
        model = Target
        fields = [
            "kind",
            "metric_key",
            "label",
            "unit",
            "direction",
            "target_value",
            "target_year",
            "baseline_value",
            "baseline_year",
            "actual_value",
            "order",
        ]
        widgets = {"kind": forms.RadioSelect}

    def __init__(self, *args, programme: Programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.programme = programme
        self.fields["metric_key"].choices = [("", "---------"), *metric_choices()]
        years = [("", "---------")] + fiscal_year_choices(
            around=programme.fiscal_year, before=10, after=10
        )
        self.fields["target_year"].choices = years
        self.fields["baseline_year"].choices = years
        if self.instance.pk and self.instance.target_year:
            self.initial["target_year"] = self.instance.target_year
        self.fields["target_value"].help_text = _(
            "In the unit of the indicator (a percentage as 80, not 0.8)."
        )

    def clean_metric_key(self):
        return self.cleaned_data.get("metric_key") or ""


class ReportOptionsForm(forms.Form):
    """The choices above the report: year, programme, publication. Bound to
    the query string to read it; built again unbound (``for_display``) to show
    the choices made."""

    fiscal_year = forms.IntegerField(
        label=_("Fiscal year"), min_value=1989, max_value=2100, widget=forms.Select
    )
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.all(),
        required=False,
        empty_label=_("(figures only, no programme)"),
    )
    publication = forms.BooleanField(
        label=_("For publication: show counts from 1 to 4 as “<5”"), required=False
    )

    def __init__(self, *args, fiscal_year: int | None = None, user=None, **kwargs):
        # Bound to the query string, any programme id is read: the view then
        # answers 403 or 404 for one the user may not see
        # (selectors.programme_for), rather than "not a valid choice".
        super().__init__(*args, **kwargs)
        year = fiscal_year or jpdates.fiscal_year(dt.date.today())
        self.fields["fiscal_year"].widget.choices = fiscal_year_choices(around=year)
        if fiscal_year is not None:
            from .selectors import programme_list

            self.fields["programme"].queryset = (
                programme_list(user)
                .filter(fiscal_year=fiscal_year)
                .order_by("name", "id")
            )

    @classmethod
    def for_display(
        cls, *, fiscal_year: int, programme, publication: bool, user=None, **_options
    ):
        return cls(
            user=user,
            fiscal_year=fiscal_year,
            initial={
                "fiscal_year": fiscal_year,
                "programme": programme.pk if programme else None,
                "publication": publication,
            },
        )
