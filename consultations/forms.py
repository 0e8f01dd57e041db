from django import forms
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts import dataversion, scoping
from accounts.forms import OrganisationChoiceMixin
from accounts.roles import Role, has_role
from jpdates import fiscal_year
from reports.attribution import ProgrammeChoiceField

from .complaint_forms import (
    check_others,
    main_complaint_field,
    offer_complaints,
)
from .models import (
    Channel,
    Client,
    Complaint,
    Consultation,
    FollowUp,
    PartnerAgency,
    SupportAction,
)
from .picker import ClientPickerWidget, unknown_client
from .selectors import LIST_FISCAL_YEARS

# What a staff choice shows of a user (User.display_name).
NAME_COLUMNS = ("pk", "username", "first_name", "last_name")


def counsellors():
    """Counsellors of the user's organisations (accounts.scoping)."""
    return (
        scoping.members_of()
        .filter(groups__name=Role.COUNSELLOR, is_active=True)
        .order_by("username")
    )


def _attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html, in Python."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class ListSelect(forms.Select):
    """A select whose HTML is made in Python, the same as Django's
    select.html and select_option.html make it, without a template render
    per option: a list page's filters have some sixty options, and their
    templates cost more than the page's rows (issue 22)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [
            f'<select name="{escape(widget["name"])}"{_attrs_html(widget["attrs"])}>'
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{escape(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{escape(option["value"])}"'
                    f"{_attrs_html(option['attrs'])}>{escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 (each value escaped)


class StaffChoiceField(forms.ModelChoiceField):
    """Shows staff by name (family name first), not by username."""

    def label_from_instance(self, obj):
        return obj.display_name


class ListedChoices(forms.models.ModelChoiceIterator):
    """Model choices read by one plain query. Django reads them with
    iterator(): on PostgreSQL, outside a transaction (a page's template
    renders after its view's transaction), that is a server-side cursor WITH
    HOLD, three round trips for a dozen rows (issue 22). Kept in memory
    until the data changes where the query reads only versioned tables
    (accounts.dataversion)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in dataversion.cached_list(self.queryset.all()):
            yield self.choice(obj)


class ListStaffChoiceField(StaffChoiceField):
    """A list filter's staff choices (ListedChoices)."""

    iterator = ListedChoices


class ListModelChoiceField(forms.ModelChoiceField):
    """A list filter's model choices (ListedChoices)."""

    iterator = ListedChoices


class VersionedForm(forms.ModelForm):
    """Carries the version the record had when the form was opened, so that a
    save over someone else's newer save is refused (accounts.locking)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True


class ClientForm(OrganisationChoiceMixin, VersionedForm):
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
            "no_phone_or_mail",
            "address_confidential",
            "line_only",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}
        field_classes = {"assigned_counsellor": StaffChoiceField}
        help_texts = {
            "display_name": _("A nickname is fine."),
            "address_confidential": _(
                "Under a DV support measure: contact details are then shown only "
                "to the assigned counsellor and admins."
            ),
        }

    flag_clear_reason = forms.CharField(
        label=_("Reason for clearing a safety flag"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 40}),
        help_text=_(
            "Needed when you untick a safety flag. Supervisors see it on the "
            "team worklist."
        ),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_counsellor"].queryset = counsellors()
        client = self.instance
        flags_editable = (
            not client.pk or user is None or client.safety_flags_editable_by(user)
        )
        if client.pk and user is not None:
            if not client.contact_visible_to(user):
                # A flagged client's contact details are not this user's to see.
                for name in Client.CONTACT_FIELDS:
                    del self.fields[name]
            if not flags_editable:
                # Setting or clearing a safety flag is for the assigned
                # counsellor and supervisors; the service refuses it too.
                for name in Client.SAFETY_FLAGS:
                    del self.fields[name]
            if not has_role(user, Role.ADMIN):
                # Handing a case to someone else is a supervisor's decision.
                del self.fields["assigned_counsellor"]
        if not (client.pk and client.has_safety_flag and flags_editable):
            # Only a flag that is set can be cleared.
            del self.fields["flag_clear_reason"]

    def cleared_flags(self) -> list[str]:
        """The safety flags this edit unticks."""
        return [
            name
            for name in Client.SAFETY_FLAGS
            if name in self.fields
            and self.initial.get(name)
            and not self.cleaned_data.get(name)
        ]

    def clean(self):
        cleaned = super().clean()
        if (
            "flag_clear_reason" in self.fields
            and self.cleared_flags()
            and not cleaned.get("flag_clear_reason", "").strip()
        ):
            self.add_error(
                "flag_clear_reason",
                forms.ValidationError(
                    _("Give a reason for clearing a safety flag."),
                    code="required",
                ),
            )
        return cleaned


class ClientFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), *Client.Status.choices],
        widget=ListSelect,
    )
    counsellor = ListStaffChoiceField(
        label=_("Assigned counsellor"),
        required=False,
        queryset=None,
        empty_label=_("All"),
        widget=ListSelect,
    )
    household_type = forms.ChoiceField(
        label=_("Household type"),
        required=False,
        choices=[("", _("All")), *Client.HouseholdType.choices],
        widget=ListSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the columns of a name (the choices are kept in memory).
        self.fields["counsellor"].queryset = counsellors().only(*NAME_COLUMNS)


class ConsultationForm(VersionedForm):
    """The one-page entry form. The client is typed as a code (the page offers
    matches by code, name or kana as you type); empty means anonymous."""

    client_code = forms.CharField(
        label=_("Client"),
        required=False,
        max_length=20,
        help_text=_(
            "Type a code or a name and pick from the list; leave empty for an "
            "anonymous contact."
        ),
        widget=ClientPickerWidget(
            "consultations:client_lookup",
            attrs={"aria-describedby": "client-help client-status"},
        ),
    )

    class Meta:
        model = Consultation
        fields = [
            "channel",
            "started_at",
            "duration_minutes",
            "counsellor",
            "main_complaint",
            "other_problems",
            "summary",
            "is_new",
            "programme",
        ]
        widgets = {
            "channel": forms.RadioSelect(attrs={"class": "channel-choice"}),
            "started_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "other_problems": forms.CheckboxSelectMultiple,
            "summary": forms.Textarea(attrs={"rows": 5}),
            "duration_minutes": forms.NumberInput(
                attrs={"min": 0, "max": 1440, "step": 5}
            ),
        }
        labels = {"is_new": _("New (anonymous contact only)")}
        field_classes = {"counsellor": StaffChoiceField}

    programme = ProgrammeChoiceField()
    main_complaint = main_complaint_field()
    withdrawn_checked = forms.BooleanField(
        label=_("Checked: the summary no longer contains the withdrawn message."),
        required=False,
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.has_withdrawn_message:
            del self.fields["withdrawn_checked"]
        self.fields["counsellor"].queryset = counsellors()
        self.fields["channel"].choices = Channel.choices  # no empty radio button
        if self.instance.pk:
            offer_complaints(
                self,
                current_main=self.instance.main_complaint_id,
                current_others=list(self.instance.other_problems.all()),
            )
        else:
            offer_complaints(self)
            # No default: the counsellor chooses (不明 is for old records).
            self.initial.pop("main_complaint", None)
        self.fields["started_at"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        self.fields["programme"].for_record(self.instance if self.instance.pk else None)
        if not self.instance.pk:
            self.fields["started_at"].initial = timezone.localtime().replace(
                second=0, microsecond=0
            )
            if user is not None:
                self.fields["counsellor"].initial = user.pk
        elif self.instance.client_id:
            self.fields["client_code"].initial = self.instance.client.code

    def clean_client_code(self):
        typed = self.cleaned_data["client_code"].strip()
        code = typed.upper()
        if not code:
            return None
        client = Client.objects.filter(code=code).first()
        if client is None:
            raise unknown_client(typed)
        return client

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("client_code") and cleaned.get("is_new"):
            self.add_error(
                "is_new",
                _(
                    "The new flag is worked out for a known client; "
                    "tick it only for an anonymous contact."
                ),
            )
        check_others(self, cleaned)
        return cleaned


class ConsultationFilterForm(forms.Form):
    fiscal_year = forms.TypedChoiceField(
        label=_("Fiscal year"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=ListSelect,
    )
    month = forms.TypedChoiceField(
        label=_("Month"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("All"))]
        + [(m, f"{m}月") for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)],
        widget=ListSelect,
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("All")), *Channel.choices],
        widget=ListSelect,
    )
    counsellor = ListStaffChoiceField(
        label=_("Counsellor"),
        required=False,
        queryset=None,
        empty_label=_("All"),
        widget=ListSelect,
    )
    complaint = ListModelChoiceField(
        label=_("Complaint (main or other)"),
        required=False,
        queryset=Complaint.objects.all(),
        to_field_name="code",
        empty_label=_("All"),
        widget=ListSelect,
    )
    new = forms.ChoiceField(
        label=_("New"),
        required=False,
        choices=[("", _("All")), ("1", _("New only")), ("0", _("Not new"))],
        widget=ListSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.opening import opening_date
        from jpdates import fiscal_year_label

        current = fiscal_year(timezone.localdate())
        # A demo's year is offered even when it lies further back.
        oldest = min(current - LIST_FISCAL_YEARS + 1, fiscal_year(opening_date()))
        self.fields["fiscal_year"].choices = [("", _("All"))] + [
            (y, f"{fiscal_year_label(y)}（{y}）")
            for y in range(current, oldest - 1, -1)
        ]
        # Only the columns of a name (the choices are kept in memory).
        self.fields["counsellor"].queryset = counsellors().only(*NAME_COLUMNS)


class SupportActionForm(forms.ModelForm):
    programme = ProgrammeChoiceField()

    class Meta:
        model = SupportAction
        fields = ["kind", "date", "staff", "partner_agency", "note", "programme"]
        field_classes = {"staff": StaffChoiceField}
        widgets = {
            "kind": forms.RadioSelect,
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = counsellors()
        self.fields["partner_agency"].queryset = PartnerAgency.objects.filter(
            active=True
        )
        self.fields["programme"].for_record(self.instance if self.instance.pk else None)
        if not self.instance.pk:
            self.fields["date"].initial = timezone.localdate()
            if user is not None:
                self.fields["staff"].initial = user.pk

    def clean(self):
        """A referral to a partner agency needs the client's consent: it is
        made on the referral form (consultations.consent), which checks it and
        records the support action itself. Here a new one is refused, and so
        is turning an action into one; an existing referral (recorded before
        consent was kept, or by the referral form) keeps its kind and agency."""
        data = super().clean()
        kind, agency = data.get("kind"), data.get("partner_agency")
        instance = self.instance
        was = (instance.kind, instance.partner_agency_id) if instance.pk else None
        if (
            kind == SupportAction.Kind.REFERRAL
            and agency is not None
            and was != (kind, agency.pk)
        ):
            raise forms.ValidationError(
                _(
                    "A referral to a partner agency needs the client's consent: "
                    "record it with “Refer or provide information” on the "
                    "client's page."
                ),
                code="referral_needs_consent",
            )
        if instance.pk and was != (kind, getattr(agency, "pk", None)):
            from .consent.models import Referral

            if Referral.objects.filter(support_action=instance).exists():
                raise forms.ValidationError(
                    _(
                        "This support action belongs to a referral: its kind "
                        "and agency cannot be changed here."
                    ),
                    code="referral_action",
                )
        return data


class CloseClientForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.ChoiceField(
        label=_("Closure reason"),
        choices=[("", "---------"), *Client.ClosureReason.choices],
    )


class ReopenClientForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class UrgencyForm(forms.Form):
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Client.Urgency.choices)
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=500,
        widget=forms.TextInput(attrs={"size": 40}),
    )


class ReassignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    counsellor = StaffChoiceField(label=_("Assign to"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counsellor"].queryset = counsellors()


class FollowUpForm(forms.ModelForm):
    """A next step: what, when, who."""

    class Meta:
        model = FollowUp
        fields = ["kind", "due_date", "owner", "note"]
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        }
        field_classes = {"owner": StaffChoiceField}

    def __init__(self, *args, user=None, optional=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = counsellors()
        if user is not None:
            self.fields["owner"].initial = user.pk
        self.optional = optional
        if optional:
            # On the consultation and support forms the next step may be left out.
            for field in self.fields.values():
                field.required = False
            self.fields["kind"].choices = [
                ("", _("No next step")),
                *FollowUp.Kind.choices,
            ]

    def wanted(self) -> bool:
        return bool(self.cleaned_data.get("kind"))

    def clean(self):
        cleaned = super().clean()
        if self.optional and cleaned.get("kind"):
            for name in ("due_date", "owner"):
                if not cleaned.get(name):
                    self.add_error(name, _("Needed for a next step."))
        return cleaned

    def _post_clean(self):
        if not self.optional or self.cleaned_data.get("kind"):
            super()._post_clean()


class FollowUpDoneForm(forms.Form):
    outcome = forms.CharField(
        label=_("What happened"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
