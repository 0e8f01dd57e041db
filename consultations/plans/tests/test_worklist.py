"""The worklist's plan lists: overdue tasks and plans due for review (the
counsellor's own; the team's all), and for supervisors what awaits their
approval (not their own). Each list one query, whatever its length."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from consultations import casework
from consultations.models import ClosureRequest, PlanTask, SupportPlan
from consultations.plans import services
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.COUNSELLOR, username="supervisor", is_supervisor=True)


def plan_of(person, author, supervisor, *, review_on, task_due, owner=None):
    plan = services.plan_create(
        by=author, client=person, wishes="w", goals="g", review_on=review_on
    )
    services.task_create(
        plan=plan, by=author, description="課題", due_on=task_due,
        owner_staff=owner or author,
    )  # fmt: skip
    return services.plan_approve(plan=plan, by=supervisor)


def test_overdue_tasks_and_plans_due_for_review(counsellor, supervisor, make_user):
    today = timezone.localdate()
    colleague = make_user(Role.COUNSELLOR, username="colleague")
    mine = ClientFactory(assigned_counsellor=counsellor)
    theirs = ClientFactory(assigned_counsellor=colleague)
    later = ClientFactory(assigned_counsellor=counsellor)
    plan_of(
        mine,
        counsellor,
        supervisor,
        review_on=today,
        task_due=today - dt.timedelta(days=1),
    )
    # The colleague's client, a task I own: mine to do; the review is hers.
    plan_of(theirs, colleague, supervisor, review_on=today - dt.timedelta(days=3),
            task_due=today - dt.timedelta(days=2), owner=counsellor)  # fmt: skip
    plan_of(
        later,
        counsellor,
        supervisor,
        review_on=today + dt.timedelta(days=1),
        task_due=today,
    )
    work = casework.worklist(user=counsellor)
    assert {p.client for p in work.plans_review} == {mine}
    assert {t.plan.client for t in work.tasks_overdue} == {mine, theirs}
    assert not work.supervisor and work.plans_awaiting == []
    team = casework.worklist(user=None)
    assert {p.client for p in team.plans_review} == {mine, theirs}
    # A done task is not overdue.
    services.task_set_status(
        task=PlanTask.objects.get(plan__client=mine), by=counsellor, status="done"
    )
    assert {
        t.plan.client for t in casework.worklist(user=counsellor).tasks_overdue
    } == {theirs}


def test_supervisors_see_what_awaits_their_approval_but_not_their_own(
    counsellor, supervisor, client_as
):
    one, two = ClientFactory(), ClientFactory()
    services.plan_create(
        by=counsellor, client=one, wishes="w", goals="g", review_on=dt.date(2022, 1, 1)
    )
    services.plan_create(
        by=supervisor, client=two, wishes="w", goals="g", review_on=dt.date(2022, 1, 1)
    )
    services.closure_request(
        client=one, by=supervisor, reason="resolved", expected_version=one.version
    )
    services.closure_request(
        client=two, by=counsellor, reason="moved_away", expected_version=two.version
    )
    work = casework.worklist(user=supervisor)
    assert [p.client for p in work.plans_awaiting] == [one]
    assert [c.client for c in work.closures_awaiting] == [two]
    team = casework.worklist(user=None)
    assert len(team.plans_awaiting) == 2 and len(team.closures_awaiting) == 2
    page = client_as(supervisor).get(reverse("home")).content.decode()
    approvals = page.split('id="approvals"')[1]
    assert one.code in approvals and two.code in approvals


def _grow(n, author, supervisor):
    today = timezone.localdate()
    people = [ClientFactory(assigned_counsellor=supervisor) for _ in range(n)]
    plans = SupportPlan.objects.bulk_create(
        [SupportPlan(client=p, version=1, status="approved", wishes="w", goals="g",
                     review_on=today, created_by=author, approved_by=supervisor,
                     approved_at=timezone.now()) for p in people]
        + [SupportPlan(client=p, version=2, wishes="w", goals="g", review_on=today,
                       created_by=author) for p in people]
    )  # fmt: skip
    PlanTask.objects.bulk_create(
        PlanTask(plan=p, description="t", due_on=today - dt.timedelta(days=1),
                 owner_staff=supervisor) for p in plans
    )  # fmt: skip
    ClosureRequest.objects.bulk_create(
        ClosureRequest(client=p, reason="resolved", requested_by=author) for p in people
    )


def test_a_supervisors_home_runs_the_same_queries_with_5_and_50_rows(
    counsellor, supervisor, client_as
):
    c = client_as(supervisor)

    def queries():
        c.get(reverse("home"))
        with CaptureQueriesContext(connection) as ctx:
            page = c.get(reverse("home"))
        return len(ctx.captured_queries), page.content.decode()

    _grow(5, counsellor, supervisor)
    few, page = queries()
    assert page.count("plans-awaiting") == 1
    _grow(45, counsellor, supervisor)
    many, page = queries()
    assert few == many
    shown = page.split('class="rows closures-awaiting"')[1].split("</ul>")[0]
    assert shown.count("<li>") == casework.WORKLIST_SHOWN
    # all 50 on the whole list's page
    url = reverse("consultations:worklist_all", args=["closures_awaiting"])
    assert f'<a href="{url}">' in page
    whole = c.get(url).content.decode()
    assert whole.split('class="rows closures-awaiting"')[1].count("<li>") == 50
