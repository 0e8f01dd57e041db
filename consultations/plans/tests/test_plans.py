"""Support plans: versions, tasks with one owner, approval by a supervisor
who did not write the plan, drafts shown as drafts."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import AuditEntry
from accounts.roles import Role
from consultations.models import PartnerAgency, PlanTask, SupportPlan
from consultations.plans import services
from tests.factories import ClientFactory

from .helpers import DAY, approved_plan, ja

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(make_user):
    """A counsellor marked as a supervisor."""
    return make_user(Role.COUNSELLOR, username="supervisor", is_supervisor=True)


@pytest.fixture
def person(counsellor):
    return ClientFactory(assigned_counsellor=counsellor)


def draft(person, author, **fields):
    return services.plan_create(
        by=author, client=person, wishes=fields.get("wishes", "家を出たい"),
        goals="安全な住まい", review_on=DAY,
    )  # fmt: skip


def test_a_counsellor_cannot_approve_her_own_plan(person, supervisor):
    plan = draft(person, supervisor)
    with pytest.raises(ValidationError, match="another supervisor"):
        services.plan_approve(plan=plan, by=supervisor)
    plan.refresh_from_db()
    assert plan.status == "draft" and plan.approved_by is None


def test_the_database_refuses_an_approval_by_the_author(person, supervisor):
    plan = draft(person, supervisor)
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportPlan.objects.filter(pk=plan.pk).update(
            status="approved", approved_by=supervisor, approved_at=timezone.now()
        )


def test_only_a_supervisor_approves(person, counsellor, make_user, client_as):
    colleague = make_user(Role.COUNSELLOR, username="colleague")
    plan = draft(person, counsellor)
    with pytest.raises(ValidationError, match="Only a supervisor"):
        services.plan_approve(plan=plan, by=colleague)
    url = reverse("consultations:plan_approve", args=[plan.pk])
    assert client_as(colleague).post(url).status_code == 403
    plan.refresh_from_db()
    assert plan.status == "draft"


def test_approval_records_who_and_when_and_supersedes(
    person, counsellor, supervisor, client_as
):
    first = approved_plan(client=person, author=counsellor, supervisor=supervisor)
    assert (first.version, first.status, first.approved_by) == (
        1,
        "approved",
        supervisor,
    )
    assert first.approved_at is not None
    second = draft(person, counsellor)
    assert second.version == 2
    response = client_as(supervisor).post(
        reverse("consultations:plan_approve", args=[second.pk])
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "approved")
    assert second.approved_by == supervisor
    entry = AuditEntry.objects.filter(
        object_type="consultations.supportplan", object_id=str(second.pk)
    ).latest("pk")
    assert (entry.action, entry.client_code, entry.user) == (
        "change",
        person.code,
        supervisor,
    )
    assert "approved" in entry.detail


def test_one_plan_in_effect_and_one_draft_per_client(person, counsellor, supervisor):
    plan = approved_plan(client=person, author=counsellor, supervisor=supervisor)
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportPlan.objects.create(
            client=person, version=9, status="approved", wishes="x", goals="y",
            review_on=DAY, created_by=counsellor, approved_by=supervisor,
            approved_at=timezone.now(),
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        SupportPlan.objects.create(
            client=person, version=plan.version, wishes="x", goals="y",
            review_on=DAY, created_by=counsellor,
        )  # fmt: skip
    draft(person, counsellor)
    with pytest.raises(ValidationError, match="already has a draft"):
        draft(person, counsellor)
    assert SupportPlan.objects.filter(client=person).count() == 2


def test_a_new_version_copies_the_plan_in_effect_with_its_tasks(
    person, counsellor, supervisor
):
    agency = PartnerAgency.objects.first()
    first = approved_plan(
        client=person, author=counsellor, supervisor=supervisor,
        tasks=[
            {"description": "住宅の申込み", "due_on": DAY, "owner_staff": counsellor},
            {"description": "貸付の相談", "due_on": DAY, "owner_agency": agency},
        ],
    )  # fmt: skip
    services.task_set_status(
        task=first.tasks.get(owner_agency=agency), by=counsellor, status="done"
    )
    second = draft(person, counsellor)
    copied = {
        (t.description, t.owner_staff_id, t.owner_agency_id, t.status)
        for t in second.tasks.all()
    }
    assert copied == {
        ("住宅の申込み", counsellor.pk, None, "open"),
        ("貸付の相談", None, agency.pk, "done"),
    }
    assert first.tasks.count() == 2  # the approved version is untouched
    assert {t.organisation_id for t in second.tasks.all()} == {person.organisation_id}


def test_a_task_has_exactly_one_owner(person, counsellor):
    plan = draft(person, counsellor)
    agency = PartnerAgency.objects.first()
    for owners in ({}, {"owner_staff": counsellor, "owner_agency": agency}):
        with pytest.raises(ValidationError, match="one owner"):
            services.task_create(
                plan=plan, by=counsellor, description="x", due_on=DAY, **owners
            )
    assert not PlanTask.objects.exists()
    for owners in ({}, {"owner_staff": counsellor, "owner_agency": agency}):
        with pytest.raises(IntegrityError), transaction.atomic():
            PlanTask.objects.create(plan=plan, description="x", due_on=DAY, **owners)


def test_only_the_author_changes_a_draft(person, counsellor, supervisor, client_as):
    plan = draft(person, counsellor)
    with pytest.raises(ValidationError, match="Only the author"):
        services.plan_update(plan=plan, by=supervisor, goals="別の目標")
    with pytest.raises(ValidationError, match="Only the author"):
        services.task_create(
            plan=plan,
            by=supervisor,
            description="x",
            due_on=DAY,
            owner_staff=supervisor,
        )
    c = client_as(counsellor)
    c.post(
        reverse("consultations:plan_update", args=[plan.pk]),
        {
            "wishes": "子どもと一緒にいたい",
            "goals": "仕事を見つける",
            "review_on": "2021-12-01",
        },
    )
    plan.refresh_from_db()
    assert (plan.wishes, plan.review_on) == (
        "子どもと一緒にいたい",
        dt.date(2021, 12, 1),
    )


def test_task_status_changes_on_the_plan_in_effect_without_a_new_version(
    person, counsellor, supervisor, make_user, client_as
):
    plan = approved_plan(
        client=person, author=counsellor, supervisor=supervisor,
        tasks=[{"description": "通院の同行", "due_on": DAY, "owner_staff": counsellor}],
    )  # fmt: skip
    task = plan.tasks.get()
    colleague = make_user(Role.COUNSELLOR, username="colleague")
    response = client_as(colleague).post(
        reverse("consultations:task_status", args=[task.pk]), {"status": "done"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.status_changed_by) == ("done", colleague)
    assert SupportPlan.objects.filter(client=person).count() == 1
    # A superseded version's tasks stay as they were.
    new = draft(person, counsellor)
    services.plan_approve(plan=new, by=supervisor)
    with translation.override("en"), pytest.raises(ValidationError, match="superseded"):
        services.task_set_status(task=task, by=counsellor, status="dropped")


def test_an_unapproved_plan_is_shown_as_a_draft(
    person, counsellor, supervisor, client_as
):
    plan = draft(person, counsellor)
    label = ja("Draft (not approved)")
    c = client_as(counsellor)
    client_page = c.get(reverse("consultations:client_detail", args=[person.pk]))
    section = client_page.content.decode().split('id="plan"')[1].split("</section>")[0]
    assert label in section
    assert ja("No plan has been approved yet.") in section
    plan_page = c.get(
        reverse("consultations:plan_detail", args=[person.pk])
    ).content.decode()
    assert label in plan_page
    assert ja("No plan has been approved yet.") in plan_page
    # The author is not offered the approval; another supervisor is.
    approve = reverse("consultations:plan_approve", args=[plan.pk])
    assert approve not in plan_page
    assert (
        approve
        in client_as(supervisor)
        .get(reverse("consultations:plan_detail", args=[person.pk]))
        .content.decode()
    )
    home = client_as(supervisor).get(reverse("home")).content.decode()
    awaiting = home.split('id="approvals"')[1]
    assert person.code in awaiting and label in awaiting


def test_the_plan_page_is_audited_as_a_view(person, counsellor, supervisor, client_as):
    plan = approved_plan(client=person, author=counsellor, supervisor=supervisor)
    client_as(counsellor).get(reverse("consultations:plan_detail", args=[person.pk]))
    entry = AuditEntry.objects.filter(action="view").latest("pk")
    assert (entry.object_type, entry.object_id, entry.client_code) == (
        "consultations.supportplan",
        str(plan.pk),
        person.code,
    )


def test_writing_a_plan_through_the_pages(person, counsellor, supervisor, client_as):
    c = client_as(counsellor)
    response = c.post(
        reverse("consultations:plan_create", args=[person.pk]),
        {
            "wishes": "静かに暮らしたい",
            "goals": "住まいと仕事",
            "review_on": "2021-12-01",
        },
    )
    assert response.status_code == 302
    plan = SupportPlan.objects.get(client=person)
    assert (plan.version, plan.status, plan.created_by) == (1, "draft", counsellor)
    c.post(
        reverse("consultations:task_create", args=[plan.pk]),
        {
            "description": "ハローワークへ同行",
            "owner_staff": counsellor.pk,
            "due_on": "2021-10-15",
        },
    )
    assert plan.tasks.get().owner_staff == counsellor
    refused = c.post(
        reverse("consultations:task_create", args=[plan.pk]),
        {"description": "二人の担当", "owner_staff": counsellor.pk,
         "owner_agency": PartnerAgency.objects.first().pk, "due_on": "2021-10-15"},
        follow=True,
    )  # fmt: skip
    assert plan.tasks.count() == 1
    assert (
        ja("The task needs a description, one owner and a due date.")
        in refused.content.decode()
    )
