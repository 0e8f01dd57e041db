"""The app's database role in the PostgreSQL tests: LOGIN NOSUPERUSER
NOBYPASSRLS, like the role a deployment connects as (README, Production), so
that row-level security applies to it. The test suite itself connects as a
superuser, which row-level security does not apply to."""

from __future__ import annotations

import psycopg
from django.db import connection

APP_ROLE = "ibasho_app"


def ensure_app_role() -> str:
    """Creates the role if it is missing (committed at once: the cluster's
    roles are shared by every database and test run; several runs may race to
    create it)."""
    s = connection.settings_dict
    with psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        autocommit=True,
    ) as conn:
        if conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE]
        ).fetchone():
            return APP_ROLE
        conn.execute(
            "DO $$ BEGIN"
            f" CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS;"
            " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;"
            " END $$"
        )
    return APP_ROLE


def grant_app_role(cursor) -> None:
    """What the app's role may do on the test database (in the caller's
    transaction, or committed when it has none)."""
    cursor.execute(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public"
        f" TO {APP_ROLE}; GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public"
        f" TO {APP_ROLE}"
    )


def app_connection(**kwargs) -> psycopg.Connection:
    """A connection of its own to the test database, as the app's role
    (trust authentication on 127.0.0.1, as in CI)."""
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=APP_ROLE,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        **kwargs,
    )
