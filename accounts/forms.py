"""Form pieces shared by the apps."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from . import scoping


class OrganisationChoiceMixin:
    """For a form that creates a top-level record (a client, a group, an
    event, an unmet request): a user who belongs to several organisations
    chooses the one the record belongs to, from her own, with no default.
    A user of one organisation sees no such field: the record goes to it
    (accounts.scoping.organisation_for_new_record).

    The view passes ``organisation_user=request.user``; the chosen
    organisation is ``cleaned_data["organisation"]`` (absent without the
    field), for the service's ``organisation`` argument."""

    organisation_required = True

    def __init__(self, *args, organisation_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation_user is None:
            return
        ids = scoping.visible_organisation_ids(organisation_user)
        if len(ids) < 2:
            return
        from .models import Organisation

        self.fields["organisation"] = forms.ModelChoiceField(
            label=_("Organisation"),
            queryset=Organisation.objects.filter(pk__in=ids).order_by("name"),
            required=self.organisation_required,
            help_text=_("The organisation this record belongs to."),
        )
        self.order_fields(["organisation", *self.fields])

    def clean(self):
        cleaned = super().clean()
        instance = getattr(self, "instance", None)
        chosen = cleaned.get("organisation")
        if chosen is not None and instance is not None and instance.pk is None:
            # A model form validates its new record with the organisation
            # chosen (organisation_for_new_record would ask for it).
            instance.organisation = chosen
        return cleaned


def organisation_of(cleaned_data: dict) -> dict:
    """``cleaned_data`` without the organisation, and the organisation as a
    keyword for the service (none when the form had no such field)."""
    data = dict(cleaned_data)
    organisation = data.pop("organisation", None)
    return {**data, "organisation": organisation}


def add_service_errors(form: forms.Form, exc: ValidationError, fields=None) -> None:
    """Show a service's ValidationError on the form: errors about a model field
    go to the form field of that name (or as ``fields`` maps it), the rest
    above the form. Every view that calls a service uses this one."""
    fields = fields or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        target = fields.get(name, name)
        if target == NON_FIELD_ERRORS or target not in form.fields:
            target = None
        for error in errors:
            form.add_error(target, error)
