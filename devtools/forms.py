from django import forms
from django.utils.translation import gettext_lazy as _

from consultations.line.models import LineChannel

from .line_api import TEXT_MAX_LENGTH

# Uploads are kept in the database (development data): keep them small.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024


class PersonForm(forms.Form):
    display_name = forms.CharField(label=_("LINE display name"), max_length=20)
    # The active accounts of the user's organisations (the queryset is
    # scoped by the request).
    channel = forms.ModelChoiceField(
        label=_("Writes to the official account"),
        queryset=LineChannel.objects.filter(active=True),
        required=False,
        empty_label=_("The settings' account (/line/webhook/)"),
    )
    follow = forms.BooleanField(
        label=_("Add the account as a friend first"), required=False, initial=True
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
