"""How the app behaves when the database is slow, locked or refuses changes
(issue 15, R1 and R3): time limits below gunicorn's, the app's own "busy,
nothing saved" page, a health check that answers and says "degraded".

The PostgreSQL tests change the database from outside, as an outage would: a
second connection holds a table lock, or the database is made read-only for new
connections. They commit for real, hence ``transaction=True``."""

import logging

import psycopg
import pytest
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection
from django.test import Client as HttpClient
from django.urls import reverse

from consultations import services
from consultations.models import Consultation
from tests.test_project import _load_production_settings

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL time limits and read-only"
)
SUMMARY = "求職の相談。来週また電話すると約束した"


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def consultation_form(client_code, counsellor):
    return {
        "channel": "phone",
        "started_at": "2021-10-05T10:00",
        "counsellor": counsellor.pk,
        "client_code": client_code,
        "main_complaint": "other",
        "summary": SUMMARY,
        "duration_minutes": 20,
        "csrfmiddlewaretoken": "not-shown-back",
    }


def other_connection(**kwargs) -> psycopg.Connection:
    """A connection of its own to the test database, outside Django's."""
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        **kwargs,
    )


# TIME LIMITS (R1)
# ------------------------------------------------------------------------------


@postgresql_only
def test_every_connection_of_the_app_has_statement_and_lock_time_limits():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('statement_timeout'), "
            "current_setting('lock_timeout')"
        )
        assert cursor.fetchone() == ("10s", "5s")


def test_production_refuses_to_start_with_time_limits_off_or_above_gunicorns():
    for value in ("0", "30000"):
        result = _load_production_settings(
            SECRET_KEY="x" * 50, DB_STATEMENT_TIMEOUT_MS=value
        )
        assert result.returncode != 0
        assert "DB_STATEMENT_TIMEOUT_MS and DB_LOCK_TIMEOUT_MS" in result.stderr
    assert _load_production_settings(SECRET_KEY="x" * 50).returncode == 0


@pytest.fixture
def time_limits():
    """time_limits(statement_ms, lock_ms): the app's connection is opened again
    with these limits (as settings.DATABASES OPTIONS would give them)."""
    options = connection.settings_dict.setdefault("OPTIONS", {})
    saved = options.get("options")

    def apply(statement_ms: int, lock_ms: int):
        options["options"] = (
            f"-c statement_timeout={statement_ms} -c lock_timeout={lock_ms}"
        )
        connection.close()

    yield apply
    if saved is None:
        options.pop("options", None)
    else:
        options["options"] = saved
    connection.close()


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("statement_ms", "lock_ms", "sqlstate"),
    [
        (60_000, 500, "55P03"),  # lock_timeout: lock_not_available
        (800, 0, "57014"),  # statement_timeout: query_canceled
    ],
)
def test_a_locked_table_gives_the_busy_page_and_healthz_still_answers(
    client, counsellor, time_limits, caplog, statement_ms, lock_ms, sqlstate
):
    """The client list reads consultations_client, which another connection
    holds locked for longer than the budget: the database cancels the query,
    the counsellor gets the app's 503 page, and /healthz answers meanwhile."""
    services.client_create(by=counsellor, display_name="はなこ")
    english(client).force_login(counsellor)
    time_limits(statement_ms, lock_ms)
    holder = other_connection()
    try:
        holder.execute("LOCK TABLE consultations_client IN ACCESS EXCLUSIVE MODE")
        with caplog.at_level(logging.ERROR, logger="accounts.middleware"):
            response = client.get(reverse("consultations:client_list"))
        health = HttpClient().get("/healthz")
        still_held = holder.execute(
            "SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() "
            "AND relation = 'consultations_client'::regclass "
            "AND mode = 'AccessExclusiveLock' AND granted"
        ).fetchone()[0]
    finally:
        holder.rollback()
        holder.close()
    assert response.status_code == 503
    body = response.content.decode()
    assert "The page could not be shown: the database is busy" in body
    assert "はなこ" not in body
    assert response["Retry-After"] == "60"
    assert f"SQLSTATE {sqlstate}" in caplog.text  # cancelled by the database
    assert still_held == 1  # the lock was never given up: the app stopped waiting
    assert (health.status_code, health.content) == (200, b"ok\n")


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_long_command_gets_a_longer_statement_budget_then_the_short_one_again(
    monkeypatch, tmp_path
):
    from django.core.management import call_command

    from accounts.timeouts import statement_budget
    from reports.management.commands import annual_report

    seen = []

    def export_report(options, fmt):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen.append(cursor.fetchone()[0])
        return b"{}"

    monkeypatch.setattr(annual_report, "export_report", export_report)
    call_command("annual_report", "--fiscal-year", "2021", "--format", "json")
    with statement_budget(0):
        export_report(None, None)
    export_report(None, None)
    assert seen == ["10min", "0", "10s"]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_migrate_gets_the_long_statement_budget(monkeypatch):
    """A migration may build an index over a large table: migrate runs under
    the commands' budget, not the 10 s of a web request."""
    from django.core.management import call_command
    from django.core.management.commands import migrate

    seen = []

    def handle(self, *args, **options):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen.append(cursor.fetchone()[0])

    monkeypatch.setattr(migrate.Command, "handle", handle)
    call_command("migrate", verbosity=0)
    assert seen == ["10min"]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_an_import_task_gets_the_long_statement_budget(counsellor):
    """The worker's import tasks run statements under the commands' budget,
    not the 10 s of a web request."""
    from reports import tasks
    from reports.models import ImportJob

    job = ImportJob.objects.create(
        kind="consultations", user=counsellor, token="t" * 32, file_format="csv"
    )
    seen = []

    def step(job):
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            seen.append(cursor.fetchone()[0])

    tasks._run(job.pk, "ja", step)
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        seen.append(cursor.fetchone()[0])
    assert seen == ["10min", "10s"]


# NOTHING SAVED, AND WHAT WAS TYPED (R3)
# ------------------------------------------------------------------------------


def test_database_trouble_while_saving_says_nothing_was_saved_and_keeps_the_text(
    client_as, counsellor, monkeypatch, caplog
):
    person = services.client_create(by=counsellor, display_name="はなこ")

    def refused(**kwargs):
        raise OperationalError("canceling statement due to statement timeout")

    monkeypatch.setattr(services, "consultation_create", refused)
    client = english(client_as(counsellor))
    with caplog.at_level(logging.ERROR, logger="accounts.middleware"):
        response = client.post(
            reverse("consultations:consultation_create"),
            consultation_form(person.code, counsellor),
        )
    assert response.status_code == 503
    body = response.content.decode()
    assert "Nothing was saved." in body
    assert SUMMARY in body and person.code in body  # to copy
    assert "not-shown-back" not in body
    assert "no-store" in response["Cache-Control"]
    assert not Consultation.objects.exists()
    assert "OperationalError" in caplog.text
    assert SUMMARY not in caplog.text and person.code not in caplog.text


def test_a_bug_in_a_save_stays_a_server_error(client_as, counsellor, monkeypatch):
    """Only a busy or refusing database is "busy"; a constraint violation is a
    bug and goes to the error log as one."""
    person = services.client_create(by=counsellor, display_name="はなこ")

    def broken(**kwargs):
        raise IntegrityError("a constraint")

    monkeypatch.setattr(services, "consultation_create", broken)
    with pytest.raises(IntegrityError):
        client_as(counsellor).post(
            reverse("consultations:consultation_create"),
            consultation_form(person.code, counsellor),
        )


@pytest.fixture
def read_only_database(transactional_db):
    """The database refuses writes on every new connection, as during
    maintenance or on a standby; the app's connection is opened again."""
    name = connection.settings_dict["NAME"]
    admin = other_connection(autocommit=True)
    admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    connection.close()
    yield
    admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    admin.close()
    connection.close()


@postgresql_only
def test_a_read_only_database_gives_nothing_saved_with_the_typed_text(
    client, counsellor, read_only_database_after_login
):
    person = read_only_database_after_login
    response = client.post(
        reverse("consultations:consultation_create"),
        consultation_form(person.code, counsellor),
    )
    assert response.status_code == 503
    body = response.content.decode()
    assert "Nothing was saved." in body and SUMMARY in body
    assert not Consultation.objects.exists()


@postgresql_only
def test_a_signed_in_user_still_reads_pages_when_the_database_refuses_writes(
    client, read_only_database_after_login, caplog
):
    """The session's expiry is due to be pushed back (a write), which fails:
    the page is still shown, and the session is not extended."""
    with caplog.at_level(logging.WARNING, logger="accounts.sessions"):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "session expiry not pushed back" in caplog.text


@postgresql_only
def test_signing_in_on_a_read_only_database_says_so_and_never_echoes_the_password(
    client, counsellor, read_only_database
):
    response = english(client).post(
        reverse("accounts:login"),
        {"username": counsellor.username, "password": "test-password-123"},
    )
    assert response.status_code == 503
    body = response.content.decode()
    assert "Nothing was saved." in body and "You are not signed in." in body
    assert counsellor.username in body
    assert "test-password-123" not in body


@postgresql_only
def test_healthz_says_degraded_when_the_database_is_read_only(read_only_database):
    response = HttpClient().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"degraded: the database is read-only\n"


@pytest.fixture
def read_only_database_after_login(client, counsellor, transactional_db, request):
    """A counsellor signed in a while ago (the session's expiry is due to be
    pushed back), a client on file; then the database turns read-only."""
    person = services.client_create(by=counsellor, display_name="はなこ")
    english(client).force_login(counsellor)
    session = client.session
    session["_seen"] = 0
    session.save()
    request.getfixturevalue("read_only_database")
    return person


# LINE WEBHOOK STATUS (R2)
# ------------------------------------------------------------------------------


def _webhook_calls(client):
    from consultations.tests.test_line_webhook import (
        HANAKO,
        payload,
        post,
        sign,
        text_event,
    )

    good = payload(
        text_event("01H8X0A1STATUS00000000000A", HANAKO, "家賃の相談です", "1"),
        text_event("01H8X0A1STATUS00000000000B", HANAKO, "よろしく", "2"),
    )
    assert post(client, good, sign(good)).status_code == 200
    assert post(client, good, sign(good)).status_code == 200  # a redelivery
    assert post(client, b"{broken", sign(b"{broken")).status_code == 400
    assert post(client, good, "forged").status_code == 400
    return good


def test_the_webhook_counts_its_calls_by_outcome_and_keeps_no_content(client):
    from consultations.models import LineWebhookDay

    _webhook_calls(client)
    rows = {
        row.outcome: (row.calls, row.events, row.last_events)
        for row in LineWebhookDay.objects.all()
    }
    assert rows == {
        "received": (2, 4, 2),
        "malformed": (1, 0, 0),
        "bad_signature": (1, 0, 0),
    }
    stored = [str(v) for v in LineWebhookDay.objects.values_list()]
    assert not any("家賃" in v or "U4af49" in v for v in stored)


def test_a_delivery_that_cannot_be_stored_is_counted_as_a_failure(client, monkeypatch):
    from consultations.line import services as line_services
    from consultations.models import LineWebhookDay
    from consultations.tests.test_line_webhook import (
        HANAKO,
        payload,
        post,
        sign,
        text_event,
    )

    def down(**kwargs):
        raise OperationalError("the database went away")

    monkeypatch.setattr(line_services, "line_events_store", down)
    body = payload(text_event("01H8X0A1STATUS00000000000C", HANAKO, "相談", "3"))
    # LINE sees a failure and may deliver again (if redelivery is on).
    assert post(client, body, sign(body)).status_code == 503
    row = LineWebhookDay.objects.get()
    assert (row.outcome, row.calls, row.events) == ("store_failed", 1, 1)


def test_the_line_status_page_shows_setup_last_call_and_failures_to_admins(
    client, admin_user, django_assert_max_num_queries
):
    _webhook_calls(client)
    english(client).force_login(admin_user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("line:status"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "2 events" in body  # the last call received
    assert "Refused: signed but malformed body" in body
    assert "Refused: bad or missing signature" in body
    assert "The webhook failed or was refused in the last 14 days." in body
    assert "Webhook redelivery" in body
    assert settings.LINE_CHANNEL_SECRET not in body
    assert settings.LINE_CHANNEL_ACCESS_TOKEN not in body
    assert "家賃" not in body
    assert 'href="/line/status/"' in body  # in the admins' menu


def test_the_line_status_page_says_what_is_not_set_up(client, admin_user, settings):
    settings.LINE_CHANNEL_SECRET = ""
    settings.LINE_CHANNEL_ACCESS_TOKEN = ""
    english(client).force_login(admin_user)
    body = client.get(reverse("line:status")).content.decode()
    assert "Not set: every webhook call is refused" in body
    assert "Not set: replies cannot be sent" in body
    assert "No webhook has been received yet." in body
    assert "No failures in the last 14 days." in body


def test_counsellors_have_no_line_status_menu_entry(client_as, counsellor):
    body = client_as(counsellor).get(reverse("home")).content.decode()
    assert 'href="/line/status/"' not in body
