import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation

from ..complaint_forms import check_others, main_complaint_field, other_problems_field
from ..models import Client
from .messaging import TEXT_MAX_LENGTH
from .models import LineChannel


class LinkClientForm(forms.Form):
    code = forms.CharField(
        label=_("Client code"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "C-000123", "size": 12}),
    )

    def __init__(self, *args, organisation_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        # A LINE user is linked to a client of her own organisation only.
        self.organisation_id = organisation_id

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        clients = Client.objects.filter(code=code)
        if self.organisation_id is not None:
            clients = clients.filter(organisation_id=self.organisation_id)
        client = clients.first()
        if client is None:
            raise forms.ValidationError(
                _("No client has the code %(code)s."),
                code="unknown_client",
                params={"code": code},
            )
        self.cleaned_data["client"] = client
        return code


class NewClientForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name of the new client"),
        max_length=100,
        help_text=_("A nickname is fine."),
    )


class RecordConsultationForm(forms.Form):
    day = forms.DateField(widget=forms.HiddenInput)
    up_to = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    started_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), required=False, min_value=1, max_value=1440
    )
    main_complaint = main_complaint_field()
    other_problems = other_problems_field()
    summary = forms.CharField(
        label=_("Summary"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("The day's messages; shorten or edit them as needed."),
    )

    def clean(self):
        cleaned = super().clean()
        check_others(self, cleaned)
        return cleaned


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    retry_key = forms.UUIDField(widget=forms.HiddenInput)
    # The newest message the page showed when it was drawn (or when the
    # counsellor acknowledged the newer ones the page added): the service
    # refuses the send if the person wrote after it, unless confirmed.
    seen_message_id = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0
    )
    stale_confirmed = forms.BooleanField(
        label=_("I have read the newer message and still want to send this reply."),
        required=False,
    )
    safety_checked = forms.BooleanField(
        label=_("I have read the safety flags above and this reply is safe to send."),
        required=False,
    )

    not_friend_confirmed = forms.BooleanField(
        label=_(
            "I understand: this person is not a friend of the account, and LINE "
            "may accept the reply without delivering it."
        ),
        required=False,
    )

    def __init__(self, *args, client=None, line_user=None, stale=False, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("retry_key", uuid.uuid4())
        super().__init__(*args, **kwargs)
        # A newer message arrived after the page was drawn (the service said
        # so): the counsellor confirms. Kept when the confirmation is posted.
        self.needs_stale_check = stale or (
            self.is_bound and "stale_confirmed" in self.data
        )
        if self.needs_stale_check:
            self.fields["stale_confirmed"].required = True
            self.fields["stale_confirmed"].error_messages["required"] = _(
                "A new message from this person arrived after this page was "
                "drawn. Read it above, then tick the box to send your reply "
                "as it is."
            )
        else:
            del self.fields["stale_confirmed"]
        # Someone who blocked the account or never added it: the counsellor
        # confirms before sending (the service refuses otherwise).
        self.needs_friend_check = bool(line_user and line_user.is_not_friend)
        if self.needs_friend_check:
            self.fields["not_friend_confirmed"].required = True
            self.fields["not_friend_confirmed"].error_messages["required"] = _(
                "This person is not a friend of the account: tick the box to "
                "send anyway."
            )
        else:
            del self.fields["not_friend_confirmed"]
        # A flagged client (e.g. "reply only in LINE", DV support measure): the
        # counsellor confirms before anything is sent.
        self.needs_safety_check = bool(client and client.has_safety_flag)
        if self.needs_safety_check:
            self.fields["safety_checked"].required = True
            self.fields["safety_checked"].error_messages["required"] = _(
                "This client has safety flags: tick the box to confirm before sending."
            )
        else:
            del self.fields["safety_checked"]


class InboxFilterForm(forms.Form):
    unread = forms.BooleanField(label=_("Unread only"), required=False)


def counsellors():
    """Active users who can hold a chat: counsellors and admins of the
    user's organisations (accounts.scoping)."""
    from django.db.models import Q

    from accounts import scoping
    from accounts.roles import Role

    return (
        scoping.members_of()
        .filter(is_active=True)
        .filter(
            Q(groups__name__in=[Role.COUNSELLOR, Role.ADMIN]) | Q(is_superuser=True)
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class CounsellorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class ChatTransferForm(forms.Form):
    to = CounsellorChoiceField(label=_("Hand to"), queryset=None)
    note = forms.CharField(
        label=_("Note for them"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Where the conversation stands, what to watch for."),
    )

    def __init__(self, *args, exclude=None, **kwargs):
        kwargs.setdefault("auto_id", "transfer_%s")  # ids apart from other forms
        super().__init__(*args, **kwargs)
        queryset = counsellors()
        if exclude is not None:
            queryset = queryset.exclude(pk=exclude)
        self.fields["to"].queryset = queryset


class ChatEndForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            ("established", _("Consultation took place")),
            ("not_established", _("No consultation took place")),
        ],
        widget=forms.RadioSelect,
    )
    code = forms.CharField(
        label=_("Client code"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "C-000123", "size": 12}),
        help_text=_("Links the LINE user to this client."),
    )
    anonymous = forms.BooleanField(
        label=_("Anonymous consultation (no client)"), required=False
    )
    main_complaint = main_complaint_field(
        required=False,
        help_text=_("Required when a consultation took place."),
    )
    other_problems = other_problems_field()
    summary = forms.CharField(
        label=_("Summary"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("The chat's messages; shorten or edit them as needed."),
    )

    def __init__(self, *args, line_user=None, **kwargs):
        # The conversation page's link form has a "code" field too.
        kwargs.setdefault("auto_id", "end_%s")
        super().__init__(*args, **kwargs)
        # Linked: the consultation goes to that client; otherwise a client
        # code, or anonymous.
        self.linked = bool(line_user and line_user.client_id)
        if self.linked:
            del self.fields["code"]
            del self.fields["anonymous"]

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if not code:
            return ""
        client = Client.objects.filter(code=code).first()
        if client is None:
            raise forms.ValidationError(
                _("No client has the code %(code)s."),
                code="unknown_client",
                params={"code": code},
            )
        self.cleaned_data["client"] = client
        return code

    def clean(self):
        data = super().clean()
        check_others(self, data)
        if (
            data.get("outcome") == "established"
            and not data.get("main_complaint")
            and "main_complaint" not in self.errors
        ):
            self.add_error(
                "main_complaint",
                forms.ValidationError(
                    _("Choose the main complaint of the consultation."),
                    code="required",
                ),
            )
        if self.linked:
            return data
        if data.get("anonymous") and data.get("code"):
            raise forms.ValidationError(
                _("Give a client code or tick anonymous, not both."), code="both"
            )
        if not data.get("anonymous") and not data.get("code") and not self.errors:
            raise forms.ValidationError(
                _("Give the client's code, or end the chat as anonymous."),
                code="no_client",
            )
        return data


class LineChannelAdminForm(forms.ModelForm):
    """An official account in the Django admin (admins only). The secret and
    the access token are write-only: typed in, encrypted, never shown back
    (left empty on a change, they stay as they are). The organisation is
    chosen among the admin's own, once, when the account is added."""

    # Not "organisation": the model's own field is not editable.
    owner = forms.ModelChoiceField(
        label=_("organisation"), queryset=Organisation.objects.none()
    )
    secret = forms.CharField(
        label=_("channel secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the one stored."),
    )
    access_token = forms.CharField(
        label=_("channel access token"),
        required=False,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Leave empty to keep the one stored."),
    )
    webhook_url = forms.CharField(
        label=_("webhook URL"),
        required=False,
        disabled=True,
        help_text=_(
            "Set it in the LINE Developers console (Messaging API, Webhook URL)."
        ),
    )

    class Meta:
        model = LineChannel
        fields = ["name", "channel_id", "active"]

    def __init__(self, *args, user=None, site_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        organisations = self.fields["owner"]
        organisations.queryset = Organisation.objects.filter(members=user)
        if self.instance.pk:
            organisations.initial = self.instance.organisation_id
            organisations.disabled = True
            self.fields["webhook_url"].initial = (
                site_url.rstrip("/") + self.instance.get_webhook_path()
            )
        else:
            del self.fields["webhook_url"]

    def clean(self):
        data = super().clean()
        if not self.instance.pk:
            for name in ("secret", "access_token"):
                if not data.get(name):
                    self.add_error(name, _("Enter it once when adding the account."))
        return data

    def save(self, commit=True):
        channel = super().save(commit=False)
        channel.organisation = self.cleaned_data["owner"]
        if self.cleaned_data.get("secret"):
            channel.secret = self.cleaned_data["secret"]
        if self.cleaned_data.get("access_token"):
            channel.access_token = self.cleaned_data["access_token"]
        if commit:
            channel.save()
        return channel
