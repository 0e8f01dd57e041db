"""An upgrade from before issue 19 rewrites every consultation (0022: its
main complaint) and every client (0023: the cached last contact) after
reports 0007 has vacuumed them, which clears PostgreSQL's visibility map
again: until autovacuum comes by, the consultation list's count of a year
reads the table instead of its covering index (33 ms instead of 4 on the
benchmark's upgraded data set, docs/benchmarks.md). VACUUM cannot run in a
transaction, so this migration is not atomic; on a fresh database it takes
no time, and on SQLite it does nothing."""

from django.db import migrations

TABLES = (
    "consultations_consultation",
    "consultations_consultation_other_problems",
    "consultations_client",
)


def vacuum(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"VACUUM (ANALYZE) {schema_editor.quote_name(table)}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("consultations", "0024_worklist_indexes"),
    ]

    operations = [
        migrations.RunPython(vacuum, migrations.RunPython.noop, elidable=True),
    ]
