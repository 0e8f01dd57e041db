"""One LINE official account per organisation (issue 18): each account's own
webhook URL verified with its own secret, secrets and tokens encrypted at
rest (and rotated), outgoing calls with the person's account's token."""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from accounts.models import Organisation
from consultations.line import secrets, selectors
from consultations.line.models import LineChannel
from consultations.models import LineMessage, LineUser, LineWebhookDay
from consultations.tests.line_factories import LineUserFactory, newest_id
from tests.factories import default_organisation

from .line_stub import StubLineApi
from .test_line_webhook import HANAKO, payload, sign, text_event

pytestmark = pytest.mark.django_db

SECRET_A, TOKEN_A = "secret-of-the-npo-account", "token-of-the-npo-account"
SECRET_B, TOKEN_B = "secret-of-the-city-account", "token-of-the-city-account"


def make_channel(organisation, channel_id, secret, token, **fields):
    channel = LineChannel(
        organisation=organisation,
        name=f"LINE {channel_id}",
        channel_id=channel_id,
        **fields,
    )
    channel.secret = secret
    channel.access_token = token
    channel.save()
    return channel


@pytest.fixture
def two():
    """Organisations A (the test database's) and B, each with its account."""
    a = default_organisation()
    b = Organisation.objects.create(name="B市相談窓口")
    return {
        "a": a,
        "b": b,
        "channel_a": make_channel(a, "1000000001", SECRET_A, TOKEN_A),
        "channel_b": make_channel(b, "1000000002", SECRET_B, TOKEN_B),
    }


def post_to(client, channel_id, body, signature):
    return client.post(
        reverse("line:channel_webhook", args=[channel_id]),
        data=body,
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE=signature,
    )


def bad_signatures() -> int:
    return sum(
        LineWebhookDay.objects.filter(
            outcome=LineWebhookDay.Outcome.BAD_SIGNATURE
        ).values_list("calls", flat=True)
    )


# THE WEBHOOK OF EACH ACCOUNT
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(("to", "signed_by"), [("a", "b"), ("b", "a")])
def test_each_accounts_webhook_refuses_the_other_accounts_signature(
    client, two, to, signed_by
):
    body = payload(text_event("01HCHANNEL00000000000000AA", HANAKO, "こんにちは", "1"))
    secret = {"a": SECRET_A, "b": SECRET_B}[signed_by]
    response = post_to(
        client, two[f"channel_{to}"].channel_id, body, sign(body, secret)
    )
    assert response.status_code == 400
    assert not LineMessage.objects.exists()
    assert not LineUser.objects.exists()
    assert bad_signatures() == 1


@pytest.mark.parametrize("which", ["a", "b"])
def test_each_accounts_webhook_stores_into_its_own_organisation(
    client, two, which, make_user, client_as
):
    channel = two[f"channel_{which}"]
    secret = {"a": SECRET_A, "b": SECRET_B}[which]
    body = payload(text_event("01HCHANNEL00000000000000AB", HANAKO, "家賃の相談", "2"))

    assert post_to(client, channel.channel_id, body, sign(body, secret)).content == (
        b"OK"
    )

    person = LineUser.objects.get()
    assert person.channel == channel
    assert person.organisation_id == channel.organisation_id
    message = LineMessage.objects.get()
    assert message.organisation_id == channel.organisation_id
    other = two["b" if which == "a" else "a"]
    mine = two[which]
    outsider = make_user("counsellor", organisations=[other])
    web = client_as(outsider)
    assert "家賃の相談" not in web.get(reverse("line:inbox")).content.decode()
    assert web.get(reverse("line:conversation", args=[person.pk])).status_code == 404
    insider = make_user("counsellor", organisations=[mine])
    web = client_as(insider)
    page = web.get(reverse("line:conversation", args=[person.pk]))
    assert "家賃の相談" in page.content.decode()


def test_the_same_line_user_id_is_two_people_on_two_accounts(client, two):
    """Even two accounts of one organisation (LINE ids are per provider)."""
    second = make_channel(two["a"], "1000000003", "second-secret", "second-token")
    for channel, secret in ((two["channel_a"], SECRET_A), (second, "second-secret")):
        body = payload(
            text_event(f"01HCHANNELTWICE{channel.pk:011d}", HANAKO, "はじめまして", "3")
        )
        response = post_to(client, channel.channel_id, body, sign(body, secret))
        assert response.status_code == 200
    people = LineUser.objects.order_by("pk")
    assert [(p.line_user_id, p.channel_id) for p in people] == [
        (HANAKO, two["channel_a"].pk),
        (HANAKO, second.pk),
    ]
    # each message is with the person of the account it came to
    assert [LineMessage.objects.filter(line_user=p).count() for p in people] == [1, 1]


def test_an_unknown_or_inactive_account_is_a_bare_404(client, two):
    two["channel_b"].active = False
    two["channel_b"].save()
    body = payload(text_event("01HCHANNEL00000000000000AC", HANAKO, "x", "4"))
    for channel_id in ("9999999999", two["channel_b"].channel_id):
        response = post_to(client, channel_id, body, sign(body, SECRET_B))
        assert response.status_code == 404
        assert response.content == b"not found"
    assert not LineMessage.objects.exists()


def test_the_webhook_without_the_slash_is_the_same_webhook(client, two):
    body = payload(text_event("01HCHANNEL00000000000000AD", HANAKO, "x", "5"))
    response = client.post(
        reverse("line:channel_webhook_no_slash", args=["1000000001"]),
        data=body,
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE=sign(body, SECRET_A),
    )
    assert response.status_code == 200
    assert LineUser.objects.get().channel == two["channel_a"]


def test_the_legacy_webhook_serves_one_organisation_only(client, two):
    """/line/webhook/ (the settings' secret) answers 404 once there are two
    organisations: it could not tell whose the events are."""
    body = payload(text_event("01HCHANNEL00000000000000AE", HANAKO, "x", "6"))
    response = client.post(
        reverse("line:webhook"),
        data=body,
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE=sign(body),
    )
    assert response.status_code == 404
    assert not LineMessage.objects.exists()


def test_an_accounts_webhook_runs_the_same_queries_for_3_or_30_messages(
    client, two, django_assert_num_queries
):
    channel = two["channel_a"]

    def body(start, n):
        return payload(
            *(
                text_event(f"01HCHANNELBULK{start + i:012d}", HANAKO, f"m{i}", str(i))
                for i in range(n)
            )
        )

    first = body(0, 3)
    post_to(client, channel.channel_id, first, sign(first, SECRET_A))
    # As the legacy webhook (test_line_webhook): 10 to store, 1 to count the
    # call, and 1 to find the account (the legacy one finds the organisation).
    with django_assert_num_queries(12) as few:
        post_to(client, channel.channel_id, body(10, 3), sign(body(10, 3), SECRET_A))
    with django_assert_num_queries(len(few.captured_queries)):
        post_to(
            client, channel.channel_id, body(100, 30), sign(body(100, 30), SECRET_A)
        )
    assert LineMessage.objects.count() == 36


# SECRETS AT REST
# ------------------------------------------------------------------------------


def _dump() -> str:
    if connection.vendor == "sqlite":
        return "\n".join(connection.connection.iterdump())
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    params = connection.get_connection_params()
    command = [pg_dump, "--data-only", "--dbname", params["dbname"]]
    for flag, key in (("--host", "host"), ("--port", "port"), ("--username", "user")):
        if params.get(key):
            command += [flag, str(params[key])]
    env = {"PGPASSWORD": str(params["password"])} if params.get("password") else {}
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        env={**env, "PATH": "/usr/bin:/bin"},
        check=True,
    )
    return result.stdout


@pytest.mark.django_db(transaction=True)  # committed: pg_dump reads another session
def test_secrets_and_tokens_are_unreadable_in_a_database_dump():
    channel = make_channel(default_organisation(), "1000000009", SECRET_A, TOKEN_A)
    dump = _dump()
    assert channel.secret_encrypted in dump
    assert channel.access_token_encrypted in dump
    assert SECRET_A not in dump
    assert TOKEN_A not in dump
    assert LineChannel.objects.get().secret == SECRET_A  # yet readable by the app


def test_rotation_re_encrypts_with_the_new_key_and_the_old_key_can_go(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.LINE_SECRETS_KEYS = [old]
    a = make_channel(default_organisation(), "1000000011", SECRET_A, TOKEN_A)
    b = make_channel(default_organisation(), "1000000012", SECRET_B, "")
    before = LineChannel.objects.get(pk=a.pk).secret_encrypted

    settings.LINE_SECRETS_KEYS = [new, old]
    out = io.StringIO()
    call_command("rotate_line_secrets", stdout=out)

    settings.LINE_SECRETS_KEYS = [new]
    a, b = LineChannel.objects.get(pk=a.pk), LineChannel.objects.get(pk=b.pk)
    assert a.secret_encrypted != before
    assert (a.secret, a.access_token, b.secret, b.access_token) == (
        SECRET_A,
        TOKEN_A,
        SECRET_B,
        "",
    )
    assert out.getvalue().strip() == (
        "2 LINE accounts: 2 channel secrets and 1 access tokens re-encrypted "
        "with the newest key."
    )
    assert SECRET_A not in out.getvalue() and TOKEN_A not in out.getvalue()
    settings.LINE_SECRETS_KEYS = [old]
    with pytest.raises(InvalidToken):
        secrets.decrypt(a.secret_encrypted)


def test_rotation_changes_nothing_when_a_value_opens_with_no_key(settings):
    from django.core.management.base import CommandError

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.LINE_SECRETS_KEYS = [old]
    a = make_channel(default_organisation(), "1000000021", SECRET_A, TOKEN_A)
    settings.LINE_SECRETS_KEYS = [new]  # the old key dropped too soon
    before = LineChannel.objects.values_list("secret_encrypted", flat=True).get()
    with pytest.raises(CommandError, match=f"#{a.pk}"):
        call_command("rotate_line_secrets", stdout=io.StringIO())
    assert LineChannel.objects.values_list("secret_encrypted", flat=True).get() == (
        before
    )


# OUTGOING CALLS WITH THE PERSON'S ACCOUNT
# ------------------------------------------------------------------------------


@pytest.fixture
def line_api():
    cache.clear()
    with StubLineApi() as stub, override_settings(LINE_API_BASE_URL=stub.url):
        yield stub


def bearer(request) -> str:
    return request["headers"].get("Authorization", "")


def test_a_reply_and_the_quota_use_the_persons_accounts_token(
    two, line_api, make_user, client_as
):
    person = LineUserFactory(channel=two["channel_b"], is_following=True)
    web = client_as(make_user("counsellor", organisations=[two["b"]]))
    web.post(
        reverse("line:reply", args=[person.pk]),
        {"text": "お返事です", "retry_key": str(uuid.uuid4())}
        | {"seen_message_id": newest_id(person)},
    )
    assert LineMessage.objects.get(direction="out").status == "sent"
    web.get(reverse("line:inbox"))
    assert [bearer(r) for r in line_api.requests] == [f"Bearer {TOKEN_B}"] * 3
    assert [r["path"] for r in line_api.requests] == [
        "/v2/bot/message/push",
        "/v2/bot/message/quota",
        "/v2/bot/message/quota/consumption",
    ]


def test_a_person_of_no_account_is_written_to_with_the_settings_token(
    line_api, settings
):
    from consultations.line import messaging

    person = LineUserFactory(is_following=True)
    messaging.push_text(
        to=person.line_user_id, text="x", retry_key=str(uuid.uuid4()), channel=None
    )
    assert (
        bearer(line_api.requests[0]) == f"Bearer {settings.LINE_CHANNEL_ACCESS_TOKEN}"
    )


def test_each_account_has_its_own_cached_quota(two, line_api):
    line_api.consumption = {"totalUsage": 12}
    assert selectors.quota(two["channel_a"])["used"] == 12
    line_api.consumption = {"totalUsage": 150}
    assert selectors.quota(two["channel_b"])["used"] == 150
    selectors.quota_count_push(two["channel_a"])
    assert selectors.quota(two["channel_a"])["used"] == 13
    assert selectors.quota(two["channel_b"])["used"] == 150
    assert len(line_api.sent("/v2/bot/message/quota")) == 2


def test_the_profile_task_runs_in_the_persons_organisation_with_its_token(
    two, line_api
):
    from accounts import scoping
    from consultations.line.outbound_tasks import fetch_profile

    person = LineUserFactory(channel=two["channel_b"], display_name="")
    seen = []
    real = scoping.organisations

    def spy(ids):
        seen.append(sorted(ids))
        return real(ids)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(scoping, "organisations", spy)
        assert fetch_profile.call(person.pk) is True
    assert seen == [[two["b"].pk]]
    assert bearer(line_api.requests[0]) == f"Bearer {TOKEN_B}"
    person.refresh_from_db()
    assert person.display_name == "はなこ"


# ADMIN AND STATUS PAGES
# ------------------------------------------------------------------------------


def test_the_admin_adds_an_account_with_write_only_secrets(
    admin_user, client_as, make_user
):
    web = client_as(admin_user)
    org = default_organisation()
    response = web.post(
        reverse("admin:consultations_linechannel_add"),
        {
            "owner": org.pk,
            "name": "相談LINE",
            "channel_id": "1000000031",
            "secret": SECRET_A,
            "access_token": TOKEN_A,
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()
    channel = LineChannel.objects.get()
    assert (channel.organisation, channel.secret, channel.access_token) == (
        org,
        SECRET_A,
        TOKEN_A,
    )
    assert SECRET_A not in channel.secret_encrypted
    change = reverse("admin:consultations_linechannel_change", args=[channel.pk])
    page = web.get(change).content.decode()
    assert SECRET_A not in page and TOKEN_A not in page
    assert channel.secret_encrypted not in page
    assert "http://testserver/line/webhook/1000000031/" in page
    # Left empty on a change: the stored ones stay.
    response = web.post(
        change,
        {"name": "相談LINE2", "channel_id": "1000000031", "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()
    channel.refresh_from_db()
    assert (channel.name, channel.secret, channel.access_token) == (
        "相談LINE2",
        SECRET_A,
        TOKEN_A,
    )
    counsellor = make_user("counsellor", is_staff=True)
    response = client_as(counsellor).get(change)
    assert response.status_code in (302, 403)


def test_the_admin_must_give_both_secrets_when_adding(admin_user, client_as):
    response = client_as(admin_user).post(
        reverse("admin:consultations_linechannel_add"),
        {
            "owner": default_organisation().pk,
            "name": "相談LINE",
            "channel_id": "1000000032",
            "secret": SECRET_A,
        },
    )
    assert response.status_code == 200
    assert not LineChannel.objects.exists()


def test_the_status_page_lists_the_admins_organisations_accounts(
    two, make_user, client_as
):
    admin = make_user("admin", organisations=[two["a"]])
    page = client_as(admin).get(reverse("line:status")).content.decode()
    assert "http://testserver/line/webhook/1000000001/" in page
    assert "1000000002" not in page
    assert SECRET_A not in page and TOKEN_A not in page
