"""seed_demo holds a meeting of each level, in the NPO's organisation."""

import io

import pytest
from django.core.management import call_command
from django.db.models import F

from accounts.demo import ORGANISATIONS
from consultations.models import (
    CoordinationMeeting,
    MeetingCase,
    MeetingMember,
    MeetingRole,
)

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_meeting_of_each_level_with_pledges_cases_and_roles():
    call_command("seed_demo", stdout=io.StringIO())
    levels = sorted(CoordinationMeeting.objects.values_list("level", flat=True))
    assert levels == ["case_review", "practitioners", "representatives"]
    assert {m.organisation.name for m in CoordinationMeeting.objects.all()} == {
        ORGANISATIONS["a"][0]
    }
    for model in (MeetingMember, MeetingCase):
        assert not model.objects.exclude(
            organisation=F("meeting__organisation")
        ).exists()
    assert not MeetingCase.objects.exclude(
        organisation=F("client__organisation")
    ).exists()
    # Staff members' pledges carry over; one outside member has none yet.
    assert not MeetingMember.objects.filter(
        user__isnull=False, pledged_on__isnull=True
    ).exists()
    assert MeetingMember.objects.filter(pledged_on__isnull=True).count() == 1
    review = CoordinationMeeting.objects.get(level="case_review")
    assert review.next_review_on > review.held_on
    roles = MeetingRole.objects.filter(case__meeting=review)
    assert roles.count() == 3 and roles.filter(follow_up__isnull=False).count() == 1
