"""The records cache (accounts.dataversion): page parts kept in memory until
the data they read changes. A stale worklist or count must never be served:
every write path renews the token, the cached parts read only tables whose
writes renew it, and the key keeps users, scopes and languages apart."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts import dataversion, scoping
from accounts.roles import Role
from consultations import casework, services
from consultations.models import Client, Consultation, FollowUp
from consultations.tests.factories import ConsultationFactory
from consultations.tests.line_factories import LineMessageFactory, LineUserFactory
from tests.factories import ClientFactory

# Most tests commit (transaction=True): on PostgreSQL the token changes when
# a transaction commits, and a transaction that has written reads the
# database, not the cache, until then.
pytestmark = pytest.mark.django_db


@pytest.fixture
def records_cache(settings):
    """The cache on (the test settings turn it off), empty."""
    settings.RECORDS_CACHE = True
    caches["records"].clear()
    yield caches["records"]
    caches["records"].clear()


def follow_up(owner, client=None, due=None):
    return services.follow_up_create(
        by=owner,
        client=client or ClientFactory(assigned_counsellor=owner),
        kind="call_back",
        due_date=due or casework.local_today(),
        owner=owner,
    )


def test_every_versioned_table_has_its_triggers():
    assert dataversion.installed_tables() >= set(dataversion.VERSIONED_TABLES)


def test_the_worklists_read_only_versioned_tables(make_user):
    """Every table the worklists' queries read renews the token when it is
    written: a list that starts to read another table fails here."""
    supervisor = make_user(Role.COUNSELLOR, Role.ADMIN)
    follow_up(supervisor)
    LineMessageFactory(line_user=LineUserFactory())
    with (
        scoping.activate(scoping.for_user(supervisor)),
        CaptureQueriesContext(connection) as ctx,
    ):
        casework._worklist(user=supervisor)
        casework._worklist(user=None)
    read = set().union(*(dataversion.tables_read(q["sql"]) for q in ctx))
    assert "consultations_followup" in read  # the parser finds the tables
    assert read <= set(dataversion.VERSIONED_TABLES)


def test_a_query_of_an_unversioned_table_is_not_cached(records_cache, counsellor):
    """cached_list reads a query of any other table every time."""
    from accounts.models import AuditEntry

    entries = AuditEntry.objects.order_by("pk").values_list("pk", flat=True)
    assert dataversion.cached_list(entries.all()) == []
    assert "accounts_auditentry" not in dataversion.VERSIONED_TABLES
    with CaptureQueriesContext(connection) as ctx:
        dataversion.cached_list(entries.all())
    assert len(ctx) == 1  # read, not taken from the cache


def test_tables_read_finds_quoted_raw_and_subquery_tables():
    sql = (
        'SELECT "a"."id" FROM "consultations_client" INNER JOIN "accounts_user" ON 1'
        " WHERE x IN (SELECT id FROM shelter_stay) AND EXISTS (select 1 from\n  t2)"
    )
    assert dataversion.tables_read(sql) == {
        "consultations_client",
        "accounts_user",
        "shelter_stay",
        "t2",
    }


def test_a_query_that_cannot_match_is_not_made(records_cache, counsellor):
    with CaptureQueriesContext(connection) as ctx:
        assert dataversion.cached_list(FollowUp.objects.none()) == []
        assert dataversion.cached_list(FollowUp.objects.filter(pk__in=[])) == []
    assert len(ctx) == 0


@pytest.mark.django_db(transaction=True)
def test_a_kept_worklist_costs_one_query_and_reads_the_same(
    records_cache, make_user, client_as
):
    """Every list filled (a supervisor's, with plans and approvals): the
    kept worklist reads none of its tables, and the page is the same."""
    from consultations.plans import services as plans

    boss = make_user(Role.COUNSELLOR, username="boss", is_supervisor=True)
    colleague = make_user(Role.COUNSELLOR, username="colleague")
    follow_up(boss)
    today = casework.local_today()
    plan = plans.plan_create(
        by=boss,
        client=ClientFactory(assigned_counsellor=boss),
        wishes="w",
        goals="g",
        review_on=today,
    )
    plans.task_create(
        plan=plan,
        by=boss,
        description="課題",
        due_on=today - dt.timedelta(days=1),
        owner_staff=boss,
    )
    plans.plan_approve(plan=plan, by=make_user(Role.COUNSELLOR, is_supervisor=True))
    plans.plan_create(
        by=colleague,
        client=ClientFactory(assigned_counsellor=colleague),
        wishes="w",
        goals="g",
        review_on=today,
    )  # a draft that awaits the supervisor
    page = client_as(boss)
    first = page.get("/")
    with CaptureQueriesContext(connection) as cold:
        page.get("/")
    records_cache.clear()
    with CaptureQueriesContext(connection) as fresh:
        fresh_page = page.get("/")
    with CaptureQueriesContext(connection) as kept:
        kept_page = page.get("/")
    assert len(kept) == len(cold) < len(fresh) - 5
    worklist_tables = {
        "consultations_followup",
        "consultations_supportplan",
        "consultations_plantask",
        "consultations_closurerequest",
        "consultations_lineuser",
    }
    assert all(not (dataversion.tables_read(q["sql"]) & worklist_tables) for q in kept)
    assert any(dataversion.tables_read(q["sql"]) & worklist_tables for q in fresh)
    html = fresh_page.content.decode()
    assert "課題" in html and "approvals" in html
    # The same page, apart from the per-request tokens.
    strip = _without_tokens
    assert strip(kept_page) == strip(fresh_page) == strip(first)


def _without_tokens(response) -> str:
    import re

    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'data-live-token="[^"]+"', "", html)
    return re.sub(r'<meta name="csrf-token" content="[^"]+"', "", html)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "write",
    [
        "save",
        "update",
        "delete",
        "bulk_create",
        "raw_sql",
        "line_message",
        "consultation",
        "rename_counsellor",
    ],
)
def test_every_kind_of_write_renews_the_token_and_the_worklist(
    records_cache, make_user, client_as, write
):
    """Committed writes of every kind (a form's save, QuerySet.update,
    delete, bulk_create, raw SQL, a LINE message, a consultation that moves
    the last contact, a user's name) renew the token, and the next worklist
    shows them."""
    counsellor = make_user(Role.COUNSELLOR, username="c1", last_name="旧姓")
    boss = make_user(Role.COUNSELLOR, Role.ADMIN, username="boss")
    client = ClientFactory(assigned_counsellor=counsellor, display_name="相談者甲")
    done = follow_up(counsellor, client)
    page = client_as(boss)
    before = dataversion.token()
    url = reverse("consultations:team_worklist")
    assert "相談者甲" in page.get(url).content.decode()  # now kept
    assert "相談者甲" in page.get(url).content.decode()  # from memory
    due = casework.local_today()
    if write == "save":
        follow_up(counsellor, ClientFactory(display_name="相談者乙"))
        expected = "相談者乙"
    elif write == "update":
        Client.objects.filter(pk=client.pk).update(display_name="相談者丙")
        expected = "相談者丙"
    elif write == "delete":
        FollowUp.objects.filter(pk=done.pk).delete()
        expected = None
    elif write == "bulk_create":
        other = ClientFactory(display_name="相談者丁")
        FollowUp.objects.bulk_create(
            [
                FollowUp(
                    client=other,
                    owner=counsellor,
                    created_by=counsellor,
                    kind="call_back",
                    due_date=due - dt.timedelta(days=3),
                )
            ]
        )
        expected = "相談者丁"
    elif write == "raw_sql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE consultations_client SET display_name = %s WHERE id = %s",
                ["相談者戊", client.pk],
            )
        expected = "相談者戊"
    elif write == "line_message":
        line_user = LineUserFactory(client=client)
        LineMessageFactory(line_user=line_user)
        expected = reverse("line:conversation", args=[line_user.pk])
    elif write == "consultation":
        # The case was quiet; a consultation today ends that (its cached
        # last contact changes: the client's row).
        quiet = ClientFactory(assigned_counsellor=counsellor, display_name="相談者己")
        Client.objects.filter(pk=quiet.pk).update(
            created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        )
        assert "相談者己" in page.get(url).content.decode()
        ConsultationFactory(client=quiet, started_at=timezone.now())
        expected = None
    else:
        type(counsellor).objects.filter(pk=counsellor.pk).update(last_name="新姓")
        expected = "新姓"
    assert dataversion.token() != before
    team = page.get(url).content.decode()
    if write == "delete":
        assert "相談者甲" not in team
    elif write == "consultation":
        assert "相談者己" not in team
    else:
        assert expected in team


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_keeps_the_token(records_cache, counsellor):
    before = dataversion.token()
    with pytest.raises(RuntimeError), transaction.atomic():
        follow_up(counsellor)
        raise RuntimeError
    assert dataversion.token() == before
    assert FollowUp.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_transaction_sees_its_own_writes(records_cache, counsellor):
    """Inside the transaction that wrote (not yet committed: the token has
    not changed for others on PostgreSQL), the worklist is read again."""
    with scoping.activate(scoping.for_user(counsellor)):
        assert casework.worklist(user=counsellor).due_today == []
        before = dataversion.token()
        with transaction.atomic():
            made = follow_up(counsellor)
            inside = dataversion.token()
            rows = casework.worklist(user=counsellor).due_today
        assert [r["pk"] for r in rows] == [made.pk]
    if connection.vendor == "postgresql":
        assert inside is None  # this transaction's writes: not for the cache
    else:
        assert inside != before  # SQLite: renewed by the statement itself
    assert dataversion.token() not in (None, before)


@pytest.mark.django_db(transaction=True)
def test_the_key_keeps_users_scopes_and_languages_apart(
    records_cache, make_user, client_as
):
    mine = make_user(Role.COUNSELLOR, username="mine")
    theirs = make_user(Role.COUNSELLOR, username="theirs")
    follow_up(mine, ClientFactory(display_name="わたしの相談者"))
    follow_up(theirs, ClientFactory(display_name="あちらの相談者"))
    with translation.override("ja"):
        assert "わたしの相談者" in client_as(mine).get("/").content.decode()
        page = client_as(theirs).get("/").content.decode()
    assert "あちらの相談者" in page and "わたしの相談者" not in page
    with scoping.activate(scoping.for_user(mine)):
        with translation.override("en"):
            english = casework.worklist(user=mine)
        with translation.override("ja"):
            japanese = casework.worklist(user=mine)
    assert english.due_today[0]["html"] != japanese.due_today[0]["html"]


@pytest.mark.django_db(transaction=True)
def test_the_consultation_list_keeps_its_counts_and_rows(
    records_cache, counsellor, client_as
):
    ConsultationFactory.create_batch(3, counsellor=counsellor)
    page = client_as(counsellor)
    url = reverse("consultations:consultation_list")
    page.get(url)
    with CaptureQueriesContext(connection) as kept:
        kept_page = page.get(url)
    records_cache.clear()
    with CaptureQueriesContext(connection) as fresh:
        fresh_page = page.get(url)
    # Kept: the year to open on, the counts, the rows, their other problems,
    # the filter's counsellors and complaints.
    assert len(kept) == len(fresh) - 6
    assert not any("consultations_" in q["sql"] for q in kept)
    assert _without_tokens(kept_page) == _without_tokens(fresh_page)
    assert Consultation.objects.count() == 3
    # The rows are kept ready to print, per language.
    channel = Consultation.objects.first().get_channel_display
    with translation.override("en"):
        in_english = str(channel())
    with translation.override("ja"):
        in_japanese = str(channel())
    assert in_english != in_japanese
    japanese = page.get(url).content.decode()
    page.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = page.get(url).content.decode()
    assert f"<td>{in_english}</td>" in english
    assert f"<td>{in_japanese}</td>" in japanese


@pytest.mark.django_db(transaction=True)
def test_a_migration_may_write_rows_and_then_alter_their_table(counsellor):
    """manage.py migrate queues no trigger event (PostgreSQL refuses to alter
    a table with pending ones, so a migration that writes rows and then
    alters their table in its transaction would fail), and renews the token
    once at its end."""
    client = ClientFactory()

    def write_then_alter():
        with transaction.atomic():
            Client.objects.filter(pk=client.pk).update(display_name="移行")
            with connection.cursor() as cursor:
                cursor.execute(
                    "ALTER TABLE consultations_client ADD COLUMN ibasho_t integer"
                )
            transaction.set_rollback(True)  # leave the schema as it was

    if connection.vendor == "postgresql":
        with pytest.raises(OperationalError, match="pending trigger events"):
            write_then_alter()
    before = dataversion.token()
    with dataversion.migrating(connection):
        write_then_alter()
    assert dataversion.token() not in (None, before)
    assert dataversion.installed_tables() >= set(dataversion.VERSIONED_TABLES)


@pytest.mark.django_db(transaction=True)
def test_a_request_reads_the_token_once_until_it_writes(records_cache, counsellor):
    """Within a request the token is read once (the consultation list keeps
    six parts) and forgotten at the request's first write; outside requests
    it is read every time."""
    ConsultationFactory(counsellor=counsellor)
    page = _logged_in(counsellor)
    with CaptureQueriesContext(connection) as ctx:
        page.get(reverse("consultations:consultation_list"))
    assert sum("accounts_dataversion" in q["sql"] for q in ctx) == 1

    dataversion._memo_on()
    try:
        first = dataversion.token()
        with CaptureQueriesContext(connection) as ctx:
            assert dataversion.token() == first
        assert len(ctx) == 0  # remembered
        follow_up(counsellor)  # a write (committed: autocommit)
        assert dataversion.token() not in (None, first)  # read again
    finally:
        dataversion._memo_off()
    with CaptureQueriesContext(connection) as ctx:
        dataversion.token()
        dataversion.token()
    assert len(ctx) == 2


def _logged_in(user):
    from django.test import Client as TestClient

    page = TestClient()
    page.force_login(user)
    return page


@pytest.mark.django_db(transaction=True)
def test_the_stay_calendar_is_kept_until_a_stay_changes(records_cache, coordinator):
    from shelter.models import Stay
    from shelter.tests.factories import RoomFactory, StayFactory

    room = RoomFactory()
    StayFactory(room=room, client=ClientFactory(display_name="宿泊者甲"))
    page = _logged_in(coordinator)
    url = "/shelter/calendar/?month=2021-10"
    assert "宿泊者甲" in page.get(url).content.decode()
    with CaptureQueriesContext(connection) as kept:
        assert "宿泊者甲" in page.get(url).content.decode()
    assert not any("shelter_stay" in q["sql"] for q in kept)
    StayFactory(
        room=room,
        client=ClientFactory(display_name="宿泊者乙"),
        start_date=dt.date(2021, 10, 20),
    )
    assert "宿泊者乙" in page.get(url).content.decode()
    Stay.objects.filter(client__display_name="宿泊者甲").delete()
    assert "宿泊者甲" not in page.get(url).content.decode()

    stays = reverse("shelter:stay_list")
    assert "宿泊者乙" in page.get(stays).content.decode()
    with CaptureQueriesContext(connection) as kept:
        page.get(stays)
    assert not any("shelter_stay" in q["sql"] for q in kept)
    StayFactory(
        room=room,
        client=ClientFactory(display_name="宿泊者丙"),
        start_date=dt.date(2021, 11, 20),
    )
    listed = page.get(stays)
    assert "宿泊者丙" in listed.content.decode()
    assert listed.context["page"].paginator.count == 2


@pytest.mark.django_db(transaction=True)
def test_a_part_that_reads_an_unversioned_table_is_not_kept(
    records_cache, counsellor, caplog
):
    """cached() checks what the computation read, on every database: a part
    that read a table the token does not follow is computed each time (and
    the log names the table, nothing of the data)."""
    from accounts.models import AuditEntry

    def compute():
        return list(AuditEntry.objects.values_list("pk", flat=True))

    assert dataversion.cached(("audit",), compute) == []
    with CaptureQueriesContext(connection) as ctx:
        dataversion.cached(("audit",), compute)
    assert any("accounts_auditentry" in q["sql"] for q in ctx)
    assert "accounts_auditentry" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_peer_sessions_and_the_client_search_are_kept_until_they_change(
    records_cache, make_user
):
    from peergroups.tests.factories import (
        AttendanceFactory,
        GroupFactory,
        SessionFactory,
    )

    facilitator = make_user(Role.FACILITATOR)
    counsellor = make_user(Role.COUNSELLOR)
    session = SessionFactory(theme="最初の会")
    sessions = _logged_in(facilitator)
    url = "/groups/sessions/?fy=2021"
    assert "最初の会" in sessions.get(url).content.decode()
    with CaptureQueriesContext(connection) as kept:
        sessions.get(url)
    assert not any("peergroups_" in q["sql"] for q in kept)
    SessionFactory(theme="次の会", date=dt.date(2021, 11, 1))
    AttendanceFactory(session=session)
    page = sessions.get(url).content.decode()
    assert "次の会" in page and "最初の会" in page
    groups = reverse("peergroups:group_list")
    assert "新しい集まり" not in sessions.get(groups).content.decode()
    with CaptureQueriesContext(connection) as kept:
        sessions.get(groups)
    assert not any("peergroups_group" in q["sql"] for q in kept)
    GroupFactory(name="新しい集まり")
    assert "新しい集まり" in sessions.get(groups).content.decode()

    ClientFactory(display_name="検索太郎")
    clients = _logged_in(counsellor)
    search = "/clients/?q=検索"
    assert "検索太郎" in clients.get(search).content.decode()
    with CaptureQueriesContext(connection) as kept:
        clients.get(search)
    assert not any("consultations_client" in q["sql"] for q in kept)
    ClientFactory(display_name="検索花子")
    page = clients.get(search).content.decode()
    assert "検索花子" in page and "検索太郎" in page


@pytest.mark.django_db(transaction=True)
def test_the_line_inbox_is_kept_until_a_message_or_chat_changes(
    records_cache, counsellor
):
    first = LineUserFactory(display_name="ラインの人甲")
    LineMessageFactory(line_user=first)
    inbox = _logged_in(counsellor)
    url = reverse("line:inbox")
    assert "ラインの人甲" in inbox.get(url).content.decode()
    with CaptureQueriesContext(connection) as kept:
        inbox.get(url)
    assert not any("consultations_linemessage" in q["sql"] for q in kept)
    second = LineUserFactory(display_name="ラインの人乙")
    LineMessageFactory(line_user=second, text="新しい相談です")
    page = inbox.get(url).content.decode()
    assert "ラインの人乙" in page and "新しい相談です" in page
    # The rows are kept ready to print with each open chat's status and
    # holder (not in the key): a claimed chat shows on the next view.
    from consultations.line.chats import chat_claim
    from consultations.models import LineChat

    chat = LineChat.objects.create(line_user=second, started_at=timezone.now())
    labels = dict(LineChat.Status.choices)
    with translation.override("ja"):
        waiting = str(labels[LineChat.Status.WAITING])
        active = str(labels[LineChat.Status.ACTIVE])
    assert f">{waiting}</span>" in inbox.get(url).content.decode()
    chat_claim(chat=chat, by=counsellor)
    page = inbox.get(url).content.decode()
    assert f">{active}</span>" in page and f">{waiting}</span>" not in page


@pytest.mark.django_db(transaction=True)
def test_salon_visits_opening_days_and_programmes_are_kept_until_they_change(
    records_cache, coordinator, city_staff
):
    """The salon's month (its visits, named clients and totals), the open
    days table and the reports index, each served from memory and read
    again after a write to what it shows."""
    from reports.models import Target
    from reports.services import programme_create, target_save
    from shelter import services as shelter_services
    from shelter.models import Service
    from shelter.tests.factories import SalonFactory, SalonVisitFactory

    salon = SalonFactory()
    visit = SalonVisitFactory(facility=salon, date=dt.date(2021, 10, 1), visitors=3)
    page = _logged_in(coordinator)
    url = reverse("shelter:salon_list") + "?month=2021-10"
    assert page.get(url).context["totals"]["visits"] == 3
    with CaptureQueriesContext(connection) as kept:
        page.get(url)
    assert not any("shelter_salonvisit" in q["sql"] for q in kept)
    shelter_services.salon_visit_record(
        by=coordinator,
        facility=salon,
        date=dt.date(2021, 10, 2),
        visitors=5,
        clients=[],
    )
    assert page.get(url).context["totals"]["visits"] == 8
    shelter_services.salon_visit_update(
        visit=visit,
        by=coordinator,
        visitors=3,
        clients=[ClientFactory()],
        programme=None,
    )
    named = {v["date"]: v["named"] for v in page.get(url).context["visits"]}
    assert named == {dt.date(2021, 10, 1): 1, dt.date(2021, 10, 2): 0}

    url = reverse("shelter:opening_days") + "?fy=2021"

    def salon_days():
        rows = page.get(url).context["rows"]
        return next(total for value, _label, _months, total in rows if value == "salon")

    before = salon_days()
    with CaptureQueriesContext(connection) as kept:
        assert salon_days() == before
    assert not any("shelter_openinghours" in q["sql"] for q in kept)
    shelter_services.calendar_exception_add(
        by=coordinator, service=Service.SALON, date=dt.date(2021, 10, 3), kind="open"
    )
    assert salon_days() == before + 1

    reports = _logged_in(city_staff)
    programme_create(
        by=city_staff, fiscal_year=2021, name="最初の事業", municipality="市"
    )
    index = reverse("reports:index")
    assert "最初の事業" in reports.get(index).content.decode()
    with CaptureQueriesContext(connection) as kept:
        reports.get(index)
    assert not any("reports_programme" in q["sql"] for q in kept)
    second = programme_create(
        by=city_staff, fiscal_year=2021, name="次の事業", municipality="市"
    )
    assert "次の事業" in reports.get(index).content.decode()
    target_save(
        target=Target(programme=second, metric_key="sns_chats", target_value=5),
        by=city_staff,
    )
    programmes = [
        p for _y, _l, ps, _s in reports.get(index).context["years"] for p in ps
    ]
    assert {p["name"]: p["target_count"] for p in programmes} == {
        "最初の事業": 0,
        "次の事業": 1,
    }


@pytest.mark.django_db(transaction=True)
def test_training_events_are_kept_until_an_event_or_answer_changes(
    records_cache, facilitator
):
    from training.tests.factories import (
        EventFactory,
        SpeakerFactory,
        SurveyResponseFactory,
    )

    event = EventFactory(title="最初の研修")
    page = _logged_in(facilitator)
    url = reverse("training:event_list") + "?fy=2021"
    assert "最初の研修" in page.get(url).content.decode()
    with CaptureQueriesContext(connection) as kept:
        page.get(url)
    assert not any("training_" in q["sql"] for q in kept)
    EventFactory(title="次の研修", date=dt.date(2021, 11, 1))
    listed = page.get(url)
    assert "次の研修" in listed.content.decode()
    assert listed.context["totals"].events == 2
    SpeakerFactory(event=event)
    SurveyResponseFactory(event=event)
    rows = {r["title"]: r for r in page.get(url).context["page"].object_list}
    first = rows["最初の研修"]
    assert (first["speaker_count"], first["respondent_count"]) == (1, 1)
