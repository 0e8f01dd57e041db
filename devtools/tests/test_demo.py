"""The demo's LINE conversations are with people the stand-in knows as
friends, so the worker finds their profiles as a real account would."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from consultations.models import LineUser
from devtools.models import SimulatedPerson

pytestmark = pytest.mark.django_db


def test_every_demo_line_user_is_a_friend_the_stand_in_knows(client, settings):
    call_command("seed_demo")
    users = list(LineUser.objects.values_list("line_user_id", flat=True))
    assert users
    assert set(
        SimulatedPerson.objects.filter(is_following=True).values_list(
            "line_user_id", flat=True
        )
    ) >= set(users)
    answer = client.get(
        reverse("line_api:profile", args=[users[0]]),
        HTTP_AUTHORIZATION=f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN}",
    )
    assert answer.status_code == 200
    call_command("seed_demo")  # again: nothing twice
    assert SimulatedPerson.objects.count() == len(users)
