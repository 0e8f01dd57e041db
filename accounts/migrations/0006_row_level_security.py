"""Row-level security on PostgreSQL (issue 18): every table of personal or
activity records shows and accepts only the rows of the organisations of the
connection's scope (accounts.rls). A no-op on SQLite, which relies on the ORM
scoping alone.

The tables are those of accounts.rls at the time of this migration; a table
added later gets its policy in a migration of its own."""

from django.db import migrations

from accounts import rls

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
    "shelter_facility",
    "shelter_stay",
    "shelter_unmetrequest",
    "shelter_salonvisit",
    "peergroups_group",
    "peergroups_session",
    "training_event",
    "reports_importjob",
)
THROUGH_PARENT = {
    "consultations_consultation_topics": ("consultation_id", "consultations_consultation"),
    "consultations_linechattransfer": ("chat_id", "consultations_linechat"),
    "consultations_linemedia": ("message_id", "consultations_linemessage"),
    "consultations_lineautoreplyclaim": ("line_user_id", "consultations_lineuser"),
    "shelter_room": ("facility_id", "shelter_facility"),
    "shelter_salonvisit_clients": ("salonvisit_id", "shelter_salonvisit"),
    "peergroups_series": ("group_id", "peergroups_group"),
    "peergroups_attendance": ("session_id", "peergroups_session"),
    "training_speaker": ("event_id", "training_event"),
    "training_surveyresponse": ("event_id", "training_event"),
}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in (*OWN_ORGANISATION, *THROUGH_PARENT):
        for sql in rls.enable_sql(table, THROUGH_PARENT):
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in (*OWN_ORGANISATION, *THROUGH_PARENT):
        for sql in rls.disable_sql(table):
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_organisations_and_funders"),
        ("consultations", "0015_organisation_required"),
        ("peergroups", "0003_organisation_required"),
        ("reports", "0004_organisation_required"),
        ("shelter", "0005_organisation_required"),
        ("training", "0003_organisation_required"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
