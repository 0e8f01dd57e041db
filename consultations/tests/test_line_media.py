"""LINE message content (issue 16, media): what the webhook keeps of images,
video, voice, files, places, stickers and quotes; the download of LINE's
content by the real task worker (`manage.py db_worker`) from a local stub of
LINE's content endpoint (LINE_DATA_API_BASE_URL points at it, the real
line-bot-sdk client makes the request); and how the content is served."""

from __future__ import annotations

import hashlib
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult
from PIL import Image

from accounts.models import AuditEntry
from accounts.roles import Role
from consultations.anonymise import client_anonymise
from consultations.line import media
from consultations.models import LineMedia, LineMessage, LineUser
from consultations.tests.test_line_webhook import event, payload, post, sign
from reports.tests.test_import_jobs import run_worker
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
Status = LineMedia.Status

HANAKO = "U4af4980629a1b2c3d4e5f60718293a4b"
IMAGE_ID = "468789577898262531"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"


def png_bytes(width=800, height=600) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 90)).save(out, "PNG")
    return out.getvalue()


class StubContentApi:
    """Answers GET /v2/bot/message/{id}/content like LINE's data host:
    ``contents[id] = (status, body)``; ``no_length`` ids are sent without a
    Content-Length (the body ends when the connection closes)."""

    def __init__(self):
        self.contents: dict[str, tuple[int, bytes]] = {}
        self.no_length: set[str] = set()
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stub.requests.append({"path": self.path, "headers": dict(self.headers)})
                parts = self.path.strip("/").split("/")
                found = len(parts) == 5 and parts[:3] == ["v2", "bot", "message"]
                message_id = parts[3] if found and parts[4] == "content" else ""
                status, body = stub.contents.get(
                    message_id, (404, b'{"message":"Not found"}')
                )
                self.send_response(status)
                self.send_header(
                    "Content-Type",
                    "application/octet-stream" if status == 200 else "application/json",
                )
                if message_id not in stub.no_length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.LINE_MEDIA_ROOT = str(tmp_path / "line-media")
    return tmp_path / "line-media"


@pytest.fixture
def content_api(media_root):
    with StubContentApi() as stub, override_settings(LINE_DATA_API_BASE_URL=stub.url):
        yield stub


@pytest.fixture
def as_user(client):
    """Signed in, in English; the language is given back afterwards."""
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
def person():
    """A LINE user linked to a client assigned to another counsellor."""
    return LineUser.objects.create(line_user_id=HANAKO, client=ClientFactory())


def content_event(event_id, kind, message_id, timestamp=1625665250000, **message):
    return event(
        event_id,
        HANAKO,
        "message",
        timestamp=timestamp,
        replyToken="0f3779fba3b349968c5d07db31eab56f",
        message={"id": message_id, "type": kind, "quoteToken": "qt-" + message_id}
        | message,
    )


def deliver(client, capture, *events):
    """Post a signed webhook body; run what it hands over on commit."""
    body = payload(*events)
    with capture(execute=True):
        response = post(client, body, sign(body))
    assert response.status_code == 200
    return response


def work(capture):
    """Run the worker until the queue is empty (and what it hands over on
    commit: a retry for later)."""
    with capture(execute=True):
        run_worker()


def deliver_image(client, capture, message_id=IMAGE_ID, kind="image", **message):
    deliver(
        client,
        capture,
        content_event(
            f"01H8X0A1IMAGE{message_id[-10:]:0>13}",
            kind,
            message_id,
            contentProvider={"type": "line"},
            **message,
        ),
    )
    return LineMessage.objects.get(line_message_id=message_id)


def page(web, person) -> str:
    response = web.get(reverse("line:conversation", args=[person.pk]))
    assert response.status_code == 200
    return response.content.decode()


def cache_control(response) -> set[str]:
    return {d.strip() for d in response["Cache-Control"].split(",")}


def latest_audit() -> int:
    return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def media_urls(message):
    args = [message.line_user_id, message.pk]
    return reverse("line:media", args=args), reverse("line:media_thumbnail", args=args)


# DOWNLOADED AND SHOWN
# ------------------------------------------------------------------------------


def test_an_image_is_downloaded_by_the_worker_and_shown_to_a_counsellor(
    client,
    django_capture_on_commit_callbacks,
    content_api,
    media_root,
    person,
    make_user,
    as_user,
):
    image = png_bytes()
    content_api.contents[IMAGE_ID] = (200, image)
    message = deliver_image(client, django_capture_on_commit_callbacks)
    assert message.media.status == Status.PENDING
    assert content_api.requests == []  # not in the webhook's request

    work(django_capture_on_commit_callbacks)

    request = content_api.requests[0]
    assert request["path"] == f"/v2/bot/message/{IMAGE_ID}/content"
    assert request["headers"]["Authorization"] == "Bearer test-access-token"
    item = LineMedia.objects.get()
    assert item.status == Status.DOWNLOADED
    assert (item.size, item.content_type) == (len(image), "image/png")
    assert item.sha256 == hashlib.sha256(image).hexdigest()
    # Stored privately, under a random name, with a thumbnail beside it.
    stored = media_root / item.stored_name
    assert stored.read_bytes() == image
    assert (media_root / item.thumbnail_name).is_file()
    assert IMAGE_ID not in item.stored_name and "." not in item.stored_name
    assert not list((media_root / "partial").iterdir())
    assert not str(stored).startswith(str(django_settings.STATIC_ROOT))

    # Any counsellor may read the conversation, not only the client's own.
    web = as_user(make_user(Role.COUNSELLOR, username="counsellor2"))
    full_url, thumb_url = media_urls(message)
    html = page(web, person)
    assert f'<img src="{thumb_url}"' in html
    assert f'href="{full_url}"' in html
    before = latest_audit()

    thumb = web.get(thumb_url)
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as small:
        assert small.format == "JPEG" and max(small.size) <= 480
    full = web.get(full_url)
    assert full.status_code == 200
    assert b"".join(full.streaming_content) == image
    assert full["Content-Type"] == "image/png"
    assert full["X-Content-Type-Options"] == "nosniff"
    assert cache_control(full) == {"private", "no-store"}
    assert full["Content-Disposition"].startswith("inline")
    entries = list(AuditEntry.objects.filter(pk__gt=before).order_by("pk"))
    assert [(e.action, e.object_type, e.object_id, e.detail) for e in entries] == [
        ("view", "consultations.linemedia", str(item.pk), "thumbnail"),
        ("view", "consultations.linemedia", str(item.pk), "content"),
    ]
    assert {e.client_code for e in entries} == {person.client.code}


@pytest.mark.parametrize(
    "role", [Role.COORDINATOR, Role.FACILITATOR, Role.CITY_STAFF, "anonymous"]
)
def test_other_roles_are_refused_the_content_and_nothing_is_audited(
    client, django_capture_on_commit_callbacks, content_api, person, make_user, role
):
    content_api.contents[IMAGE_ID] = (200, png_bytes())
    message = deliver_image(client, django_capture_on_commit_callbacks)
    work(django_capture_on_commit_callbacks)
    assert LineMedia.objects.get().status == Status.DOWNLOADED
    if role != "anonymous":
        client.force_login(make_user(role, username=f"other-{role}"))
    before = latest_audit()
    for url in media_urls(message):
        response = client.get(url)
        if role == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")
        else:
            assert response.status_code == 403
    assert not AuditEntry.objects.filter(pk__gt=before).exists()


def test_a_file_is_offered_as_a_download_with_its_name_and_size_shown(
    client,
    django_capture_on_commit_callbacks,
    content_api,
    person,
    counsellor,
    as_user,
):
    content_api.contents["500"] = (200, PDF)
    message = deliver_image(
        client,
        django_capture_on_commit_callbacks,
        message_id="500",
        kind="file",
        fileName="診断書.pdf",
        fileSize=len(PDF),
    )
    work(django_capture_on_commit_callbacks)
    item = LineMedia.objects.get()
    assert (item.status, item.content_type) == (Status.DOWNLOADED, "application/pdf")
    assert (message.file_name, item.declared_size) == ("診断書.pdf", len(PDF))
    assert item.thumbnail_name == ""

    web = as_user(counsellor)
    html = page(web, person)
    assert "診断書.pdf" in html and "Download" in html
    response = web.get(media_urls(message)[0])
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="line-file-{message.pk}.pdf"'
    )
    assert cache_control(response) == {"private", "no-store"}
    assert b"".join(response.streaming_content) == PDF


def test_content_the_person_withdrew_is_no_longer_shown(
    client,
    django_capture_on_commit_callbacks,
    content_api,
    media_root,
    person,
    counsellor,
    as_user,
):
    """The photo goes with the withdrawn message: its files are deleted, not
    only hidden."""
    content_api.contents[IMAGE_ID] = (200, png_bytes())
    message = deliver_image(client, django_capture_on_commit_callbacks)
    work(django_capture_on_commit_callbacks)
    item = LineMedia.objects.get()
    files = [media_root / item.stored_name, media_root / item.thumbnail_name]
    assert all(f.is_file() for f in files)
    deliver(
        client,
        django_capture_on_commit_callbacks,
        event(
            "01H8X0A1UNSEND00000000000A",
            HANAKO,
            "unsend",
            timestamp=1625665260000,
            unsend={"messageId": IMAGE_ID},
        ),
    )
    web = as_user(counsellor)
    full_url, thumb_url = media_urls(message)
    assert thumb_url not in page(web, person)
    assert web.get(full_url).status_code == 404
    assert web.get(thumb_url).status_code == 404
    assert not any(f.exists() for f in files)
    item.refresh_from_db()
    assert (item.status, item.stored_name) == (Status.DELETED, "")


def test_a_photo_withdrawn_before_it_arrived_is_never_stored_nor_fetched(
    client, django_capture_on_commit_callbacks, content_api, person
):
    """Events may arrive out of order: the unsend first, then (a redelivery
    of) the photo. Only the tombstone is kept; nothing is downloaded."""
    content_api.contents[IMAGE_ID] = (200, png_bytes())
    deliver(
        client,
        django_capture_on_commit_callbacks,
        event(
            "01H8X0A1UNSEND00000000000B",
            HANAKO,
            "unsend",
            timestamp=1625665260000,
            unsend={"messageId": IMAGE_ID},
        ),
    )
    deliver_image(client, django_capture_on_commit_callbacks)
    work(django_capture_on_commit_callbacks)
    assert not LineMedia.objects.exists()
    assert content_api.requests == []
    tombstone = LineMessage.objects.get(line_message_id=IMAGE_ID)
    assert tombstone.unsent and tombstone.text == ""


# WHAT CANNOT BE KEPT
# ------------------------------------------------------------------------------


def test_content_that_line_no_longer_has_says_so(
    client,
    django_capture_on_commit_callbacks,
    content_api,
    person,
    counsellor,
    as_user,
):
    message = deliver_image(client, django_capture_on_commit_callbacks)  # 404
    work(django_capture_on_commit_callbacks)
    assert LineMedia.objects.get().status == Status.EXPIRED
    assert len(content_api.requests) == 1  # a 404 is not tried again
    html = page(as_user(counsellor), person)
    assert "LINE no longer has this content" in html
    assert media_urls(message)[1] not in html
    assert as_user(counsellor).get(media_urls(message)[0]).status_code == 404


@pytest.mark.parametrize("announced", [True, False], ids=["length", "no-length"])
def test_content_over_the_size_limit_is_not_kept(
    client,
    django_capture_on_commit_callbacks,
    content_api,
    media_root,
    person,
    counsellor,
    as_user,
    settings,
    announced,
):
    """Refused from the announced length, or while streaming when there is
    none: nothing past the limit is written."""
    settings.LINE_MEDIA_MAX_BYTES = 10_000
    content_api.contents["600"] = (200, b"\x00" * 50_000)
    if not announced:
        content_api.no_length.add("600")
    deliver_image(
        client, django_capture_on_commit_callbacks, message_id="600", kind="video"
    )
    work(django_capture_on_commit_callbacks)
    item = LineMedia.objects.get()
    assert (item.status, item.stored_name) == (Status.TOO_LARGE, "")
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
    html = page(as_user(counsellor), person)
    assert "Larger than the limit of 9.8\xa0KB: not downloaded." in html


@pytest.mark.parametrize(
    "body, found",
    [
        (PDF, "the content is application/pdf"),
        (HTML, "the content is of an unknown type"),
    ],
    ids=["pdf", "html"],
)
def test_an_image_whose_bytes_are_not_an_image_is_not_kept(
    client,
    django_capture_on_commit_callbacks,
    content_api,
    media_root,
    person,
    counsellor,
    as_user,
    body,
    found,
):
    content_api.contents[IMAGE_ID] = (200, body)
    message = deliver_image(client, django_capture_on_commit_callbacks)
    work(django_capture_on_commit_callbacks)
    item = LineMedia.objects.get()
    assert item.status == Status.TYPE_MISMATCH
    assert item.sha256 == hashlib.sha256(body).hexdigest()
    assert [p for p in media_root.rglob("*") if p.is_file()] == []
    web = as_user(counsellor)
    assert f"Not kept: announced as Image, but {found}." in page(web, person)
    assert web.get(media_urls(message)[0]).status_code == 404


# FAILURES AND RETRIES
# ------------------------------------------------------------------------------


def test_a_failed_download_is_retried_by_the_worker_later(
    client, django_capture_on_commit_callbacks, content_api, person
):
    content_api.contents[IMAGE_ID] = (503, b'{"message":"busy"}')
    deliver_image(client, django_capture_on_commit_callbacks)
    work(django_capture_on_commit_callbacks)
    item = LineMedia.objects.get()
    assert (item.status, item.attempts) == (Status.PENDING, 1)
    later = DBTaskResult.objects.filter(status="READY").get()
    assert later.args_kwargs["args"] == [item.pk]
    assert later.run_after > item.updated_at


def test_a_failed_download_shows_a_retry_which_downloads_it(
    client,
    django_capture_on_commit_callbacks,
    content_api,
    person,
    counsellor,
    as_user,
    settings,
):
    settings.LINE_MEDIA_ATTEMPTS = 1
    content_api.contents[IMAGE_ID] = (500, b'{"message":"error"}')
    message = deliver_image(client, django_capture_on_commit_callbacks)
    work(django_capture_on_commit_callbacks)
    item = LineMedia.objects.get()
    assert (item.status, item.attempts) == (Status.FAILED, 1)
    web = as_user(counsellor)
    html = page(web, person)
    assert "The download from LINE failed (1 attempt)." in html
    retry_url = reverse("line:media_retry", args=[person.pk, message.pk])
    assert f'action="{retry_url}"' in html

    content_api.contents[IMAGE_ID] = (200, png_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(retry_url)
    assert response.status_code == 302
    assert LineMedia.objects.get().status == Status.PENDING
    assert AuditEntry.objects.filter(detail="download retried").exists()
    work(django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert (item.status, item.attempts) == (Status.DOWNLOADED, 1)
    html = page(web, person)
    assert media_urls(message)[1] in html
    assert "Try the download again" not in html
    # A second retry of content already downloaded changes nothing.
    web.post(retry_url)
    assert LineMedia.objects.get().status == Status.DOWNLOADED


# WHAT THE WEBHOOK KEEPS
# ------------------------------------------------------------------------------


def test_places_stickers_quotes_and_external_content_are_kept_and_shown(
    client,
    django_capture_on_commit_callbacks,
    content_api,
    person,
    counsellor,
    as_user,
):
    text = event(
        "01H8X0A1TEXT000000000000A1",
        HANAKO,
        "message",
        timestamp=1625665240000,
        message={
            "id": "700",
            "type": "text",
            "text": "駅前の交番です",
            "quoteToken": "q",
        },
    )
    deliver(
        client,
        django_capture_on_commit_callbacks,
        text,
        content_event(
            "01H8X0A1LOC0000000000000A2",
            "location",
            "701",
            title="駅前交番",
            address="東京都新宿区西新宿1丁目",
            latitude=35.689634,
            longitude=139.700565,
        ),
        content_event(
            "01H8X0A1STK0000000000000A3",
            "sticker",
            "702",
            packageId="1",
            stickerId="1",
            stickerResourceType="MESSAGE",
            keywords=["Help", "SOS"],
            text="たすけて",
            quotedMessageId="700",
        ),
        content_event(
            "01H8X0A1EXT0000000000000A4",
            "image",
            "703",
            contentProvider={
                "type": "external",
                "originalContentUrl": "https://example.com/original.jpg",
                "previewImageUrl": "javascript:alert(1)",
            },
        ),
    )
    place = LineMessage.objects.get(line_message_id="701")
    assert (place.location_title, place.location_address) == (
        "駅前交番",
        "東京都新宿区西新宿1丁目",
    )
    assert (place.latitude, place.longitude) == (35.689634, 139.700565)
    sticker = LineMessage.objects.get(line_message_id="702")
    assert sticker.sticker_keywords == ["Help", "SOS"]
    assert sticker.sticker_text == "たすけて"
    assert (sticker.quoted_message_id, sticker.quote_token) == ("700", "qt-702")
    assert sticker.display_text == "「スタンプ」 たすけて"
    external = LineMedia.objects.get()
    assert (external.provider, external.status) == ("external", Status.EXTERNAL)
    assert external.original_url == "https://example.com/original.jpg"
    assert external.preview_url == ""  # not https: dropped
    assert not DBTaskResult.objects.exists()  # never downloaded

    html = page(as_user(counsellor), person)
    assert (
        "https://www.openstreetmap.org/?mlat=35.689634&amp;mlon=139.700565"
        "#map=17/35.689634/139.700565"
    ) in html
    assert "東京都新宿区西新宿1丁目" in html
    assert "“たすけて”" in html and "Help, SOS" in html
    text_pk = LineMessage.objects.get(line_message_id="700").pk
    assert (
        f'In reply to:\n          <a href="#message-{text_pk}">駅前の交番です</a>'
        in html
    )
    assert 'href="https://example.com/original.jpg"' in html
    assert "javascript:" not in html
    assert "Open at the sender's link" in html


def test_a_quote_of_a_message_not_stored_says_so(
    client, django_capture_on_commit_callbacks, person, counsellor, as_user
):
    deliver(
        client,
        django_capture_on_commit_callbacks,
        event(
            "01H8X0A1TEXT000000000000B1",
            HANAKO,
            "message",
            message={
                "id": "800",
                "type": "text",
                "text": "これ",
                "quotedMessageId": "1",
            },
        ),
    )
    assert "In reply to:" in page(as_user(counsellor), person)
    assert "a message not shown here" in page(as_user(counsellor), person)


# ANONYMISATION
# ------------------------------------------------------------------------------


def test_anonymising_the_client_deletes_her_content_files(
    client,
    django_capture_on_commit_callbacks,
    content_api,
    media_root,
    person,
    admin_user,
    counsellor,
    as_user,
):
    content_api.contents[IMAGE_ID] = (200, png_bytes())
    message = deliver_image(client, django_capture_on_commit_callbacks)
    work(django_capture_on_commit_callbacks)
    item = LineMedia.objects.get()
    files = [media_root / item.stored_name, media_root / item.thumbnail_name]
    assert all(f.is_file() for f in files)

    with django_capture_on_commit_callbacks(execute=True):
        client_anonymise(client=person.client, by=admin_user)

    assert not any(f.exists() for f in files)
    item.refresh_from_db()
    assert (item.status, item.stored_name, item.sha256) == (Status.DELETED, "", "")
    web = as_user(counsellor)
    assert web.get(media_urls(message)[0]).status_code == 404
    assert "Deleted when the client was anonymised." in page(web, person)


def test_a_download_finishing_after_the_anonymisation_keeps_no_file(
    content_api, media_root, person, admin_user
):
    """The worker writes its outcome only if the content is still pending."""
    from consultations.line.services import line_media_download

    message = LineMessage.objects.create(
        line_user=person,
        direction="in",
        kind="image",
        webhook_event_id="01H8X0A1RACE",
        line_message_id=IMAGE_ID,
        sent_at="2021-07-07T13:40:50Z",
    )
    item = LineMedia.objects.create(
        message=message, provider="line", status=Status.PENDING
    )
    content_api.contents[IMAGE_ID] = (200, png_bytes())
    real_store = media.store

    def store_then_anonymise(*args, **kwargs):
        names = real_store(*args, **kwargs)
        client_anonymise(client=person.client, by=admin_user)
        return names

    from unittest import mock

    with mock.patch.object(media, "store", store_then_anonymise):
        assert line_media_download(media_id=item.pk) is None
    item.refresh_from_db()
    assert item.status == Status.DELETED
    assert [p for p in Path(media_root).rglob("*") if p.is_file()] == []


# TYPES FROM THE BYTES
# ------------------------------------------------------------------------------


def _docx() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize(
    "head, found",
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00", "video/quicktime"),
        (b"\x00\x00\x00\x1cftypM4A \x00\x00", "audio/mp4"),
        (b"\xff\xf1\x50\x80\x02\x1f\xfc", "audio/aac"),
        (PDF, "application/pdf"),
        (_docx(), media.OFFICE_TYPES["word/"]),
        (HTML, ""),
        (b"", ""),
    ],
)
def test_the_type_is_read_from_the_first_bytes(head, found):
    assert media.sniff(io.BytesIO(head)) == found


@pytest.mark.parametrize(
    "kind, found, kept_as",
    [
        ("image", "image/png", "image/png"),
        ("image", "application/pdf", None),
        ("image", "", None),
        ("video", "video/mp4", "video/mp4"),
        ("video", "image/jpeg", None),
        ("audio", "audio/mp4", "audio/mp4"),
        ("audio", "video/mp4", "audio/mp4"),
        ("audio", "application/pdf", None),
        ("file", "application/pdf", "application/pdf"),
        ("file", "", "application/octet-stream"),
    ],
)
def test_the_content_must_be_of_the_kind_announced(kind, found, kept_as):
    assert media.content_type_for(kind, found) == kept_as


def test_the_private_storage_has_no_url(media_root):
    with pytest.raises(ValueError):
        media.storage.url("x")
    assert media.storage.location == str(media_root)


def test_the_log_names_the_status_but_no_line_ids(
    client, django_capture_on_commit_callbacks, content_api, person, caplog
):
    caplog.set_level("DEBUG")
    content_api.contents[IMAGE_ID] = (500, b"{}")
    deliver_image(client, django_capture_on_commit_callbacks)
    work(django_capture_on_commit_callbacks)
    logged = "\n".join(
        r.getMessage() for r in caplog.records if r.name.startswith("consultations")
    )
    assert "HTTP status 500" in logged
    assert HANAKO not in logged and IMAGE_ID not in logged
