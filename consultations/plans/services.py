"""Writes of assessments, support plans and closure requests. Each validates,
writes in one transaction (locking the client's row first, so that writes
about one client run one after the other) and records the audit entry."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from accounts.audit import Action, audit
from accounts.locking import lock_for_update
from accounts.roles import is_supervisor

from ..models import Client
from ..services import client_close, client_set_urgency
from .assessment import suggest_urgency
from .models import ClosureRequest, PlanTask, SupportPlan, UrgencyAssessment


def _lock_client(client_id: int) -> Client:
    return Client.objects.select_for_update().get(pk=client_id)


# ASSESSMENTS
# ------------------------------------------------------------------------------


@transaction.atomic
def assessment_create(
    *,
    by,
    client: Client,
    assessed_on: dt.date,
    chosen: str | None = None,
    reason: str = "",
    **answers: str,
) -> UrgencyAssessment:
    """Keep an assessment and set the client's urgency to the chosen level
    (the suggested one when none is chosen) through client_set_urgency,
    which records the change and its reason."""
    client = _lock_client(client.pk)
    unknown = set(answers) - set(UrgencyAssessment.ANSWERS)
    if unknown:
        raise TypeError(f"not an answer: {', '.join(sorted(unknown))}")
    missing = [a for a in UrgencyAssessment.ANSWERS if not answers.get(a)]
    if missing:
        raise ValidationError(
            {name: _("Answer this question.") for name in missing}, code="required"
        )
    if assessed_on > timezone.localdate():
        raise ValidationError(
            {"assessed_on": _("An assessment cannot be dated in the future.")},
            code="future",
        )
    suggested = suggest_urgency(answers)
    chosen = chosen or suggested
    reason = reason.strip()
    if chosen != suggested and not reason:
        raise ValidationError(
            {
                "reason": _(
                    "Give a reason for choosing another level than the suggested one."
                )
            },
            code="reason_required",
        )
    assessment = UrgencyAssessment(
        client=client,
        assessed_on=assessed_on,
        suggested=suggested,
        chosen=chosen,
        reason=reason if chosen != suggested else "",
        assessed_by=by,
        **answers,
    )
    assessment.full_clean()
    assessment.save()
    audit(
        user=by,
        action=Action.CREATE,
        obj=assessment,
        detail=f"suggested {suggested}, chosen {chosen}",
    )
    if client.urgency != chosen:
        why = gettext("Urgency assessment of %(date)s") % {
            "date": assessed_on.isoformat()
        }
        if assessment.reason:
            why = f"{why}: {assessment.reason}"
        client_set_urgency(client=client, by=by, urgency=chosen, reason=why)
    return assessment


# SUPPORT PLANS
# ------------------------------------------------------------------------------


def current_plan(client_id: int) -> SupportPlan | None:
    return SupportPlan.objects.filter(
        client_id=client_id, status=SupportPlan.Status.APPROVED
    ).first()


@transaction.atomic
def plan_create(
    *, by, client: Client, wishes: str, goals: str, review_on: dt.date
) -> SupportPlan:
    """A new draft version: the next number for this client, with a copy of
    the tasks of the plan in effect (if there is one)."""
    client = _lock_client(client.pk)  # one version number at a time
    if SupportPlan.objects.filter(
        client=client, status=SupportPlan.Status.DRAFT
    ).exists():
        raise ValidationError(
            _(
                "This client already has a draft plan: change that one, or have "
                "it approved first. Nothing was saved."
            ),
            code="draft_exists",
        )
    last = (
        SupportPlan.objects.filter(client=client)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    plan = SupportPlan(
        client=client,
        version=(last or 0) + 1,
        wishes=wishes.strip(),
        goals=goals.strip(),
        review_on=review_on,
        created_by=by,
    )
    plan.full_clean()
    plan.save()
    current = current_plan(client.pk)
    if current is not None:
        PlanTask.objects.bulk_create(
            PlanTask(
                plan=plan,
                organisation_id=plan.organisation_id,
                description=task.description,
                owner_staff_id=task.owner_staff_id,
                owner_agency_id=task.owner_agency_id,
                due_on=task.due_on,
                status=task.status,
                status_changed_by_id=task.status_changed_by_id,
                status_changed_at=task.status_changed_at,
            )
            for task in current.tasks.order_by("due_on", "id")
        )
    detail = f"version {plan.version}"
    if current is not None:
        detail += f" from supportplan#{current.pk}"
    audit(user=by, action=Action.CREATE, obj=plan, detail=detail)
    return plan


def _lock_draft_of_author(plan: SupportPlan, by) -> SupportPlan:
    _lock_client(plan.client_id)
    plan = SupportPlan.objects.select_for_update().get(pk=plan.pk)
    if not plan.is_draft:
        raise ValidationError(
            _(
                "This plan is no longer a draft: make a new version to change "
                "it. Nothing was saved."
            ),
            code="not_draft",
        )
    if plan.created_by_id != by.pk:
        raise ValidationError(
            _("Only the author of a draft may change it. Nothing was saved."),
            code="not_author",
        )
    return plan


@transaction.atomic
def plan_update(*, plan: SupportPlan, by, **fields) -> SupportPlan:
    """Change a draft (its author only)."""
    plan = _lock_draft_of_author(plan, by)
    for name in fields:
        if name not in ("wishes", "goals", "review_on"):
            raise TypeError(f"not a field of a draft: {name}")
    for name, value in fields.items():
        setattr(plan, name, value.strip() if isinstance(value, str) else value)
    plan.full_clean()
    plan.save(update_fields=list(fields))
    audit(user=by, action=Action.CHANGE, obj=plan, detail=",".join(sorted(fields)))
    return plan


@transaction.atomic
def task_create(
    *,
    plan: SupportPlan,
    by,
    description: str,
    due_on: dt.date,
    owner_staff=None,
    owner_agency=None,
) -> PlanTask:
    """A task of a draft (its author only): one owner, a member of staff of
    the client's organisation or a partner agency."""
    plan = _lock_draft_of_author(plan, by)
    if (owner_staff is None) == (owner_agency is None):
        raise ValidationError(
            _(
                "Give the task one owner: a member of staff or a partner "
                "agency, not both. Nothing was saved."
            ),
            code="one_owner",
        )
    if (
        owner_staff is not None
        and not scoping.members_of([plan.organisation_id])
        .filter(pk=owner_staff.pk)
        .exists()
    ):
        raise ValidationError(
            _("The owner must be a member of staff of this organisation."),
            code="owner_elsewhere",
        )
    task = PlanTask(
        plan=plan,
        description=description.strip(),
        due_on=due_on,
        owner_staff=owner_staff,
        owner_agency=owner_agency,
    )
    task.full_clean()
    task.save()
    audit(user=by, action=Action.CREATE, obj=task, detail=f"supportplan#{plan.pk}")
    return task


@transaction.atomic
def task_set_status(*, task: PlanTask, by, status: str) -> PlanTask:
    """Mark a task done or dropped (or open again): on the plan in effect,
    by any counsellor, without a new version; on a draft, by its author."""
    plan = SupportPlan.objects.get(pk=task.plan_id)
    if plan.is_draft:
        plan = _lock_draft_of_author(plan, by)
    else:
        _lock_client(plan.client_id)
        plan = SupportPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.status != SupportPlan.Status.APPROVED:
            raise ValidationError(
                _(
                    "This version of the plan was superseded: change the task "
                    "on the plan in effect. Nothing was saved."
                ),
                code="superseded",
            )
    task = PlanTask.objects.select_for_update().get(pk=task.pk)
    if status not in PlanTask.Status.values:
        raise ValidationError(_("Choose a status."), code="invalid")
    old = task.status
    if status == old:
        return task
    task.status = status
    task.status_changed_by = by
    task.status_changed_at = timezone.now()
    task.save(update_fields=["status", "status_changed_by", "status_changed_at"])
    audit(user=by, action=Action.CHANGE, obj=task, detail=f"status {old} -> {status}")
    return task


@transaction.atomic
def plan_approve(*, plan: SupportPlan, by) -> SupportPlan:
    """A supervisor who did not write the draft approves it: it takes
    effect, and the version in effect before it is superseded."""
    if not is_supervisor(by):
        raise ValidationError(
            _("Only a supervisor may approve a support plan. Nothing was saved."),
            code="not_supervisor",
        )
    _lock_client(plan.client_id)
    plan = SupportPlan.objects.select_for_update().get(pk=plan.pk)
    if not plan.is_draft:
        raise ValidationError(
            _("This plan is not a draft waiting for approval."), code="not_draft"
        )
    if plan.created_by_id == by.pk:
        raise ValidationError(
            _(
                "You wrote this plan: another supervisor must approve it. "
                "Nothing was saved."
            ),
            code="own_plan",
        )
    previous = current_plan(plan.client_id)
    if previous is not None:
        SupportPlan.objects.filter(pk=previous.pk).update(
            status=SupportPlan.Status.SUPERSEDED
        )
    plan.status = SupportPlan.Status.APPROVED
    plan.approved_by = by
    plan.approved_at = timezone.now()
    plan.save(update_fields=["status", "approved_by", "approved_at"])
    detail = "approved"
    if previous is not None:
        detail += f", supersedes supportplan#{previous.pk}"
    audit(user=by, action=Action.CHANGE, obj=plan, detail=detail)
    return plan


# CLOSURE
# ------------------------------------------------------------------------------


def pending_closure(client_id: int) -> ClosureRequest | None:
    return ClosureRequest.objects.filter(
        client_id=client_id, status=ClosureRequest.Status.PENDING
    ).first()


@transaction.atomic
def closure_request(
    *, client: Client, by, reason: str, expected_version: int, note: str = ""
) -> ClosureRequest:
    """A counsellor asks for a case to be closed; it closes when a
    supervisor other than her approves. Refused if the client was saved
    after the page was opened (EditConflict), if the case is closed, or if a
    request is already waiting."""
    client = lock_for_update(client, expected_version)
    if client.status != Client.Status.OPEN:
        raise ValidationError(_("The case is already closed."), code="closed")
    if pending_closure(client.pk) is not None:
        raise ValidationError(
            _("A closure of this case is already waiting for approval."),
            code="pending",
        )
    request = ClosureRequest(
        client=client, reason=reason, note=note.strip(), requested_by=by
    )
    request.full_clean()
    request.save()
    audit(user=by, action=Action.CREATE, obj=request, detail=f"reason {reason}")
    return request


def _lock_pending(request: ClosureRequest, by) -> ClosureRequest:
    if not is_supervisor(by):
        raise ValidationError(
            _("Only a supervisor may decide on a closure. Nothing was saved."),
            code="not_supervisor",
        )
    _lock_client(request.client_id)
    request = ClosureRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ClosureRequest.Status.PENDING:
        raise ValidationError(
            _("This closure was already decided."), code="already_decided"
        )
    if request.requested_by_id == by.pk:
        raise ValidationError(
            _(
                "You asked for this closure: another supervisor must decide. "
                "Nothing was saved."
            ),
            code="own_request",
        )
    return request


@transaction.atomic
def closure_approve(
    *, request: ClosureRequest, by, expected_version: int
) -> ClosureRequest:
    """Approve: the case closes through client_close, with the version of the
    client the supervisor saw (an edit since then is a conflict)."""
    request = _lock_pending(request, by)
    client_close(
        client=request.client,
        by=by,
        reason=request.reason,
        expected_version=expected_version,
    )
    request.status = ClosureRequest.Status.APPROVED
    request.decided_by = by
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    audit(user=by, action=Action.CHANGE, obj=request, detail="approved")
    return request


@transaction.atomic
def closure_decline(*, request: ClosureRequest, by, note: str) -> ClosureRequest:
    """Decline: the case stays open; the note says why."""
    request = _lock_pending(request, by)
    if not note.strip():
        raise ValidationError(
            {"decision_note": _("Say why the closure is declined.")},
            code="required",
        )
    request.status = ClosureRequest.Status.DECLINED
    request.decided_by = by
    request.decided_at = timezone.now()
    request.decision_note = note.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit(user=by, action=Action.CHANGE, obj=request, detail="declined")
    return request
