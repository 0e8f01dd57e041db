"""Reads on a PostgreSQL streaming replica (issue 23).

With ``DATABASE_REPLICA_URL`` set, the database alias ``replica`` exists and
``ReplicaRouter`` sends the reads of some work there: the GET and HEAD
requests of the views named in ``REPLICA_VIEWS`` (reports, exports, the heavy
lists; ``ReplicaReadsMiddleware``) and the blocks marked ``replica_reads()``
(``manage.py annual_report --replica``). Everything else reads and writes on
the primary (``default``), as without the setting:

- writes, ``select_for_update`` and ``get_or_create`` (Django routes them as
  writes), and the audit trail written during a replica-read page;
- the sessions, users, two-factor devices, login attempts, organisations and
  tasks (``PRIMARY_ONLY_APPS``): who is signed in is never read from a copy;
- a user's reads for ``REPLICA_PIN_SECONDS`` after she sent a change (a
  signed cookie, so that it holds on whichever app server serves her next):
  she always sees her own change;
- every read while the replica is down, or lags by more than
  ``REPLICA_MAX_LAG_SECONDS`` (checked at most every ``REPLICA_CHECK_SECONDS``
  per process, on the driver's connection: no query of the page). A replica
  that fails during a page makes the page run again on the primary once.

Row-level security: accounts.scoping writes the scope into every open
connection, the replica's included (``_write_settings``).
"""

from __future__ import annotations

import contextvars
import logging
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "ibasho_primary"
PIN_SALT = "accounts.replica.pin"
SAFE_METHODS = ("GET", "HEAD")
# Read on the primary even during a replica-read page.
PRIMARY_ONLY_APPS = frozenset(
    {
        "accounts",
        "admin",
        "auth",
        "axes",
        "contenttypes",
        "django_tasks_db",
        "otp_static",
        "otp_totp",
        "sessions",
    }
)

_reads: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "ibasho_replica_reads", default=False
)


def configured() -> bool:
    return REPLICA in connections.settings


# -- the replica's health -------------------------------------------------------


@dataclass
class Health:
    ok: bool
    reason: str  # why not: for /healthz and the log (no personal data)
    checked: float  # time.monotonic()


_health: Health | None = None

# Lag: zero when the replica has replayed all it received (an idle primary
# sends nothing new, so the last replayed commit grows old without any lag),
# else the age of the last replayed commit.
LAG_SQL = (
    "SELECT CASE"
    " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
    " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()),"
    " 0) END"
)


def check(*, fresh: bool = False) -> Health:
    """The replica's health, checked again when the last check is older than
    REPLICA_CHECK_SECONDS (or ``fresh``)."""
    global _health
    now = time.monotonic()
    if (
        not fresh
        and _health is not None
        and now - _health.checked < settings.REPLICA_CHECK_SECONDS
    ):
        return _health
    conn = connections[REPLICA]
    try:
        conn.ensure_connection()
        if conn.vendor == "postgresql":
            # On the driver's connection: not one of the page's queries.
            lag = float(conn.connection.execute(LAG_SQL).fetchone()[0] or 0)
        else:  # SQLite in the unit tests: a copy that never lags
            lag = 0.0
    except Exception as exc:  # noqa: BLE001 (any failure means: not usable)
        health = Health(False, f"replica unavailable ({type(exc).__name__})", now)
        with suppress(DatabaseError):
            conn.close()
    else:
        # (Not in recovery: a primary, or a promoted replica; its lag is 0.)
        if lag > settings.REPLICA_MAX_LAG_SECONDS:
            health = Health(False, f"replica lags {lag:.0f} s", now)
        else:
            health = Health(True, "", now)
    if _health is None or health.ok != _health.ok:
        log = logger.info if health.ok else logger.warning
        log("replica reads %s", "on" if health.ok else f"off: {health.reason}")
    _health = health
    return health


def mark_down(reason: str) -> None:
    global _health
    _health = Health(False, reason, time.monotonic())
    logger.warning("replica reads off: %s", reason)


# -- the router -------------------------------------------------------------------


class ReplicaRouter:
    """Reads to ``replica`` only where allowed now and while it is healthy;
    writes and migrations to ``default``. Without a replica: no opinion."""

    def db_for_read(self, model, **hints):
        if not configured():
            return None
        if (
            _reads.get()
            and model._meta.app_label not in PRIMARY_ONLY_APPS
            and check().ok
        ):
            return REPLICA
        # Explicitly the primary: Django would otherwise follow an instance
        # read from the replica back to it.
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS if configured() else None

    def allow_relation(self, obj1, obj2, **hints):
        # One database: rows read from the replica are the primary's rows.
        if configured():
            return {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}
        return None

    def allow_migrate(self, db, app_label, **hints):
        return db != REPLICA


@contextmanager
def replica_reads():
    """The block's reads may go to the replica (when one is configured and
    healthy). For work that only reads: a report, an export."""
    token = _reads.set(True)
    try:
        yield
    finally:
        _reads.reset(token)


def reading_from_replica() -> bool:
    return _reads.get()


# -- requests ---------------------------------------------------------------------


def pinned(request) -> bool:
    """Whether this user sent a change less than REPLICA_PIN_SECONDS ago."""
    return (
        request.get_signed_cookie(
            PIN_COOKIE,
            default=None,
            salt=PIN_SALT,
            max_age=settings.REPLICA_PIN_SECONDS,
        )
        is not None
    )


class ReplicaReadsMiddleware:
    """Lets the GET and HEAD requests of the views in REPLICA_VIEWS read from
    the replica, unless the user is pinned to the primary; pins her for
    REPLICA_PIN_SECONDS after any other request (a change, a sign-in). Does
    nothing without a replica. Last in MIDDLEWARE, so that its
    process_exception sees a replica failure first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not configured():
            return self.get_response(request)
        token = _reads.set(False)
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
        if request.method not in SAFE_METHODS and request.method != "OPTIONS":
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=PIN_SALT,
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            configured()
            and request.method in SAFE_METHODS
            and request.resolver_match.view_name in settings.REPLICA_VIEWS
            and not pinned(request)
        ):
            _reads.set(True)
            request._ibasho_replica_view = (view_func, view_args, view_kwargs)
        return None

    def process_exception(self, request, exception):
        """A replica that failed during the page (stopped, restarted): the
        page runs again, once, on the primary."""
        again = getattr(request, "_ibasho_replica_view", None)
        if again is None or not isinstance(exception, DatabaseError):
            return None
        conn = connections[REPLICA]
        if conn.connection is not None and conn.is_usable():
            return None  # the replica answers: not its failure
        conn.close()
        mark_down(f"replica failed during a page ({type(exception).__name__})")
        request._ibasho_replica_view = None
        _reads.set(False)
        view_func, view_args, view_kwargs = again
        # Within the request's transaction again (ATOMIC_REQUESTS).
        view = BaseHandler.make_view_atomic(None, view_func)
        try:
            return view(request, *view_args, **view_kwargs)
        except DatabaseError:
            return None  # the primary fails too: DatabaseTroubleMiddleware's page
