"""Demo data for `manage.py seed_demo`. This module makes the organisations,
funders and users; each app registers a seeder in its AppConfig.ready() that
adds its own records to the same fictional, deterministic fiscal year.

Two organisations share the deployment, so that a newcomer sees the
separation: an NPO that holds the main data set (every original demo user
works there) and a smaller municipal desk of another city. Each seeder runs in
the scope of one of them (``Seeder.organisation``), so its records belong to
that organisation."""

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
# The organisations: "a" holds the main data set and DEMO_USERS, "b" a smaller
# one. name, kind (accounts.Organisation.Kind values)
ORGANISATIONS = {
    "a": ("NPO法人いばしょネット", "npo"),
    "b": ("こもれび市 女性相談窓口", "municipal"),
}
# The funders: the city that funds the NPO's 居場所 programme, and the
# prefecture that funds the NPO's SNS consultations and the desk's programme.
# name, kind (accounts.Funder.Kind values)
FUNDERS = {
    "city": ("長野県いばしょ市", "municipality"),
    "prefecture": ("長野県", "prefecture"),
}
# Users of organisation "b" and city staff of the prefecture (the user "city"
# works for the city): username, family name, given name, roles, organisation
# key or funder key.
MORE_DEMO_USERS = (
    ("komorebi", "木漏", "陽菜", (Role.COUNSELLOR,), "b"),
    ("komorebi_admin", "日向", "律子", (Role.ADMIN,), "b"),
    ("prefecture", "県庁", "幸子", (Role.CITY_STAFF,), "prefecture"),
)


@dataclass
class DemoContext:
    """What every seeder gets: one random generator (fixed seed) and the year."""

    rng: random.Random
    fiscal_year: int
    users: dict = field(default_factory=dict)
    # key ("a", "b") -> Organisation; key ("city", "prefecture") -> Funder
    organisations: dict = field(default_factory=dict)
    funders: dict = field(default_factory=dict)
    # key -> Programme (reports.demo.seed_programmes)
    programmes: dict = field(default_factory=dict)

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
    organisation: str = "a"  # the key of the organisation it seeds


_SEEDERS: list[Seeder] = []


def register(seeder: Seeder) -> None:
    key = (seeder.name, seeder.organisation)
    if all((s.name, s.organisation) != key for s in _SEEDERS):
        _SEEDERS.append(seeder)


def seeders() -> list[Seeder]:
    return sorted(_SEEDERS, key=lambda s: s.order)


def _user(username, last, first, roles):
    User = get_user_model()
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
    return user


def create_users(org=None) -> dict:
    """DEMO_USERS, members of ``org`` (default: the database's first
    organisation, made if there is none)."""
    from .models import Organisation
    from .scoping import DEFAULT_ORGANISATION_NAME

    if org is None:
        org = Organisation.objects.order_by("pk").first()
    if org is None:
        org = Organisation.objects.create(name=DEFAULT_ORGANISATION_NAME)
    users = {}
    for username, last, first, roles in DEMO_USERS:
        user = _user(username, last, first, roles)
        user.organisations.set([org])
        users[username] = user
    return users


def logins() -> list[tuple[str, tuple, str]]:
    """Every demo user: username, roles, and the organisation or funder she
    works for (names)."""
    names = {key: name for key, (name, _kind) in (ORGANISATIONS | FUNDERS).items()}
    return [
        (username, roles, names["city" if username == "city" else "a"])
        for username, _last, _first, roles in DEMO_USERS
    ] + [
        (username, roles, names[where])
        for username, _last, _first, roles, where in MORE_DEMO_USERS
    ]


def create_organisations(ctx: DemoContext) -> None:
    """The demo's organisations, funders and users (into ``ctx``). The first
    organisation is the database's first one, renamed: a fresh database has
    one (本部), which holds what the migrations seeded."""
    from .models import Funder, Organisation

    first = Organisation.objects.order_by("pk").first() or Organisation()
    first.name, first.kind = ORGANISATIONS["a"]
    first.save()
    ctx.organisations = {"a": first} | {
        key: Organisation.objects.create(name=name, kind=kind)
        for key, (name, kind) in ORGANISATIONS.items()
        if key != "a"
    }
    ctx.funders = {
        key: Funder.objects.create(name=name, kind=kind)
        for key, (name, kind) in FUNDERS.items()
    }
    ctx.users = create_users(ctx.organisations["a"])
    city = ctx.users["city"]
    city.funder = ctx.funders["city"]
    city.save(update_fields=["funder"])
    for username, last, first, roles, where in MORE_DEMO_USERS:
        user = _user(username, last, first, roles)
        if where in ctx.funders:
            user.funder = ctx.funders[where]
            user.save(update_fields=["funder"])
        else:
            user.organisations.set([ctx.organisations[where]])
        ctx.users[username] = user
