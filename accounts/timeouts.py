"""Time limits on database statements (PostgreSQL).

Every connection of the app starts with the web requests' short limits
(``DB_STATEMENT_TIMEOUT_MS``, ``DB_LOCK_TIMEOUT_MS``, set in
config/settings/base.py), below gunicorn's worker timeout. A management command
or task that legitimately runs long statements (a report over years of data, a
large import, seeding) widens the statement limit for its own work with
``statement_budget``; the lock limit stays, so it never queues long behind a lock.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections


def _set_statement_timeout(ms: int | str, *, local: bool, connection) -> str:
    """Set the limit; return the one it replaces."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('statement_timeout'), "
            "set_config('statement_timeout', %s, %s)",
            [str(ms), local],
        )
        return cursor.fetchone()[0]


@contextmanager
def statement_budget(ms: int | None = None, *, using: str = DEFAULT_DB_ALIAS):
    """Statements in the block may run for ``ms`` milliseconds each (default
    ``DB_LONG_STATEMENT_TIMEOUT_MS``; 0 means no limit).

    Inside a transaction the limit ends with that transaction (``SET LOCAL``).
    Outside one it is set on the connection and put back when the block ends;
    if it cannot be put back the connection is closed, so that no later request
    inherits the long limit. ``using``: the connection (the read replica's
    for a report read there)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    ms = settings.DB_LONG_STATEMENT_TIMEOUT_MS if ms is None else ms
    if connection.in_atomic_block:
        _set_statement_timeout(ms, local=True, connection=connection)
        yield
        return
    before = _set_statement_timeout(ms, local=False, connection=connection)
    try:
        yield
    finally:
        try:
            _set_statement_timeout(before, local=False, connection=connection)
        except DatabaseError:
            connection.close()
