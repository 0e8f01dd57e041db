"""Indexes for the worklists' lists (issue 22): each list reads its first
LIST_LIMIT + 1 rows by an index scan in the list's order."""

from django.db import migrations, models


class AddIndexPostgreSQL(migrations.AddIndex):
    """An index only PostgreSQL builds (SQLite refuses NULLS FIRST in an
    index, and sorts NULL first anyway)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("consultations", "0023_client_last_contact")]

    operations = [
        AddIndexPostgreSQL(
            model_name="client",
            index=models.Index(
                models.F("last_contact_on").asc(nulls_first=True),
                models.F("id"),
                condition=models.Q(("status", "open")),
                name="client_open_quiet",
            ),
        ),
        AddIndexPostgreSQL(
            model_name="client",
            index=models.Index(
                models.F("assigned_counsellor"),
                models.F("last_contact_on").asc(nulls_first=True),
                models.F("id"),
                condition=models.Q(("status", "open")),
                name="client_open_staff_quiet",
            ),
        ),
        migrations.AddIndex(
            model_name="followup",
            index=models.Index(
                condition=models.Q(("done_at__isnull", True)),
                fields=["due_date", "id"],
                name="followup_open_due",
            ),
        ),
    ]
