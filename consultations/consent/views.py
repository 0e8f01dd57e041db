"""Consent, referrals and the information letter: counsellors and admins."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import View

import jpdates
from accounts.audit import Action, audit
from accounts.forms import add_service_errors
from accounts.roles import Role, RoleRequiredMixin

from ..models import Client
from . import services
from .forms import ConsentForm, ReferralForm
from .models import Consent, Referral, categories_of


class CounsellorMixin(RoleRequiredMixin):
    roles = (Role.COUNSELLOR,)


class ConsentCreateView(CounsellorMixin, View):
    template_name = "consultations/consent/consent_form.html"

    def get(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        return self.render(request, client, ConsentForm())

    def post(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        form = ConsentForm(request.POST)
        if form.is_valid():
            try:
                services.consent_record(
                    by=request.user, client=client, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The consent was recorded."))
                return redirect(client.get_absolute_url() + "#consents")
        return self.render(request, client, form)

    def render(self, request, client, form):
        return render(request, self.template_name, {"client": client, "form": form})


class ConsentWithdrawView(CounsellorMixin, View):
    def post(self, request, pk):
        consent = get_object_or_404(Consent.objects.select_related("client"), pk=pk)
        try:
            services.consent_withdraw(by=request.user, consent=consent)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The consent was withdrawn."))
        return redirect(consent.client.get_absolute_url() + "#consents")


class ReferralCreateView(CounsellorMixin, View):
    template_name = "consultations/consent/referral_form.html"

    def get(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        initial = {}
        agency = request.GET.get("agency", "")
        if agency.isdigit():
            initial["agency"] = int(agency)
        return self.render(
            request, client, ReferralForm(client=client, initial=initial)
        )

    def post(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        form = ReferralForm(request.POST, client=client)
        if form.is_valid():
            try:
                referral = services.referral_create(
                    by=request.user, client=client, **form.cleaned_data
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if referral.is_override:
                    messages.warning(
                        request,
                        _(
                            "The referral was recorded as an emergency override "
                            "without consent; the supervisors will see it."
                        ),
                    )
                else:
                    messages.success(request, _("The referral was recorded."))
                return redirect(referral)
        return self.render(request, client, form)

    def render(self, request, client, form):
        return render(request, self.template_name, {"client": client, "form": form})


def _referral(pk):
    return get_object_or_404(
        Referral.objects.select_related("client", "agency", "consent", "staff"), pk=pk
    )


class ReferralDetailView(CounsellorMixin, View):
    template_name = "consultations/consent/referral_detail.html"

    def get(self, request, pk):
        referral = _referral(pk)
        audit(user=request.user, action=Action.VIEW, obj=referral)
        return render(
            request,
            self.template_name,
            {"referral": referral, "client": referral.client},
        )


class ReferralAnswerView(CounsellorMixin, View):
    """The agency's answer: accepted or declined (POST)."""

    def post(self, request, pk):
        referral = _referral(pk)
        answer = request.POST.get("answer")
        if answer not in ("accepted", "declined"):
            messages.error(request, _("Choose accepted or declined."))
            return redirect(referral)
        try:
            services.referral_answer(
                by=request.user, referral=referral, accepted=answer == "accepted"
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The agency's answer was recorded."))
        return redirect(referral)


class ReferralOutcomeView(CounsellorMixin, View):
    def post(self, request, pk):
        referral = _referral(pk)
        field = forms.DateField()
        try:
            outcome_date = field.clean(request.POST.get("outcome_date", ""))
        except ValidationError:
            outcome_date = None
        try:
            services.referral_record_outcome(
                by=request.user,
                referral=referral,
                outcome=request.POST.get("outcome", "")[:2000],
                outcome_date=outcome_date,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The outcome was recorded."))
        return redirect(referral)


def letter_details(client, category) -> list[str]:
    """What the record holds for one category the letter passes: her name
    and contact details, the household and children. The other categories
    (health, housing, money, violence) have no fields of their own: the
    staff member explains them to the agency."""
    from .models import InfoCategory

    def line(field: str, value) -> str:
        return f"{capfirst(client._meta.get_field(field).verbose_name)}: {value}"

    lines = []
    if category == InfoCategory.NAME_CONTACT:
        name = client.display_name
        if client.kana:
            name = f"{name}（{client.kana}）"
        label = pgettext("person", "Name")
        lines.append(f"{label}: {name}")
        lines += [
            line(f, getattr(client, f))
            for f in ("phone", "email")
            if getattr(client, f)
        ]
    elif category == InfoCategory.CHILDREN:
        if client.household_type:
            lines.append(line("household_type", client.get_household_type_display()))
        if client.children_count is not None:
            lines.append(line("children_count", client.children_count))
    return lines


def letter_pdf(referral: Referral) -> bytes:
    """The information letter (情報提供書): the agency, the date in the
    Japanese calendar, the organisation, the staff member, and only the
    categories of information the referral passes and its consent covers,
    with what the record holds for them (``letter_details``). Nothing else of
    the client's record is in it: her name only when her name and contact
    details are passed."""
    from reports.pdf import font_context, html_to_pdf

    passed = referral.categories
    if referral.consent is not None:
        passed &= referral.consent.categories
    context = {
        "referral": referral,
        "organisation": referral.organisation,
        "date_wareki": jpdates.to_wareki(referral.date),
        "categories": [
            (category, letter_details(referral.client, category))
            for category in categories_of(passed)
        ],
        **font_context(),
    }
    if referral.consent is not None:
        context["consent_from"] = jpdates.to_wareki(referral.consent.valid_from)
        context["consent_to"] = jpdates.to_wareki(referral.consent.valid_to)
    html = render_to_string("consultations/consent/letter_print.html", context)
    return html_to_pdf(html)


class ReferralLetterView(CounsellorMixin, View):
    def get(self, request, pk):
        referral = get_object_or_404(
            Referral.objects.select_related(
                "client", "agency", "consent", "staff", "organisation"
            ),
            pk=pk,
        )
        content = letter_pdf(referral)
        audit(
            user=request.user,
            action=Action.EXPORT,
            obj=referral,
            detail="information letter",
        )
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="information-letter-{referral.pk}.pdf"'
        )
        return response
