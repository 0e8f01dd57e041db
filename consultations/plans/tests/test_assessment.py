"""Urgency assessments: the suggested level, the chosen level with its
reason, the client's urgency set through its history, and the record kept
as it was saved."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.roles import Role
from consultations.models import UrgencyAssessment, UrgencyChange
from consultations.plans import services
from consultations.plans.assessment import suggest_urgency
from tests.factories import ClientFactory

from .helpers import CALM, DAY, ja

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "changes, level",
    [
        ({}, "low"),
        ({"money": "short"}, "low"),
        ({"suicide": "plan"}, "high"),
        ({"violence": "severe", "abuser_knows": "yes"}, "high"),
        # unknown counts as the worse answer
        ({"violence": "severe", "abuser_knows": "unknown"}, "high"),
        ({"violence": "severe", "abuser_knows": "no"}, "medium"),
        ({"housing": "none_tonight"}, "high"),
        ({"children": "yes"}, "high"),
        ({"health": "urgent"}, "high"),
        ({"violence": "some", "abuser_knows": "yes"}, "medium"),
        ({"suicide": "thoughts"}, "medium"),
        ({"housing": "unsure"}, "medium"),
        ({"money": "none"}, "medium"),
        ({"health": "needs_care"}, "medium"),
        ({"money": "none", "suicide": "plan"}, "high"),
    ],
)
def test_the_answers_suggest_a_level(changes, level):
    assert suggest_urgency({**CALM, **changes}) == level


@pytest.mark.django_db
def test_saving_sets_the_urgency_through_its_history(counsellor):
    person = ClientFactory(urgency="low")
    assessment = services.assessment_create(
        by=counsellor, client=person, assessed_on=DAY, **{**CALM, "suicide": "plan"}
    )
    assert (assessment.suggested, assessment.chosen) == ("high", "high")
    person.refresh_from_db()
    assert person.urgency == "high"
    change = UrgencyChange.objects.get(client=person)
    assert (change.old, change.new, change.changed_by) == ("low", "high", counsellor)
    assert "2021-10-01" in change.reason
    entry = AuditEntry.objects.get(object_type="consultations.urgencyassessment")
    assert (entry.action, entry.client_code) == ("create", person.code)
    assert entry.object_id == str(assessment.pk)


def test_the_same_level_leaves_the_urgency_history_alone(counsellor):
    person = ClientFactory(urgency="low")
    services.assessment_create(by=counsellor, client=person, assessed_on=DAY, **CALM)
    assert not UrgencyChange.objects.exists()


def test_another_level_needs_a_reason_and_nothing_is_written_without(counsellor):
    person = ClientFactory(urgency="low")
    with pytest.raises(ValidationError) as refused:
        services.assessment_create(
            by=counsellor, client=person, assessed_on=DAY, chosen="high", **CALM
        )
    assert "reason" in refused.value.message_dict
    assert not UrgencyAssessment.objects.exists()
    assert not UrgencyChange.objects.exists()
    services.assessment_create(
        by=counsellor, client=person, assessed_on=DAY, chosen="high",
        reason="本人の声が震えていた", **CALM,
    )  # fmt: skip
    person.refresh_from_db()
    assert person.urgency == "high"
    change = UrgencyChange.objects.get()
    assert "本人の声が震えていた" in change.reason


def test_the_database_refuses_another_level_without_a_reason(counsellor):
    person = ClientFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        UrgencyAssessment.objects.create(
            client=person, assessed_on=DAY, suggested="low", chosen="high",
            assessed_by=counsellor, **CALM,
        )  # fmt: skip


def test_an_assessment_is_kept_as_it_was_saved(counsellor):
    person = ClientFactory()
    assessment = services.assessment_create(
        by=counsellor, client=person, assessed_on=DAY, **CALM
    )
    assessment.health = "urgent"
    with pytest.raises(ValueError, match="kept as it was saved"):
        assessment.save()


def test_the_form_shows_the_suggestion_then_saves(client_as, counsellor):
    person = ClientFactory(urgency="low")
    c = client_as(counsellor)
    url = reverse("consultations:assessment_create", args=[person.pk])
    assert c.get(url).status_code == 200
    answers = {**CALM, "housing": "none_tonight", "assessed_on": "2021-10-01"}
    preview = c.post(url, {**answers, "preview": "1"})
    assert preview.status_code == 200
    assert 'id="suggested-level"' in preview.content.decode()
    assert ja("High") in preview.content.decode()
    assert not UrgencyAssessment.objects.exists()
    # Another level without a reason: refused, with the reason asked for.
    refused = c.post(url, {**answers, "chosen": "medium", "save": "1"})
    assert refused.status_code == 200
    assert not UrgencyAssessment.objects.exists()
    assert (
        ja("Give a reason for choosing another level than the suggested one.")
        in refused.content.decode()
    )
    saved = c.post(url, {**answers, "save": "1"})
    assert saved.status_code == 302
    person.refresh_from_db()
    assert person.urgency == "high"
    page = c.get(reverse("consultations:client_detail", args=[person.pk]))
    history = page.content.decode().split('id="assessments"')[1].split("</section>")[0]
    assert "2021-10-01" in history and counsellor.display_name in history


def test_the_client_page_shows_how_the_risk_changed(client_as, counsellor):
    person = ClientFactory(urgency="medium")
    services.assessment_create(
        by=counsellor, client=person, assessed_on=DAY, **{**CALM, "suicide": "plan"}
    )
    services.assessment_create(
        by=counsellor, client=person, assessed_on=DAY.replace(day=20), **CALM
    )
    page = client_as(counsellor).get(
        reverse("consultations:client_detail", args=[person.pk])
    )
    history = page.content.decode().split('id="assessments"')[1].split("</section>")[0]
    assert history.index("2021-10-20") < history.index("2021-10-01")
    assert "urgency-high" in history and "urgency-low" in history


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.FACILITATOR])
def test_other_roles_cannot_assess(client_as, make_user, role):
    person = ClientFactory()
    url = reverse("consultations:assessment_create", args=[person.pk])
    c = client_as(make_user(role))
    assert c.get(url).status_code == 403
    assert (
        c.post(url, {**CALM, "assessed_on": "2021-10-01", "save": "1"}).status_code
        == 403
    )
    assert not UrgencyAssessment.objects.exists()


def test_an_assessment_is_not_dated_in_the_future(counsellor):
    import datetime as dt

    from django.utils import timezone

    person = ClientFactory()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        services.assessment_create(
            by=counsellor, client=person, assessed_on=tomorrow, **CALM
        )
    assert "assessed_on" in refused.value.message_dict
    assert not UrgencyAssessment.objects.exists()
