"""Browser imports as jobs (issue 15, F5, F10 and R4): large files go through
the task worker (the real `manage.py db_worker`, called here in the test's
database), whole or not at all; previews come a page at a time; uploads left
waiting are deleted by the purge and by anonymisation."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import time
from unittest import mock

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from accounts.roles import Role
from consultations.anonymise import client_anonymise
from consultations.models import Client, Consultation
from reports import jobs
from reports.imports import run_import
from reports.models import ImportJob
from tests.factories import ClientFactory

from .import_files import HEADER, consultation_row, csv_bytes

pytestmark = pytest.mark.django_db
Status = ImportJob.Status


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def run_worker():
    """The task worker over the queue until it is empty, then back. It runs in
    the test's transaction: its close_old_connections() would close that
    connection (Django's test cases disconnect the same call from the request
    signals), so it is a no-op here; and the command installs its own signal
    handlers, so ours are put back."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with mock.patch.object(db_worker, "close_old_connections", lambda: None):
            call_command(
                "db_worker",
                "--batch",
                "--interval=0",
                "--no-startup-delay",
                "--no-reload",
                verbosity=0,
            )
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


def consultations_csv(count: int, bad: dict[int, str] | None = None) -> bytes:
    """``count`` rows; ``bad`` maps a row index to another counsellor."""
    bad = bad or {}
    return csv_bytes(
        [HEADER]
        + [consultation_row(i, bad.get(i, "counsellor1")) for i in range(count)]
    )


def upload(web, content: bytes, name: str = "consultations.csv"):
    return web.post(
        reverse("reports:import"),
        {"kind": "consultations", "file": SimpleUploadedFile(name, content)},
    )


def confirm(web, job):
    return web.post(reverse("reports:import"), {"token": job.token, "confirm": "1"})


@pytest.fixture
def as_user(client):
    """Signed in, in English. The locale middleware activates the language
    in this thread: the next tests get back the one they had."""
    language = translation.get_language()

    def login(user):
        client.force_login(user)
        client.cookies["django_language"] = "en"
        return client

    yield login
    if language:
        translation.activate(language)
    else:
        translation.deactivate()


@pytest.fixture
def web(as_user, counsellor):
    return as_user(counsellor)


def page_of(web, job, **params) -> str:
    response = web.get(job.get_absolute_url(), params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_large_upload_is_checked_then_written_by_the_worker(web, settings):
    """R4: more rows than a request should check: the worker checks them, with
    progress on the job's page, then writes them once confirmed."""
    settings.IMPORT_SYNC_MAX_ROWS = 3
    response = upload(web, consultations_csv(5))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == (
        job.get_absolute_url()
    )
    assert job.status == Status.QUEUED and job.user.username == "counsellor1"
    page = page_of(web, job)
    assert "data-import-progress" in page
    assert "The file waits for the worker to check it." in page

    run_worker()
    job.refresh_from_db()
    assert (job.status, job.rows_total, job.error_count) == (Status.CHECKED, 5, 0)
    assert not Consultation.objects.exists()  # the check wrote nothing
    page = page_of(web, job)
    assert "5 rows checked: no errors." in page and "C-000004" in page
    assert "data-import-progress" not in page

    response = confirm(web, job)
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == Status.WRITING and not Consultation.objects.exists()
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.rows_written) == (Status.DONE, 5)
    assert Consultation.objects.count() == 5
    assert "5 rows were imported." in page_of(web, job)
    assert jobs.job_content(job) is None  # the file is gone


def test_one_bad_row_of_a_large_upload_writes_nothing(web, settings):
    settings.IMPORT_SYNC_MAX_ROWS = 3
    upload(web, consultations_csv(5, bad={2: "nobody"}))
    run_worker()
    job = ImportJob.objects.get()
    assert (job.status, job.error_count, job.error_rows) == (Status.REFUSED, 1, [4])
    page = page_of(web, job)
    assert "1 row of 5 has errors." in page and "nobody" in page
    assert "token" not in web.get(job.get_absolute_url()).context
    assert not Consultation.objects.exists() and not Client.objects.exists()


def test_a_row_that_goes_bad_after_the_check_writes_nothing_at_all(
    web, settings, make_user
):
    """Whole or nothing through the worker: the five rows were checked, then
    one row's counsellor left; the write imports none of them."""
    settings.IMPORT_SYNC_MAX_ROWS = 3
    leaver = make_user(Role.COUNSELLOR, username="leaver")
    upload(web, consultations_csv(5, bad={3: "leaver"}))
    run_worker()
    job = ImportJob.objects.get()
    assert job.status == Status.CHECKED
    leaver.is_active = False
    leaver.save()
    confirm(web, job)
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.rows_written, job.error_rows) == (Status.REFUSED, 0, [5])
    assert not Consultation.objects.exists() and not Client.objects.exists()
    assert "leaver" in page_of(web, job)


def test_a_file_past_a_limit_is_refused_by_the_worker_with_its_message(web, settings):
    settings.IMPORT_SYNC_MAX_ROWS = 3
    settings.IMPORT_MAX_ROWS = 6
    upload(web, consultations_csv(7))
    run_worker()
    job = ImportJob.objects.get()
    assert job.status == Status.REFUSED
    assert job.message == (
        "The file has more than 6 rows below the header. Split it into smaller files."
    )
    assert job.message in page_of(web, job)
    assert jobs.job_content(job) is None


def test_an_unexpected_error_fails_the_job_without_logging_the_data(
    web, settings, monkeypatch, caplog
):
    settings.IMPORT_SYNC_MAX_ROWS = 3

    def broken(*args, **kwargs):
        raise RuntimeError("山田花子 090-1234-5678")

    monkeypatch.setattr(jobs, "run_import", broken)
    upload(web, consultations_csv(5))
    with caplog.at_level(logging.INFO):
        run_worker()
    job = ImportJob.objects.get()
    assert job.status == Status.FAILED and job.finished_at
    assert "stopped on an unexpected error" in page_of(web, job)
    assert "山田花子" not in caplog.text and "RuntimeError" in caplog.text
    assert "山田花子" not in str(list(DBTaskResult.objects.values()))
    assert jobs.job_content(job) is None


def test_the_job_page_shows_the_workers_progress(web):
    upload(web, consultations_csv(2))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=Status.CHECKING)
    job.refresh_from_db()
    jobs._set_progress(job, 500, 1200)
    page = page_of(web, job)
    assert "Checking: 500 of 1200 rows checked." in page
    assert '<progress value="500" max="1200">' in page


def test_run_import_reports_its_progress(counsellor):
    dataset = tablib.Dataset(
        *[consultation_row(i) for i in range(1000)], headers=HEADER
    )
    done = []
    run_import(
        "consultations", dataset, by=counsellor, dry_run=True, progress=done.append
    )
    assert done == [500, 1000]


def test_only_the_uploader_and_admins_see_a_job(
    as_user, counsellor, make_user, admin_user, city_staff
):
    upload(as_user(counsellor), consultations_csv(2))
    job = ImportJob.objects.get()
    other = make_user(Role.COUNSELLOR, username="counsellor2")
    assert as_user(other).get(job.get_absolute_url()).status_code == 404
    # Nor can she import it with its token.
    response = confirm(as_user(other), job)
    assert not Consultation.objects.exists()
    job.refresh_from_db()
    assert job.status == Status.CHECKED
    assert as_user(city_staff).get(job.get_absolute_url()).status_code == 403
    response = as_user(admin_user).get(job.get_absolute_url())
    assert response.status_code == 200 and "token" not in response.context
    # An admin reading someone else's upload leaves an audit entry; the
    # uploader reading her own does not.
    from accounts.models import AuditEntry

    entry = AuditEntry.objects.filter(user=admin_user, object_type="import").get()
    assert entry.detail == f"job {job.pk} of user {counsellor.pk}"
    as_user(counsellor).get(job.get_absolute_url())
    assert not AuditEntry.objects.filter(user=counsellor, action="view").exists()


def test_a_preview_shows_one_page_of_rows(web):
    """F5: the preview of 120 rows shows 50, with links to the others (it
    rendered every row: 13.5 MB for 200,000)."""
    response = upload(web, consultations_csv(120))
    numbers = [number for number, _values, _problem in response.context["preview"]]
    assert numbers == list(range(2, 52))
    body = response.content.decode()
    assert "C-000049" in body and "C-000050" not in body
    assert "Page 1 of 3" in body
    job = ImportJob.objects.get()
    assert f'href="{job.get_absolute_url()}?page=2"' in body
    response = web.get(job.get_absolute_url(), {"page": 3})
    numbers = [number for number, _values, _problem in response.context["preview"]]
    assert numbers == list(range(102, 122))
    # The confirmation is still offered from any page.
    assert response.context["token"] == job.token


def test_the_error_list_shows_the_first_hundred_and_counts_the_rest(web):
    response = upload(web, consultations_csv(150, bad=dict.fromkeys(range(150), "x")))
    body = response.content.decode()
    assert "150 rows of 150 have errors." in body
    assert len(response.context["errors"]) == 100
    assert "… and 50 more rows with errors." in body
    job = ImportJob.objects.get()
    assert job.error_count == 150 and len(job.error_rows) == 100


def test_the_purge_command_deletes_uploads_left_waiting(web, as_user, make_user):
    """F10: an upload checked but neither confirmed nor cancelled."""
    upload(web, consultations_csv(2))
    old = ImportJob.objects.get()
    files = [name for name in jobs.upload_names() if name.startswith(old.token)]
    assert files
    day_ago = time.time() - 25 * 3600
    for name in files:
        os.utime(jobs.storage.path(name), (day_ago, day_ago))
    upload(as_user(make_user(Role.COUNSELLOR, username="c2")), consultations_csv(2))
    recent = ImportJob.objects.exclude(pk=old.pk).get()

    call_command("purge_import_uploads")
    assert not [name for name in jobs.upload_names() if name.startswith(old.token)]
    old.refresh_from_db()
    assert old.status == Status.EXPIRED and old.finished_at
    assert jobs.job_content(recent) is not None
    response = confirm(as_user(old.user), old)
    assert not Consultation.objects.exists()
    assert "The checked file has expired" in str(list(response.wsgi_request._messages))


def test_each_upload_schedules_the_purge_task_for_when_it_expires(web, settings):
    """The periodic side of F10: run by the worker at the upload's expiry."""
    upload(web, consultations_csv(2))
    job = ImportJob.objects.get()
    task = DBTaskResult.objects.get(task_path="reports.tasks.purge_import_uploads")
    expiry = timezone.now() + dt.timedelta(hours=settings.IMPORT_STASH_HOURS)
    assert abs(task.run_after - expiry) < dt.timedelta(minutes=2)
    run_worker()  # not due yet
    assert jobs.job_content(job) is not None
    day_ago = time.time() - 25 * 3600
    for name in jobs.upload_names():
        if name.startswith(job.token):
            os.utime(jobs.storage.path(name), (day_ago, day_ago))
    DBTaskResult.objects.filter(pk=task.pk).update(run_after=timezone.now())
    run_worker()
    job.refresh_from_db()
    assert job.status == Status.EXPIRED and jobs.job_content(job) is None


def test_anonymising_a_client_deletes_every_upload_left_waiting(web, admin_user):
    """F10: anonymisation reaches the uploads: all that wait are deleted
    (any of them may name the client), and cannot be imported afterwards."""
    person = ClientFactory(code="C-000001")
    upload(web, consultations_csv(2))
    job = ImportJob.objects.get()
    assert jobs.job_content(job) is not None
    client_anonymise(client=person, by=admin_user)
    job.refresh_from_db()
    assert job.status == Status.EXPIRED
    assert not jobs.upload_names()
    confirm(web, job)
    assert not Consultation.objects.exists()
