"""Fixtures shared by every app's tests."""

import pytest

from accounts.roles import Role
from tests.factories import UserFactory


@pytest.fixture
def make_user(db):
    """make_user("counsellor") -> a user holding that role (or roles)."""

    def make(*roles, **fields):
        return UserFactory(roles=roles, **fields)

    return make


@pytest.fixture
def counsellor(make_user):
    return make_user(Role.COUNSELLOR, username="counsellor1")


@pytest.fixture
def coordinator(make_user):
    return make_user(Role.COORDINATOR, username="coordinator1")


@pytest.fixture
def facilitator(make_user):
    return make_user(Role.FACILITATOR, username="facilitator1")


@pytest.fixture
def city_staff(make_user, funder):
    """City staff of ``funder``: they see the programmes it funds (and
    programme_create(by=city_staff) gives a programme that funder)."""
    return make_user(Role.CITY_STAFF, username="city1", funder=funder)


@pytest.fixture
def funder(db):
    from accounts.models import Funder

    return Funder.objects.get_or_create(name="市")[0]


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMIN, username="admin1")


@pytest.fixture
def client_as(client):
    """client_as(user) -> the test client, logged in as user."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def complaints_after_a_flush(request):
    """A transactional test starts after another one's flush, which empties
    what the migrations seeded. Every consultation needs the list of
    complaints (its main complaint is 不明 unless given: consultations
    0020), so a transactional test gets it again, by the migration's own
    idempotent code. Other tests roll back and keep it."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None
        and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )
    if not transactional:
        return
    from importlib import import_module

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    import_module("consultations.migrations.0022_complaints").seed(apps, None)
