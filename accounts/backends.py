"""The authentication backend: Django's, with the user's organisations, her
roles and her confirmed TOTP devices read in the same query as the user
(issues 18 and 22).

Every signed-in request loads its user from the session; the organisations
she belongs to come with her, so that her scope is a list of ids
(``scoping.for_user``) rather than a membership subquery in every query of
the page, and the row-level security policies compare with those ids. They
are read on every request, so a membership removed takes effect on her next
request. Her roles (``roles.user_roles``: the menu and every role check) and
the ids of her confirmed TOTP devices (``middleware.OTPMiddleware``: the
second factor of her session) come the same way, rather than in a query each.

The query is written once as SQL (a raw query): building it with the ORM's
aggregate subquery cost more Python time per request than it saved.
"""

from __future__ import annotations

from django.contrib.auth import backends, get_user_model
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from .roles import Role, roles_from

_AGGREGATE = {
    "postgresql": "string_agg(m.organisation_id::text, ',')",
    "sqlite": "group_concat(m.organisation_id, ',')",
}


def _sql(vendor: str) -> str:
    user_model = get_user_model()
    users = user_model._meta.db_table
    memberships = user_model.organisations.through._meta.db_table
    user_groups = user_model.groups.through._meta.db_table
    groups = user_model.groups.field.related_model._meta.db_table
    devices = TOTPDevice._meta.db_table
    aggregate = _AGGREGATE.get(vendor, _AGGREGATE["postgresql"])
    ids = aggregate.replace("m.organisation_id", "{}")
    roles = ", ".join(["%s"] * len(Role.values))
    # Table names from the models, never input. Role names hold no comma.
    return (
        f"SELECT u.*, (SELECT {aggregate} FROM {memberships} m"  # noqa: S608
        f" WHERE m.user_id = u.id) AS organisation_ids_csv,"
        f" (SELECT {ids.format('g.name')} FROM {user_groups} ug"
        f" JOIN {groups} g ON g.id = ug.group_id"
        f" WHERE ug.user_id = u.id AND g.name IN ({roles})) AS role_names_csv,"
        f" (SELECT {ids.format('d.id')} FROM {devices} d"
        f" WHERE d.user_id = u.id AND d.confirmed) AS totp_ids_csv"
        f" FROM {users} u WHERE u.id = %s"
    )


def organisation_ids_from(csv: str | None) -> list[int]:
    return sorted(int(i) for i in csv.split(",")) if csv else []


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        user_model = get_user_model()
        try:
            user_id = user_model._meta.pk.to_python(user_id)
        except Exception:  # a session that holds no valid id: nobody
            return None
        found = list(
            user_model._default_manager.raw(
                _sql(connection.vendor), [*Role.values, user_id]
            )
        )
        if not found:
            return None
        user = found[0]
        user._ibasho_org_ids = organisation_ids_from(user.organisation_ids_csv)
        names = user.role_names_csv.split(",") if user.role_names_csv else []
        user._ibasho_roles = roles_from(names, user)
        user._ibasho_totp_ids = frozenset(organisation_ids_from(user.totp_ids_csv))
        return user if self.user_can_authenticate(user) else None
