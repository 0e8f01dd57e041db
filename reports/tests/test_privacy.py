"""No personal data in any report, in any format (SPEC §1, §3): clients with
distinctive names, contacts and notes are seeded into every kind of record,
and every output is searched for them."""

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone

from consultations.services import (
    client_create,
    consultation_create,
    support_action_create,
)
from peergroups.models import Attendance, Session
from reports.services import programme_create
from shelter.models import UnmetRequest
from shelter.services import unmet_request_create
from training.models import Event, Speaker, SurveyResponse

from .data import build_fiscal_year_2021
from .helpers import attribute_all, every_format

pytestmark = pytest.mark.django_db

SECRETS = {
    "display_name": "秘密野 紫苑",
    "kana": "ひみつの しおん",
    "phone": "070-0000-9876",
    "email": "shion.himitsuno@example.jp",
    "area": "隠れ里三丁目",
    "notes": "極秘メモ：夫から逃れて避難中",
}
TEXTS = [
    "相談内容ZQX：暴力を受けている",
    "支援メモZQX",
    "宿泊を断念した理由ZQX",
    "研修の感想ZQX：秘密野さんの話",
    "ピアのテーマZQX",
    "体験談ZQX",
]


@pytest.fixture
def seeded(counsellor, coordinator, facilitator, city_staff):
    build_fiscal_year_2021(
        counsellor=counsellor, coordinator=coordinator, facilitator=facilitator
    )
    person = client_create(by=counsellor, code="S-424242", **SECRETS)
    consultation_create(
        by=counsellor,
        counsellor=counsellor,
        channel="line",
        started_at=timezone.make_aware(dt.datetime(2021, 9, 9, 10)),
        client=person,
        summary=TEXTS[0],
    )
    support_action_create(
        by=counsellor,
        client=person,
        kind="accompaniment",
        date=dt.date(2021, 9, 10),
        staff=counsellor,
        note=TEXTS[1],
    )
    unmet_request_create(
        by=coordinator,
        date=dt.date(2021, 9, 11),
        reason=UnmetRequest.Reason.CHILDCARE,
        client=person,
        note=TEXTS[2],
    )
    event = Event.objects.get(title="支援者研修会")
    SurveyResponse.objects.create(event=event, satisfaction=5, comment=TEXTS[3])
    Speaker.objects.create(
        event=event, client=person, consent=True, talk_title=TEXTS[5]
    )
    session = Session.objects.get(date=dt.date(2021, 10, 15))
    Session.objects.filter(pk=session.pk).update(theme=TEXTS[4])
    Attendance.objects.create(session=session, client=person)
    programme = programme_create(
        by=city_staff, fiscal_year=2021, name="寄り添い支援事業", municipality="市"
    )
    attribute_all(programme)
    return programme


def forbidden() -> list[str]:
    return [*SECRETS.values(), *TEXTS, "S-424242", "C-900001", "ZQX", "秘密野"]


@pytest.mark.parametrize("publication", [False, True])
def test_no_format_holds_a_name_a_contact_a_note_or_a_code(
    seeded, client_as, city_staff, publication
):
    query = f"?fiscal_year=2021&programme={seeded.pk}" + (
        "&publication=on" if publication else ""
    )
    outputs = every_format(client_as(city_staff), query)
    out = io.StringIO()
    call_command(
        "annual_report", "--fiscal-year", "2021", "--format", "csv", stdout=out
    )
    outputs["cli csv"] = out.getvalue()
    for fmt, text in outputs.items():
        # A random CSRF token may happen to hold "ZQX": not a leak.
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
        assert "寄り添い支援事業" in text, fmt  # the report is there
        for secret in forbidden():
            assert secret not in text, (fmt, secret)
