"""The upgrade (reports 0006): records made before attribution take the
programme of their fiscal year where their organisation ran exactly one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from accounts import dataversion, scoping
from accounts.models import Organisation
from consultations.line.models import LineChat
from consultations.models import SupportAction
from consultations.tests.line_factories import LineUserFactory
from peergroups.tests.factories import SessionFactory
from reports.models import Programme
from shelter.tests.factories import RoomFactory, SalonVisitFactory
from tests.factories import ClientFactory, UserFactory, default_organisation
from training.tests.factories import EventFactory

D = dt.date
BEFORE = ("reports", "0005_programme_rule_fits_kind")
UPGRADE = ("reports", "0006_attribute_records_to_programmes")


def jst(*args) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))


def migrate(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    with dataversion.migrating(connection):  # as manage.py migrate
        executor.migrate([target])


@pytest.fixture
def latest_schema_after():
    """Going back to reports 0005 also unapplies every later migration that
    depends on 0006 (consultations 0017 and 0018, whose tables the browser
    tests after this one use); the upgrade goes forward to 0006 only. Put
    the whole schema back to the latest migrations afterwards."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    with dataversion.migrating(connection):  # as manage.py migrate
        executor.migrate(executor.loader.graph.leaf_nodes())


def programme(org, year, name) -> Programme:
    return Programme.objects.create(
        fiscal_year=year, name=name, municipality="市", organisation=org
    )


def old_model(app_label, name):
    """A model as the migrations applied now have it: today's have columns
    added later (consultations 0022's main complaint, shelter 0006's
    temporary protection)."""
    loader = MigrationLoader(connection)
    state = loader.project_state(list(loader.applied_migrations))
    return state.apps.get_model(app_label, name)


def old_consultation(*, client, started_at, counsellor=None):
    return old_model("consultations", "Consultation").objects.create(
        client_id=client.pk,
        organisation_id=client.organisation_id,
        started_at=started_at,
        counsellor_id=(counsellor or UserFactory()).pk,
        channel="phone",
    )


def old_client():
    """A client through the models of the schema now applied: today's Client
    has columns added later (consultations 0023's last contact)."""
    person = ClientFactory.build()
    person.refresh_search()
    return old_model("consultations", "Client").objects.create(
        code=person.code,
        display_name=person.display_name,
        kana=person.kana,
        search_text=person.search_text,
        search_phone=person.search_phone,
        organisation_id=scoping.organisation_for_new_record(person),
    )


def every_kind(day: dt.date, staff) -> list:
    """One record of each of the seven kinds on ``day`` (no programme)."""
    at = jst(day.year, day.month, day.day, 12)
    person = old_client()
    return [
        old_consultation(client=person, started_at=at, counsellor=staff),
        SupportAction.objects.create(
            client_id=person.pk, kind="interview", date=day, staff=staff
        ),
        old_model("shelter", "Stay").objects.create(
            client_id=person.pk,
            organisation_id=person.organisation_id,
            room_id=RoomFactory().pk,
            kind="overnight",
            start_date=day,
            end_date=day + dt.timedelta(days=2),
            status="reserved",
        ),
        SalonVisitFactory(date=day),
        SessionFactory(date=day),
        EventFactory(date=day),
        LineChat.objects.create(line_user=LineUserFactory(), started_at=at),
    ]


def programme_of(record):
    # Only the programme column: the schema may be older than today's models.
    return (
        type(record)
        ._base_manager.filter(pk=record.pk)
        .values_list("programme_id", flat=True)
        .get()
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("latest_schema_after")
def test_the_upgrade_gives_records_the_one_programme_of_their_fiscal_year():
    org = default_organisation()
    other = Organisation.objects.create(name="よそのNPO")
    migrate(BEFORE)
    one = programme(org, 2021, "令和3年度の事業")
    programme(org, 2022, "令和4年度の事業A")
    programme(org, 2022, "令和4年度の事業B")
    theirs = programme(other, 2021, "よその事業")
    kept = programme(org, 2023, "選ばれた事業")
    with scoping.organisations([org.pk]):
        staff = UserFactory()
        in_2021 = every_kind(D(2021, 10, 1), staff)
        in_2022 = every_kind(D(2022, 10, 1), staff)  # two programmes: none
        in_2020 = every_kind(D(2021, 3, 31), staff)  # no programme that year
        # The fiscal year by the local date: 1 April 00:30 in Japan is still
        # 31 March in UTC, and already the new fiscal year.
        first_hour = old_consultation(
            client=old_client(), started_at=jst(2021, 4, 1, 0, 30)
        )
        last_hour = old_consultation(
            client=old_client(), started_at=jst(2021, 3, 31, 23, 30)
        )
        chosen = EventFactory(date=D(2021, 5, 1), programme=kept)
    with scoping.organisations([other.pk]):
        elsewhere = EventFactory(date=D(2021, 6, 1))
    assert all(programme_of(r) is None for r in [*in_2021, first_hour, elsewhere])

    migrate(UPGRADE)

    assert [programme_of(r) for r in in_2021] == [one.pk] * 7
    assert [programme_of(r) for r in in_2022] == [None] * 7
    assert [programme_of(r) for r in in_2020] == [None] * 7
    assert programme_of(first_hour) == one.pk
    assert programme_of(last_hour) is None
    assert programme_of(chosen) == kept.pk
    assert programme_of(elsewhere) == theirs.pk
