"""Upgrade test (issue 18): a database of the code before organisations and
programmes, migrated by today's code, keeps every figure of its reports.

The data, in tests/data/upgrade/ (rebuilt by ``tests/data/upgrade/make.sh``):

- ``demo-775f2f9.sqlite3.xz``: the database that ``manage.py migrate`` and
  ``manage.py seed_demo`` made at commit 775f2f9 (the last commit before issue
  18), with ``config.settings.local`` and
  ``DATABASE_URL=sqlite:///…/demo.sqlite3``, compacted (``VACUUM INTO``) and
  compressed with ``xz -9e``.
- ``programme-<id>.json`` and ``programme-<id>-publication.json``: what the old
  ``manage.py annual_report --fiscal-year <year> --programme <id> --format
  json [--publication]`` printed for that database, for every programme of
  every fiscal year in it (the demo has one: programme 1, fiscal year 2021).

No figure depends on the day: the report's selectors read no clock, and the
demo's only records dated relative to the day it was made (the recent
casework of consultations.demo.seed_casework) lie years after the demo's
fiscal year. The committed file fixes them anyway.

The test copies the database into a temporary directory, runs today's
``manage.py migrate`` on it in a subprocess (the tests' settings module,
``DATABASE_URL`` pointing at the copy: SQLite in both CI legs), then today's
``annual_report`` for each recorded report, and compares every figure.
"""

from __future__ import annotations

import json
import lzma
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from accounts.models import Organisation

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "upgrade"
OLD_DATABASE = DATA / "demo-775f2f9.sqlite3.xz"
RECORDED = sorted(DATA.glob("programme-*.json"))
# What describes the programme rather than counts: its header may change in
# form (the funder replaces the municipality); its identity and money may not.
PROGRAMME_FIGURES = ("id", "name", "project_cost_thousand_yen", "grant_thousand_yen")


def manage(db: Path, *args: str) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
        "DATABASE_URL": f"sqlite:///{db}",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def row_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name != 'django_migrations'"
            )
        ]
        return {
            t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables
        }


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory) -> tuple[Path, dict[str, int], dict[str, int]]:
    """The old demo database after today's migrations, and its row counts
    before and after them."""
    db = tmp_path_factory.mktemp("upgrade") / "demo.sqlite3"
    with lzma.open(OLD_DATABASE) as src, db.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    before = row_counts(db)
    manage(db, "migrate", "--noinput", "-v", "0")
    return db, before, row_counts(db)


def flat(value, path="") -> dict[str, object]:
    """Every leaf of a report, by its path (``sns.chats.total``)."""
    if isinstance(value, dict):
        return {
            k: v
            for key, item in value.items()
            for k, v in flat(item, f"{path}.{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v
            for i, item in enumerate(value)
            for k, v in flat(item, f"{path}[{i}]").items()
        }
    return {path: value}


def figures(report: dict) -> dict[str, object]:
    report = dict(report)
    report["programme"] = {k: report["programme"][k] for k in PROGRAMME_FIGURES}
    return flat(report)


def test_the_recorded_data_is_there():
    assert OLD_DATABASE.exists()
    assert {p.name for p in RECORDED} >= {
        "programme-1.json",
        "programme-1-publication.json",
    }


@pytest.mark.parametrize("recorded", RECORDED, ids=lambda p: p.stem)
def test_every_figure_of_every_report_is_unchanged(upgraded, recorded):
    db, _before, _after = upgraded
    old = json.loads(recorded.read_text(encoding="utf-8"))
    args = [
        "annual_report",
        "--fiscal-year",
        str(old["fiscal_year"]),
        "--programme",
        str(old["programme"]["id"]),
        "--format",
        "json",
    ]
    if old["publication"]:
        args.append("--publication")
    new = json.loads(manage(db, *args))
    old_figures, new_figures = figures(old), figures(new)
    # The report is not empty: a year of the demo's activity.
    assert old_figures[".consultations_total.count"] > 300
    # The statutory tables are new (consultations 0022 made 主訴 of the
    # topics); every figure the report had is the same.
    statutory = {k: v for k, v in new_figures.items() if k.startswith(".statutory")}
    assert {k: v for k, v in new_figures.items() if k not in statutory} == (old_figures)
    if not old["publication"]:
        # Every consultation of the year has one main complaint.
        complaints = new["statutory"]["main_complaints"]
        assert (
            sum(c["consultations"] for c in complaints)
            == (old["consultations_total"]["count"])
        )


def test_one_organisation_holds_every_user_and_record(upgraded):
    db, before, _after = upgraded
    with sqlite3.connect(db) as conn:
        organisations = conn.execute("SELECT id FROM accounts_organisation").fetchall()
        assert len(organisations) == 1
        ((org_id,),) = organisations
        users = conn.execute("SELECT count(*) FROM accounts_user").fetchone()[0]
        members = conn.execute(
            "SELECT count(DISTINCT user_id) FROM accounts_user_organisations "
            "WHERE organisation_id = ?",
            (org_id,),
        ).fetchone()[0]
        assert users == members == before["accounts_user"] > 0
        # Every model with an organisation column, found from today's models:
        # a new scoped model is checked without being named here.
        tables = {
            model._meta.db_table
            for model in apps.get_models()
            for field in model._meta.concrete_fields
            if field.name == "organisation" and field.related_model is Organisation
        }
        assert {"consultations_client", "shelter_stay", "reports_programme"} <= tables
        attributed = 0
        for table in sorted(tables):
            if table not in before:
                continue  # a table that did not exist before the upgrade
            rows = conn.execute(
                f'SELECT organisation_id, count(*) FROM "{table}" GROUP BY 1'
            ).fetchall()
            assert rows in ([], [(org_id, before[table])]), table
            attributed += before[table]
        assert attributed > 1000
        # reports 0003: the programme's municipality became its funder.
        assert conn.execute(
            "SELECT f.name FROM reports_programme p JOIN accounts_funder f "
            "ON f.id = p.funder_id"
        ).fetchall() == [("長野県いばしょ市",)]


def test_the_upgrade_loses_no_record(upgraded):
    _db, before, after = upgraded
    # The migrations add tables and rows of their own (organisations,
    # funders, memberships, the new models' permissions); every other table
    # that was there keeps its rows.
    kept = set(before) - {
        "django_content_type",
        "auth_permission",
        "auth_group_permissions",
        # consultations 0022: the topics became main complaints and other
        # problems (tests of the mapping: test_complaints_upgrade.py).
        "consultations_topic",
        "consultations_consultation_topics",
    }
    assert {t: after[t] for t in kept} == {t: before[t] for t in kept}
    links = before["consultations_consultation_topics"]
    assert 0 < after["consultations_consultation_other_problems"] < links
