from django import forms
from django.utils.translation import gettext_lazy as _

from ..forms import StaffChoiceField, counsellors
from ..models import Client, PartnerAgency
from .models import ClosureRequest, PlanTask, SupportPlan, UrgencyAssessment

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AssessmentForm(forms.ModelForm):
    """The questions; the chosen level may be left as suggested."""

    chosen = forms.ChoiceField(
        label=_("Urgency to set"),
        choices=[("", _("As suggested")), *Client.Urgency.choices],
        required=False,
    )

    class Meta:
        model = UrgencyAssessment
        fields = ["assessed_on", *UrgencyAssessment.ANSWERS, "chosen", "reason"]
        widgets = {
            "assessed_on": DATE,
            **dict.fromkeys(UrgencyAssessment.ANSWERS, forms.RadioSelect),
            "reason": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "reason": _("Needed when you choose another level than the suggested one.")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in UrgencyAssessment.ANSWERS:
            # No preselected answer: each question is answered.
            self.fields[name].choices = [
                c for c in self.fields[name].choices if c[0] != ""
            ]

    def _post_clean(self):
        # The service makes and validates the record (suggested level included).
        pass


class PlanForm(forms.ModelForm):
    class Meta:
        model = SupportPlan
        fields = ["wishes", "goals", "review_on"]
        widgets = {
            "wishes": forms.Textarea(attrs={"rows": 4}),
            "goals": forms.Textarea(attrs={"rows": 4}),
            "review_on": DATE,
        }


class TaskForm(forms.ModelForm):
    class Meta:
        model = PlanTask
        fields = ["description", "owner_staff", "owner_agency", "due_on"]
        widgets = {"due_on": DATE}
        field_classes = {"owner_staff": StaffChoiceField}
        help_texts = {
            "owner_agency": _("Either a member of staff or a partner agency."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_staff"].queryset = counsellors()
        self.fields["owner_agency"].queryset = PartnerAgency.objects.filter(active=True)

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("owner_staff")) == bool(cleaned.get("owner_agency")):
            raise forms.ValidationError(
                _(
                    "Give the task one owner: a member of staff or a partner "
                    "agency, not both. Nothing was saved."
                ),
                code="one_owner",
            )
        return cleaned

    def _post_clean(self):
        pass  # the service validates the task with its plan


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=PlanTask.Status.choices)


class ClosureApproveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ClosureDeclineForm(forms.ModelForm):
    class Meta:
        model = ClosureRequest
        fields = ["decision_note"]
        widgets = {"decision_note": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["decision_note"].required = True
