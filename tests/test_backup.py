"""The documented backup and restore (bin/backup, bin/restore) against the
real PostgreSQL server: dump, drop, restore, and every table's row count
matches."""

import os
import subprocess
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="backups are for the PostgreSQL production database",
    ),
]


def _url(name):
    s = connection.settings_dict
    host, port = s["HOST"] or "127.0.0.1", s["PORT"] or "5432"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{host}:{port}/{name}"


def _psql(sql):
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", _url("postgres"), "-c", sql],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _counts(url):
    tables = sorted(m._meta.db_table for m in apps.get_models())
    sql = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)
    out = subprocess.run(
        ["psql", "-At", "-F", "\t", url, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return dict(line.split("\t") for line in out.strip().splitlines())


def _run(script, url, *args):
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [str(ROOT / "bin" / script), *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_dump_drop_restore_keeps_every_row(tmp_path):
    from importlib import import_module

    from django.apps import apps
    from django.core.management import call_command

    # The complaints and agencies the migrations seed, which the flush after
    # an earlier transactional test removed (the demo's consultations name them).
    import_module("consultations.migrations.0003_seed_topics_and_agencies").seed(
        apps, None
    )
    import_module("consultations.migrations.0022_complaints").seed(apps, None)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    source = connection.settings_dict["NAME"]
    scratch = f"{source}_backup_check"
    dump, copy = tmp_path / "ibasho.dump", tmp_path / "copy.dump"
    _psql(f'DROP DATABASE IF EXISTS "{scratch}"')
    try:
        # A copy of the test database to run the procedure on.
        _run("backup", _url(source), str(copy))
        _psql(f'CREATE DATABASE "{scratch}"')
        _run("restore", _url(scratch), str(copy))
        before = _counts(_url(scratch))
        assert int(before["consultations_consultation"]) > 200
        assert int(before["accounts_auditentry"]) > 0
        # The procedure: dump, drop, (re)create, restore.
        _run("backup", _url(scratch), str(dump))
        assert dump.stat().st_mode & 0o077 == 0  # owner-only file
        _psql(f'DROP DATABASE "{scratch}"')
        _psql(f'CREATE DATABASE "{scratch}"')
        _run("restore", _url(scratch), str(dump))
        assert _counts(_url(scratch)) == before
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{scratch}"')


def test_the_apps_role_backs_up_and_restores_every_organisation(tmp_path):
    """Row-level security applies to the app's role: its dump still holds
    the rows of every organisation, and it restores them into a database of
    its own."""
    from accounts import scoping
    from accounts.models import Organisation
    from consultations.models import Client
    from tests.app_role import ensure_app_role, grant_app_role

    for name in "AB":
        org = Organisation.objects.create(name=name)
        with scoping.organisations([org.pk]):
            Client.objects.create(code=f"BK-{name}", display_name=name)
    role = ensure_app_role()
    with connection.cursor() as cursor:
        grant_app_role(cursor)
    s = connection.settings_dict
    source = s["NAME"]
    scratch = f"{source}_backup_role"
    dump = tmp_path / "ibasho.dump"

    def as_app(name):
        return (
            f"postgres://{role}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"
        )

    _psql(f'DROP DATABASE IF EXISTS "{scratch}"')
    try:
        _run("backup", as_app(source), str(dump))
        _psql(f'CREATE DATABASE "{scratch}" OWNER {role}')
        _run("restore", as_app(scratch), str(dump))
        restored = _counts(_url(scratch))
        assert restored == _counts(_url(source))
        assert int(restored["consultations_client"]) == 2
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{scratch}"')
