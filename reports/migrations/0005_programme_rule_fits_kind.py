from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0015_organisation_required"),
        ("peergroups", "0003_organisation_required"),
        ("reports", "0004_organisation_required"),
        ("shelter", "0005_organisation_required"),
    ]

    operations = [
        migrations.AlterField(
            model_name="programmerule",
            name="channel",
            field=models.CharField(
                blank=True,
                help_text="Consultations only: only this channel.",
                max_length=20,
                verbose_name="consultation channel",
            ),
        ),
        migrations.AddConstraint(
            model_name="programmerule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "record_kind__in",
                        [
                            "consultation",
                            "support_action",
                            "stay",
                            "salon_visit",
                            "peer_session",
                            "training_event",
                            "line_chat",
                        ],
                    )
                ),
                name="programme_rule_kind_known",
            ),
        ),
        migrations.AddConstraint(
            model_name="programmerule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("channel", ""),
                    models.Q(
                        (
                            "channel__in",
                            ("line", "phone", "face_to_face", "sns", "email", "visit"),
                        ),
                        ("record_kind", "consultation"),
                    ),
                    _connector="OR",
                ),
                name="programme_rule_channel_for_consultations",
                violation_error_message="Only a rule for consultations can name a channel.",
            ),
        ),
        migrations.AddConstraint(
            model_name="programmerule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("facility__isnull", True),
                    ("record_kind__in", ["stay", "salon_visit"]),
                    _connector="OR",
                ),
                name="programme_rule_facility_for_places",
                violation_error_message="Only a rule for stays or salon visits can name a facility.",
            ),
        ),
        migrations.AddConstraint(
            model_name="programmerule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("group__isnull", True),
                    ("record_kind", "peer_session"),
                    _connector="OR",
                ),
                name="programme_rule_group_for_sessions",
                violation_error_message="Only a rule for peer-support sessions can name a group.",
            ),
        ),
        migrations.AddConstraint(
            model_name="programmerule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("line_channel__isnull", True),
                    ("record_kind", "line_chat"),
                    _connector="OR",
                ),
                name="programme_rule_line_account_for_chats",
                violation_error_message="Only a rule for LINE chats can name a LINE official account.",
            ),
        ),
    ]
