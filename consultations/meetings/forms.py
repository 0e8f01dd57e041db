from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import scoping

from ..forms import StaffChoiceField
from ..models import Client, PartnerAgency
from .models import CoordinationMeeting, MeetingMember

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MeetingForm(forms.ModelForm):
    class Meta:
        model = CoordinationMeeting
        fields = ["level", "held_on", "title", "place", "agenda", "next_review_on"]
        widgets = {
            "level": forms.RadioSelect,
            "held_on": DATE,
            "next_review_on": DATE,
            "agenda": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = CoordinationMeeting.Level.choices

    def _post_clean(self):
        # The service makes and validates the record.
        pass


def staff_of_organisation():
    """Active users of the user's organisations (accounts.scoping)."""
    return scoping.members_of().filter(is_active=True).order_by("username")


class MemberForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=MeetingMember.Kind.choices,
        widget=forms.RadioSelect,
        initial=MeetingMember.Kind.PERSON,
    )
    user = StaffChoiceField(
        label=_("Member of staff"),
        queryset=None,
        required=False,
        help_text=_(
            "Our staff. Leave empty for a person or organisation from outside."
        ),
    )
    name = forms.CharField(
        label=_("Name (if from outside)"),
        max_length=100,
        required=False,
    )
    agency = forms.ModelChoiceField(
        label=_("Partner agency"),
        queryset=None,
        required=False,
    )
    affiliation = forms.CharField(
        label=_("Organisation (if not a partner agency)"),
        max_length=100,
        required=False,
    )
    attended = forms.BooleanField(label=_("Attended"), required=False, initial=True)
    pledged_on = forms.DateField(
        label=_("Confidentiality pledge date"),
        required=False,
        widget=DATE,
        help_text=_(
            "The day the member confirmed the duty of confidentiality, which "
            "lasts also after leaving. A member of staff without one cannot "
            "open the cases."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff_of_organisation()
        self.fields["agency"].queryset = PartnerAgency.objects.filter(active=True)


class PledgeForm(forms.Form):
    pledged_on = forms.DateField(label=_("Confidentiality pledge date"), widget=DATE)


class ClientCodeField(forms.CharField):
    """A client picked by her code."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Client code"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"placeholder": "C-000123", "autocomplete": "off"}),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        code = super().clean(value).strip()
        client = (
            Client.objects.filter(code__in={code, code.upper()})
            .select_related("assigned_counsellor")
            .first()
        )
        if client is None:
            raise ValidationError(
                _("No client has the code %(code)s."),
                code="unknown_client",
                params={"code": code},
            )
        return client


class CaseForm(forms.Form):
    client = ClientCodeField()
    situation = forms.CharField(
        label=_("Situation and problems shared"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    decisions = forms.CharField(
        label=_("Decisions"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CaseEditForm(CaseForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["client"]


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        if obj.organisation_name:
            return f"{obj.display_name}（{obj.organisation_name}）"
        return obj.display_name


class RoleForm(forms.Form):
    member = MemberChoiceField(label=_("Who"), queryset=None)
    task = forms.CharField(label=_("What"), max_length=200)
    due_on = forms.DateField(label=_("By when"), widget=DATE)

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = meeting.members.select_related(
            "user", "agency"
        ).order_by("kind", "id")
