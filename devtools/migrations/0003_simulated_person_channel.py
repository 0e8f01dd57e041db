# The simulated person writes to one official account (issue 18).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("consultations", "0015_organisation_required"),
        ("devtools", "0002_simulated_postback"),
    ]

    operations = [
        migrations.AddField(
            model_name="simulatedperson",
            name="channel",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="consultations.linechannel",
                verbose_name="LINE official account",
            ),
        ),
    ]
