"""Row-level security: the policies of the tables with an organisation
column read the connection's settings once per query, not once per row
(accounts.rls.ORGANISATION_CONDITION). The same rows are visible; only the
cost changes. A no-op on SQLite."""

from django.db import migrations

from accounts.migration_ops import row_level_security

# The tables with an organisation column of their own at this migration.
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
    "consultations_urgencyassessment",
    "consultations_supportplan",
    "consultations_plantask",
    "consultations_closurerequest",
    "consultations_consent",
    "consultations_referral",
    "shelter_facility",
    "shelter_stay",
    "shelter_unmetrequest",
    "shelter_salonvisit",
    "peergroups_group",
    "peergroups_session",
    "training_event",
    "reports_importjob",
)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_user_keyboard_shortcuts"),
        ("consultations", "0019_consent_referrals"),
        ("shelter", "0005_organisation_required"),
        ("peergroups", "0003_organisation_required"),
        ("training", "0003_organisation_required"),
        ("reports", "0007_vacuum_after_upgrade"),
    ]

    operations = [row_level_security(*OWN_ORGANISATION, undo=False)]
