"""Background tasks of imports (django-tasks, run by `manage.py db_worker`).

An unexpected error is logged by its class name only (a message could quote
the file) and the job is marked failed; the task itself then ends normally,
so that no traceback with data is stored with the task's result either.
"""

from __future__ import annotations

import logging

from django.utils import translation
from django_tasks import task

from accounts import scoping
from accounts.audit import audit_context
from accounts.timeouts import statement_budget

from . import jobs
from .models import ImportJob

logger = logging.getLogger(__name__)


def _run(job_id: int, language: str, step) -> None:
    job = ImportJob.objects.filter(pk=job_id).select_related("user").first()
    if job is None:
        return
    try:
        # An import's statements get the long budget of the commands
        # (DB_LONG_STATEMENT_TIMEOUT_MS), not a web request's.
        with (
            translation.override(language),
            audit_context(path="task import"),
            statement_budget(),
        ):
            step(job)
    except Exception as exc:
        logger.error("import job %s stopped: %s", job_id, type(exc).__name__)
        jobs.import_job_fail(job)


@task()
@scoping.run_in_scope(ImportJob, "job_id")
def check_import(job_id: int, language: str) -> None:
    """Check every row of a large upload (a dry run)."""
    _run(job_id, language, jobs.import_job_check)


@task()
@scoping.run_in_scope(ImportJob, "job_id")
def write_import(job_id: int, language: str) -> None:
    """Import a large upload the user confirmed, whole or not at all."""
    _run(job_id, language, jobs.import_job_write)


@task()
@scoping.run_for_every_organisation
def purge_import_uploads() -> int:
    """Delete uploads older than IMPORT_STASH_HOURS. Each upload schedules
    this task for when it expires, so it runs as often as uploads come."""
    return jobs.import_uploads_purge()
