"""Anonymising on request, and audits through the Django admin."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from accounts.roles import Role
from consultations import selectors, services
from consultations.anonymise import ANONYMISED_NAME
from consultations.line.models import LineMessage, LineUser
from consultations.models import Client, Consultation
from consultations.tests.factories import ConsultationFactory
from consultations.tests.line_factories import LineMessageFactory, LineUserFactory
from peergroups import selectors as peer_selectors
from peergroups.tests.factories import AttendanceFactory
from shelter import selectors as shelter_selectors
from shelter.models import UnmetRequest
from shelter.tests.factories import StayFactory, UnmetRequestFactory
from tests.factories import ClientFactory
from training.models import Speaker
from training.tests.factories import SpeakerFactory

pytestmark = pytest.mark.django_db
SECRET = "秘匿花子"


def figures():
    start, end = dt.date(2021, 4, 1), dt.date(2022, 3, 31)
    return (
        selectors.channel_counts(Consultation.objects.all()),
        shelter_selectors.fiscal_year_figures(2021)["shelter"],
        peer_selectors.session_totals(start=start, end=end),
    )


@pytest.fixture
def person(counsellor):
    person = ClientFactory(
        display_name=SECRET,
        kana="ひとくはなこ",
        phone="070-0000-7777",
        email="hanako@example.jp",
        area="北部",
        birth_year=1990,
        notes=f"{SECRET}の夫は…",
        assigned_counsellor=counsellor,
    )
    ConsultationFactory(client=person, summary=f"{SECRET}さんから電話", is_new=True)
    services.support_action_create(
        by=counsellor,
        client=person,
        kind="referral",
        date=dt.date(2021, 10, 2),
        staff=counsellor,
        note=f"{SECRET}とハローワークへ",
    )
    step = services.follow_up_create(
        by=counsellor,
        client=person,
        kind="call_back",
        due_date=dt.date(2021, 10, 3),
        owner=counsellor,
        note=f"{SECRET}に折り返し",
    )
    services.follow_up_complete(
        follow_up=step, by=counsellor, outcome=f"{SECRET}と話した"
    )
    services.client_set_urgency(
        client=person, by=counsellor, urgency="high", reason=f"{SECRET}の夫が探している"
    )
    line_user = LineUserFactory(client=person, display_name="はなこ🌸")
    LineMessageFactory(line_user=line_user, text=f"{SECRET}です")
    StayFactory(client=person, start_date=dt.date(2021, 11, 1))
    UnmetRequestFactory(client=person, note=f"{SECRET}は子どもがいて")
    AttendanceFactory(client=person)
    SpeakerFactory(client=person, talk_title=f"{SECRET}の話")
    return Client.objects.get(pk=person.pk)


def test_anonymising_wipes_personal_data_everywhere_and_keeps_the_figures(
    client_as, make_user, person
):
    admin = make_user(Role.COUNSELLOR, Role.ADMIN, username="boss")
    before = figures()
    c = client_as(admin)
    confirm = c.get(reverse("consultations:client_anonymise", args=[person.pk]))
    assert "元に戻せません" in confirm.content.decode()
    c.post(reverse("consultations:client_anonymise", args=[person.pk]))
    person.refresh_from_db()
    assert person.display_name == ANONYMISED_NAME
    assert (person.kana, person.phone, person.email, person.area, person.notes) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert person.birth_year is None and person.code
    assert figures() == before  # every count, night and participant unchanged
    page = c.get(reverse("consultations:client_detail", args=[person.pk]))
    assert SECRET not in page.content.decode()
    for model, field in (
        (Consultation, "summary"),
        (LineMessage, "text"),
        (UnmetRequest, "note"),
        (Speaker, "talk_title"),
    ):
        assert not model.objects.filter(**{f"{field}__contains": SECRET}).exists()
    assert not person.support_actions.filter(note__contains=SECRET).exists()
    assert not person.follow_ups.filter(outcome__contains=SECRET).exists()
    assert not person.follow_ups.filter(note__contains=SECRET).exists()
    assert not person.urgency_changes.filter(reason__contains=SECRET).exists()
    line_user = LineUser.objects.get(client=person)
    assert line_user.display_name == "" and line_user.line_user_id.startswith(
        "anonymised-"
    )
    entry = AuditEntry.objects.get(detail="anonymised")
    assert entry.user == admin and entry.client_code == person.code
    assert SECRET not in person.search_text


def test_only_admins_may_anonymise(client_as, counsellor, person):
    url = reverse("consultations:client_anonymise", args=[person.pk])
    assert client_as(counsellor).post(url).status_code == 403
    assert Client.objects.get(pk=person.pk).display_name == SECRET


def test_the_django_admin_is_audited_for_client_records(client_as, admin_user):
    person = ClientFactory()
    c = client_as(admin_user)
    c.get(reverse("admin:consultations_client_changelist"))
    c.get(reverse("admin:consultations_client_change", args=[person.pk]))
    c.post(
        reverse("admin:consultations_client_change", args=[person.pk]),
        {
            "display_name": "変更後",
            "status": "open",
            "urgency": "medium",
            "closure_reason": "",
            "kana": "",
            "phone": "",
            "email": "",
            "area": "",
            "notes": "",
            "household_type": "",
            "age_band": "",
        },
    )
    entries = list(
        AuditEntry.objects.filter(user=admin_user)
        .order_by("id")
        .values_list("action", "object_type", "client_code", "detail")
    )
    assert entries[0] == ("view", "consultations.client", "", "admin list")
    assert entries[1] == ("view", "consultations.client", person.code, "admin")
    assert entries[2][:3] == ("change", "consultations.client", person.code)
    assert "display_name" in entries[2][3]
