# LINE user ids are unique per official account (issue 18).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_organisations_and_funders"),
        ("consultations", "0015_organisation_required"),
    ]

    operations = [
        migrations.AlterField(
            model_name="lineuser",
            name="line_user_id",
            field=models.CharField(max_length=64, verbose_name="LINE user id"),
        ),
        migrations.AddConstraint(
            model_name="lineuser",
            constraint=models.UniqueConstraint(
                fields=("channel", "line_user_id"), name="line_user_unique_per_channel"
            ),
        ),
        migrations.AddConstraint(
            model_name="lineuser",
            constraint=models.UniqueConstraint(
                condition=models.Q(("channel__isnull", True)),
                fields=("line_user_id",),
                name="line_user_unique_without_channel",
            ),
        ),
    ]
