"""The systemd units of deploy/systemd/ (issue 23): what this machine can
check of them without systemd (it has none): they parse, name the project's
own programs, module and command with options those accept, and read the
environment from one file; ``systemd-analyze verify`` runs where it exists.
The worker's ExecStart, run twice at once (two machines' workers), runs each
task once (django-tasks claims a task with SELECT ... FOR UPDATE SKIP LOCKED).
The web unit's ExecStart is what tests/deploy/test_scaleout.py runs."""

from __future__ import annotations

import importlib
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import get_commands, load_command_class
from django.db import connection

from tests.deploy import scaleout

UNITS = ("ibasho-web.service", "ibasho-worker.service")


@pytest.mark.parametrize("name", UNITS)
def test_the_unit_runs_the_projects_own_programs_from_one_environment_file(name):
    unit = scaleout.unit(name)
    service = unit["Service"]
    assert service["WorkingDirectory"] == scaleout.INSTALLED_ROOT
    assert service["EnvironmentFile"] == "/etc/ibasho/env"
    assert service["User"] == service["Group"] == "ibasho"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
    settings_module = scaleout.unit_environment(name)["DJANGO_SETTINGS_MODULE"]
    assert settings_module == "config.settings.production"
    assert (scaleout.ROOT / (settings_module.replace(".", "/") + ".py")).exists()
    command = scaleout.exec_start(name)
    program = Path(command[0])
    assert program.is_relative_to(scaleout.ROOT / ".venv" / "bin")
    assert program.exists(), program
    if name == "ibasho-web.service":
        assert command[1] == "config.wsgi"
        importlib.import_module("config.wsgi")
        options = dict(zip(command[2::2], command[3::2], strict=True))
        assert set(options) == {
            "--bind",
            "--workers",
            "--timeout",
            "--forwarded-allow-ips",
        }
        # Above the database's time limits (config/settings/production.py).
        assert int(options["--timeout"]) == 30
        # gunicorn accepts every option as written.
        from gunicorn.config import Config

        parsed = Config().parser().parse_args(command[1:])
        assert parsed.bind == [options["--bind"]]
    else:
        assert command[1:3] == ["manage.py", "db_worker"]
        assert (scaleout.ROOT / "manage.py").exists()
        app = get_commands()["db_worker"]
        parser = load_command_class(app, "db_worker").create_parser(
            "manage.py", "db_worker"
        )
        parsed = parser.parse_args(command[3:])
        assert parsed.reload is False


@pytest.mark.skipif(
    not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed"
)
def test_systemd_analyze_verifies_the_units():
    done = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            *(scaleout.DEPLOY / "systemd" / n for n in UNITS),
        ],
        capture_output=True,
        text=True,
    )
    # It cannot find /srv/ibasho here; anything else is a mistake in the unit.
    problems = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and "/srv/ibasho" not in line
    ]
    assert not problems


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="workers on several machines share a PostgreSQL database",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_run_each_task_once():
    """Two workers started with the unit's ExecStart (--batch: they stop when
    nothing is left) on 20 tasks: each task is claimed by one worker, once."""
    from django_tasks_db.models import DBTaskResult

    from reports.tasks import purge_import_uploads

    results = [purge_import_uploads.enqueue() for _ in range(20)]
    s = connection.settings_dict
    env = scaleout.app_environment(
        f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}"
        f":{s['PORT'] or 5432}/{s['NAME']}",
        None,
    )
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    command = [*scaleout.exec_start("ibasho-worker.service"), "--batch"]
    workers = [
        subprocess.Popen(
            [*command, "--worker-id", f"machine-{n}"],
            cwd=scaleout.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for n in (1, 2)
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err[-2000:]
    rows = DBTaskResult.objects.filter(id__in=[r.id for r in results])
    assert rows.count() == 20
    for row in rows:
        assert row.status == "SUCCESSFUL"
        assert len(row.worker_ids) == 1, row.worker_ids
