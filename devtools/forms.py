from django import forms
from django.utils.translation import gettext_lazy as _

from consultations.line.models import LineChannel

from .line_api import TEXT_MAX_LENGTH

# Uploads are kept in the database (development data): keep them small.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


class PersonForm(forms.Form):
    display_name = forms.CharField(label=_("LINE display name"), max_length=20)
    channel = forms.ModelChoiceField(
        label=_("Writes to the official account"),
        queryset=LineChannel.objects.none(),
        required=False,
        empty_label=_("The settings' account (/line/webhook/)"),
    )
    follow = forms.BooleanField(
        label=_("Add the account as a friend first"), required=False, initial=True
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The active accounts of the user's organisations, made here in the
        # request's scope (a queryset made at import would keep the scope
        # active then: the urlconf may be first loaded inside a scope).
        channels = LineChannel.objects.filter(active=True)
        self.fields["channel"].queryset = channels
        # Her organisation's account first: the settings' single-account
        # webhook answers 404 once there are several organisations.
        if not self.is_bound:
            self.fields["channel"].initial = (
                channels.order_by("pk").values_list("pk", flat=True).first()
            )


class SendForm(forms.Form):
    text = forms.CharField(
        label=_("Message"),
        max_length=TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attachment = forms.FileField(label=_("Photo or file"), required=False)

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload and upload.size > ATTACHMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.")
                % {"mb": ATTACHMENT_MAX_BYTES // (1024 * 1024)}
            )
        return upload

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("text") and not data.get("attachment"):
            raise forms.ValidationError(_("Write a message or attach a file."))
        return data
