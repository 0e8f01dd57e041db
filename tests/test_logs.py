"""Personal data never reaches the logs: distinctive names and numbers go
through the main paths (forms, imports with errors, the LINE webhook, a failed
LINE reply, failed logins, a 404) and every log record is searched for them."""

import contextlib
import io
import logging
import uuid

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from consultations.models import Client
from consultations.tests.line_factories import LineUserFactory, newest_id
from consultations.tests.test_line_webhook import URL, payload, sign, text_event

pytestmark = pytest.mark.django_db
NAME = "漏洩確認 花子"
PHONE = "070-9999-0123"
LINE_TEXT = "夫から逃げたい 漏洩確認"
MARKERS = (NAME, PHONE, "漏洩確認")


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines = []

    def emit(self, record):
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        self.lines.append(f"{record.name}: {text}")


@pytest.fixture
def captured():
    handler = Capture()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


@override_settings(LINE_API_BASE_URL="http://127.0.0.1:9")  # nothing listens there
def test_no_personal_data_in_any_log_record(
    client_as, counsellor, tmp_path, captured, client
):
    c = client_as(counsellor)
    # A client and a consultation through the forms.
    c.post(
        reverse("consultations:client_create"), {"display_name": NAME, "phone": PHONE}
    )
    person = Client.objects.get(display_name=NAME)
    c.post(
        reverse("consultations:consultation_create"),
        {
            "channel": "phone",
            "started_at": "2021-10-05T10:00",
            "counsellor": counsellor.pk,
            "client_code": person.code,
            "main_complaint": "other",
            "summary": f"{NAME}さんから {PHONE}",
        },
    )
    # An import with bad rows that carry the name.
    path = tmp_path / "bad.csv"
    path.write_text(
        "日付,時刻,相談方法,相談者コード,新規,担当者,主訴,内容,所要時間\n"
        f"2021-10-15,10:00,電話,,,nobody,,{NAME} {PHONE},\n"
        f"{NAME},10:00,電話,,,counsellor1,,,\n",
        encoding="utf-8",
    )
    with contextlib.suppress(SystemExit):
        call_command("import_records", "consultations", str(path), stderr=io.StringIO())
    # The LINE webhook, then a reply that fails (nothing listens on port 9).
    body = payload(
        text_event(
            "01HLOGTEST0000000000000001",
            "U" + "a" * 32,
            LINE_TEXT,
            "900000000000000001",
        )
    )
    client.post(
        URL,
        data=body,
        content_type="application/json",
        HTTP_X_LINE_SIGNATURE=sign(body),
    )
    line_user = LineUserFactory(client=person, display_name=NAME)
    c.post(
        reverse("line:reply", args=[line_user.pk]),
        {
            "text": f"{NAME}さん、{PHONE}に",
            "retry_key": str(uuid.uuid4()),
            "seen_message_id": newest_id(line_user),
        },
    )
    # Failed logins with a name as the username, and a page that does not exist.
    client.post(reverse("accounts:logout"))
    for _ in range(6):
        client.post("/accounts/login/", {"username": NAME, "password": PHONE})
    c = client_as(counsellor)
    c.get(f"/clients/{person.pk + 1000}/")

    assert len(captured.lines) > 3, "the paths above should have logged something"
    leaks = [line for line in captured.lines if any(m in line for m in MARKERS)]
    assert not leaks, leaks
