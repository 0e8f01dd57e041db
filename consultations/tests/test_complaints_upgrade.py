"""The upgrade to 主訴 (consultations 0022): the topics are carried over to
main complaints and other problems, and every figure of the report that
existed before is the same after."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.models import Count, Q
from django.utils import timezone

from accounts import dataversion
from consultations.complaints import LEGACY_TOPICS, SEED
from reports import selectors, statutory
from reports.metrics import REGISTRY, YearFigures

BEFORE = ("consultations", "0021_meetings")

# (topics of the consultation, expected main complaint, expected others)
CASES = [
    (["就労", "DV"], "spouse_violence", ["economic"]),
    (["生活困窮", "就労"], "economic", []),
    ([], "unknown", []),
    (["子育て", "住まい", "心身の健康"], "family_problems", ["housing", "medical"]),
    (["孤立・孤独"], "relationships", []),
    (["その他", "住まい"], "housing", ["other"]),
    (["DV"], "spouse_violence", []),
]


def migrate(target) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    with dataversion.migrating(connection):  # as manage.py migrate
        executor.migrate([target] if not isinstance(target, list) else target)
    return executor


@pytest.fixture
def latest_schema_after():
    """Back to the latest migrations afterwards, whatever happened."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    with dataversion.migrating(connection):  # as manage.py migrate
        executor.migrate(executor.loader.graph.leaf_nodes())


def _by_channel_only(self) -> list[dict]:
    """YearFigures' consultations by main complaint and channel as the schema
    before 0022 can give them: by channel alone (no main complaint column)."""
    return [
        {**row, "main_complaint": None}
        for row in self._year_consultations()
        .values("channel")
        .annotate(
            count=Count("started_at"),
            new=Count("started_at", filter=Q(is_new=True)),
        )
    ]


def before_0022():
    """The report's code on the schema before 0022: no statutory tables
    (they need 0022's columns), the channel counts by channel alone."""
    return mock.patch.object(
        YearFigures, "_by_complaint_and_channel", property(_by_channel_only)
    )


def old_report() -> dict:
    """The report without the statutory tables (which need 0022's columns):
    every figure that existed before them, and every metric's value."""
    tables = list(statutory.TABLES)
    statutory.TABLES.clear()
    try:
        with before_0022():
            data = selectors.annual_report(fiscal_year=2021)
    finally:
        statutory.TABLES.extend(tables)
    data.pop("statutory")
    return data


def old_metrics(keys) -> dict:
    with before_0022():
        figures = YearFigures(2021)
        return {key: REGISTRY[key].read(figures) for key in keys}


def build_old_data(apps) -> dict[int, tuple]:
    """Consultations with topics, through the models of consultations 0019."""
    Organisation = apps.get_model("accounts", "Organisation")
    User = apps.get_model("accounts", "User")
    Client = apps.get_model("consultations", "Client")
    Consultation = apps.get_model("consultations", "Consultation")
    Topic = apps.get_model("consultations", "Topic")
    org = Organisation.objects.order_by("pk").first() or Organisation.objects.create(
        name="本部"
    )
    staff = User.objects.create(username="upgrade-counsellor")
    topics = {t.name: t for t in Topic.objects.all()}
    assert set(topics) >= set(LEGACY_TOPICS)
    people = [
        Client.objects.create(
            code=f"U-{n:06d}", display_name=f"相談者{n}", organisation=org
        )
        for n in range(3)
    ]
    expected = {}
    start = timezone.make_aware(dt.datetime(2021, 4, 5, 10))
    channels = ["phone", "line", "face_to_face", "email"]
    for n in range(40):
        names, main, others = CASES[n % len(CASES)]
        client = people[n % 3] if n % 4 else None
        consultation = Consultation.objects.create(
            organisation=org,
            client=client,
            counsellor=staff,
            channel=channels[n % len(channels)],
            started_at=start + dt.timedelta(days=7 * n, hours=n % 5),
            is_new=client is None and n % 8 == 0,
            summary="相談",
        )
        consultation.topics.set([topics[name] for name in names])
        expected[consultation.pk] = (main, others)
    return expected


@pytest.mark.django_db(transaction=True)
def test_topics_become_complaints_and_the_report_is_unchanged(latest_schema_after):
    migrate(BEFORE)
    # The models of every migration applied now (the other apps' latest).
    loader = MigrationLoader(connection)
    old_apps = loader.project_state(list(loader.applied_migrations)).apps
    expected = build_old_data(old_apps)
    before = old_report()
    existing = [k for k in REGISTRY if not k.startswith(("complaint_", "referrals_"))]
    before_metrics = old_metrics(existing)
    assert before["consultations_total"]["count"] == 40

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    with dataversion.migrating(connection):  # as manage.py migrate
        executor.migrate(executor.loader.graph.leaf_nodes())

    from consultations.models import Complaint, Consultation

    # The mapping: the first topic in the old list's order is the main
    # complaint, the others (without repeats) the other problems.
    for consultation in Consultation.objects.prefetch_related("other_problems"):
        main, others = expected[consultation.pk]
        assert consultation.main_complaint_id == main, consultation.pk
        assert sorted(c.code for c in consultation.other_problems.all()) == sorted(
            others
        )
    assert list(Complaint.objects.values_list("code", "label")) == SEED
    assert not Complaint.objects.get(code="unknown").active

    after = selectors.annual_report(fiscal_year=2021)
    rows = after.pop("statutory")["main_complaints"]
    assert after == before
    assert old_metrics(existing) == before_metrics
    assert sum(r["consultations"] for r in rows) == 40
