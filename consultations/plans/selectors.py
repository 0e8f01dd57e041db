"""Reads of assessments, plans and closures: the client page's part and the
worklist's lists (each list one query, whatever the number of rows)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from accounts.roles import is_supervisor

from .models import ClosureRequest, PlanTask, SupportPlan, UrgencyAssessment

CLIENT_FIELDS = ("id", "code", "display_name", "urgency", "assigned_counsellor_id")
USER_FIELDS = ("id", "username", "first_name", "last_name")
HISTORY_LIMIT = 20


def _users(*paths):
    return [f"{p}__{f}" for p in paths for f in USER_FIELDS]


def client_section(client, user) -> dict:
    """The client page's assessments, plan versions in effect or in draft,
    and closure requests: three queries."""
    closures = list(
        client.closure_requests.select_related("requested_by", "decided_by")[:5]
    )
    pending = next(
        (c for c in closures if c.status == ClosureRequest.Status.PENDING), None
    )
    plans = {
        p.status: p
        for p in client.support_plans.filter(
            status__in=[SupportPlan.Status.APPROVED, SupportPlan.Status.DRAFT]
        ).select_related("created_by", "approved_by")
    }
    return {
        "assessments": client.assessments.select_related("assessed_by")[:HISTORY_LIMIT],
        "plan_current": plans.get(SupportPlan.Status.APPROVED),
        "plan_draft": plans.get(SupportPlan.Status.DRAFT),
        "closures_decided": [c for c in closures if c is not pending],
        "closure_pending": pending,
        "closure_decidable": pending is not None
        and is_supervisor(user)
        and pending.requested_by_id != user.pk,
    }


def client_plans(client) -> list[SupportPlan]:
    """Every version of a client's plan, newest first, with its tasks: two
    queries."""
    tasks = PlanTask.objects.select_related(
        "owner_staff", "owner_agency", "status_changed_by"
    ).order_by("due_on", "id")
    return list(
        client.support_plans.select_related("created_by", "approved_by")
        .prefetch_related(Prefetch("tasks", queryset=tasks))
        .order_by("-version")
    )


def assessment_history(client) -> QuerySet[UrgencyAssessment]:
    return client.assessments.select_related("assessed_by")


# THE WORKLIST
# ------------------------------------------------------------------------------


def plans_due_for_review(*, today, user=None) -> QuerySet[SupportPlan]:
    """Plans in effect whose review date has come (of the counsellor's
    clients; every one for the team)."""
    plans = SupportPlan.objects.filter(
        status=SupportPlan.Status.APPROVED, review_on__lte=today
    )
    if user is not None:
        plans = plans.filter(client__assigned_counsellor=user)
    return (
        plans.select_related("client")
        .only(
            "id",
            "client_id",
            "version",
            "review_on",
            "status",
            *(f"client__{f}" for f in CLIENT_FIELDS),
        )
        .order_by("review_on", "id")
    )


def plan_tasks_overdue(*, today, user=None) -> QuerySet[PlanTask]:
    """Open tasks of plans in effect due before today: for a counsellor,
    those she owns and those of her clients' plans; for the team, all."""
    tasks = PlanTask.objects.filter(
        status=PlanTask.Status.OPEN,
        due_on__lt=today,
        plan__status=SupportPlan.Status.APPROVED,
    )
    if user is not None:
        tasks = tasks.filter(
            Q(owner_staff=user) | Q(plan__client__assigned_counsellor=user)
        )
    return (
        tasks.select_related("plan__client", "owner_staff", "owner_agency")
        .only(
            "id",
            "description",
            "due_on",
            "status",
            "plan_id",
            "owner_staff_id",
            "owner_agency_id",
            "plan__client_id",
            *(f"plan__client__{f}" for f in CLIENT_FIELDS),
            *_users("owner_staff"),
            "owner_agency__name",
        )
        .order_by("due_on", "id")
    )


def plans_awaiting_approval(*, user=None) -> QuerySet[SupportPlan]:
    """Drafts a supervisor may approve: every one but her own."""
    plans = SupportPlan.objects.filter(status=SupportPlan.Status.DRAFT)
    if user is not None:
        plans = plans.exclude(created_by=user)
    return (
        plans.select_related("client", "created_by")
        .only(
            "id",
            "client_id",
            "version",
            "created_at",
            "status",
            "created_by_id",
            *(f"client__{f}" for f in CLIENT_FIELDS),
            *_users("created_by"),
        )
        .order_by("created_at", "id")
    )


def closures_awaiting_approval(*, user=None) -> QuerySet[ClosureRequest]:
    """Closures a supervisor may decide: every one but those she asked for."""
    requests = ClosureRequest.objects.filter(status=ClosureRequest.Status.PENDING)
    if user is not None:
        requests = requests.exclude(requested_by=user)
    return (
        requests.select_related("client", "requested_by")
        .only(
            "id",
            "client_id",
            "reason",
            "requested_at",
            "status",
            "requested_by_id",
            *(f"client__{f}" for f in CLIENT_FIELDS),
            *_users("requested_by"),
        )
        .order_by("requested_at", "id")
    )
