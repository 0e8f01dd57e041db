"""The 主訴 and その他の問題 fields, shared by the consultation form and the
LINE desk's forms that record a consultation."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Complaint


def main_complaint_field(**kwargs) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Main complaint"),
        queryset=Complaint.objects.filter(active=True),
        to_field_name="code",
        empty_label=_("(choose)"),
        **kwargs,
    )


def other_problems_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("Other problems"),
        queryset=Complaint.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def offer_complaints(form: forms.Form, *, current_main=None, current_others=()):
    """Active complaints, plus those a record already has (an inactive one,
    such as 不明 on a consultation recorded before 主訴, stays valid)."""
    keep_main = (
        Q(active=True) | Q(code=current_main) if current_main else Q(active=True)
    )
    if "main_complaint" in form.fields:
        form.fields["main_complaint"].queryset = Complaint.objects.filter(keep_main)
    if "other_problems" in form.fields:
        form.fields["other_problems"].queryset = Complaint.objects.filter(
            Q(active=True) | Q(pk__in=[c.pk for c in current_others])
        )


def check_others(form: forms.Form, cleaned: dict) -> None:
    """An other problem that is the main complaint is refused (it is one)."""
    main = cleaned.get("main_complaint")
    others = cleaned.get("other_problems") or []
    if main is not None and main in others:
        form.add_error(
            "other_problems",
            forms.ValidationError(
                _(
                    "%(label)s is the main complaint: leave it out of the "
                    "other problems."
                ),
                code="main_in_others",
                params={"label": main.label},
            ),
        )
