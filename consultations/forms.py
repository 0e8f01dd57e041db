from django import forms

from .models import Client


class ClientForm(forms.ModelForm):
    class Meta:
        model = Client
        fields = [
            "display_name",
            "kana",
            "phone",
            "email",
            "birth_year",
            "age_band",
            "household_type",
            "children_count",
            "area",
            "assigned_counsellor",
            "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.roles import Role

        self.fields["assigned_counsellor"].queryset = (
            self.fields["assigned_counsellor"]
            .queryset.filter(groups__name=Role.COUNSELLOR, is_active=True)
            .order_by("username")
        )


class ClientSearchForm(forms.Form):
    q = forms.CharField(required=False)
    status = forms.ChoiceField(
        required=False, choices=[("", "---"), *Client.Status.choices]
    )
