"""A token that changes whenever the data of some tables changes, so that a
page part computed from them can be kept in memory and reused until then:
``cached`` (the worklists, the calendars' months), ``cached_list``,
``cached_rows`` and ``cached_count`` (a query's rows, its rows made ready
to print, or its count: the lists). A part is kept
only if every table its queries read is versioned.

The token is one row of ``accounts.DataVersion``. Triggers on every table of
``VERSIONED_TABLES`` give it a new random value whenever a row is inserted,
updated or deleted, or the table is truncated, however the write is made (a
form, ``QuerySet.update``, ``bulk_create``, a command, raw SQL). ``install``
makes them after every ``migrate`` (and again if a migration rebuilt a table
on SQLite, which drops its triggers); ``migrate`` renews the token once at
its end (on PostgreSQL its own writes queue no trigger event: see
``_postgresql_sql``).

* PostgreSQL: the token is written once per transaction, when it commits (a
  deferred constraint trigger), so that it changes exactly when the new data
  becomes visible to others, and the lock on its row is the last lock a
  writing transaction takes (writers cannot deadlock on it). Until then the
  writing transaction itself must not read the cache: a statement trigger
  marks it (``ibasho.wrote``) and ``token`` then answers None.
* SQLite: the token is written by the statement itself (SQLite has no
  deferred triggers; its writers never run side by side).

A reader that reads the token before the data can at worst keep data newer
than its token, never older: a stale page part cannot be served.

The cache (``CACHES["records"]``) is the process's own memory: personal data
is never written to a shared cache.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Hashable
from contextlib import ExitStack, contextmanager
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.utils import translation

from . import scoping

T = TypeVar("T")
logger = logging.getLogger(__name__)

# The tables whose changes renew the token: those the cached parts read
# (``cached_list`` caches only a query that reads no other table;
# tests/test_dataversion.py checks that the worklists read no other).
VERSIONED_TABLES = (
    "accounts_user",
    "accounts_user_groups",
    "accounts_user_organisations",
    "auth_group",
    "consultations_client",
    "consultations_complaint",
    "consultations_consultation",
    "consultations_consultation_other_problems",
    "consultations_closurerequest",
    "consultations_followup",
    "consultations_linechat",
    "consultations_linemessage",
    "consultations_lineuser",
    "consultations_partneragency",
    "consultations_plantask",
    "consultations_supportplan",
    "peergroups_attendance",
    "peergroups_group",
    "peergroups_session",
    "reports_programme",
    "reports_target",
    "shelter_calendarexception",
    "shelter_facility",
    "shelter_openingcalendar",
    "shelter_openinghours",
    "shelter_room",
    "shelter_salonvisit",
    "shelter_salonvisit_clients",
    "shelter_stay",
    "training_event",
    "training_speaker",
    "training_surveyresponse",
)
TABLE = "accounts_dataversion"
TRIGGER = "ibasho_data_changed"
WROTE = "ibasho_wrote"
MIGRATING = "ibasho.migrating"

_NEW_TOKEN = {
    "postgresql": "gen_random_uuid()::text",
    "sqlite": "lower(hex(randomblob(16)))",
}


def _upsert(vendor: str) -> str:
    return (
        f"INSERT INTO {TABLE} (id, token) VALUES (1, {_NEW_TOKEN[vendor]}) "  # noqa: S608 (constants)
        "ON CONFLICT (id) DO UPDATE SET token = excluded.token"
    )


def _postgresql_sql(table: str) -> list[str]:
    return [
        # Not queued while migrating (the WHEN of a constraint trigger is
        # evaluated at once): a migration that writes rows and then alters
        # their table in one transaction would fail on the pending events.
        f"CREATE CONSTRAINT TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE"
        f" ON {table} DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        f" WHEN (current_setting('{MIGRATING}', true) IS DISTINCT FROM 'on')"
        f" EXECUTE FUNCTION {TRIGGER}()",
        f"CREATE TRIGGER {WROTE} AFTER INSERT OR UPDATE OR DELETE ON {table}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {WROTE}()",
        f"CREATE TRIGGER {TRIGGER}_truncate AFTER TRUNCATE ON {table}"
        f" FOR EACH STATEMENT EXECUTE FUNCTION {TRIGGER}_now()",
    ]


_POSTGRESQL_FUNCTIONS = [
    # Once per transaction, at its commit.
    f"""CREATE OR REPLACE FUNCTION {TRIGGER}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('ibasho.version_written', true) IS DISTINCT FROM 'on' THEN
    PERFORM set_config('ibasho.version_written', 'on', true);
    {_upsert("postgresql")};
  END IF;
  RETURN NULL;
END $$""",
    f"""CREATE OR REPLACE FUNCTION {TRIGGER}_now() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('ibasho.wrote', 'on', true);
  {_upsert("postgresql")};
  RETURN NULL;
END $$""",
    f"""CREATE OR REPLACE FUNCTION {WROTE}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('ibasho.wrote', 'on', true);
  RETURN NULL;
END $$""",
]


def _sqlite_sql(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER IF NOT EXISTS {TRIGGER}_{table}_{event.lower()}"
        f" AFTER {event} ON {table} BEGIN {_upsert('sqlite')}; END"
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def installed_tables(conn=connection) -> set[str]:
    """The tables that have the triggers (all of them on PostgreSQL)."""
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE t.tgname IN (%s, %s, %s) GROUP BY c.relname"
                " HAVING count(*) = 3",
                [TRIGGER, WROTE, f"{TRIGGER}_truncate"],
            )
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'"
                " AND name LIKE %s GROUP BY tbl_name HAVING count(*) = 3",
                [f"{TRIGGER}_%"],
            )
        return {row[0] for row in cursor.fetchall()}


def install(conn=connection) -> None:
    """Make the triggers where they are missing (idempotent; nothing before
    the token's table exists, and only on tables that exist: migrations may
    have gone back)."""
    if conn.vendor not in _NEW_TOKEN:
        return
    tables = set(conn.introspection.table_names())
    if TABLE not in tables:
        return
    installed = installed_tables(conn)
    missing = [t for t in VERSIONED_TABLES if t in tables and t not in installed]
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql" and missing:
            for sql in _POSTGRESQL_FUNCTIONS:
                cursor.execute(sql)
        for table in missing:
            if conn.vendor == "postgresql":
                for name in (TRIGGER, WROTE, f"{TRIGGER}_truncate"):
                    cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                for sql in _postgresql_sql(table):
                    cursor.execute(sql)
            else:
                for sql in _sqlite_sql(table):
                    cursor.execute(sql)


@contextmanager
def migrating(conn=connection):
    """While migrations run: no deferred trigger event is queued (see
    ``_postgresql_sql``); afterwards the triggers are made where missing and
    the token is renewed once for whatever the migrations wrote."""
    _set_migrating(conn, True)
    try:
        yield
    finally:
        _migrated(conn)


def _migrated(conn) -> None:
    """After migrations: events queued again, triggers made where missing,
    and one new token for whatever the migrations wrote."""
    _set_migrating(conn, False)
    install(conn)
    renew(conn)


def _set_migrating(conn, on: bool) -> None:
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT set_config(%s, %s, false)", [MIGRATING, "on" if on else ""]
            )


def renew(conn=connection) -> None:
    """A new token now (after migrations, which write without the triggers)."""
    if conn.vendor in _NEW_TOKEN and TABLE in conn.introspection.table_names():
        with conn.cursor() as cursor:
            cursor.execute(_upsert(conn.vendor))


def pre_migrate_signal(sender, using="default", **kwargs) -> None:
    """pre_migrate, once (the accounts app's): migrations queue no events."""
    if sender.name == "accounts":
        _set_migrating(connections[using], True)


def post_migrate_signal(sender, using="default", **kwargs) -> None:
    """post_migrate, once, after the accounts app's (every table exists)."""
    if sender.name == "accounts":
        _migrated(connections[using])


_READ = f"SELECT token FROM {TABLE} WHERE id = 1"  # noqa: S608 (constant)
_READ_POSTGRESQL = f"SELECT ({_READ}), current_setting('ibasho.wrote', true)"


def token(using: str = DEFAULT_DB_ALIAS) -> str | None:
    """The current token of database ``using`` (the one the data is read
    from: a replica has its own, which lags with its data), or None when
    there is none to trust: no token yet, or this transaction has written to
    a versioned table that others do not see yet (PostgreSQL). One query,
    read once a request until the request writes anything (``_watch``)."""
    conn = connections[using]
    memo = getattr(conn, "_ibasho_token_memo", None)
    if memo:
        return memo[0]
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute(_READ_POSTGRESQL)
            value, wrote = cursor.fetchone()
            value = None if wrote == "on" else value
        else:
            cursor.execute(_READ)
            row = cursor.fetchone()
            value = row[0] if row else None
    if memo is not None:
        memo.append(value)
    return value


# While a request runs, each connection remembers the token it read (a
# list, empty until then), and forgets it at any statement but a SELECT (a
# write, a commit, a savepoint): a page with several kept parts reads the
# token once, and still never serves what it has just changed. Outside
# requests (commands, tasks) nothing is remembered.
def _watch(execute, sql, params, many, context):
    memo = getattr(context["connection"], "_ibasho_token_memo", None)
    if memo and sql.lstrip()[:6].upper() != "SELECT":
        memo.clear()
    return execute(sql, params, many, context)


def _memo_on(**kwargs) -> None:
    if not settings.RECORDS_CACHE:
        return
    for conn in connections.all():
        conn._ibasho_token_memo = []
        if _watch not in conn.execute_wrappers:
            conn.execute_wrappers.append(_watch)


def _memo_off(**kwargs) -> None:
    for conn in connections.all():
        conn._ibasho_token_memo = None


def cached(
    key: tuple[Hashable, ...],
    compute: Callable[[], T],
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> T:
    """``compute()``, kept in this process's memory under ``key`` (which
    must name everything else the value depends on: the user, her scope, the
    language, the day) until the data of database ``using`` changes."""
    if not settings.RECORDS_CACHE:
        return compute()
    current = token(using)
    if current is None:
        return compute()
    cache = caches["records"]
    cache_key = hashlib.sha256(repr((current, *key)).encode()).hexdigest()
    value = cache.get(cache_key)
    if value is None:
        read: set[str] = set()
        value = _reading(compute, read)
        # Kept only if it read nothing that the token does not follow.
        unversioned = read - set(VERSIONED_TABLES)
        if unversioned:
            logger.warning(
                "records cache: %s not kept, it reads %s",
                key[0],
                ", ".join(sorted(unversioned)),
            )
        else:
            cache.set(cache_key, value)
    return value


def _reading(compute: Callable[[], T], read: set[str]) -> T:
    """``compute()``, adding to ``read`` the tables its queries read, on
    every database."""

    def record(execute, sql, params, many, context):
        read.update(tables_read(sql))
        return execute(sql, params, many, context)

    with ExitStack() as stack:
        for conn in connections.all():
            stack.enter_context(conn.execute_wrapper(record))
        return compute()


# The tables a query's SQL reads: every name after FROM or JOIN, subqueries'
# and raw SQL included (quoted or not; a name too many only means a query
# that is not kept).
_TABLES_READ = re.compile(r'\b(?:FROM|JOIN)\s+"?(\w+)', re.IGNORECASE)


def tables_read(sql: str) -> set[str]:
    return set(_TABLES_READ.findall(sql))


def cached_count(queryset) -> int:
    """``queryset.count()``, kept like ``cached_list``."""
    return _cached_query(queryset, "count", queryset.count)


def cached_list(queryset) -> list:
    """``list(queryset)``, kept in memory until the data changes when every
    table its SQL reads is versioned (else read each time). Its SQL and
    parameters are the key: they carry the scope and every filter."""
    return _cached_query(queryset, "rows", lambda: list(queryset))


def cached_rows(queryset, make: Callable[[list], T]) -> T:
    """``make(list(queryset))``: a page's rows made ready to print (links,
    labels, HTML), kept like ``cached_list``, per language."""
    kind = ("made", make.__module__, make.__qualname__, translation.get_language())
    return _cached_query(queryset, kind, lambda: make(list(queryset)))


def _cached_query(queryset, kind: Hashable, compute: Callable[[], T]) -> T:
    if not settings.RECORDS_CACHE:
        return compute()
    try:
        sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    except EmptyResultSet:  # .none(), or an empty IN: no query to make
        return compute()
    if not tables_read(sql) <= set(VERSIONED_TABLES):
        return compute()
    key = (kind, queryset.db, sql, tuple(params), scoping.current())
    return cached(key, compute, using=queryset.db)
