"""Anonymising a client wipes the free texts of her assessments, plans,
tasks and closure requests; levels, dates and statuses stay."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from consultations.anonymise import ANONYMISED_NAME
from consultations.models import (
    ClosureRequest,
    PlanTask,
    SupportPlan,
    UrgencyAssessment,
)
from consultations.plans import services
from tests.factories import ClientFactory

from .helpers import CALM, DAY, approved_plan

pytestmark = pytest.mark.django_db
SECRET = "ひみつ町三丁目"


def test_anonymising_wipes_the_plans_words(client_as, counsellor, make_user):
    admin = make_user(Role.COUNSELLOR, Role.ADMIN, username="boss")
    person = ClientFactory()
    services.assessment_create(
        by=counsellor, client=person, assessed_on=DAY, chosen="high",
        reason=f"{SECRET}に相手がいる", **CALM,
    )  # fmt: skip
    task = {
        "description": f"{SECRET}から転居",
        "due_on": DAY,
        "owner_staff": counsellor,
    }
    plan = approved_plan(
        client=person, author=counsellor, supervisor=admin, tasks=[task]
    )
    SupportPlan.objects.filter(pk=plan.pk).update(wishes=f"{SECRET}を出たい")
    person.refresh_from_db()
    request = services.closure_request(
        client=person, by=counsellor, reason="moved_away",
        expected_version=person.version, note=f"{SECRET}へ転居",
    )  # fmt: skip
    services.closure_decline(request=request, by=admin, note=f"{SECRET}の件が残る")
    client_as(admin).post(reverse("consultations:client_anonymise", args=[person.pk]))
    for model, fields in (
        (UrgencyAssessment, ("reason",)),
        (SupportPlan, ("wishes", "goals")),
        (PlanTask, ("description",)),
        (ClosureRequest, ("note", "decision_note")),
    ):
        for field in fields:
            assert not model.objects.filter(**{f"{field}__contains": SECRET}).exists()
    assert UrgencyAssessment.objects.get().reason == ANONYMISED_NAME
    assert (SupportPlan.objects.get().status, PlanTask.objects.get().status) == (
        "approved",
        "open",
    )
