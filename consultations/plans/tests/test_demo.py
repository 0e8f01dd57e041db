"""seed_demo shows each new record kind, each in its client's organisation."""

import io

import pytest
from django.core.management import call_command
from django.db.models import F

from accounts.demo import ORGANISATIONS
from consultations import casework
from consultations.models import (
    ClosureRequest,
    PlanTask,
    SupportPlan,
    UrgencyAssessment,
)

pytestmark = pytest.mark.django_db


def test_the_demo_has_assessments_plans_and_a_closure_request():
    call_command("seed_demo", stdout=io.StringIO())
    assessments = UrgencyAssessment.objects.order_by("assessed_on")
    assert [a.chosen for a in assessments] == ["high", "medium", "medium"]
    assert assessments.last().suggested == "low"  # chosen higher, with a reason
    statuses = sorted(SupportPlan.objects.values_list("status", flat=True))
    assert statuses == ["approved", "approved", "draft", "superseded"]
    assert ClosureRequest.objects.filter(status="pending").count() == 1
    for model in (UrgencyAssessment, SupportPlan, ClosureRequest):
        assert not model.objects.exclude(
            organisation=F("client__organisation")
        ).exists()
    assert not PlanTask.objects.exclude(organisation=F("plan__organisation")).exists()
    assert {c.organisation.name for c in ClosureRequest.objects.all()} == {
        ORGANISATIONS["a"][0]
    }
    team = casework.worklist(user=None)
    assert len(team.tasks_overdue) == 1 and len(team.plans_review) == 1
    assert len(team.plans_awaiting) == 1 and len(team.closures_awaiting) == 1
