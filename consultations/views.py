from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import DetailView, TemplateView

from accounts import dataversion
from accounts.audit import Action, AuditedObjectMixin, audit, audit_many
from accounts.locking import EditConflict
from accounts.redirects import safe_next
from accounts.roles import Role, RoleRequiredMixin, has_role

from . import casework, selectors, services, timeline
from .casework import local_today
from .consent import selectors as consent_selectors
from .forms import (
    ClientFilterForm,
    ClientForm,
    CloseClientForm,
    ConsultationFilterForm,
    ConsultationForm,
    FollowUpDoneForm,
    FollowUpForm,
    ReassignForm,
    ReopenClientForm,
    SupportActionForm,
    UrgencyForm,
)
from .models import Client, Consultation, FollowUp, SupportAction
from .picker import last_contact_label, picker_rows
from .resources import ConsultationExportResource, export_bytes

PAGE_SIZE = 50


class CounsellorMixin(RoleRequiredMixin):
    roles = (Role.COUNSELLOR,)


def _filters(form) -> dict:
    return form.cleaned_data if form.is_valid() else {}


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _conflict(request, form, error: ValidationError):
    """Show an edit conflict on the form, with a link to reload."""
    form.add_error(None, error)
    messages.error(request, error.messages[0])


# CLIENTS
# ------------------------------------------------------------------------------


class ClientListView(CounsellorMixin, TemplateView):
    template_name = "consultations/client_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ClientFilterForm(self.request.GET or None)
        clients = selectors.client_list(
            fetched_by=self.request.user, filters=_filters(form)
        )
        paginator = Paginator(clients.values(*selectors.CLIENT_ROW_FIELDS), PAGE_SIZE)
        # The count and the rows are kept in memory until a client changes
        # (accounts.dataversion): paging through a search, or coming back to
        # it from a client's page, does not count again.
        paginator.count = dataversion.cached_count(clients)
        page = paginator.get_page(self.request.GET.get("page"))
        page.object_list = selectors.client_rows(
            dataversion.cached_list(page.object_list)
        )
        context.update(form=form, page=page)
        return context


class ClientDetailView(CounsellorMixin, AuditedObjectMixin, DetailView):
    model = Client
    template_name = "consultations/client_detail.html"

    def get_queryset(self):
        return Client.objects.select_related("assigned_counsellor")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        client, user = self.object, self.request.user
        whole = self.request.GET.get("history") == "all"
        entries = timeline.entries_for(
            client, user, limit=None if whole else timeline.PAGE_LIMIT + 1
        )
        context.update(
            timeline=entries[: None if whole else timeline.PAGE_LIMIT],
            timeline_truncated=len(entries) > timeline.PAGE_LIMIT and not whole,
            contact_visible=client.contact_visible_to(user),
            # Own id prefixes: the page holds several forms, and the urgency
            # form has a "reason" field too (one id, one label each).
            close_form=CloseClientForm(
                initial={"version": client.version}, auto_id="close_%s"
            ),
            reopen_form=ReopenClientForm(
                initial={"version": client.version}, auto_id="reopen_%s"
            ),
            urgency_form=UrgencyForm(initial={"urgency": client.urgency}),
            urgency_changes=client.urgency_changes.select_related("changed_by")[:20],
            follow_ups=client.follow_ups.select_related("owner").order_by(
                F("done_at").desc(nulls_first=True), "due_date"
            )[:30],
            follow_up_form=FollowUpForm(user=user, initial={"due_date": local_today()}),
            follow_up_done_form=FollowUpDoneForm(),
            today=local_today(),
            consents=consent_selectors.consents_of(client),
            referrals=consent_selectors.referrals_of(client),
        )
        # Assessments, support plan and closure requests (issue 19).
        from .plans.forms import ClosureApproveForm, ClosureDeclineForm
        from .plans.selectors import client_section

        context.update(client_section(client, user))
        from .meetings.selectors import meetings_of_client

        context["meeting_cases"] = meetings_of_client(client, user)
        if context["closure_decidable"]:
            context["closure_approve_form"] = ClosureApproveForm(
                initial={"version": client.version}, auto_id="closure_%s"
            )
            context["closure_decline_form"] = ClosureDeclineForm(auto_id="decline_%s")
        if has_role(user, Role.ADMIN):
            context["reassign_form"] = ReassignForm(
                initial={
                    "version": client.version,
                    "counsellor": client.assigned_counsellor_id,
                },
                auto_id="reassign_%s",
            )
        return context


class ClientFormView(CounsellorMixin, View):
    """Create (no pk) or edit a client; an edit is refused if someone saved the
    client after this form was opened."""

    template_name = "consultations/client_form.html"

    def form(self, request, client, data=None):
        # A new client of a user of several organisations: she chooses one.
        return ClientForm(
            data,
            instance=client,
            user=request.user,
            organisation_user=None if client else request.user,
        )

    def get(self, request, pk=None):
        client = get_object_or_404(Client, pk=pk) if pk else None
        if client:
            audit(user=request.user, action=Action.VIEW, obj=client)
        return self.render(request, self.form(request, client), client)

    def post(self, request, pk=None):
        client = get_object_or_404(Client, pk=pk) if pk else None
        form = self.form(request, client, request.POST)
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            reason = data.pop("flag_clear_reason", "")
            try:
                if client is None:
                    client = services.client_create(by=request.user, **data)
                    messages.success(
                        request,
                        _("Client %(code)s was created.") % {"code": client.code},
                    )
                else:
                    changed = {k: data[k] for k in form.changed_data if k in data}
                    client = services.client_update(
                        client=client,
                        by=request.user,
                        expected_version=form.cleaned_data["version"] or 0,
                        flag_clear_reason=reason,
                        **changed,
                    )
                    messages.success(
                        request, _("Client %(code)s was saved.") % {"code": client.code}
                    )
            except EditConflict as error:
                _conflict(request, form, error)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect(client)
        if client is not None:
            # The form has applied the refused input to its instance: the page
            # shows the stored record (its safety flags above all).
            client = Client.objects.get(pk=client.pk)
        return self.render(request, form, client)

    def render(self, request, form, client):
        return render(request, self.template_name, {"form": form, "object": client})


class ClientCloseView(CounsellorMixin, View):
    """Ask for a case to be closed (POST), with a closure reason: it closes
    when a supervisor other than the requester approves (issue 19)."""

    def post(self, request, pk):
        from .plans.services import closure_request

        client = get_object_or_404(Client, pk=pk)
        form = CloseClientForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a closure reason to close the case."))
            return redirect(client)
        try:
            closure_request(
                client=client,
                by=request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except EditConflict as error:
            messages.error(request, error.messages[0])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "The closure was requested. The case closes when a "
                    "supervisor approves it."
                ),
            )
        return redirect(client)


class ClientReopenView(CounsellorMixin, View):
    def post(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        form = ReopenClientForm(request.POST)
        if form.is_valid():
            try:
                services.client_reopen(
                    client=client,
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                )
            except EditConflict as error:
                messages.error(request, error.messages[0])
            else:
                messages.success(request, _("The case was reopened."))
        return redirect(client)


class ClientUrgencyView(CounsellorMixin, View):
    def post(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        form = UrgencyForm(request.POST)
        if form.is_valid():
            try:
                services.client_set_urgency(
                    client=client, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("The urgency was changed."))
        else:
            messages.error(request, _("Give a reason for changing the urgency."))
        return redirect(client)


class ClientReassignView(RoleRequiredMixin, View):
    """Supervisors (admins) hand a case to another counsellor."""

    roles = (Role.ADMIN,)

    def post(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        form = ReassignForm(request.POST)
        if form.is_valid():
            try:
                services.client_reassign(
                    client=client,
                    by=request.user,
                    counsellor=form.cleaned_data["counsellor"],
                    expected_version=form.cleaned_data["version"],
                )
            except EditConflict as error:
                messages.error(request, error.messages[0])
            else:
                messages.success(request, _("The case was reassigned."))
        return redirect(safe_next(request, client.get_absolute_url()))


class FollowUpCreateView(CounsellorMixin, View):
    def post(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        form = FollowUpForm(request.POST, user=request.user)
        if form.is_valid():
            services.follow_up_create(
                by=request.user, client=client, **form.cleaned_data
            )
            messages.success(request, _("The next step was added."))
        else:
            messages.error(
                request, _("The next step needs a kind, a due date and an owner.")
            )
        return redirect(client.get_absolute_url() + "#follow-ups")


class FollowUpDoneView(CounsellorMixin, View):
    def post(self, request, pk):
        follow_up = get_object_or_404(FollowUp.objects.select_related("client"), pk=pk)
        form = FollowUpDoneForm(request.POST)
        if form.is_valid():
            try:
                services.follow_up_complete(
                    follow_up=follow_up,
                    by=request.user,
                    outcome=form.cleaned_data["outcome"],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("The follow-up was marked done."))
        else:
            messages.error(request, _("Write what happened to mark it done."))
        return redirect(follow_up.client.get_absolute_url() + "#follow-ups")


class TeamWorklistView(RoleRequiredMixin, TemplateView):
    """The supervisor's view: every counsellor's worklist, with reassignment."""

    roles = (Role.ADMIN,)
    template_name = "consultations/team_worklist.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["worklist"] = casework.worklist(user=None)
        context["flag_clearances"] = selectors.flag_clearances_recent()
        context["flag_clearance_days"] = selectors.FLAG_CLEARANCE_DAYS
        context["overrides"] = consent_selectors.overrides_recent()
        context["override_days"] = consent_selectors.OVERRIDE_DAYS
        return context


# The lists of the worklists: their titles and the template of their rows.
WORKLIST_LISTS = {
    "overdue": (
        gettext_lazy("Overdue follow-ups"),
        "consultations/includes/follow_up_rows.html",
    ),
    "due_today": (
        gettext_lazy("Due today"),
        "consultations/includes/follow_up_rows.html",
    ),
    "high_quiet": (
        gettext_lazy("High urgency, no contact in 7 days"),
        "consultations/includes/quiet_rows.html",
    ),
    "quiet": (
        gettext_lazy("No contact in 30 days"),
        "consultations/includes/quiet_rows.html",
    ),
    "unread_line": (
        gettext_lazy("Unread LINE conversations"),
        "consultations/includes/line_unread_list.html",
    ),
    "tasks_overdue": (
        gettext_lazy("Overdue plan tasks"),
        "consultations/plans/task_overdue_rows.html",
    ),
    "plans_review": (
        gettext_lazy("Plans due for review"),
        "consultations/plans/plan_review_rows.html",
    ),
    "plans_awaiting": (
        gettext_lazy("Plans awaiting approval"),
        "consultations/plans/plan_awaiting_rows.html",
    ),
    "closures_awaiting": (
        gettext_lazy("Closures awaiting approval"),
        "consultations/plans/closure_awaiting_rows.html",
    ),
}


class WorklistAllView(CounsellorMixin, TemplateView):
    """One list of my worklist, whole: WORKLIST_PAGE_SIZE rows a page, in the
    worklist's order (the worklist shows the first WORKLIST_SHOWN)."""

    template_name = "consultations/worklist_all.html"
    team = False

    def get_context_data(self, name, **kwargs):
        context = super().get_context_data(**kwargs)
        user = None if self.team else self.request.user
        lists = casework.worklist_lists(user=user)
        if name not in lists:
            raise Http404
        page = Paginator(lists[name], casework.WORKLIST_PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        casework.for_display(name, page.object_list, show_owner=self.team)
        title, rows_template = WORKLIST_LISTS[name]
        context.update(
            name=name,
            title=title,
            rows_template=rows_template,
            page=page,
            team=self.team,
            show_owner=self.team,
            back_url=reverse("consultations:team_worklist" if self.team else "home"),
        )
        return context


class TeamWorklistAllView(WorklistAllView):
    """One list of the team worklist, whole."""

    roles = (Role.ADMIN,)
    team = True


class ClientLookupView(CounsellorMixin, View):
    """JSON for the counsellor's client picker (consultations.picker): up to
    10 matches with what tells them apart, never contact details. Like the
    client list's search, a search is not audited (no record is opened; the
    record saved with the picked client is)."""

    def get(self, request):
        matches = selectors.client_lookup(
            fetched_by=request.user, query=request.GET.get("q", "")[:100]
        )
        return JsonResponse(
            {
                "results": picker_rows(
                    matches, date_key="last_contact", date_label=last_contact_label()
                )
            }
        )


# CONSULTATIONS
# ------------------------------------------------------------------------------


class ConsultationFormView(CounsellorMixin, View):
    """One page to record (or edit) a consultation. "Save and new" returns to
    an empty form with the same counsellor and channel."""

    template_name = "consultations/consultation_form.html"

    def get(self, request, pk=None):
        consultation = self.get_object(pk)
        initial = {}
        if consultation is None:
            client = Client.objects.filter(code=request.GET.get("client", "")).first()
            if client:
                initial["client_code"] = client.code
            if request.GET.get("channel"):
                initial["channel"] = request.GET["channel"]
        else:
            audit(user=request.user, action=Action.VIEW, obj=consultation)
        form = ConsultationForm(
            instance=consultation, user=request.user, initial=initial
        )
        return self.render(request, form, consultation, self.next_step_form(request))

    def post(self, request, pk=None):
        consultation = self.get_object(pk)
        form = ConsultationForm(request.POST, instance=consultation, user=request.user)
        next_step = self.next_step_form(request)
        if (
            next_step
            and next_step.is_valid()
            and next_step.wanted()
            and form.is_valid()
            and form.cleaned_data.get("client_code") is None
        ):
            next_step.add_error("kind", _("A next step needs a client."))
        if form.is_valid() and (next_step is None or next_step.is_valid()):
            data = dict(form.cleaned_data)
            data["client"] = data.pop("client_code")
            version = data.pop("version")
            # The counsellor checked a summary flagged after a LINE withdrawal.
            if data.pop("withdrawn_checked", False):
                data["has_withdrawn_message"] = False
            try:
                if consultation is None:
                    consultation = services.consultation_create(by=request.user, **data)
                    if next_step and next_step.wanted():
                        services.follow_up_create(
                            by=request.user,
                            client=consultation.client,
                            consultation=consultation,
                            **next_step.cleaned_data,
                        )
                    messages.success(request, _("The consultation was recorded."))
                else:
                    consultation = services.consultation_update(
                        consultation=consultation,
                        by=request.user,
                        expected_version=version or 0,
                        **data,
                    )
                    messages.success(request, _("The consultation was saved."))
            except EditConflict as error:
                _conflict(request, form, error)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if "save_new" in request.POST:
                    return redirect(
                        reverse("consultations:consultation_create")
                        + f"?channel={consultation.channel}"
                    )
                if consultation.client_id:
                    return redirect(consultation.client)
                return redirect("consultations:consultation_list")
        return self.render(request, form, consultation, next_step)

    def next_step_form(self, request):
        """The optional next step, offered when a consultation is recorded."""
        if self.kwargs.get("pk"):
            return None
        data = request.POST if request.method == "POST" else None
        return FollowUpForm(data, prefix="next", user=request.user, optional=True)

    def get_object(self, pk):
        if pk is None:
            return None
        return get_object_or_404(Consultation.objects.select_related("client"), pk=pk)

    def render(self, request, form, consultation, next_step=None):
        first_for_client = None
        if consultation is None:
            client = form["client_code"].value()
            if isinstance(client, str) and client:
                first_for_client = not Consultation.objects.filter(
                    client__code=client.strip().upper()
                ).exists()
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "object": consultation,
                "first_for_client": first_for_client,
                "next_step": next_step,
            },
        )


class ConsultationDeleteView(CounsellorMixin, View):
    template_name = "consultations/consultation_confirm_delete.html"

    def get(self, request, pk):
        consultation = get_object_or_404(
            Consultation.objects.select_related("client"), pk=pk
        )
        return render(request, self.template_name, {"object": consultation})

    def post(self, request, pk):
        consultation = get_object_or_404(
            Consultation.objects.select_related("client"), pk=pk
        )
        client = consultation.client
        services.consultation_delete(consultation=consultation, by=request.user)
        messages.success(request, _("The consultation was deleted."))
        return (
            redirect(client) if client else redirect("consultations:consultation_list")
        )


class ConsultationListView(CounsellorMixin, TemplateView):
    template_name = "consultations/consultation_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET.copy()
        if "fiscal_year" not in params:
            # Open on one fiscal year: counting years of consultations by
            # channel on every visit would cost more than the rest of the page.
            # "All" stays available (fiscal_year= in the query).
            params["fiscal_year"] = str(
                selectors.fiscal_year_to_show(today=local_today())
            )
        form = ConsultationFilterForm(params)
        consultations = selectors.consultation_list(
            fetched_by=self.request.user, filters=_filters(form)
        )
        if not form.is_valid():
            # A filter that cannot be read lists nothing (and says why) rather
            # than every consultation, as the export does.
            consultations = consultations.none()
        counts = selectors.channel_counts(consultations)
        total = sum(c["count"] for c in counts)
        paginator = Paginator(
            consultations.values(*selectors.CONSULTATION_ROW_FIELDS), PAGE_SIZE
        )
        # Every consultation has one of the channels counted: their total is
        # the paginator's count, without counting the year a second time.
        paginator.count = total
        page = paginator.get_page(self.request.GET.get("page"))
        # The rows and the counts are kept in memory until a consultation
        # changes (accounts.dataversion).
        page.object_list = dataversion.cached_rows(
            page.object_list, selectors.consultation_rows
        )
        context.update(
            form=form,
            page=page,
            counts=counts,
            total=total,
            total_new=sum(c["new"] for c in counts),
            query=params.urlencode(),
        )
        return context


class ConsultationExportView(CounsellorMixin, View):
    """The filtered list as CSV or XLSX; every export is audited, one entry per
    client it contains. An invalid filter gives the form with its errors (400)
    and no file."""

    def get(self, request, fmt):
        form = ConsultationFilterForm(request.GET or None)
        if form.is_bound and not form.is_valid():
            # Never export everything in place of a filter that was asked for.
            return render(
                request,
                "consultations/consultation_export_invalid.html",
                {"form": form, "fmt": fmt},
                status=400,
            )
        consultations = selectors.consultation_list(
            fetched_by=request.user, filters=_filters(form)
        ).prefetch_related("other_problems")
        include_personal = request.user.has_role(Role.COUNSELLOR)
        dataset = ConsultationExportResource(include_personal=include_personal).export(
            queryset=consultations
        )
        audit(
            user=request.user,
            action=Action.EXPORT,
            object_type="consultations.consultation",
            detail=f"{fmt} {len(dataset)} rows {request.GET.urlencode()}"[:255],
        )
        audit_many(
            user=request.user,
            action=Action.EXPORT,
            object_type="consultations.consultation",
            client_codes=[c for c in dataset["相談者コード"] if c]
            if include_personal
            else [],
        )
        content, content_type = export_bytes(dataset, fmt)
        response = HttpResponse(content, content_type=content_type)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = (
            f'attachment; filename="consultations-{stamp}.{fmt}"'
        )
        return response


# SUPPORT ACTIONS
# ------------------------------------------------------------------------------


class SupportActionFormView(CounsellorMixin, View):
    """Record (or edit) a support action; a new one may set the next step."""

    template_name = "consultations/supportaction_form.html"

    def get(self, request, client_pk=None, pk=None):
        action, client = self.get_objects(client_pk, pk)
        if action:
            audit(user=request.user, action=Action.VIEW, obj=action)
        form = SupportActionForm(instance=action, user=request.user)
        return self.render(request, form, client, action, self.next_step_form(request))

    def post(self, request, client_pk=None, pk=None):
        action, client = self.get_objects(client_pk, pk)
        form = SupportActionForm(request.POST, instance=action, user=request.user)
        next_step = self.next_step_form(request)
        if form.is_valid() and (next_step is None or next_step.is_valid()):
            try:
                if action is None:
                    action = services.support_action_create(
                        by=request.user, client=client, **form.cleaned_data
                    )
                    if next_step.wanted():
                        services.follow_up_create(
                            by=request.user,
                            client=client,
                            support_action=action,
                            **next_step.cleaned_data,
                        )
                    messages.success(request, _("The support action was recorded."))
                else:
                    services.support_action_update(
                        action=action,
                        by=request.user,
                        **{k: form.cleaned_data[k] for k in form.changed_data},
                    )
                    messages.success(request, _("The support action was saved."))
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect(client)
        return self.render(request, form, client, action, next_step)

    def next_step_form(self, request):
        if self.kwargs.get("pk"):
            return None
        data = request.POST if request.method == "POST" else None
        return FollowUpForm(data, prefix="next", user=request.user, optional=True)

    def render(self, request, form, client, action, next_step):
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "client": client,
                "object": action,
                "next_step": next_step,
            },
        )

    def get_objects(self, client_pk, pk):
        if pk is not None:
            action = get_object_or_404(
                SupportAction.objects.select_related("client"), pk=pk
            )
            return action, action.client
        return None, get_object_or_404(Client, pk=client_pk)


class ClientAnonymiseView(RoleRequiredMixin, View):
    """Anonymise a client on request (admins only, after a confirmation)."""

    roles = (Role.ADMIN,)
    template_name = "consultations/client_confirm_anonymise.html"

    def get(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        return render(request, self.template_name, {"client": client})

    def post(self, request, pk):
        from .anonymise import client_anonymise

        client = client_anonymise(
            client=get_object_or_404(Client, pk=pk), by=request.user
        )
        messages.success(request, _("The client's personal data was wiped."))
        return redirect(client)
