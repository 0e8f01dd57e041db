"""Browser imports as jobs (services). The uploaded file waits in the private
storage "imports" (config.storages: the folder IMPORT_UPLOAD_DIR, or an S3
bucket that the task worker on another server reads too), named by the job's
token, until it is imported, cancelled,
replaced by the same user's next upload, deleted after IMPORT_STASH_HOURS
(purge) or deleted because a client is anonymised. Beside it:
``<token>.errors.json`` (the first row errors, whose messages may quote cells)
and ``<token>.progress`` (rows done while the worker runs: the rows are checked
inside one transaction, so the job row cannot show them until it ends).

A file of at most IMPORT_SYNC_MAX_ROWS rows is checked and written in the
request; a larger one by the task worker (reports/tasks.py). Either way the
write is one transaction: the whole file or nothing.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation

from accounts import scoping
from config.storages import NamedStorage

from .imports import (
    ImportFileError,
    ImportOutcome,
    read_dataset,
    read_page,
    run_import,
    scan_file,
)
from .models import IMPORT_FINISHED, ImportJob

logger = logging.getLogger(__name__)
Status = ImportJob.Status
ERRORS_KEPT = 100  # row errors shown (and kept beside the file); the rest counted


storage = NamedStorage("imports")
# What lies beside an upload (<token>.<csv|xlsx>), named by its token.
ERRORS_SUFFIX = ".errors.json"
PROGRESS_SUFFIX = ".progress"


def upload_names() -> list[str]:
    """The names of every file that waits in the storage."""
    try:
        return storage.listdir("")[1]
    except FileNotFoundError:  # the folder is made by the first upload
        return []


def _write(name: str, content: bytes) -> None:
    storage.save(name, ContentFile(content))  # replaces it (overwrite=True)


def _read(name: str) -> bytes:
    with storage.open(name, "rb") as file:
        return file.read()


def _delete_files(token: str) -> None:
    for ending in (".csv", ".xlsx", ERRORS_SUFFIX, PROGRESS_SUFFIX):
        storage.delete(f"{token}{ending}")


def job_content(job: ImportJob) -> bytes | None:
    try:
        return _read(job.filename)
    except FileNotFoundError:
        return None


def job_errors(job: ImportJob) -> list[tuple[int, str]]:
    try:
        content = _read(f"{job.token}{ERRORS_SUFFIX}")
    except FileNotFoundError:
        return []
    return [tuple(e) for e in json.loads(content.decode("utf-8"))]


def job_progress(job: ImportJob) -> tuple[int, int]:
    """(rows done, rows in all) as the worker last wrote them."""
    try:
        done, total = _read(f"{job.token}{PROGRESS_SUFFIX}").decode().split()
        return int(done), int(total)
    except (FileNotFoundError, ValueError):  # none yet, or being rewritten
        return job.rows_done, job.rows_total


def _set_progress(job: ImportJob, done: int, total: int) -> None:
    _write(f"{job.token}{PROGRESS_SUFFIX}", f"{done} {total}".encode())


def job_preview(job: ImportJob, *, start: int, count: int):
    """(headers, rows) of the waiting file, or None once it is deleted."""
    content = job_content(job)
    if content is None:
        return None
    return read_page(job.filename, content, start=start, count=count)


def _move(job: ImportJob, from_statuses, to_status: str, **fields) -> bool:
    """Change the status only if it still is one of ``from_statuses`` (a
    purge or an anonymisation may have expired the job meanwhile)."""
    if to_status in IMPORT_FINISHED:
        fields.setdefault("finished_at", timezone.now())
    moved = ImportJob.objects.filter(pk=job.pk, status__in=from_statuses).update(
        status=to_status, **fields
    )
    job.refresh_from_db()
    return bool(moved)


def import_job_create(*, by, kind: str, filename: str, content: bytes) -> ImportJob:
    """Keep the file on the server (it may hold personal data: it never goes
    back to the browser) and schedule its deletion. The user's earlier uploads
    that still wait are deleted: one at a time, as before."""
    for old in ImportJob.objects.filter(
        user=by, status__in=(Status.CHECKED, Status.REFUSED)
    ):
        import_job_discard(old)
    job = ImportJob(
        kind=kind,
        user=by,
        token=uuid.uuid4().hex,
        file_format="xlsx" if filename.lower().endswith(".xlsx") else "csv",
    )
    _write(job.filename, content)  # owner only on disk, private in a bucket
    job.save()
    from .tasks import purge_import_uploads

    purge_import_uploads.using(
        run_after=timezone.now()
        + timedelta(hours=settings.IMPORT_STASH_HOURS, minutes=1)
    ).enqueue()
    return job


def import_job_enqueue(job: ImportJob) -> None:
    """Hand the job to the worker: its check if it waits for one, else its
    write (after the user confirmed)."""
    from .tasks import check_import, write_import

    task = write_import if job.status == Status.WRITING else check_import
    task.enqueue(job.pk, translation.get_language() or settings.LANGUAGE_CODE)


def _keep_errors(job: ImportJob, outcome: ImportOutcome) -> dict:
    kept = outcome.errors[:ERRORS_KEPT]
    _write(
        f"{job.token}{ERRORS_SUFFIX}",
        json.dumps([[e.row, e.message] for e in kept], ensure_ascii=False).encode(),
    )
    return {"error_count": len(outcome.errors), "error_rows": [e.row for e in kept]}


def _refuse_file(job: ImportJob, from_statuses, error: ImportFileError) -> None:
    _delete_files(job.token)
    _move(job, from_statuses, Status.REFUSED, message=str(error)[:300])


def import_job_check(job: ImportJob) -> None:
    """Check every row of the waiting file and write nothing: CHECKED (it may
    be confirmed), or REFUSED with the errors (the file stays for the preview
    until it is discarded or purged)."""
    content = job_content(job)
    if content is None:
        _move(job, ImportJob.RUNNING, Status.EXPIRED)
        return
    if not _move(job, (Status.QUEUED,), Status.CHECKING):
        return
    try:
        scan = scan_file(
            job.filename, content, progress=lambda n: _set_progress(job, n, 0)
        )
        job.rows_total = scan.rows
        job.save(update_fields=["rows_total"])
        dataset = read_dataset(job.filename, content, scan=scan)
        del content
        outcome = run_import(
            job.kind,
            dataset,
            by=job.user,
            organisation_id=job.organisation_id,
            dry_run=True,
            progress=lambda n: _set_progress(job, n, scan.rows),
        )
    except ImportFileError as error:
        _refuse_file(job, (Status.CHECKING,), error)
        return
    fields = _keep_errors(job, outcome)
    storage.delete(f"{job.token}{PROGRESS_SUFFIX}")
    status = Status.CHECKED if outcome.ok else Status.REFUSED
    if not _move(
        job, (Status.CHECKING,), status, rows_done=outcome.total_rows, **fields
    ):
        _delete_files(job.token)  # expired while it was checked


def import_job_confirm(job: ImportJob) -> bool:
    return _move(job, (Status.CHECKED,), Status.WRITING)


def import_job_write(job: ImportJob) -> ImportOutcome | None:
    """Import the confirmed file in one transaction: DONE with every row, or
    REFUSED with none (the data changed since the check). Whatever happens,
    the file is deleted."""
    try:
        content = job_content(job)
        if content is None:
            _move(job, (Status.WRITING,), Status.EXPIRED)
            return None
        try:
            dataset = read_dataset(job.filename, content)
        except ImportFileError as error:
            _refuse_file(job, (Status.WRITING,), error)
            return None
        del content
        with transaction.atomic(), scoping.organisations([job.organisation_id]):
            outcome = run_import(
                job.kind,
                dataset,
                by=job.user,
                organisation_id=job.organisation_id,
                dry_run=False,
                progress=lambda n: _set_progress(job, n, len(dataset)),
            )
            # The job row is locked until the rows are committed: a purge or
            # an anonymisation that expired the job meanwhile wins.
            current = ImportJob.objects.select_for_update().get(pk=job.pk)
            if current.status != Status.WRITING:
                transaction.set_rollback(True)
                job.refresh_from_db()
                return None
            if outcome.ok:
                _move(
                    job,
                    (Status.WRITING,),
                    Status.DONE,
                    rows_done=outcome.total_rows,
                    rows_written=outcome.written,
                )
        if not outcome.ok:
            fields = _keep_errors(job, outcome)
            _move(job, (Status.WRITING,), Status.REFUSED, **fields)
        return outcome
    finally:
        if job.status != Status.REFUSED:
            _delete_files(job.token)
        else:
            storage.delete(job.filename)
            storage.delete(f"{job.token}{PROGRESS_SUFFIX}")


def import_job_discard(job: ImportJob) -> None:
    """Cancel a checked file, or delete a refused one and its errors."""
    _delete_files(job.token)
    _move(job, (Status.CHECKED,), Status.CANCELLED)


def import_job_fail(job: ImportJob) -> None:
    _delete_files(job.token)
    _move(job, ImportJob.RUNNING, Status.FAILED)


def _delete_names(tokens: set[str]) -> None:
    """Delete every file named by one of ``tokens`` (whatever lies beside an
    upload, a file left by an older version included)."""
    for name in upload_names():
        if name.split(".")[0] in tokens:
            storage.delete(name)


def _expire(tokens: set[str]) -> None:
    ImportJob.objects.filter(token__in=tokens).exclude(
        status__in=IMPORT_FINISHED
    ).update(status=Status.EXPIRED, finished_at=timezone.now())


def import_uploads_purge(*, hours: float | None = None) -> int:
    """Delete the uploads (and what lies beside them) older than ``hours``
    (IMPORT_STASH_HOURS); the jobs that waited for them expire. Returns how
    many uploads were deleted."""
    if hours is None:
        hours = settings.IMPORT_STASH_HOURS
    cutoff = timezone.now() - timedelta(hours=hours)
    old = set()
    for name in upload_names():
        try:
            if storage.get_modified_time(name) < cutoff:
                old.add(name)
        except Exception:
            # Deleted meanwhile (the disk says FileNotFoundError, a bucket a
            # 404 of its own): nothing left to purge; anything else is raised.
            if storage.exists(name):
                raise
    tokens = {name.split(".")[0] for name in old}
    _delete_names(tokens)
    _expire(tokens)
    return len(tokens)


def import_uploads_wipe(client) -> None:
    """Anonymisation wiper: delete every upload that waits (whoever uploaded
    it), since any of them may name the client. The uploaders are told that
    the file expired and upload it again; a write running meanwhile is
    rolled back (import_job_write)."""
    tokens = {name.split(".")[0] for name in upload_names()}
    _delete_names(tokens)
    _expire(tokens)
    logger.info("anonymisation deleted %d waiting import uploads", len(tokens))
