"""After the upgrade to organisations (issue 18) rewrote every row of the
record tables twice (their organisation, then their programme), PostgreSQL
needs VACUUM before its index-only scans work again (the visibility map was
cleared) and fresh statistics: without them the list pages took 1.5-3× as
long on the benchmark's data set (docs/benchmarks.md). VACUUM cannot run in a
transaction, so this migration is not atomic; on a fresh database it takes
no time, and on SQLite it does nothing."""

from django.db import migrations

TABLES = (
    "consultations_client",
    "consultations_consultation",
    "consultations_supportaction",
    "consultations_urgencychange",
    "consultations_safetyflagclearance",
    "consultations_followup",
    "consultations_lineuser",
    "consultations_linechat",
    "consultations_linemessage",
    "consultations_cannedreply",
    "shelter_facility",
    "shelter_stay",
    "shelter_unmetrequest",
    "shelter_salonvisit",
    "peergroups_group",
    "peergroups_session",
    "training_event",
    "reports_importjob",
    "reports_programme",
)


def vacuum(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"VACUUM (ANALYZE) {schema_editor.quote_name(table)}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("reports", "0006_attribute_records_to_programmes"),
        ("consultations", "0017_indexes_hold_the_organisation"),
    ]

    operations = [
        migrations.RunPython(vacuum, migrations.RunPython.noop, elidable=True),
    ]
