"""Shared files in S3-compatible object storage (issue 23): with MEDIA_S3_BUCKET
set, LINE content and import uploads are kept in a private bucket through
django-storages, and served only by the app's authorised, audited views.
moto's server gives a real S3 API on 127.0.0.1 (offline); the storages are
configured by the same function as in production (config.settings.base)."""

from __future__ import annotations

import urllib.error
import urllib.request

import boto3
import pytest
from django.core.files.storage import storages
from moto.server import ThreadedMotoServer

from accounts.models import AuditEntry
from accounts.roles import Role
from config.settings import base
from config.storages import PrivateS3Storage
from consultations.anonymise import client_anonymise
from consultations.line import media
from consultations.models import LineMedia
from consultations.tests.test_line_media import (
    IMAGE_ID,
    cache_control,
    deliver_image,
    latest_audit,
    media_urls,
    png_bytes,
    work,
)
from reports import jobs
from reports.models import ImportJob
from reports.tests.test_import_jobs import (
    confirm,
    consultations_csv,
    run_worker,
    upload,
)

from . import test_line_media as line_tests

pytestmark = pytest.mark.django_db
# The fixtures of the LINE content tests: the stand-in of LINE's content
# endpoint, the folder LINE_MEDIA_ROOT, the person writing, a signed-in user.
content_api = line_tests.content_api
media_root = line_tests.media_root
person = line_tests.person
as_user = line_tests.as_user
BUCKET = "ibasho-test-media"
PDF_HEAD = b"%PDF-1.7\n"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@pytest.fixture(scope="module")
def moto_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(moto_server, monkeypatch, settings):
    """The shared storages in a fresh bucket of moto's server, configured as
    production configures them from MEDIA_S3_* (credentials from the
    environment, read by boto3); the bucket's client is returned."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    monkeypatch.setattr(base, "MEDIA_S3_BUCKET", BUCKET)
    monkeypatch.setattr(base, "MEDIA_S3_ENDPOINT_URL", moto_server)
    monkeypatch.setattr(base, "MEDIA_S3_REGION", "us-east-1")
    monkeypatch.setattr(base, "MEDIA_S3_ADDRESSING_STYLE", "path")
    client = boto3.client("s3", endpoint_url=moto_server, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "line_media": base.private_storage(
            root_setting="LINE_MEDIA_ROOT", prefix="line-media", overwrite=False
        ),
        "imports": base.private_storage(
            root_setting="IMPORT_UPLOAD_DIR", prefix="imports", overwrite=True
        ),
    }
    assert isinstance(storages["line_media"], PrivateS3Storage)
    assert isinstance(storages["imports"], PrivateS3Storage)
    yield client
    for key in keys(client):
        client.delete_object(Bucket=BUCKET, Key=key)
    client.delete_bucket(Bucket=BUCKET)


def keys(client, prefix="") -> list[str]:
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(entry["Key"] for entry in listed.get("Contents", []))


def test_a_line_image_is_kept_in_the_bucket_and_served_by_the_audited_view(
    s3,
    moto_server,
    media_root,
    client,
    django_capture_on_commit_callbacks,
    content_api,
    person,
    make_user,
    as_user,
    admin_user,
):
    image = png_bytes()
    content_api.contents[IMAGE_ID] = (200, image)
    message = deliver_image(client, django_capture_on_commit_callbacks)
    work(django_capture_on_commit_callbacks)

    item = LineMedia.objects.get()
    assert item.status == LineMedia.Status.DOWNLOADED
    stored = [f"line-media/{item.stored_name}", f"line-media/{item.thumbnail_name}"]
    assert keys(s3) == sorted(stored)
    body = s3.get_object(Bucket=BUCKET, Key=stored[0])["Body"].read()
    assert body == image
    assert not media_root.exists()  # nothing on this server's disk

    # Private: the object's ACL grants its owner only, and nobody gets in
    # without the keys.
    for key in stored:
        grants = s3.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
        assert all(g["Grantee"].get("URI") != ALL_USERS for g in grants)
    with pytest.raises(ValueError):
        media.storage.url(item.stored_name)
    anonymous = urllib.request.Request(  # noqa: S310 (http to moto's server)
        f"{moto_server}/{BUCKET}/{stored[0]}"
    )
    try:
        with urllib.request.urlopen(anonymous):  # noqa: S310
            refused = False
    except urllib.error.HTTPError as error:
        refused = error.code == 403
    assert refused

    # Served by the view, streamed from the bucket, and audited.
    web = as_user(make_user(Role.COUNSELLOR, username="counsellor2"))
    full_url, thumb_url = media_urls(message)
    before = latest_audit()
    full = web.get(full_url)
    assert full.status_code == 200
    assert b"".join(full.streaming_content) == image
    assert full["Content-Type"] == "image/png"
    assert full["X-Content-Type-Options"] == "nosniff"
    assert cache_control(full) == {"private", "no-store"}
    assert full["Content-Disposition"].startswith("inline")
    thumb = web.get(thumb_url)
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert b"".join(thumb.streaming_content)[:3] == b"\xff\xd8\xff"
    entries = AuditEntry.objects.filter(pk__gt=before).order_by("pk")
    assert [(e.action, e.object_id, e.detail) for e in entries] == [
        ("view", str(item.pk), "content"),
        ("view", str(item.pk), "thumbnail"),
    ]

    # Other roles are refused, and nothing is audited.
    other = as_user(make_user(Role.COORDINATOR, username="coordinator2"))
    before = latest_audit()
    assert other.get(full_url).status_code == 403
    assert not AuditEntry.objects.filter(pk__gt=before).exists()

    # Anonymisation deletes the objects from the bucket.
    with django_capture_on_commit_callbacks(execute=True):
        client_anonymise(client=person.client, by=admin_user)
    assert keys(s3) == []
    assert as_user(make_user(Role.COUNSELLOR)).get(full_url).status_code == 404


def test_an_object_missing_from_the_bucket_is_a_404(
    s3,
    client,
    django_capture_on_commit_callbacks,
    content_api,
    person,
    counsellor,
    as_user,
):
    content_api.contents[IMAGE_ID] = (200, png_bytes())
    message = deliver_image(client, django_capture_on_commit_callbacks)
    work(django_capture_on_commit_callbacks)
    item = LineMedia.objects.get()
    s3.delete_object(Bucket=BUCKET, Key=f"line-media/{item.stored_name}")
    assert as_user(counsellor).get(media_urls(message)[0]).status_code == 404


def test_an_import_upload_waits_in_the_bucket_for_the_worker(
    s3, settings, counsellor, as_user
):
    """The task worker may run on another server: it reads the upload from
    the bucket, and the upload is deleted from there once imported."""
    settings.IMPORT_SYNC_MAX_ROWS = 3
    content = consultations_csv(5)
    web = as_user(counsellor)
    assert upload(web, content).status_code == 302
    job = ImportJob.objects.get()
    assert keys(s3, "imports/") == [f"imports/{job.filename}"]
    assert jobs.upload_names() == [job.filename]
    assert jobs.job_content(job) == content

    run_worker()  # checks the file it reads from the bucket
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKED and job.rows_done == 5
    confirm(web, job)
    run_worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and job.rows_written == 5
    assert keys(s3) == []


def test_a_file_larger_than_the_memory_buffer_is_served_whole(
    s3,
    client,
    django_capture_on_commit_callbacks,
    content_api,
    person,
    counsellor,
    as_user,
):
    """Read back through a temporary file past 2 MB (max_memory_size)."""
    large = PDF_HEAD + bytes(range(256)) * (12 * 1024)  # 3 MB
    content_api.contents["700"] = (200, large)
    message = deliver_image(
        client,
        django_capture_on_commit_callbacks,
        message_id="700",
        kind="file",
        fileName="large.pdf",
        fileSize=len(large),
    )
    work(django_capture_on_commit_callbacks)
    item = LineMedia.objects.get()
    assert item.status == LineMedia.Status.DOWNLOADED
    stored = s3.head_object(Bucket=BUCKET, Key=f"line-media/{item.stored_name}")
    assert stored["ContentLength"] == len(large)
    assert storages["line_media"].max_memory_size < len(large)
    response = as_user(counsellor).get(media_urls(message)[0])
    assert response.status_code == 200
    assert int(response["Content-Length"]) == len(large)
    assert b"".join(response.streaming_content) == large
