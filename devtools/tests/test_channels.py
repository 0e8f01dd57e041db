"""The simulator and the stand-in Messaging API with one LINE official
account per organisation (issue 18): the simulated person writes to the
account chosen, signed with its secret, at its webhook URL; the stand-in
takes each account's token; the demo makes one account per organisation."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Organisation
from accounts.roles import Role, sync_role_permissions
from consultations.line import demo as line_demo
from consultations.line.models import LineChannel
from consultations.models import LineUser, LineWebhookDay
from devtools.models import SimulatedEvent, SimulatedPerson
from tests.factories import default_organisation

from .test_line_api import person, push, push_body  # noqa: F401 (fixture)


def make_channel(organisation, channel_id, secret, token):
    channel = LineChannel(
        organisation=organisation, name=f"LINE {channel_id}", channel_id=channel_id
    )
    channel.secret, channel.access_token = secret, token
    channel.save()
    return channel


@pytest.mark.django_db(transaction=True)
def test_the_simulated_person_writes_to_the_chosen_accounts_webhook(
    client, live_server, settings
):
    sync_role_permissions()
    from tests.factories import UserFactory

    a = default_organisation()
    b = Organisation.objects.create(name="B市相談窓口")
    make_channel(a, "1000000001", "secret-a", "token-a")
    channel_b = make_channel(b, "1000000002", "secret-b", "token-b")
    settings.LINE_SIMULATOR_WEBHOOK_URL = f"{live_server.url}/line/webhook"
    client.force_login(
        UserFactory(username="sim-b", roles=(Role.COUNSELLOR,), organisations=[b])
    )
    form = client.get(reverse("line_simulator:index")).content.decode()
    assert "LINE 1000000002" in form and "LINE 1000000001" not in form

    response = client.post(
        reverse("line_simulator:create_person"),
        {"display_name": "あおい", "follow": "on", "channel": channel_b.pk},
    )

    assert response.status_code == 302
    simulated = SimulatedPerson.objects.get()
    assert simulated.channel == channel_b
    assert SimulatedEvent.objects.get(person=simulated).webhook_status == 200
    stored = LineUser.objects.get(line_user_id=simulated.line_user_id)
    assert (stored.channel, stored.organisation) == (channel_b, b)
    assert not LineWebhookDay.objects.filter(outcome="bad_signature").exists()


@pytest.mark.django_db
def test_the_stand_in_takes_each_active_accounts_token(client, person):  # noqa: F811
    channel = make_channel(default_organisation(), "1000000003", "s", "token-c")
    body = push_body(person.line_user_id, "こんにちは")
    answer = push(client, body, HTTP_AUTHORIZATION="Bearer token-c")
    assert answer.status_code == 200
    channel.active = False
    channel.save()
    answer = push(client, body, HTTP_AUTHORIZATION="Bearer token-c")
    assert answer.status_code == 401


@pytest.mark.django_db
def test_the_demo_has_an_account_and_talks_on_it():
    call_command("seed_demo", stdout=io.StringIO())
    # one account per organisation (the NPO and the municipal desk); the
    # demo's conversations are on the NPO's
    channels = list(LineChannel.objects.order_by("pk"))
    assert [c.organisation for c in channels] == list(
        Organisation.objects.order_by("pk")
    )
    assert len(channels) == 2
    channel = channels[0]
    assert channel.organisation == default_organisation()
    assert channel.secret == line_demo.demo_secret(channel.channel_id)
    assert channel.access_token == line_demo.demo_access_token(channel.channel_id)
    assert line_demo.demo_secret(channel.channel_id) not in channel.secret_encrypted
    assert not LineUser.objects.filter(channel__isnull=True).exists()
    named = LineUser.objects.get(display_name="ゆうママ")
    assert named.channel == channel
    # the simulator writes as her to the same account
    assert SimulatedPerson.objects.get(line_user_id=named.line_user_id).channel == (
        channel
    )


@pytest.mark.django_db
def test_the_demo_gives_each_organisation_an_account_and_talks_on_the_first():
    """The LINE seeder alone (the demo's other seeders make the second
    organisation's records)."""
    import random

    from accounts.demo import DemoContext
    from tests.factories import UserFactory

    a = default_organisation()
    b = Organisation.objects.create(name="デモ団体B")
    counsellor = UserFactory(roles=(Role.COUNSELLOR,), organisations=[a])
    ctx = DemoContext(
        rng=random.Random(2021), fiscal_year=2021, users={"counsellor": counsellor}
    )
    line_demo.seed_conversations(ctx)
    channels = list(LineChannel.objects.order_by("organisation_id"))
    assert [c.organisation for c in channels] == [a, b]
    assert len({c.channel_id for c in channels}) == 2
    people = LineUser.objects.all()
    assert people and {(p.channel, p.organisation) for p in people} == {
        (channels[0], a)
    }
    line_demo.seed_channels()  # again: nothing twice
    assert LineChannel.objects.count() == 2
