"""Pages for facilitators (and admins): training events, speakers, and the fast
survey form. Counsellors see a client's talks on the client timeline only."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import router
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

import jpdates
from accounts import dataversion, scoping
from accounts.audit import Action, audit, audit_many
from accounts.forms import add_service_errors
from accounts.roles import Role, RoleRequiredMixin

from . import selectors, services
from .forms import (
    MAX_SURVEY_ROWS,
    EventForm,
    FiscalYearForm,
    SpeakerForm,
    survey_formset,
)
from .models import Event, Speaker, SurveyResponse


class FacilitatorMixin(RoleRequiredMixin):
    roles = (Role.FACILITATOR,)


class EventObjectMixin:
    """Loads the event named by the URL (404 if there is none)."""

    def dispatch(self, request, *args, **kwargs):
        self.event = get_object_or_404(Event, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)


class EventListView(FacilitatorMixin, TemplateView):
    template_name = "training/event_list.html"
    paginate_by = 100

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = FiscalYearForm(self.request.GET or None)
        # The year, the totals and the rows are kept in memory until an
        # event, a speaker or a survey answer changes (accounts.dataversion).
        using = router.db_for_read(Event)
        scope = scoping.current()
        today = timezone.localdate()
        fy = (form.is_valid() and form.cleaned_data.get("fy")) or dataversion.cached(
            ("training_year", today, scope),
            lambda: selectors.fiscal_year_to_show(today=today),
            using=using,
        )
        start, end = jpdates.fiscal_year_range(fy)
        totals = dataversion.cached(
            ("training_totals", start, end, scope),
            lambda: selectors.training_totals(start=start, end=end),
            using=using,
        )
        paginator = Paginator(
            selectors.event_list(start=start, end=end).values(*selectors.EVENT_ROW),
            self.paginate_by,
        )
        # The totals counted these very events: no second count.
        paginator.count = totals.events
        page = paginator.get_page(self.request.GET.get("page"))
        # Rows as values, made ready to print (training.selectors.event_rows).
        page.object_list = dataversion.cached_rows(
            page.object_list, selectors.event_rows
        )
        context.update(
            fy=fy,
            fy_label=jpdates.fiscal_year_label(fy),
            fy_prev=fy - 1,
            fy_next=fy + 1,
            fy_prev_label=jpdates.fiscal_year_label(fy - 1),
            fy_next_label=jpdates.fiscal_year_label(fy + 1),
            page=page,
            totals=totals,
        )
        return context


class EventDetailView(FacilitatorMixin, TemplateView):
    template_name = "training/event_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            event = selectors.event_detail(pk=self.kwargs["pk"])
        except Event.DoesNotExist:
            raise Http404 from None
        speakers = list(event.speakers.all())
        audit(user=self.request.user, action=Action.VIEW, obj=event)
        if speakers:
            audit_many(
                user=self.request.user,
                action=Action.VIEW,
                object_type="training.speaker",
                client_codes=[s.client.code for s in speakers],
                detail=f"event {event.pk}",
            )
        context.update(
            event=event,
            speakers=speakers,
            distribution=selectors.score_distribution(event=event),
            responses=selectors.event_responses(event=event),
            fiscal_year=jpdates.fiscal_year(event.date),
        )
        return context


class EventCreateView(FacilitatorMixin, FormView):
    form_class = EventForm
    template_name = "training/event_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organisation_user": self.request.user}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        data.pop("version", None)
        try:
            event = services.event_create(by=self.request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The event was saved."))
        return redirect(event)


class EventUpdateView(FacilitatorMixin, EventObjectMixin, FormView):
    form_class = EventForm
    template_name = "training/event_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.event}

    def get_context_data(self, **kwargs):
        return super().get_context_data(object=self.event, **kwargs)

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        try:
            event = services.event_update(
                event=self.event,
                by=self.request.user,
                expected_version=version,
                **data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("The event was saved."))
        return redirect(event)


class EventDeleteView(FacilitatorMixin, EventObjectMixin, TemplateView):
    template_name = "training/event_confirm_delete.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(event=self.event, **kwargs)

    def post(self, request, *args, **kwargs):
        fy = jpdates.fiscal_year(self.event.date)
        services.event_delete(event=self.event, by=request.user)
        messages.success(request, _("The event was deleted."))
        return redirect(f"{reverse('training:event_list')}?fy={fy}")


class SurveyEntryView(FacilitatorMixin, EventObjectMixin, TemplateView):
    """The fast form: one row of 1–5 buttons (and a comment) per respondent,
    several respondents per page; rows left blank are ignored."""

    template_name = "training/survey_form.html"
    default_rows = 10

    def rows(self) -> int:
        try:
            return int(self.request.GET.get("rows", self.default_rows))
        except ValueError:
            return self.default_rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = selectors.with_survey_counts(Event.objects.filter(pk=self.event.pk))[0]
        context.update(
            event=event,
            more_rows=min(self.rows() + 10, MAX_SURVEY_ROWS),
            max_rows=MAX_SURVEY_ROWS,
            score_range=range(1, 6),
        )
        context.setdefault("formset", survey_formset(rows=self.rows()))
        return context

    def post(self, request, *args, **kwargs):
        formset = survey_formset(request.POST)
        if formset.is_valid():
            answers = [
                (row["satisfaction"], row.get("comment", ""))
                for row in formset.cleaned_data
                if row.get("satisfaction") is not None
            ]
            try:
                saved = services.survey_responses_add(
                    by=request.user, event=self.event, responses=answers
                )
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(
                    request,
                    _("%(count)d responses were saved.") % {"count": len(saved)},
                )
                return redirect(
                    f"{reverse('training:survey', args=[self.event.pk])}"
                    f"?rows={formset.total_form_count()}"
                )
        return self.render_to_response(self.get_context_data(formset=formset))


class SpeakerCreateView(FacilitatorMixin, EventObjectMixin, FormView):
    form_class = SpeakerForm
    template_name = "training/speaker_form.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(event=self.event, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            speaker = services.speaker_add(
                by=self.request.user,
                event=self.event,
                client=data["client_code"],
                consent=data["consent"],
                talk_title=data["talk_title"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "client" in exc.error_dict:
                exc.error_dict["client_code"] = exc.error_dict.pop("client")
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("%(code)s was recorded as a speaker.") % {"code": speaker.client.code},
        )
        return redirect(self.event)


class SpeakerDeleteView(FacilitatorMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        speaker = get_object_or_404(
            Speaker.objects.select_related("event", "client"), pk=pk
        )
        services.speaker_remove(by=request.user, speaker=speaker)
        messages.success(request, _("The speaker was removed."))
        return redirect(speaker.event)


class SurveyResponseDeleteView(FacilitatorMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        response = get_object_or_404(
            SurveyResponse.objects.select_related("event"), pk=pk
        )
        services.survey_response_delete(by=request.user, response=response)
        messages.success(request, _("The response was deleted."))
        return redirect(response.event)
