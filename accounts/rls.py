"""Row-level security on PostgreSQL: the organisations' isolation enforced a
second time, by the database (issue 18).

Every table of personal or activity records has a policy ``ibasho_org_scope``
(migration accounts 0006) that shows and accepts only the rows of the
organisations of the connection's scope, read from the settings that
``accounts.scoping`` writes whenever the scope changes and when a connection
opens:

- ``ibasho.user_id``: a user's id; her organisations are read from her
  memberships (``accounts_user_organisations``) by the policy itself;
- ``ibasho.org_ids``: ids of organisations, comma-separated (a report for a
  funder, a task acting for one organisation);
- ``ibasho.all_orgs``: ``on`` when no scope is active (commands, migrations,
  the shell), where the ORM is not filtered either.

A setting that is missing or empty matches nothing: a connection whose scope
was never written sees no personal record. The tables are also FORCEd, so the
table owner (the app's role in a normal deployment) is subject to them;
superusers and roles with BYPASSRLS are not (``accounts.checks`` warns when
the app connects as one). SQLite has no row-level security and relies on the
ORM scoping alone.

``OWN_ORGANISATION`` and ``THROUGH_PARENT`` are the one list of the tables
under a policy; ``accounts/tests/test_rls.py`` checks it against the models
(a new scoped model, or a many-to-many table linking one, without an entry
fails) and, on PostgreSQL, against the database (an entry without a migration
that creates its policy fails). A new table: add it here and call
``enable_sql``/``disable_sql`` for it in a new migration.

``accounts_user_organisations`` itself has no policy: the policies read it,
and it holds only which user belongs to which organisation.
"""

from __future__ import annotations

POLICY = "ibasho_org_scope"

# The condition on a row's organisation_id. Each setting is read inside a
# scalar subquery, which PostgreSQL evaluates once per query (an InitPlan)
# rather than once per row: current_setting() is only STABLE, and parsing
# the list of ids for every row of a count over a year's records cost
# list pages 10-60 % (docs/benchmarks.md, "Before and after organisations").
ORGANISATION_CONDITION = (
    "(SELECT current_setting('ibasho.all_orgs', true) = 'on')"
    # (the cast makes ANY take one array, not the rows of a subquery)
    " OR organisation_id = ANY (CAST((SELECT string_to_array("
    "NULLIF(current_setting('ibasho.org_ids', true), ''), ',')) AS bigint[]))"
    " OR organisation_id IN (SELECT organisation_id FROM accounts_user_organisations"
    " WHERE user_id = (SELECT NULLIF(current_setting('ibasho.user_id', true), '')"
    "::bigint))"
)

# Tables with an organisation column of their own.
OWN_ORGANISATION = (
    "consultations_client",
    "consultations_consultation",
    "consultations_supportaction",
    "consultations_urgencychange",
    "consultations_safetyflagclearance",
    "consultations_followup",
    "consultations_linechannel",
    "consultations_lineuser",
    "consultations_linechat",
    "consultations_linemessage",
    "consultations_cannedreply",
    "consultations_consent",
    "consultations_referral",
    "consultations_urgencyassessment",
    "consultations_supportplan",
    "consultations_plantask",
    "consultations_closurerequest",
    "consultations_coordinationmeeting",
    "consultations_meetingmember",
    "consultations_meetingcase",
    "consultations_meetingrole",
    "shelter_facility",
    "shelter_stay",
    "shelter_unmetrequest",
    "shelter_salonvisit",
    "peergroups_group",
    "peergroups_session",
    "training_event",
    "reports_importjob",
)

# Tables without one: a row is visible (and may be written) when its parent
# row is, under the parent's own policy. {table: (column, parent table)}
THROUGH_PARENT = {
    "consultations_consultation_other_problems": (
        "consultation_id",
        "consultations_consultation",
    ),
    "consultations_linechattransfer": ("chat_id", "consultations_linechat"),
    "consultations_linemedia": ("message_id", "consultations_linemessage"),
    # Not scoped in the ORM (only the webhook and its task use it), but it
    # links a person's LINE account to the automatic replies she was sent.
    "consultations_lineautoreplyclaim": ("line_user_id", "consultations_lineuser"),
    "shelter_room": ("facility_id", "shelter_facility"),
    "shelter_salonvisit_clients": ("salonvisit_id", "shelter_salonvisit"),
    "peergroups_series": ("group_id", "peergroups_group"),
    "peergroups_attendance": ("session_id", "peergroups_session"),
    "training_speaker": ("event_id", "training_event"),
    "training_surveyresponse": ("event_id", "training_event"),
}

# Tables under a policy without being scoped in the ORM (see above).
NOT_SCOPED_IN_THE_ORM = {"consultations_lineautoreplyclaim"}


def tables() -> list[str]:
    """Every table under a policy."""
    return [*OWN_ORGANISATION, *THROUGH_PARENT]


def condition(table: str, through_parent=THROUGH_PARENT) -> str:
    if table not in through_parent:
        return ORGANISATION_CONDITION
    column, parent = through_parent[table]
    # EXISTS with the parent's primary key: one index lookup per row read,
    # rather than reading every visible row of the parent for each query.
    # The names are this module's constants, never input.
    return f"EXISTS (SELECT 1 FROM {parent} p WHERE p.id = {table}.{column})"  # noqa: S608


def enable_sql(table: str, through_parent=THROUGH_PARENT) -> list[str]:
    """The statements that put ``table`` under its policy."""
    check = condition(table, through_parent)
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {table}",
        f"CREATE POLICY {POLICY} ON {table} FOR ALL"
        f" USING ({check}) WITH CHECK ({check})",
    ]


def disable_sql(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS {POLICY} ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]


def expected_tables() -> dict[str, tuple[str, str] | None]:
    """What the models say should be under a policy: {table: (column, parent
    table), or None for a table with its own organisation column}. Every
    scoped model's table, and every many-to-many table linking a scoped
    model (through the model that has the many-to-many field)."""
    from django.apps import apps

    from .scoping import scoped_models

    scoped = scoped_models()
    expected: dict[str, tuple[str, str] | None] = {}
    for model in scoped:
        path = model.scope_path.split("__")
        if path == ["organisation"]:
            expected[model._meta.db_table] = None
        else:
            field = model._meta.get_field(path[0])
            expected[model._meta.db_table] = (
                field.column,
                field.related_model._meta.db_table,
            )
    for model in apps.get_models(include_auto_created=True):
        owner = model._meta.auto_created  # the model of a many-to-many field
        if not owner:
            continue
        links = {
            f.related_model: f
            for f in model._meta.concrete_fields
            if f.is_relation and f.related_model in scoped
        }
        if links:
            parent = owner if owner in links else next(iter(links))
            expected[model._meta.db_table] = (
                links[parent].column,
                parent._meta.db_table,
            )
    return expected
