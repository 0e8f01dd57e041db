"""System checks of the deployment (``manage.py check --deploy``)."""

from __future__ import annotations

from django.core import checks
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections


@checks.register(checks.Tags.database, deploy=True)
def row_level_security_applies(app_configs=None, databases=None, **kwargs):
    """Warns when the app connects to PostgreSQL as a role that row-level
    security does not apply to (a superuser, or a role with BYPASSRLS): the
    organisations would then be kept apart by the ORM alone (accounts.rls).
    Run by ``check --deploy`` on the default database, or on those given
    with ``--database``."""
    found = []
    for alias in databases if databases is not None else [DEFAULT_DB_ALIAS]:
        conn = connections[alias]
        if conn.vendor != "postgresql":
            continue
        try:
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles"
                    " WHERE rolname = current_user"
                )
                role, superuser, bypass = cursor.fetchone()
        except DatabaseError as exc:
            found.append(
                checks.Warning(
                    f"Could not check the PostgreSQL role of database '{alias}' "
                    f"({type(exc).__name__}).",
                    hint="Run the check where the database can be reached.",
                    id="accounts.W002",
                )
            )
            continue
        if superuser or bypass:
            why = "a superuser" if superuser else "a role with BYPASSRLS"
            found.append(
                checks.Warning(
                    f"Database '{alias}' is used as {role!r}, {why}: row-level "
                    "security does not apply to it, so the organisations are "
                    "kept apart by the application alone.",
                    hint=(
                        "Connect as the app's own role (LOGIN NOSUPERUSER "
                        "NOBYPASSRLS, owner of the tables), e.g. "
                        "postgres://ibasho:pw@host/ibasho in DATABASE_URL."
                    ),
                    id="accounts.W001",
                )
            )
    return found
