"""Operations the upgrade to organisations (issue 18) shares between apps.

Upgrading a database of one organisation makes that organisation (accounts
0005) and gives it every existing record (each app's organisation_scope
migration) before the column becomes required.
"""

from django.db import migrations

UPGRADE_ORGANISATION_NAME = "本部"


def the_organisation(apps):
    """The organisation of an upgraded database: the first there is, made if
    none is (a database with records but no users)."""
    Organisation = apps.get_model("accounts", "Organisation")
    org = Organisation.objects.order_by("pk").first()
    if org is None:
        org = Organisation.objects.create(name=UPGRADE_ORGANISATION_NAME)
    return org


def fill_organisation(*labels: str) -> migrations.RunPython:
    """Gives every record of these models (``app.Model``) without an
    organisation the organisation of the upgraded database."""

    def forward(apps, schema_editor):
        for label in labels:
            rows = apps.get_model(label)._base_manager.filter(organisation__isnull=True)
            if rows.exists():
                rows.update(organisation=the_organisation(apps))

    return migrations.RunPython(forward, migrations.RunPython.noop, elidable=True)


def row_level_security(*tables: str, undo: bool = True) -> migrations.RunPython:
    """Puts these tables (each with an organisation column of its own) under
    their policy (accounts.rls); undone by taking it off again, or, with
    ``undo=False``, left as it is (a migration that only re-creates a
    policy). A no-op on SQLite."""
    from accounts import rls

    def run(schema_editor, statements):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            for sql in statements(table):
                schema_editor.execute(sql)

    def forward(apps, schema_editor):
        run(schema_editor, lambda table: rls.enable_sql(table, {}))

    def backward(apps, schema_editor):
        run(schema_editor, rls.disable_sql)

    return migrations.RunPython(
        forward, backward if undo else migrations.RunPython.noop
    )
