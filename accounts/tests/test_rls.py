"""Row-level security on PostgreSQL (issue 18, "Isolation enforced twice"):
the policies of accounts.rls, the connection settings that accounts.scoping
writes for them, and the deploy check. The database tests skip on SQLite,
which relies on the ORM scoping alone; the test of the list of tables runs on
both."""

from __future__ import annotations

import datetime as dt
import json
from unittest import mock

import psycopg
import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client as HttpClient
from django.utils import timezone

from accounts import checks, rls, scoping
from accounts.models import Organisation
from consultations.line.models import (
    LineAutoReplyClaim,
    LineChannel,
    LineChat,
    LineChatTransfer,
    LineMedia,
    LineMessage,
    LineUser,
)
from consultations.models import (
    CannedReply,
    Client,
    Complaint,
    Consent,
    Consultation,
    FollowUp,
    PartnerAgency,
    Referral,
    SafetyFlagClearance,
    SupportAction,
    UrgencyChange,
)
from peergroups.models import Attendance, Group, Series, Session
from reports.models import ImportJob
from shelter.models import Facility, Room, SalonVisit, Stay, UnmetRequest
from tests.app_role import APP_ROLE, app_connection, ensure_app_role, grant_app_role
from tests.factories import UserFactory
from training.models import Event, Speaker, SurveyResponse

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL row-level security"
)
DAY = dt.date(2026, 4, 10)


# THE LIST OF TABLES
# ------------------------------------------------------------------------------


def test_the_tables_under_a_policy_are_those_the_models_scope():
    """A new scoped model (or a many-to-many table linking one) without an
    entry in accounts.rls fails here; so does an entry no model needs."""
    listed = {
        table: rls.THROUGH_PARENT.get(table)
        for table in rls.tables()
        if table not in rls.NOT_SCOPED_IN_THE_ORM
    }
    assert listed == rls.expected_tables()
    assert len(rls.tables()) == len(set(rls.tables()))
    for _column, parent in rls.THROUGH_PARENT.values():
        assert parent in rls.tables()


@postgresql_only
@pytest.mark.django_db
def test_every_listed_table_has_its_policy_forced_and_no_other_table_has_one():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
            " p.qual, p.with_check, p.cmd"
            " FROM pg_policies p JOIN pg_class c ON c.relname = p.tablename"
            " AND c.relnamespace = 'public'::regnamespace"
            " WHERE p.policyname = %s",
            [rls.POLICY],
        )
        rows = {name: rest for name, *rest in cursor.fetchall()}
    assert set(rows) == set(rls.tables())
    for table, (enabled, forced, using, check, command) in rows.items():
        assert enabled and forced, table
        assert command == "ALL" and using == check, table
        expected = "organisation_id" if table in rls.OWN_ORGANISATION else "EXISTS"
        assert expected in using, table


# RECORDS OF TWO ORGANISATIONS
# ------------------------------------------------------------------------------


def build_records(org: Organisation, tag: str, user) -> None:
    """One row in every table under a policy, for ``org``."""
    with scoping.organisations([org.pk]):
        now = timezone.now()
        person = Client.objects.create(code=f"RLS-{tag}", display_name=f"相談者{tag}")
        consultation = Consultation.objects.create(
            client=person, channel="phone", started_at=now, counsellor=user
        )
        consultation.other_problems.add(
            Complaint.objects.create(code=f"rls-{tag}".lower(), label=f"問題 {tag}")
        )
        action = SupportAction.objects.create(
            client=person, kind="interview", date=DAY, staff=user
        )
        UrgencyChange.objects.create(
            client=person, old="low", new="high", reason="r", changed_by=user
        )
        consent = Consent.objects.create(
            client=person,
            # Not scoped (shared); a transactional test has no seeded one.
            agency=PartnerAgency.objects.get_or_create(
                name="RLS agency", defaults={"category": "npo"}
            )[0],
            categories=1,
            valid_from=DAY,
            valid_to=DAY,
            method="written",
            recorded_by=user,
        )
        Referral.objects.create(
            client=person,
            agency=consent.agency,
            kind="referral",
            date=DAY,
            categories=1,
            consent=consent,
            staff=user,
            support_action=SupportAction.objects.create(
                client=person, kind="referral", date=DAY, staff=user
            ),
        )
        SafetyFlagClearance.objects.create(
            client=person, flag="line_only", reason="r", cleared_by=user
        )
        FollowUp.objects.create(
            client=person,
            support_action=action,
            kind="call_back",
            due_date=DAY,
            owner=user,
            created_by=user,
        )
        channel = LineChannel.objects.create(name=tag, channel_id=f"ch-{tag}")
        line_user = LineUser.objects.create(
            line_user_id=f"U-rls-{tag}", channel=channel, client=person
        )
        chat = LineChat.objects.create(line_user=line_user, started_at=now)
        LineChatTransfer.objects.create(chat=chat, to_user=user, by=user)
        message = LineMessage.objects.create(
            line_user=line_user,
            chat=chat,
            direction="in",
            kind="image",
            sent_at=now,
            webhook_event_id=f"ev-rls-{tag}",
        )
        LineMedia.objects.create(message=message, provider="line", status="pending")
        LineAutoReplyClaim.objects.create(
            line_user=line_user, kind="greeting", period="first", trigger=message
        )
        CannedReply.objects.create(title=tag, text="t")
        facility = Facility.objects.create(name=f"facility {tag}", kind="shelter")
        room = Room.objects.create(facility=facility, name="1")
        Stay.objects.create(
            room=room, client=person, start_date=DAY, end_date=DAY + dt.timedelta(1)
        )
        UnmetRequest.objects.create(date=DAY, reason="childcare", client=person)
        visit = SalonVisit.objects.create(facility=facility, date=DAY, visitors=1)
        visit.clients.add(person)
        group = Group.objects.create(name=f"group {tag}")
        Series.objects.create(
            group=group,
            frequency="weekly",
            weekday=0,
            first_date=DAY,
            last_date=DAY + dt.timedelta(30),
            created_by=user,
        )
        session = Session.objects.create(group=group, date=DAY)
        Attendance.objects.create(session=session, client=person)
        event = Event.objects.create(kind="training", date=DAY, title=tag)
        Speaker.objects.create(event=event, client=person, consent=True)
        SurveyResponse.objects.create(event=event, satisfaction=3)
        ImportJob.objects.create(
            kind="consultations", user=user, token=f"rls{tag}", file_format="csv"
        )
        # Assessments, support plans and closure requests (issue 19).
        from consultations.plans.models import (
            ClosureRequest,
            PlanTask,
            SupportPlan,
            UrgencyAssessment,
        )

        UrgencyAssessment.objects.create(
            client=person, assessed_on=DAY, violence="none", abuser_knows="no",
            children="no", suicide="none", housing="safe", money="enough",
            health="ok", suggested="low", chosen="low", assessed_by=user,
        )  # fmt: skip
        plan = SupportPlan.objects.create(
            client=person, version=1, wishes="w", goals="g", review_on=DAY,
            created_by=user,
        )  # fmt: skip
        PlanTask.objects.create(
            plan=plan, description="t", due_on=DAY, owner_staff=user
        )
        ClosureRequest.objects.create(
            client=person, reason="resolved", requested_by=user
        )
        # Support coordination meetings (issue 20).
        from consultations.meetings.models import (
            CoordinationMeeting,
            MeetingCase,
            MeetingMember,
            MeetingRole,
        )

        meeting = CoordinationMeeting.objects.create(
            level="case_review", held_on=DAY, created_by=user
        )
        member = MeetingMember.objects.create(meeting=meeting, kind="person", user=user)
        case = MeetingCase.objects.create(
            meeting=meeting, client=person, situation="s", created_by=user
        )
        MeetingRole.objects.create(case=case, member=member, task="t", due_on=DAY)


def ids_by_table() -> dict[str, set[int]]:
    """Every row id of every table under a policy (read as the suite's
    superuser, which the policies do not apply to)."""
    found = {}
    with connection.cursor() as cursor:
        for table in rls.tables():
            cursor.execute(f"SELECT id FROM {table}")  # noqa: S608 (our names)
            found[table] = {row[0] for row in cursor.fetchall()}
    return found


@pytest.fixture
def two_organisations(db):
    """Organisations A and B, a member of each, and one row of each in every
    table under a policy: {"a": ..., "b": ..., "a_rows": {table: ids}, ...}."""
    a = Organisation.objects.create(name="A")
    b = Organisation.objects.create(name="B")
    member_a = UserFactory(username="member-a", organisations=[a])
    member_b = UserFactory(username="member-b", organisations=[b])
    before = ids_by_table()  # rows of the data migrations (canned replies)
    build_records(a, "A", member_a)
    after_a = ids_by_table()
    build_records(b, "B", member_b)
    a_rows = {t: ids - before[t] for t, ids in after_a.items()}
    b_rows = {t: ids - after_a[t] for t, ids in ids_by_table().items()}
    for table in rls.tables():
        assert a_rows[table] and b_rows[table], table
    return {
        "a": a,
        "b": b,
        "member_a": member_a,
        "member_b": member_b,
        "a_rows": a_rows,
        "b_rows": b_rows,
    }


def set_scope(cursor, *, user_id="", org_ids="", all_orgs=""):
    cursor.execute(
        "SELECT set_config('ibasho.user_id', %s, false),"
        " set_config('ibasho.org_ids', %s, false),"
        " set_config('ibasho.all_orgs', %s, false)",
        [str(user_id), str(org_ids), all_orgs],
    )


def visible(cursor) -> dict[str, set[int]]:
    found = {}
    for table in rls.tables():
        cursor.execute(f"SELECT id FROM {table}")  # noqa: S608 (our names)
        found[table] = {row[0] for row in cursor.fetchall()}
    return found


# THE APP'S ROLE ON A CONNECTION OF ITS OWN ("Done when")
# ------------------------------------------------------------------------------


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_apps_role_sees_only_the_rows_of_the_organisation_set(two_organisations):
    data = two_organisations
    ensure_app_role()
    with connection.cursor() as cursor:
        grant_app_role(cursor)
    with app_connection(autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == APP_ROLE

        # No settings at all: nothing.
        assert visible(cursor) == {t: set() for t in rls.tables()}

        # Organisation A by its id, then by a member of A.
        for how in ({"org_ids": data["a"].pk}, {"user_id": data["member_a"].pk}):
            set_scope(cursor, **how)
            assert visible(cursor) == data["a_rows"], how

        # Both organisations, by their ids.
        set_scope(cursor, org_ids=f"{data['a'].pk},{data['b'].pk}")
        both = visible(cursor)
        assert both == {t: data["a_rows"][t] | data["b_rows"][t] for t in rls.tables()}

        # Settings put back to nothing: nothing again.
        set_scope(cursor, all_orgs="off")
        assert visible(cursor) == {t: set() for t in rls.tables()}


def copy_row(cursor, table: str, column: str, row: int, value: int) -> None:
    """Inserts a copy of row ``row`` of ``table`` with ``column`` set to
    ``value`` (and a new id), whatever the table's other columns."""
    cursor.execute(
        f"CREATE TEMP TABLE rls_copy ON COMMIT DROP AS SELECT * FROM {table}"  # noqa: S608
        " WHERE id = %s",
        [row],
    )
    cursor.execute(
        f"UPDATE rls_copy SET id = id + 1000000, {column} = %s",  # noqa: S608
        [value],
    )
    cursor.execute(f"INSERT INTO {table} SELECT * FROM rls_copy")  # noqa: S608


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_apps_role_cannot_write_a_row_of_another_organisation(two_organisations):
    """WITH CHECK: in A's scope, a copy of one of A's rows given to B (its
    organisation, or its parent of B) is refused, in every table; the same
    copy kept in A is not refused by the policy."""
    data = two_organisations
    ensure_app_role()
    with connection.cursor() as cursor:
        grant_app_role(cursor)
    with app_connection() as conn:
        for table in rls.tables():
            column, parent = rls.THROUGH_PARENT.get(table, ("organisation_id", None))
            with connection.cursor() as cursor:
                if parent is None:
                    a_value, b_value = data["a"].pk, data["b"].pk
                else:
                    # The parent column of one row of A and of one of B.
                    cursor.execute(
                        f"SELECT {column} FROM {table} WHERE id = ANY(%s)",  # noqa: S608
                        [sorted(data["a_rows"][table])],
                    )
                    a_value = cursor.fetchone()[0]
                    cursor.execute(
                        f"SELECT {column} FROM {table} WHERE id = ANY(%s)",  # noqa: S608
                        [sorted(data["b_rows"][table])],
                    )
                    b_value = cursor.fetchone()[0]
            row = min(data["a_rows"][table])
            for value, refused in ((b_value, True), (a_value, False)):
                with conn.transaction(force_rollback=True), conn.cursor() as cursor:
                    set_scope(cursor, org_ids=data["a"].pk)
                    try:
                        copy_row(cursor, table, column, row, value)
                        error = None
                    except psycopg.Error as exc:
                        error = exc
                    policy_refused = isinstance(
                        error, psycopg.errors.InsufficientPrivilege
                    ) and "row-level security" in str(error)
                    assert policy_refused == refused, (table, value, error)

        # Moving one of A's clients to B is refused too.
        with conn.transaction(force_rollback=True), conn.cursor() as cursor:
            set_scope(cursor, org_ids=data["a"].pk)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                cursor.execute(
                    "UPDATE consultations_client SET organisation_id = %s"
                    " WHERE id = %s",
                    [data["b"].pk, min(data["a_rows"]["consultations_client"])],
                )


# A VIEW THAT FORGOT THE SCOPE, AND THE SETTINGS' LIFECYCLE
# ------------------------------------------------------------------------------


def as_app_role():
    """Django's own connection as the app's role, until the test's
    transaction ends (SET ROLE and the grants are rolled back with it)."""
    ensure_app_role()
    with connection.cursor() as cursor:
        grant_app_role(cursor)
        cursor.execute(f"SET ROLE {APP_ROLE}")


def current_settings() -> tuple[str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('ibasho.user_id', true),"
            " current_setting('ibasho.org_ids', true),"
            " current_setting('ibasho.all_orgs', true)"
        )
        return cursor.fetchone()


@postgresql_only
@pytest.mark.urls("accounts.tests.rls_urls")
def test_a_raw_query_of_a_view_that_forgot_the_scope_returns_only_her_rows(
    two_organisations,
):
    """Requests of a member of A then of a member of B on the same
    (persistent) connection, as the app's role: each raw query returns that
    user's organisation's clients only; after each request the connection's
    settings are those of before it."""
    data = two_organisations
    web = HttpClient()
    before = current_settings()
    assert before == ("", "", "on")  # the test: no scope
    as_app_role()
    raw = connection.connection
    for member, rows in (("member_a", "a_rows"), ("member_b", "b_rows")):
        web.force_login(data[member])
        response = web.get("/raw-clients/")
        assert response.status_code == 200
        assert set(json.loads(response.content)) == data[rows]["consultations_client"]
        assert current_settings() == before
        assert connection.connection is raw  # the same connection throughout
    web.logout()
    response = web.get("/raw-clients/")  # anonymous: to the sign-in page
    assert response.status_code == 302


@postgresql_only
@pytest.mark.urls("accounts.tests.rls_urls")
def test_a_request_that_fails_still_puts_the_settings_back(two_organisations):
    web = HttpClient(raise_request_exception=False)
    web.force_login(two_organisations["member_a"])
    assert web.get("/fails/").status_code == 500
    assert current_settings() == ("", "", "on")


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("accounts.tests.rls_urls")
def test_a_view_that_runs_no_query_writes_no_settings(two_organisations):
    """The settings are written just before the view's first query and put
    back after it: a page whose view runs none pays no round trip for them
    (issue 22); one that runs a query, one each way. (The request's
    transaction is the outermost here, as in use: inside a test's, its
    savepoint would be a statement.)"""
    web = HttpClient()
    web.force_login(two_organisations["member_a"])
    assert web.get("/raw-clients/").status_code == 200  # the connection is open
    raw = connection.connection
    with mock.patch.object(raw, "execute", wraps=raw.execute) as spy:
        assert web.get("/quiet/").content == b"no query"
        assert not [c for c in spy.call_args_list if "set_config" in c.args[0]]
        assert web.get("/raw-clients/").status_code == 200
        written = [c.args[1] for c in spy.call_args_list if "set_config" in c.args[0]]
        assert written == [["", str(two_organisations["a"].pk), "off"], ["", "", "on"]]
    assert current_settings() == ("", "", "on")


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("accounts.tests.rls_urls")
def test_a_view_whose_transaction_is_rolled_back_keeps_her_scope(two_organisations):
    """The view's scope is written before the request's transaction begins
    (ATOMIC_REQUESTS; here the outermost one), so its rollback does not take
    the settings back: what the page reads after it, as the app's role, is
    still her organisation's only. The settings are put back at the end."""
    data = two_organisations
    web = HttpClient()
    web.force_login(data["member_a"])
    ensure_app_role()
    with connection.cursor() as cursor:
        grant_app_role(cursor)
        cursor.execute(f"SET ROLE {APP_ROLE}")
    try:
        response = web.get("/rolled-back/")
        assert response.status_code == 200
        ids = set(json.loads(response.content))
        assert ids == data["a_rows"]["consultations_client"]
        assert current_settings() == ("", "", "on")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


@postgresql_only
@pytest.mark.django_db
def test_a_new_connection_gets_the_scope_in_force():
    org = Organisation.objects.create(name="A")
    for scope, expected in (
        (None, ("", "", "on")),
        (scoping.Scope(org_ids=frozenset({org.pk})), ("", str(org.pk), "off")),
        (scoping.for_user(AnonymousUser()), ("", "", "off")),
    ):
        with scoping.activate(scope):
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    cursor.execute(
                        "SELECT current_setting('ibasho.user_id', true),"
                        " current_setting('ibasho.org_ids', true),"
                        " current_setting('ibasho.all_orgs', true)"
                    )
                    assert cursor.fetchone() == expected
            finally:
                other.close()


@postgresql_only
@pytest.mark.django_db
def test_an_aborted_transaction_leaves_no_stale_scope():
    """A scope entered inside a transaction that fails: its settings go
    with the rollback, and those of the scope around it are in force again;
    the scope around a failed transaction stays in force."""
    a, b = (Organisation.objects.create(name=n) for n in "AB")
    with scoping.organisations([a.pk]):
        with (
            pytest.raises(DatabaseError, match="division by zero"),
            transaction.atomic(),
            scoping.organisations([b.pk]),
        ):
            assert current_settings()[1] == str(b.pk)
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1/0")
        assert scoping.current() == scoping.Scope(org_ids=frozenset({a.pk}))
        assert current_settings() == ("", str(a.pk), "off")
        with (
            pytest.raises(DatabaseError, match="division by zero"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SELECT 1/0")
        assert current_settings() == ("", str(a.pk), "off")
    assert current_settings() == ("", "", "on")


# THE DEPLOY CHECK
# ------------------------------------------------------------------------------


@postgresql_only
@pytest.mark.django_db
def test_the_deploy_check_warns_when_row_level_security_would_not_apply():
    warnings = checks.row_level_security_applies()
    assert [w.id for w in warnings] == ["accounts.W001"]  # the suite's superuser
    assert "superuser" in warnings[0].msg
    as_app_role()
    assert checks.row_level_security_applies() == []
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE; CREATE ROLE ibasho_test_bypass NOLOGIN BYPASSRLS")
        cursor.execute("SET ROLE ibasho_test_bypass")
    warnings = checks.row_level_security_applies(databases=["default"])
    assert [w.id for w in warnings] == ["accounts.W001"]
    assert "BYPASSRLS" in warnings[0].msg


def test_the_deploy_check_says_nothing_on_sqlite():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert checks.row_level_security_applies() == []


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_settings_that_cannot_be_written_outside_a_transaction_close_the_connection():
    """Rather than go on with the settings of the scope before: the next
    query opens a new connection, which takes the scope in force."""
    a, b = (Organisation.objects.create(name=n) for n in "AB")
    with scoping.organisations([a.pk]):
        assert current_settings() == ("", str(a.pk), "off")
        failing = mock.patch.object(
            connection.connection, "execute", side_effect=psycopg.OperationalError
        )
        with failing, scoping.organisations([b.pk]):
            assert connection.connection is None
            assert current_settings() == ("", str(b.pk), "off")
        assert current_settings() == ("", str(a.pk), "off")
