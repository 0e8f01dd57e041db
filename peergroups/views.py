"""Pages for facilitators (and admins): groups, sessions with attendance,
series. Counsellors see a client's sessions on the client timeline only."""

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
from django.views.generic import FormView, TemplateView

import jpdates
from accounts import dataversion, scoping
from accounts.audit import Action, audit, audit_many
from accounts.forms import add_service_errors
from accounts.roles import Role, RoleRequiredMixin, user_roles

from . import selectors, services
from .forms import FiscalYearForm, GroupForm, SeriesForm, SessionForm
from .models import Group, Series, Session


class FacilitatorMixin(RoleRequiredMixin):
    roles = (Role.FACILITATOR,)


def fiscal_year_nav(fy: int) -> dict:
    return {
        "fy": fy,
        "fy_label": jpdates.fiscal_year_label(fy),
        "fy_prev": fy - 1,
        "fy_next": fy + 1,
        "fy_prev_label": jpdates.fiscal_year_label(fy - 1),
        "fy_next_label": jpdates.fiscal_year_label(fy + 1),
    }


# SESSIONS
# ------------------------------------------------------------------------------


class SessionListView(FacilitatorMixin, TemplateView):
    """The sessions of one fiscal year (optionally one group) with their
    participants, and the year's totals."""

    template_name = "peergroups/session_list.html"
    paginate_by = 100

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = FiscalYearForm(self.request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        # The year, the totals, the rows and the groups are kept in memory
        # until a session, an attendance or a group changes
        # (accounts.dataversion).
        using = router.db_for_read(Session)
        scope = scoping.current()
        today = timezone.localdate()
        fy = filters.get("fy") or dataversion.cached(
            ("peer_sessions_year", today, scope),
            lambda: selectors.fiscal_year_to_show(today=today),
            using=using,
        )
        group = filters.get("group")
        start, end = jpdates.fiscal_year_range(fy)
        sessions = selectors.session_list(start=start, end=end, group=group)
        totals = dataversion.cached(
            ("peer_sessions_totals", start, end, getattr(group, "pk", None), scope),
            lambda: selectors.session_totals(start=start, end=end, group=group),
            using=using,
        )
        paginator = Paginator(
            sessions.values(*selectors.SESSION_ROW_FIELDS), self.paginate_by
        )
        # The totals counted these very sessions: no second count.
        paginator.count = totals.sessions
        page = paginator.get_page(self.request.GET.get("page"))
        page.object_list = dataversion.cached_rows(
            page.object_list, selectors.session_list_rows
        )
        context.update(
            fiscal_year_nav(fy),
            form=form,
            group=group,
            groups=dataversion.cached_list(Group.objects.order_by("name")),
            page=page,
            totals=totals,
        )
        return context


class SessionDetailView(FacilitatorMixin, TemplateView):
    template_name = "peergroups/session_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            session = selectors.session_detail(pk=self.kwargs["pk"])
        except Session.DoesNotExist:
            raise Http404 from None
        attendances = list(session.attendances.all())
        audit(user=self.request.user, action=Action.VIEW, obj=session)
        if attendances:
            audit_many(
                user=self.request.user,
                action=Action.VIEW,
                object_type="peergroups.attendance",
                client_codes=[a.client.code for a in attendances],
                detail=f"session {session.pk}",
            )
        context.update(
            session=session,
            attendances=attendances,
            fiscal_year=jpdates.fiscal_year(session.date),
        )
        return context


class SessionCreateView(FacilitatorMixin, FormView):
    form_class = SessionForm
    template_name = "peergroups/session_form.html"

    def get_initial(self):
        initial = {}
        if "group" in self.request.GET:
            initial["group"] = self.request.GET["group"]
        if Role.FACILITATOR in user_roles(self.request.user):
            initial["facilitator"] = self.request.user.pk
        return initial

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        data.pop("version", None)
        clients = data.pop("client_codes")
        try:
            session = services.session_create(
                by=self.request.user, clients=clients, **data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The session of %(date)s was saved.")
            % {"date": jpdates.on_screen(session.date)},
        )
        return redirect(session)


class SessionUpdateView(FacilitatorMixin, FormView):
    form_class = SessionForm
    template_name = "peergroups/session_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.object = get_object_or_404(
            Session.objects.select_related("group"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.object
        if self.request.method == "GET":
            self.attendees = [
                a.client
                for a in self.object.attendances.select_related("client").order_by(
                    "client__code"
                )
            ]
            kwargs["attendees"] = self.attendees
        return kwargs

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        audit(user=request.user, action=Action.VIEW, obj=self.object)
        codes = [c.code for c in getattr(self, "attendees", [])]
        if codes:
            audit_many(
                user=request.user,
                action=Action.VIEW,
                object_type="peergroups.attendance",
                client_codes=codes,
                detail=f"session {self.object.pk}",
            )
        return response

    def get_context_data(self, **kwargs):
        return super().get_context_data(object=self.object, **kwargs)

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        clients = data.pop("client_codes")
        head_count = data.pop("head_count")
        try:
            session = services.session_update(
                session=self.object,
                by=self.request.user,
                expected_version=version,
                head_count=head_count,
                clients=clients,
                **data,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("The session of %(date)s was saved.")
            % {"date": jpdates.on_screen(session.date)},
        )
        return redirect(session)


class SessionDeleteView(FacilitatorMixin, TemplateView):
    template_name = "peergroups/session_confirm_delete.html"

    def dispatch(self, request, *args, **kwargs):
        self.object = get_object_or_404(
            Session.objects.select_related("group"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(session=self.object, **kwargs)

    def post(self, request, *args, **kwargs):
        fy = jpdates.fiscal_year(self.object.date)
        day = self.object.date
        services.session_delete(session=self.object, by=request.user)
        messages.success(
            request, _("The session of %(date)s was deleted.") % {"date": day}
        )
        return redirect(f"{reverse('peergroups:session_list')}?fy={fy}")


# SERIES
# ------------------------------------------------------------------------------


class SeriesCreateView(FacilitatorMixin, FormView):
    """Step 1 shows the dates (with the holidays skipped or moved); step 2
    creates the sessions."""

    form_class = SeriesForm
    template_name = "peergroups/series_form.html"

    def get_initial(self):
        initial = {}
        if "group" in self.request.GET:
            initial["group"] = self.request.GET["group"]
        if Role.FACILITATOR in user_roles(self.request.user):
            initial["facilitator"] = self.request.user.pk
        return initial

    def form_valid(self, form):
        data = form.cleaned_data
        rule = {
            "frequency": data["frequency"],
            "weekday": data["weekday"],
            "week_of_month": data["week_of_month"],
            "first_date": data["first_date"],
            "last_date": data["last_date"],
            "holiday_policy": data["holiday_policy"],
        }
        try:
            if "create" not in self.request.POST:
                planned = services.series_plan(**rule)
                return self.render_to_response(
                    self.get_context_data(
                        form=form,
                        planned=planned,
                        held_count=sum(not p.skipped for p in planned),
                        skipped_count=sum(p.skipped for p in planned),
                        moved_count=sum(p.moved for p in planned),
                    )
                )
            series = services.series_create(
                by=self.request.user,
                group=data["group"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                place=data["place"],
                facilitator=data["facilitator"],
                theme=data["theme"],
                **rule,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        count = series.sessions.count()
        messages.success(
            self.request,
            _("%(count)d sessions were created. Each can now be edited on its own.")
            % {"count": count},
        )
        return redirect(series)


class SeriesDetailView(FacilitatorMixin, TemplateView):
    template_name = "peergroups/series_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        series = get_object_or_404(
            Series.objects.select_related("group", "created_by"), pk=self.kwargs["pk"]
        )
        context.update(series=series, sessions=selectors.series_sessions(series=series))
        return context


# GROUPS
# ------------------------------------------------------------------------------


class GroupListView(FacilitatorMixin, TemplateView):
    template_name = "peergroups/group_list.html"

    def get_context_data(self, **kwargs):
        # Kept in memory until a group or session changes (accounts.dataversion).
        groups = dataversion.cached(
            ("group_list", scoping.current()),
            lambda: list(selectors.group_list()),
            using=router.db_for_read(Group),
        )
        return super().get_context_data(groups=groups, **kwargs)


class GroupCreateView(FacilitatorMixin, FormView):
    form_class = GroupForm
    template_name = "peergroups/group_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organisation_user": self.request.user}

    def form_valid(self, form):
        try:
            group = services.group_create(by=self.request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request, _("The group %(name)s was saved.") % {"name": group.name}
        )
        return redirect("peergroups:group_list")


class GroupUpdateView(FacilitatorMixin, FormView):
    form_class = GroupForm
    template_name = "peergroups/group_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.object = get_object_or_404(Group, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.object}

    def get_context_data(self, **kwargs):
        return super().get_context_data(object=self.object, **kwargs)

    def form_valid(self, form):
        try:
            group = services.group_update(
                group=self.object,
                by=self.request.user,
                **{name: form.cleaned_data[name] for name in form.changed_data},
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request, _("The group %(name)s was saved.") % {"name": group.name}
        )
        return redirect("peergroups:group_list")
