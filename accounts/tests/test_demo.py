"""seed_demo shows the separation of issue 18: two organisations (the NPO of
the main data set and a municipal desk of another city), two funders and
three programmes of the demo year, each with its own records."""

import io
import json

import pytest
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse

from accounts.demo import FUNDERS, ORGANISATIONS
from accounts.models import Organisation, User
from consultations.models import Client, Consultation, LineChat, SupportAction
from peergroups.models import Session
from reports.models import Programme
from shelter.models import SalonVisit, Stay
from training.models import Event

pytestmark = pytest.mark.django_db

NPO, DESK = (ORGANISATIONS[k][0] for k in ("a", "b"))
CITY, PREFECTURE = (FUNDERS[k][0] for k in ("city", "prefecture"))
ACTIVITY = (Consultation, SupportAction, Stay, SalonVisit, Session, Event, LineChat)


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=io.StringIO())
    return {
        "npo": Organisation.objects.get(name=NPO),
        "desk": Organisation.objects.get(name=DESK),
        "programmes": {
            key_of(p): p
            for p in Programme.objects.filter(fiscal_year=2021).select_related(
                "organisation", "funder"
            )
        },
    }


def key_of(programme) -> str:
    """city: the NPO's 居場所 programme; sns: its LINE chats'; desk: the
    municipal desk's."""
    if programme.organisation.name == DESK:
        return "desk"
    return "sns" if programme.rules.filter(record_kind="line_chat").exists() else "city"


def test_two_organisations_two_funders_three_programmes(demo):
    assert set(Organisation.objects.values_list("name", flat=True)) == {NPO, DESK}
    programmes = demo["programmes"]
    assert {
        key: (p.organisation.name, p.funder.name) for key, p in programmes.items()
    } == {
        "city": (NPO, CITY),
        "sns": (NPO, PREFECTURE),
        "desk": (DESK, PREFECTURE),
    }
    members = {
        u.username: sorted(o.name for o in u.organisations.all())
        for u in User.objects.prefetch_related("organisations")
    }
    for username in ("admin", "counsellor", "counsellor2", "coordinator"):
        assert members[username] == [NPO]
    assert members["komorebi"] == members["komorebi_admin"] == [DESK]
    assert User.objects.get(username="city").funder.name == CITY
    prefecture = User.objects.get(username="prefecture")
    assert (prefecture.funder.name, members["prefecture"]) == (PREFECTURE, [])
    # A record's programme is one of its own organisation's.
    for model in ACTIVITY:
        assert not model.objects.exclude(
            programme__organisation=F("organisation")
        ).exclude(programme=None), model
    # The kinds of records of each programme (the desk has no shelter).
    expected = {
        "city": set(ACTIVITY) - {LineChat},
        "sns": {Consultation, LineChat},
        "desk": set(ACTIVITY) - {LineChat, Stay},
    }
    for key, kinds in expected.items():
        found = {
            m for m in ACTIVITY if m.objects.filter(programme=programmes[key]).exists()
        }
        assert found == kinds, key
    # The rules say the same as the records: the NPO's LINE consultations are
    # the SNS programme's, its phone consultations the city programme's.
    for channel, key in (("line", "sns"), ("phone", "city")):
        assert (
            programmes[key]
            .rules.filter(record_kind="consultation", channel=channel)
            .exists()
        )
        assert set(
            Consultation.objects.filter(
                organisation=demo["npo"],
                channel=channel,
                started_at__year=2021,
                started_at__month__gte=4,
            ).values_list("programme", flat=True)
        ) == {programmes[key].pk}


def test_a_counsellor_of_the_desk_does_not_see_the_npos_clients(client, demo):
    theirs = list(Client.objects.filter(organisation=demo["npo"]))
    ours = list(Client.objects.filter(organisation=demo["desk"]))
    assert len(theirs) == 40 and 0 < len(ours) < 10
    client.force_login(User.objects.get(username="komorebi"))
    assert client.get(theirs[0].get_absolute_url()).status_code == 404
    assert client.get(ours[0].get_absolute_url()).status_code == 200
    page = client.get(reverse("consultations:client_list")).content.decode()
    for person in ours:
        assert person.code in page
    for person in theirs:
        assert person.code not in page
    # and the NPO's counsellor does not see the desk's
    client.force_login(User.objects.get(username="counsellor"))
    assert client.get(ours[0].get_absolute_url()).status_code == 404
    assert client.get(theirs[0].get_absolute_url()).status_code == 200


def report(programme) -> dict:
    out = io.StringIO()
    call_command(
        "annual_report",
        "--fiscal-year",
        "2021",
        "--programme",
        str(programme.pk),
        stdout=out,
    )
    return json.loads(out.getvalue())


def test_the_programmes_have_different_records(demo):
    counts = {
        key: [model.objects.filter(programme=p).count() for model in ACTIVITY]
        for key, p in demo["programmes"].items()
    }
    assert len({tuple(c) for c in counts.values()}) == 3
    assert all(sum(c) > 20 for c in counts.values())


def test_each_programmes_report_counts_only_its_records(demo):
    programmes = demo["programmes"]
    reports = {key: report(p) for key, p in programmes.items()}
    for key, p in programmes.items():
        assert reports[key]["consultations_total"]["count"] == (
            Consultation.objects.filter(
                programme=p, started_at__date__range=("2021-04-01", "2022-03-31")
            ).count()
        ), key
    assert reports["city"]["shelter"]["nights"] == 211
    assert reports["sns"]["shelter"]["nights"] == reports["desk"]["shelter"]["nights"]
    assert reports["sns"]["shelter"]["nights"] == 0
    assert reports["sns"]["sns"]["chats"] > 100
    assert reports["city"]["sns"]["chats"] == reports["desk"]["sns"]["chats"] == 0
    totals = {key: r["consultations_total"]["count"] for key, r in reports.items()}
    assert len(set(totals.values())) == 3, totals


def test_the_demo_shows_consents_and_referrals_of_every_kind(demo):
    """Issue 19: consents valid, expired, withdrawn and not yet valid;
    referrals sent, accepted and declined, with outcomes; one emergency
    override; each in its client's organisation."""
    from consultations.models import Consent, Referral

    consents = list(Consent.objects.select_related("client"))
    assert {c.state for c in consents} == {"valid", "expired", "withdrawn", "not_yet"}
    referrals = list(Referral.objects.select_related("client", "support_action"))
    assert {r.status for r in referrals} == {"sent", "accepted", "declined"}
    assert any(r.has_outcome for r in referrals)
    assert sum(r.is_override for r in referrals) == 1
    for record in (*consents, *referrals):
        assert record.organisation_id == record.client.organisation_id
    for referral in referrals:
        assert referral.support_action.kind == "referral"
        assert referral.support_action.organisation_id == referral.organisation_id
