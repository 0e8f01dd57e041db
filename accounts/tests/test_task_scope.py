"""Every background task runs in the scope of the organisation it acts for
(issue 18): the ORM is filtered to it and, on PostgreSQL, the connection's
settings are those of that organisation. A task for a record that is not
there does not run."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from pathlib import Path
from unittest import mock

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tasks.base import Task

from accounts import scoping
from accounts.models import Organisation
from consultations.line import messaging, outbound_tasks
from consultations.line.models import LineMessage, LineUser
from consultations.models import Client
from reports import jobs
from reports import tasks as report_tasks
from reports.models import ImportJob
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def project_tasks() -> dict[str, Task]:
    """Every task of the project's apps, from their modules named *tasks."""
    found = {}
    root = Path(settings.BASE_DIR)
    for app in apps.get_app_configs():
        if not Path(app.path).is_relative_to(root):
            continue
        for info in pkgutil.walk_packages([app.path], f"{app.name}."):
            if not info.name.rsplit(".", 1)[-1].endswith("tasks"):
                continue
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if isinstance(value, Task) and value.func.__module__ == info.name:
                    found[value.module_path] = value
    return found


def test_every_task_says_whose_scope_it_runs_in():
    """A new task without run_in_scope (or run_for_every_organisation)
    fails here."""
    found = project_tasks()
    assert len(found) >= 8  # imports (3) and LINE (5): the search works
    unscoped = [
        path
        for path, task in found.items()
        if not hasattr(task.func, "ibasho_task_scope")
    ]
    assert unscoped == []
    assert [
        path
        for path, task in found.items()
        if task.func.ibasho_task_scope == "every organisation"
    ] == ["reports.tasks.purge_import_uploads"]


@pytest.fixture
def two_organisations():
    a = Organisation.objects.create(name="A")
    b = Organisation.objects.create(name="B")
    return a, b


def settings_now() -> str | None:
    """ibasho.org_ids on PostgreSQL; None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('ibasho.org_ids', true)")
        return cursor.fetchone()[0]


def test_a_task_runs_in_the_scope_of_its_records_organisation(
    two_organisations,
):
    a, b = two_organisations
    with scoping.organisations([b.pk]):
        person = Client.objects.create(code="T-B", display_name="B")
    seen = []

    @scoping.run_in_scope(Client, "client_id")
    def work(note, client_id):
        seen.append(
            (
                scoping.current(),
                settings_now(),
                list(Client.objects.values_list("pk", flat=True)),
            )
        )
        return "done"

    # Enqueued by a user of A, or run by the worker with no scope: B's.
    for around in (scoping.Scope(org_ids=frozenset({a.pk})), None):
        with scoping.activate(around):
            assert work("x", client_id=person.pk) == "done"
            assert scoping.current() == around
    in_b = scoping.Scope(org_ids=frozenset({b.pk}))
    on_pg = str(b.pk) if connection.vendor == "postgresql" else None
    assert seen == [(in_b, on_pg, [person.pk])] * 2


def test_a_task_for_a_record_that_is_not_there_does_not_run(caplog):
    ran = []

    @scoping.run_in_scope(Client, "client_id")
    def work(client_id):
        ran.append(client_id)
        return "done"

    with caplog.at_level(logging.WARNING, logger="accounts.scoping"):
        assert work(424242) is None
        assert work(None) is None
    assert ran == []
    assert "not run: no Client #424242" in caplog.text


def test_the_line_and_import_tasks_run_in_their_records_scope(two_organisations):
    a, b = two_organisations
    user = UserFactory(organisations=[b])
    with scoping.organisations([b.pk]):
        line_user = LineUser.objects.create(line_user_id="U-task-b")
        message = LineMessage.objects.create(
            line_user=line_user,
            direction="in",
            kind="text",
            sent_at=timezone.now(),
            webhook_event_id="ev-task-b",
            mark_as_read_token="token",
        )
        job = ImportJob.objects.create(
            kind="consultations", user=user, token="tasktoken", file_format="csv"
        )
    in_b = scoping.Scope(org_ids=frozenset({b.pk}))
    seen = []

    def record(*args, **kwargs):
        seen.append(scoping.current())

    with (
        mock.patch.object(messaging, "mark_as_read", record),
        mock.patch.object(jobs, "import_job_check", record),
        scoping.organisations([a.pk]),
    ):
        assert outbound_tasks.send_read_receipt.call(message.pk) is True
        report_tasks.check_import.call(job.pk, "en")
        # Not there: not run at all.
        assert outbound_tasks.send_read_receipt.call(message.pk + 1000) is None
    assert seen == [in_b, in_b]


def test_the_purge_of_old_uploads_runs_for_every_organisation():
    seen = []
    with (
        mock.patch.object(
            jobs, "import_uploads_purge", lambda: seen.append(scoping.current()) or 0
        ),
        scoping.activate(scoping.NOTHING),
    ):
        report_tasks.purge_import_uploads.call()
    assert seen == [None]
