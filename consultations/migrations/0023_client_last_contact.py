"""The client's cached last contact (casework.client_refresh_last_contact),
filled for the existing clients by one UPDATE."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest, TruncDate


def backfill(apps, schema_editor):
    # The expression of casework.last_contact_computed, on the historical
    # models: one UPDATE ... SET = GREATEST(subquery, subquery), a few seconds
    # for 10k clients and 100k consultations.
    Client = apps.get_model("consultations", "Client")
    Consultation = apps.get_model("consultations", "Consultation")
    SupportAction = apps.get_model("consultations", "SupportAction")
    consulted = Subquery(
        Consultation.objects.filter(client=OuterRef("pk"))
        .order_by("-started_at")
        .annotate(day=TruncDate("started_at"))
        .values("day")[:1]
    )
    supported = Subquery(
        SupportAction.objects.filter(client=OuterRef("pk"))
        .order_by("-date")
        .values("date")[:1]
    )
    Client.objects.update(
        last_contact_on=Greatest(
            Coalesce(consulted, supported), Coalesce(supported, consulted)
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_demo_data"),
        ("consultations", "0022_complaints"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="client",
            name="last_contact_on",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="last contact"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="client",
            index=models.Index(
                fields=["last_contact_on", "id"],
                condition=models.Q(("status", "open")),
                name="client_open_last_contact",
            ),
        ),
    ]
