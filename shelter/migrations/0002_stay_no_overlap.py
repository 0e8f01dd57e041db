"""No double booking, enforced by PostgreSQL: an exclusion constraint over the
room (equality, which GiST can index only with the btree_gist extension) and
the days the stay holds the room (range overlap), for stays not cancelled.

Both operations run on PostgreSQL only. SQLite has no exclusion constraints:
there Stay.clean() checks for a clash inside the booking's write transaction,
which SQLite's IMMEDIATE transaction mode serialises (config/settings/base.py).
The migration state holds the constraint on every database, so that
makemigrations sees no change.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models

import shelter.models


class CreateBtreeGist(BtreeGistExtension):
    """CREATE EXTENSION IF NOT EXISTS btree_gist, on PostgreSQL only. Unapplying
    leaves the extension in place: other objects may use it, and Django's own
    operation would query pg_extension on SQLite."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        return None


class AddConstraintOnPostgreSQL(migrations.AddConstraint):
    """AddConstraint that touches the database only on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return super().describe() + " (PostgreSQL only)"


class Migration(migrations.Migration):
    dependencies = [
        ("shelter", "0001_initial"),
    ]

    operations = [
        CreateBtreeGist(),
        AddConstraintOnPostgreSQL(
            model_name="stay",
            constraint=shelter.models.StayOverlapConstraint(
                condition=models.Q(("status", "cancelled"), _negated=True),
                expressions=[
                    ("room", "="),
                    (shelter.models.OccupiedDays("start_date", "end_date"), "&&"),
                ],
                name="stay_no_overlap",
            ),
        ),
    ]
