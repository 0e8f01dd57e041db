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
