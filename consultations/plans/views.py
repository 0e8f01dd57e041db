"""Pages of assessments, support plans and closure decisions. Counsellors
and admins; approving a plan and deciding a closure: supervisors
(accounts.roles.is_supervisor) only."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from accounts.audit import Action, audit
from accounts.locking import EditConflict
from accounts.roles import is_supervisor

from ..casework import local_today
from ..models import Client
from ..views import CounsellorMixin
from . import selectors, services
from .assessment import suggest_urgency
from .forms import (
    AssessmentForm,
    ClosureApproveForm,
    ClosureDeclineForm,
    PlanForm,
    TaskForm,
    TaskStatusForm,
)
from .models import ClosureRequest, PlanTask, SupportPlan, UrgencyAssessment


class SupervisorMixin(CounsellorMixin):
    """Counsellors marked as supervisors, and admins; others get 403 (before
    the method is looked at)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_supervisor(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _errors(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


def _plan_page(client_id: int, anchor: str = ""):
    from django.urls import reverse

    return redirect(
        reverse("consultations:plan_detail", args=[client_id])
        + (f"#{anchor}" if anchor else "")
    )


# ASSESSMENTS
# ------------------------------------------------------------------------------


class AssessmentCreateView(CounsellorMixin, View):
    """The questions, the level they suggest ("Show the suggested level"
    shows it before saving) and the level to set."""

    template_name = "consultations/plans/assessment_form.html"

    def get(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        form = AssessmentForm(initial={"assessed_on": local_today()})
        return self.render(request, client, form, None)

    def post(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        form = AssessmentForm(request.POST)
        suggested = None
        if form.is_valid():
            data = form.cleaned_data
            answers = {name: data[name] for name in UrgencyAssessment.ANSWERS}
            suggested = suggest_urgency(answers)
            if "save" in request.POST:
                try:
                    assessment = services.assessment_create(
                        by=request.user,
                        client=client,
                        assessed_on=data["assessed_on"],
                        chosen=data["chosen"] or None,
                        reason=data["reason"],
                        **answers,
                    )
                except ValidationError as error:
                    form.add_error(None, error)
                else:
                    messages.success(
                        request,
                        _(
                            "The assessment was saved. Suggested level: "
                            "%(suggested)s; the case's urgency is %(chosen)s."
                        )
                        % {
                            "suggested": assessment.get_suggested_display(),
                            "chosen": assessment.get_chosen_display(),
                        },
                    )
                    return redirect(client.get_absolute_url() + "#assessments")
        return self.render(request, client, form, suggested)

    def render(self, request, client, form, suggested):
        return render(
            request,
            self.template_name,
            {
                "client": client,
                "form": form,
                "suggested": suggested,
                "suggested_label": dict(Client.Urgency.choices).get(suggested),
            },
        )


# SUPPORT PLANS
# ------------------------------------------------------------------------------


class PlanDetailView(CounsellorMixin, View):
    """A client's support plan: the version in effect with its tasks, the
    draft (shown as a draft) and the earlier versions."""

    template_name = "consultations/plans/plan_detail.html"

    def get(self, request, pk):
        client = get_object_or_404(
            Client.objects.select_related("assigned_counsellor"), pk=pk
        )
        plans = selectors.client_plans(client)
        current = next((p for p in plans if p.status == "approved"), None)
        draft = next((p for p in plans if p.is_draft), None)
        user = request.user
        for plan in plans:
            plan.client = client  # for the audit entry's client code
        shown = current or draft
        if shown is not None:
            audit(user=user, action=Action.VIEW, obj=shown)
        else:
            audit(
                user=user,
                action=Action.VIEW,
                object_type="consultations.supportplan",
                client_code=client.code,
            )
        author = draft is not None and draft.created_by_id == user.pk
        context = {
            "client": client,
            "current": current,
            "draft": draft,
            "older": [p for p in plans if p.status == "superseded"],
            "draft_editable": author,
            "draft_approvable": draft is not None
            and not author
            and is_supervisor(user),
            "plan_form": PlanForm(instance=draft, auto_id="plan_%s")
            if author
            else None,
            "task_form": TaskForm(auto_id="task_%s") if author else None,
            "status_choices": PlanTask.Status.choices,
            "today": local_today(),
        }
        return render(request, self.template_name, context)


class PlanCreateView(CounsellorMixin, View):
    """A new draft version: the first one, or a copy of the plan in effect
    (with its tasks) to change."""

    template_name = "consultations/plans/plan_form.html"

    def get(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        current = services.current_plan(client.pk)
        initial = {}
        if current is not None:
            initial = {
                "wishes": current.wishes,
                "goals": current.goals,
                "review_on": current.review_on,
            }
        form = PlanForm(initial=initial)
        return self.render(request, client, form, current)

    def post(self, request, pk):
        client = get_object_or_404(Client, pk=pk)
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                services.plan_create(
                    by=request.user, client=client, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _(
                        "The draft plan was saved. It takes effect when a "
                        "supervisor approves it."
                    ),
                )
                return _plan_page(client.pk, "draft")
        return self.render(request, client, form, services.current_plan(client.pk))

    def render(self, request, client, form, current):
        return render(
            request,
            self.template_name,
            {"client": client, "form": form, "current": current},
        )


class PlanUpdateView(CounsellorMixin, View):
    """Change a draft (its author, from the plan page)."""

    def post(self, request, pk):
        plan = get_object_or_404(SupportPlan, pk=pk)
        form = PlanForm(request.POST, instance=SupportPlan(client_id=plan.client_id))
        if form.is_valid():
            try:
                services.plan_update(
                    plan=plan,
                    by=request.user,
                    **{k: form.cleaned_data[k] for k in PlanForm.Meta.fields},
                )
            except ValidationError as error:
                _errors(request, error)
            else:
                messages.success(request, _("The draft plan was saved."))
        else:
            messages.error(
                request, _("The plan needs her wishes, goals and a review date.")
            )
        return _plan_page(plan.client_id, "draft")


class TaskCreateView(CounsellorMixin, View):
    def post(self, request, pk):
        plan = get_object_or_404(SupportPlan, pk=pk)
        form = TaskForm(request.POST)
        if form.is_valid():
            try:
                services.task_create(plan=plan, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                _errors(request, error)
            else:
                messages.success(request, _("The task was added."))
        else:
            messages.error(
                request,
                " ".join(
                    [
                        _("The task needs a description, one owner and a due date."),
                        *form.non_field_errors(),
                    ]
                ),
            )
        return _plan_page(plan.client_id, "draft")


class TaskStatusView(CounsellorMixin, View):
    def post(self, request, pk):
        task = get_object_or_404(PlanTask.objects.select_related("plan"), pk=pk)
        form = TaskStatusForm(request.POST)
        if form.is_valid():
            try:
                services.task_set_status(
                    task=task, by=request.user, status=form.cleaned_data["status"]
                )
            except ValidationError as error:
                _errors(request, error)
            else:
                messages.success(request, _("The task's status was saved."))
        else:
            messages.error(request, _("Choose a status."))
        return _plan_page(task.plan.client_id, f"task-{task.pk}")


class PlanApproveView(SupervisorMixin, View):
    def post(self, request, pk):
        plan = get_object_or_404(SupportPlan, pk=pk)
        try:
            services.plan_approve(plan=plan, by=request.user)
        except ValidationError as error:
            _errors(request, error)
        else:
            messages.success(
                request,
                _("Version %(version)s of the plan was approved and is in effect.")
                % {"version": plan.version},
            )
        return _plan_page(plan.client_id)


# CLOSURE
# ------------------------------------------------------------------------------


class ClosureApproveView(SupervisorMixin, View):
    def post(self, request, pk):
        closure = get_object_or_404(
            ClosureRequest.objects.select_related("client"), pk=pk
        )
        form = ClosureApproveForm(request.POST)
        if form.is_valid():
            try:
                services.closure_approve(
                    request=closure,
                    by=request.user,
                    expected_version=form.cleaned_data["version"],
                )
            except EditConflict as error:
                messages.error(request, error.messages[0])
            except ValidationError as error:
                _errors(request, error)
            else:
                messages.success(request, _("The case was closed."))
        return redirect(closure.client)


class ClosureDeclineView(SupervisorMixin, View):
    def post(self, request, pk):
        closure = get_object_or_404(
            ClosureRequest.objects.select_related("client"), pk=pk
        )
        form = ClosureDeclineForm(request.POST)
        if form.is_valid():
            try:
                services.closure_decline(
                    request=closure,
                    by=request.user,
                    note=form.cleaned_data["decision_note"],
                )
            except ValidationError as error:
                _errors(request, error)
            else:
                messages.success(
                    request, _("The closure was declined; the case stays open.")
                )
        else:
            messages.error(request, _("Say why the closure is declined."))
        return redirect(closure.client)
