"""Reads on a read replica (issue 23, accounts.replica), without a real one:
the alias "replica" is a second connection to the test database, so that
each query shows which alias served it. The real streaming replica behind
nginx and two app servers is tests/deploy/test_scaleout.py."""

from __future__ import annotations

import json
import re
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext, override_settings

from accounts import replica
from accounts.replica import REPLICA
from consultations.models import Client
from tests.factories import ClientFactory

CLIENT_LIST = "/clients/"


@pytest.fixture
def replica_alias(transactional_db, django_db_blocker):
    """add_replica(**settings) -> the connection of the alias "replica" to
    the test database (as DATABASE_REPLICA_URL makes it), removed after."""
    replica._health = None
    # Django's test case lets a test connect only to the aliases it declares
    # when it starts; this one is added by the test itself.
    allow = mock.patch.object(
        BaseDatabaseWrapper,
        "ensure_connection",
        django_db_blocker._real_ensure_connection,
    )
    allow.start()

    def add(**changes):
        remove()
        connections.settings[REPLICA] = {
            **connections[DEFAULT_DB_ALIAS].settings_dict,
            "ATOMIC_REQUESTS": False,
            **changes,
        }
        return connections[REPLICA]

    def remove():
        if REPLICA in connections.settings:
            connections[REPLICA].close()
            del connections[REPLICA]
            del connections.settings[REPLICA]

    yield add
    remove()
    allow.stop()
    replica._health = None


def dead(conn) -> dict:
    """Settings of a replica that does not answer."""
    if conn.vendor == "postgresql":
        return {"HOST": "127.0.0.1", "PORT": "9"}
    return {"NAME": "/nonexistent-ibasho-dir/replica.sqlite3"}


def tables_read(queries) -> str:
    return " ".join(q["sql"] for q in queries if q["sql"].lstrip().startswith("SELECT"))


@contextmanager
def captured(conn):
    """The queries run on ``conn`` in the block (CaptureQueriesContext
    without its connecting first: a dead replica must not be touched)."""
    conn.queries_log.clear()
    conn.force_debug_cursor = True
    try:
        yield conn.queries_log
    finally:
        conn.force_debug_cursor = False


def list_page(web) -> tuple[object, str, str]:
    """GET the client list: (response, SQL on the primary, SQL on the replica)."""
    with captured(connection) as primary, captured(connections[REPLICA]) as copy:
        response = web.get(CLIENT_LIST)
        return response, tables_read(primary), tables_read(copy)


@pytest.mark.django_db
def test_without_a_replica_nothing_changes(client_as, counsellor):
    assert REPLICA not in connections.settings
    router = replica.ReplicaRouter()
    with replica.replica_reads():
        assert router.db_for_read(Client) is None
        assert router.db_for_write(Client) is None
    web = client_as(counsellor)
    response = web.post("/accounts/settings/", {})
    assert response.status_code == 302
    assert replica.PIN_COOKIE not in response.cookies
    assert web.get(CLIENT_LIST).status_code == 200


def test_a_list_page_reads_from_the_replica_and_the_session_from_the_primary(
    replica_alias, client_as, counsellor
):
    replica_alias()
    ClientFactory(code="R-000001")
    web = client_as(counsellor)
    response, primary, copy = list_page(web)
    assert response.status_code == 200
    assert "R-000001" in response.content.decode()
    assert '"consultations_client"' in copy
    assert '"consultations_client"' not in primary
    # Who is signed in: always the primary.
    # (The user is read with a raw query: accounts.backends.)
    for table in ("django_session", "accounts_user"):
        read = re.compile(rf'FROM "?{table}"?[ ,)]|FROM "?{table}"?$')
        assert read.search(primary), table
        assert not read.search(copy), table


def test_kept_page_parts_read_their_token_where_they_read_their_data(
    replica_alias, client_as, make_user, settings
):
    """The records cache (accounts.dataversion): a replica lags with its data,
    so a part read there is kept under the replica's token, never under the
    primary's (which may already count a change the replica lacks)."""
    from django.core.cache import caches

    from consultations.tests.factories import ConsultationFactory

    settings.RECORDS_CACHE = True
    caches["records"].clear()
    replica_alias()
    boss = make_user("counsellor", "admin")
    ConsultationFactory(counsellor=boss)
    web = client_as(boss)
    for url in ("/team/", "/consultations/"):
        with (
            captured(connection) as primary,
            captured(connections[REPLICA]) as copy,
        ):
            assert web.get(url).status_code == 200
        assert "accounts_dataversion" in tables_read(copy), url
        if url == "/team/":  # (the consultation filter's staff: the primary)
            assert "accounts_dataversion" not in tables_read(primary)
    caches["records"].clear()


def test_a_page_not_listed_reads_from_the_primary(replica_alias, client_as, counsellor):
    replica_alias()
    client = ClientFactory()
    web = client_as(counsellor)
    with CaptureQueriesContext(connections[REPLICA]) as copy:
        response = web.get(f"/clients/{client.pk}/")
    assert response.status_code == 200
    assert copy.captured_queries == []


def test_after_a_change_her_reads_stay_on_the_primary_for_the_pin_time(
    replica_alias, client_as, counsellor, make_user
):
    """Read-your-writes: a POST pins her to the primary (a signed cookie, so
    any app server honours it) for REPLICA_PIN_SECONDS; a colleague who sent
    nothing still reads from the replica; after the pin, she does again."""
    replica_alias()
    ClientFactory()
    web = client_as(counsellor)
    response = web.post("/accounts/settings/", {"keyboard_shortcuts": "on"})
    assert response.status_code == 302
    pin = response.cookies[replica.PIN_COOKIE]
    assert pin["max-age"] == 15 and pin["httponly"]

    response, primary, copy = list_page(web)
    assert response.status_code == 200
    assert copy == ""
    assert '"consultations_client"' in primary

    colleague = HttpClient()
    colleague.force_login(make_user("counsellor", username="counsellor2"))
    assert list_page(colleague)[2] != ""

    later = time.time() + 16
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert '"consultations_client"' in list_page(web)[2]

    # A forged pin (not signed with the key) is ignored.
    colleague.cookies[replica.PIN_COOKIE] = "1"
    assert list_page(colleague)[2] != ""


def test_writes_and_locks_go_to_the_primary_during_a_replica_read(replica_alias):
    replica_alias()
    client = ClientFactory()
    router = replica.ReplicaRouter()
    with replica.replica_reads():
        assert Client.objects.all().db == REPLICA
        assert Client.objects.select_for_update().db == DEFAULT_DB_ALIAS
        assert router.db_for_write(Client) == DEFAULT_DB_ALIAS
        from accounts.models import User

        assert User.objects.all().db == DEFAULT_DB_ALIAS
        read = Client.objects.get(pk=client.pk)
        assert read._state.db == REPLICA
        read.display_name = "changed"
        with CaptureQueriesContext(connections[REPLICA]) as copy:
            read.save()
        assert copy.captured_queries == []
    assert Client.objects.all().db == DEFAULT_DB_ALIAS
    assert Client.objects.get(pk=client.pk).display_name == "changed"


@pytest.mark.parametrize("trouble", ["down", "lagging"])
def test_a_replica_down_or_lagging_sends_reads_to_the_primary_and_healthz_says_degraded(
    replica_alias, client_as, counsellor, trouble
):
    conn = replica_alias()
    if trouble == "down":
        replica_alias(**dead(conn))
        lag = {}
    else:
        lag = {"REPLICA_MAX_LAG_SECONDS": -1}  # any lag is too much
    ClientFactory(code="R-000002")
    web = client_as(counsellor)
    with override_settings(**lag):
        response, primary, copy = list_page(web)
        assert response.status_code == 200
        assert "R-000002" in response.content.decode()
        assert copy == ""
        assert '"consultations_client"' in primary
        health = HttpClient().get("/healthz")
    assert health.status_code == 200
    text = health.content.decode()
    assert text.startswith("degraded: replica ")
    assert ("unavailable" if trouble == "down" else "lags") in text


def test_healthz_is_ok_with_a_healthy_replica(replica_alias):
    replica_alias()
    response = HttpClient().get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")


def test_the_health_check_is_cached_so_pages_do_not_pay_for_it(
    replica_alias, client_as, counsellor
):
    replica_alias()
    web = client_as(counsellor)
    with mock.patch.object(replica, "check", wraps=replica.check) as check:
        list_page(web)
        list_page(web)
    assert check.call_count >= 2
    # The one real check (on the driver's connection, never a page's query)
    # was made once for both pages.
    assert replica._health is not None
    checked = replica._health.checked
    list_page(web)
    assert replica._health.checked == checked


def test_a_replica_that_fails_during_a_page_makes_it_run_again_on_the_primary(
    replica_alias, client_as, counsellor
):
    """The replica was healthy at the last check, and is gone when the page
    reads: the page runs again on the primary, once, and says nothing of it."""
    conn = replica_alias()
    replica_alias(**dead(conn))
    replica._health = replica.Health(True, "", time.monotonic())
    ClientFactory(code="R-000003")
    web = client_as(counsellor)
    response = web.get(CLIENT_LIST)
    assert response.status_code == 200
    assert "R-000003" in response.content.decode()
    assert not replica._health.ok


# ROW-LEVEL SECURITY ON THE REPLICA'S CONNECTION
# ------------------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL row-level security"
)
@pytest.mark.urls("accounts.tests.replica_urls")
def test_the_replica_connection_takes_each_requests_scope(replica_alias):
    """Requests of a member of A then of B on one persistent replica
    connection, as the app's role: a raw query on the replica returns only
    the rows of her organisation: the scope is written to the replica's
    connection too, not only to the primary's."""
    from accounts.models import Organisation
    from tests.app_role import APP_ROLE, ensure_app_role, grant_app_role
    from tests.factories import UserFactory

    ensure_app_role()
    with connection.cursor() as cursor:
        grant_app_role(cursor)
    conn = replica_alias(USER=APP_ROLE, PASSWORD="")
    a = Organisation.objects.create(name="A")
    b = Organisation.objects.create(name="B")
    rows = {
        "a": {ClientFactory(organisation=a).pk, ClientFactory(organisation=a).pk},
        "b": {ClientFactory(organisation=b).pk},
    }
    members = {
        "a": UserFactory(username="member-a", organisations=[a]),
        "b": UserFactory(username="member-b", organisations=[b]),
    }
    web = HttpClient()
    raw = None
    with override_settings(REPLICA_VIEWS=["raw_clients_replica"]):
        for org in ("a", "b", "a"):
            web.force_login(members[org])
            response = web.get("/raw-clients-replica/")
            assert response.status_code == 200
            assert set(json.loads(response.content)) == rows[org]
            raw = raw or conn.connection
            assert conn.connection is raw  # one persistent connection


def test_annual_report_reads_on_the_replica_when_asked(replica_alias):
    from io import StringIO

    from django.core.management import call_command

    replica_alias()
    for args, on_replica in (((), False), (("--replica",), True)):
        with captured(connections[REPLICA]) as copy:
            out = StringIO()
            call_command("annual_report", "--fiscal-year", "2021", *args, stdout=out)
        assert json.loads(out.getvalue())["fiscal_year"] == 2021
        assert ('"consultations_consultation"' in tables_read(copy)) == on_replica
