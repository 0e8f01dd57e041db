"""Demo data for `manage.py seed_demo`. This module makes the users; each app
registers a seeder in its AppConfig.ready() that adds its own records to the
same fictional, deterministic fiscal year."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .roles import Role

DEMO_PASSWORD = "ibasho-demo-2021"  # noqa: S105 - printed for the demo, refused in production
DEMO_FISCAL_YEAR = 2021  # 令和3年度, the year of the Ueda report

# username, family name, given name, roles
DEMO_USERS = (
    ("admin", "管理", "花子", (Role.ADMIN,)),
    ("counsellor", "相談", "由美", (Role.COUNSELLOR,)),
    ("counsellor2", "傾聴", "真紀", (Role.COUNSELLOR,)),
    ("coordinator", "調整", "恵子", (Role.COORDINATOR,)),
    ("facilitator", "進行", "里美", (Role.FACILITATOR,)),
    ("city", "市役", "直子", (Role.CITY_STAFF,)),
)


@dataclass
class DemoContext:
    """What every seeder gets: one random generator (fixed seed) and the year."""

    rng: random.Random
    fiscal_year: int
    users: dict = field(default_factory=dict)

    @property
    def start(self) -> date:
        return date(self.fiscal_year, 4, 1)

    @property
    def end(self) -> date:
        return date(self.fiscal_year + 1, 3, 31)


@dataclass(frozen=True)
class Seeder:
    name: str
    run: Callable[[DemoContext], str]  # returns a one-line summary
    order: int = 50


_SEEDERS: list[Seeder] = []


def register(seeder: Seeder) -> None:
    if all(s.name != seeder.name for s in _SEEDERS):
        _SEEDERS.append(seeder)


def seeders() -> list[Seeder]:
    return sorted(_SEEDERS, key=lambda s: s.order)


def create_users() -> dict:
    from .models import Organisation
    from .scoping import DEFAULT_ORGANISATION_NAME

    User = get_user_model()
    org = Organisation.objects.order_by("pk").first()
    if org is None:
        org = Organisation.objects.create(name=DEFAULT_ORGANISATION_NAME)
    users = {}
    for username, last, first, roles in DEMO_USERS:
        user = User(
            username=username,
            last_name=last,
            first_name=first,
            is_staff=Role.ADMIN in roles,
            is_superuser=Role.ADMIN in roles,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.set(Group.objects.filter(name__in=roles))
        user.organisations.set([org])
        users[username] = user
    return users
