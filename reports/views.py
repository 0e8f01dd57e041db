"""Browser imports (upload, preview with the errors of each row, confirm) for
every kind of SPEC §3, each open to the role that owns its records; and, for
city staff, programmes, targets and the annual report in every format."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import router
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import CreateView, DetailView, TemplateView, UpdateView

import jpdates
from accounts import dataversion, scoping
from accounts.audit import Action, audit
from accounts.forms import add_service_errors
from accounts.links import url_by_id
from accounts.locking import EditConflict
from accounts.opening import opening_date
from accounts.roles import Role, RoleRequiredMixin, has_role

from . import exports, jobs, selectors, services
from .forms import ProgrammeForm, ReportOptionsForm, TargetForm
from .imports import KINDS, ImportFileError, kinds_for, scan_file
from .layout import report_context
from .models import ImportJob, Programme, Target

PREVIEW_PAGE_ROWS = 50


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"))
    file = forms.FileField(
        label=gettext_lazy("File (.csv in UTF-8, or .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.name, k.label) for k in kinds_for(user)]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB.")
                % {"limit": settings.IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return upload


def _waiting_job(request) -> ImportJob | None:
    """The user's checked upload named by the posted token."""
    return ImportJob.objects.filter(
        token=request.POST.get("token", ""),
        user=request.user,
        status__in=(ImportJob.Status.CHECKED, ImportJob.Status.REFUSED),
    ).first()


def _job_context(request, job: ImportJob) -> dict:
    """The job's state; once checked, one page of its rows and its first
    errors."""
    context = {"job": job, "kind": KINDS.get(job.kind)}
    if job.is_running:
        context["progress"] = jobs.job_progress(job)
        return context
    errors = jobs.job_errors(job)
    page = Paginator(range(job.rows_total), PREVIEW_PAGE_ROWS).get_page(
        request.GET.get("page")
    )
    preview = None
    if job.status in (ImportJob.Status.CHECKED, ImportJob.Status.REFUSED):
        preview = jobs.job_preview(
            job, start=page.start_index() - 1, count=PREVIEW_PAGE_ROWS
        )
    by_row = dict(errors)
    context.update(
        errors=errors,
        more_errors=job.error_count - len(errors),
        page=page,
        headers=preview[0] if preview else [],
        preview=[(n, v, by_row.get(n, "")) for n, v in preview[1]] if preview else [],
    )
    if job.status == ImportJob.Status.CHECKED and job.user_id == request.user.pk:
        context["token"] = job.token
    return context


def import_view(request):
    """Step 1 (GET/POST with a file): check the file, show the preview; a file
    of more than IMPORT_SYNC_MAX_ROWS rows is checked by the task worker, on
    its own page. Step 2 (POST confirm): import the checked file."""
    if not kinds_for(request.user):
        raise PermissionDenied
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request)
    if request.method == "POST" and "cancel" in request.POST:
        job = _waiting_job(request)
        if job:
            jobs.import_job_discard(job)
        messages.info(request, _("The import was cancelled; nothing was written."))
        return redirect("reports:import")
    initial_kind = request.GET.get("kind", "")
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        user=request.user,
        initial={"kind": initial_kind},
    )
    context = {"form": form, "kinds": kinds_for(request.user)}
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        upload = form.cleaned_data["file"]
        content = upload.read()
        try:
            # Within the limits? Read no further than a request should.
            scan = scan_file(
                upload.name, content, stop_after=settings.IMPORT_SYNC_MAX_ROWS
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
            return render(request, "reports/import.html", context)
        job = jobs.import_job_create(
            by=request.user, kind=kind, filename=upload.name, content=content
        )
        if not scan.complete:
            jobs.import_job_enqueue(job)
            return redirect(job)
        jobs.import_job_check(job)
        if job.message:  # the file as a whole was refused
            form.add_error("file", job.message)
        else:
            context.update(_job_context(request, job), filename=upload.name)
    return render(request, "reports/import.html", context)


def import_job_view(request, pk):
    """An upload's progress, then its preview (page by page) and errors. Only
    the uploading user and admins see it; other ids are not found."""
    if not kinds_for(request.user):
        raise PermissionDenied
    jobs_seen = ImportJob.objects.select_related("user")
    if not has_role(request.user, Role.ADMIN):
        jobs_seen = jobs_seen.filter(user=request.user)
    job = get_object_or_404(jobs_seen, pk=pk)
    if job.user_id != request.user.pk:
        # An admin reading someone else's upload (its rows may name clients).
        audit(
            user=request.user,
            action=Action.VIEW,
            object_type="import",
            detail=f"job {job.pk} of user {job.user_id}",
        )
    return render(request, "reports/import_job.html", _job_context(request, job))


def _confirm(request):
    job = ImportJob.objects.filter(
        token=request.POST.get("token", ""),
        user=request.user,
        status=ImportJob.Status.CHECKED,
    ).first()
    if job is None or jobs.job_content(job) is None:
        messages.error(request, _("The checked file has expired. Upload it again."))
        return redirect("reports:import")
    kind = KINDS[job.kind]
    if not has_role(request.user, *kind.roles):
        raise PermissionDenied
    if not jobs.import_job_confirm(job):
        # Confirmed twice (the first is under way or done), or just expired:
        # its page says which.
        return redirect(job)
    if job.rows_total > settings.IMPORT_SYNC_MAX_ROWS:
        jobs.import_job_enqueue(job)
        return redirect(job)
    outcome = jobs.import_job_write(job)
    if job.status == ImportJob.Status.EXPIRED:
        messages.error(request, _("The checked file has expired. Upload it again."))
    elif job.status != ImportJob.Status.DONE:
        # The data changed between preview and confirm (e.g. a user was
        # removed), or the file could not be read again.
        messages.error(
            request,
            _(
                "The file no longer imports cleanly; nothing was "
                "written. Check it again."
            ),
        )
    else:
        messages.success(
            request,
            _("%(count)d rows of %(kind)s were imported.")
            % {"count": outcome.written, "kind": kind.label},
        )
    return redirect("reports:import")


# PROGRAMMES, TARGETS AND THE ANNUAL REPORT (city staff; admins hold every role)
# ------------------------------------------------------------------------------


class CityStaffMixin(RoleRequiredMixin):
    roles = (Role.CITY_STAFF,)


class ReportIndexView(CityStaffMixin, TemplateView):
    """Programmes by fiscal year, with their reports."""

    template_name = "reports/programme_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Only what the page shows, as values (a programme's texts are long).
        user = self.request.user

        def programmes_of_user():
            return list(
                selectors.programme_list(user)
                .annotate(target_count=Count("targets"))
                .values("pk", "fiscal_year", "name", "municipality", "target_count")
            )

        # Kept in memory per user until a programme, a target or her roles,
        # funder or organisations change (accounts.dataversion).
        programmes = dataversion.cached(
            ("programme_index", user.pk, scoping.current()),
            programmes_of_user,
            using=router.db_for_read(Programme),
        )
        years = sorted(
            {p["fiscal_year"] for p in programmes} | {_current_fiscal_year()},
            reverse=True,
        )
        # Links reversed once a page, not by a tag per row and year.
        detail = url_by_id("reports:programme_detail")
        for programme in programmes:
            programme["detail_url"] = detail(programme["pk"])
        summary = (
            url_by_id("reports:funder_summary")
            if selectors.funder_of(self.request.user) is not None
            else None
        )
        context["annual_url"] = reverse("reports:annual")
        context["years"] = [
            (
                year,
                jpdates.fiscal_year_label(year),
                [p for p in programmes if p["fiscal_year"] == year],
                summary(year) if summary else "",
            )
            for year in years
        ]
        return context


class ProgrammeDetailView(CityStaffMixin, DetailView):
    template_name = "reports/programme_detail.html"
    context_object_name = "programme"

    def get_object(self, queryset=None):
        return selectors.programme_for(
            self.request.user, self.kwargs["pk"], detail=True
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["narrative"] = [
            (Programme._meta.get_field(name).verbose_name, getattr(self.object, name))
            for name in selectors.NARRATIVE_FIELDS
        ]
        return context


class ProgrammeFormMixin(CityStaffMixin):
    model = Programme
    form_class = ProgrammeForm
    template_name = "reports/programme_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        fields = dict(form.cleaned_data)
        version = fields.pop("version", None)
        agencies = fields.pop("partner_agencies")
        try:
            if self.object and self.object.pk:
                self.object = services.programme_update(
                    programme=self.object,
                    by=self.request.user,
                    expected_version=version,
                    partner_agencies=agencies,
                    **fields,
                )
            else:
                self.object = services.programme_create(
                    by=self.request.user, partner_agencies=agencies, **fields
                )
        except EditConflict as conflict:
            form.add_error(None, conflict)
            messages.error(self.request, conflict.messages[0])
            return self.form_invalid(form)
        except ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("The programme was saved."))
        return redirect(self.object)


class ProgrammeCreateView(ProgrammeFormMixin, CreateView):
    pass


class ProgrammeUpdateView(ProgrammeFormMixin, UpdateView):
    def get_object(self, queryset=None):
        return selectors.programme_for(self.request.user, self.kwargs["pk"])


class ProgrammeDeleteView(CityStaffMixin, DetailView):
    model = Programme
    template_name = "reports/programme_confirm_delete.html"
    context_object_name = "programme"

    def get_object(self, queryset=None):
        return selectors.programme_for(self.request.user, self.kwargs["pk"])

    def post(self, request, *args, **kwargs):
        programme = self.get_object()
        services.programme_delete(programme=programme, by=request.user)
        messages.success(request, _("The programme was deleted."))
        return redirect("reports:index")


class TargetFormView(CityStaffMixin, View):
    template_name = "reports/target_form.html"

    def _objects(self, programme_pk, pk=None):
        programme = selectors.programme_for(self.request.user, programme_pk)
        target = (
            get_object_or_404(Target, pk=pk, programme=programme) if pk else Target()
        )
        return programme, target

    def get(self, request, programme_pk, pk=None):
        programme, target = self._objects(programme_pk, pk)
        form = TargetForm(instance=target, programme=programme)
        return render(
            request,
            self.template_name,
            {"form": form, "programme": programme, "target": target},
        )

    def post(self, request, programme_pk, pk=None):
        programme, target = self._objects(programme_pk, pk)
        form = TargetForm(request.POST, instance=target, programme=programme)
        if form.is_valid():
            try:
                services.target_save(target=form.instance, by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The target was saved."))
                return redirect(programme)
        return render(
            request,
            self.template_name,
            {"form": form, "programme": programme, "target": target},
        )


class TargetDeleteView(CityStaffMixin, View):
    def post(self, request, programme_pk, pk):
        programme = selectors.programme_for(request.user, programme_pk)
        target = get_object_or_404(Target, pk=pk, programme=programme)
        services.target_delete(target=target, by=request.user)
        messages.success(request, _("The target was deleted."))
        return redirect("reports:programme_detail", programme_pk)


def _current_fiscal_year() -> int:
    return jpdates.fiscal_year(opening_date())


def _report_options(request):
    """Fiscal year, programme and publication from the query string. Without
    a programme in the query, the year's first programme the user may see is
    shown; with an empty one, the figures alone (for city staff of a funder,
    of its programmes of the year). A programme the user may not see: 403 or
    404 (selectors.programme_for)."""
    data = {}
    form = None
    if request.GET:
        form = ReportOptionsForm(request.GET)
        if not form.is_valid():
            return form, None
        data = form.cleaned_data
    fiscal_year = data.get("fiscal_year") or _current_fiscal_year()
    programme = data.get("programme")
    if programme is not None:
        programme = selectors.programme_for(request.user, programme.pk, detail=True)
        if programme.fiscal_year != fiscal_year:
            form.add_error("programme", _("This programme is of another fiscal year."))
            return form, None
    if "programme" not in request.GET:
        programme = selectors.programmes_of_year(fiscal_year, request.user)[:1]
        programme = programme[0] if programme else None
        if programme is not None:
            programme = selectors.programme_detail(programme.pk)
    options = {
        "fiscal_year": fiscal_year,
        "programme": programme,
        "publication": bool(data.get("publication")),
    }
    if programme is None:
        options["programmes"] = selectors.figures_only_programmes(
            request.user, fiscal_year
        )
    display = ReportOptionsForm.for_display(user=request.user, **options)
    return display, options


# Formats offered as buttons to admins only: JSON is read by programs (the
# admins' integrations and the annual_report command), not by city staff,
# for whom a button they never use is noise. The URL stays open to city
# staff as before (a script of theirs keeps working).
ADMIN_FORMATS = ("json",)


def download_formats(user) -> dict:
    """The report's download buttons ``user`` is shown."""
    admin = has_role(user, Role.ADMIN)
    return {
        fmt: spec
        for fmt, spec in exports.EXPORT_FORMATS.items()
        if admin or fmt not in ADMIN_FORMATS
    }


class AnnualReportView(CityStaffMixin, View):
    """The report page: the same body as the PDF, with the options above it."""

    def get(self, request):
        form, options = _report_options(request)
        context = {"form": form}
        if options is not None:
            data = selectors.report_for(**options)
            context.update(report_context(data))
            context["query"] = _query(options)
            context["formats"] = download_formats(request.user)
            audit(
                user=request.user,
                action=Action.VIEW,
                object_type="reports.annual_report",
                detail=_audit_detail(options, "html"),
            )
        return render(request, "reports/annual_report.html", context)


def _query(options) -> str:
    params = {"fiscal_year": options["fiscal_year"]}
    params["programme"] = options["programme"].pk if options["programme"] else ""
    if options["publication"]:
        params["publication"] = "on"
    return urlencode(params)


def _audit_detail(options, fmt: str) -> str:
    programme = options["programme"]
    return (
        f"fiscal year {options['fiscal_year']}; "
        f"programme {programme.pk if programme else '-'}; {fmt}"
        + ("; publication" if options["publication"] else "")
    )


def report_filename(options: dict, fmt: str) -> str:
    programme = options["programme"]
    suffix = f"-programme{programme.pk}" if programme else ""
    publication = "-publication" if options["publication"] else ""
    return f"annual-report-{options['fiscal_year']}{suffix}{publication}.{fmt}"


class AnnualReportDownloadView(CityStaffMixin, View):
    fmt = "pdf"

    def get(self, request):
        form, options = _report_options(request)
        if options is None:
            return HttpResponseBadRequest(
                " ".join(str(e) for errors in form.errors.values() for e in errors),
                content_type="text/plain; charset=utf-8",
            )
        content = exports.export_report(options, self.fmt)
        audit(
            user=request.user,
            action=Action.EXPORT,
            object_type="reports.annual_report",
            detail=_audit_detail(options, self.fmt),
        )
        response = HttpResponse(
            content, content_type=exports.EXPORT_FORMATS[self.fmt][0]
        )
        disposition = "inline" if self.fmt == "pdf" else "attachment"
        response["Content-Disposition"] = (
            f'{disposition}; filename="{report_filename(options, self.fmt)}"'
        )
        return response


# THE FUNDER'S SUMMED REPORT (city staff of a funder)
# ------------------------------------------------------------------------------


def _funder_summary(request, fiscal_year: int) -> dict:
    """The summed report of the user's funder, or 403 for anyone who does
    not belong to a funder (selectors.funder_of). Its programmes are those
    the funder funds, across organisations; nothing else is read."""
    funder = selectors.funder_of(request.user)
    if funder is None:
        raise PermissionDenied
    if not 1989 <= fiscal_year <= 2100:
        raise Http404
    return selectors.funder_summary(
        funder_id=funder,
        fiscal_year=fiscal_year,
        publication=request.GET.get("publication") == "on",
    )


class FunderSummaryView(CityStaffMixin, View):
    def get(self, request, fiscal_year):
        data = _funder_summary(request, fiscal_year)
        audit(
            user=request.user,
            action=Action.VIEW,
            object_type="reports.funder_summary",
            detail=f"fiscal year {fiscal_year}; html"
            + ("; publication" if data["publication"] else ""),
        )
        return render(
            request,
            "reports/funder_summary.html",
            {
                "summary": data,
                "not_summed": selectors.NOT_SUMMED,
                "note": exports.not_summed_note(),
                "previous": fiscal_year - 1,
                "next": fiscal_year + 1,
            },
        )


class FunderSummaryCsvView(CityStaffMixin, View):
    def get(self, request, fiscal_year):
        data = _funder_summary(request, fiscal_year)
        audit(
            user=request.user,
            action=Action.EXPORT,
            object_type="reports.funder_summary",
            detail=f"fiscal year {fiscal_year}; csv"
            + ("; publication" if data["publication"] else ""),
        )
        publication = "-publication" if data["publication"] else ""
        response = HttpResponse(
            exports.funder_summary_csv(data),
            content_type=exports.EXPORT_FORMATS["csv"][0],
        )
        response["Content-Disposition"] = (
            f'attachment; filename="funder-summary-{fiscal_year}{publication}.csv"'
        )
        return response
