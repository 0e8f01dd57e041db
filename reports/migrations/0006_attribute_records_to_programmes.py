"""Upgrade (issue 18): the records made before programmes were attributed
take the programme of their fiscal year (April to March), where their
organisation ran exactly one programme that year. Where it ran none or
several, they stay without one and the data-quality page lists them."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations
from django.db.models import Count, Min

# Each kind of record and its date; a date and time counts by its local date.
RECORDS = (
    ("consultations", "Consultation", "started_at"),
    ("consultations", "SupportAction", "date"),
    ("shelter", "Stay", "start_date"),
    ("shelter", "SalonVisit", "date"),
    ("peergroups", "Session", "date"),
    ("training", "Event", "date"),
    ("consultations", "LineChat", "started_at"),
)


def fiscal_year_bounds(year: int, with_time: bool):
    """[first, next) of fiscal year ``year`` (which starts in April)."""
    first, after = dt.date(year, 4, 1), dt.date(year + 1, 4, 1)
    if not with_time:
        return first, after
    zone = ZoneInfo(settings.TIME_ZONE)
    return (
        dt.datetime.combine(first, dt.time(), tzinfo=zone),
        dt.datetime.combine(after, dt.time(), tzinfo=zone),
    )


def attribute_by_fiscal_year(apps, schema_editor):
    Programme = apps.get_model("reports", "Programme")
    only_ones = (
        Programme.objects.order_by()
        .values("organisation_id", "fiscal_year")
        .annotate(n=Count("id"), programme_id=Min("id"))
        .filter(n=1)
    )
    for row in only_ones:
        for app_label, model_name, date_field in RECORDS:
            model = apps.get_model(app_label, model_name)
            first, after = fiscal_year_bounds(
                row["fiscal_year"], with_time=date_field == "started_at"
            )
            model._base_manager.filter(
                **{
                    "organisation_id": row["organisation_id"],
                    "programme__isnull": True,
                    f"{date_field}__gte": first,
                    f"{date_field}__lt": after,
                }
            ).update(programme_id=row["programme_id"])
    if schema_editor.connection.vendor == "postgresql":
        # The upgrade rewrote every row of these tables (their organisation,
        # then their programme): fresh statistics, or the planner keeps plans
        # made for the tables before (the team worklist's quiet cases took
        # 11 s instead of 0.2 s on the benchmark's data set until ANALYZE).
        for app_label, model_name, _field in RECORDS:
            table = apps.get_model(app_label, model_name)._meta.db_table
            schema_editor.execute(f"ANALYZE {schema_editor.quote_name(table)}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_organisations_and_funders"),
        ("consultations", "0015_organisation_required"),
        ("peergroups", "0003_organisation_required"),
        ("reports", "0005_programme_rule_fits_kind"),
        ("shelter", "0005_organisation_required"),
        ("training", "0003_organisation_required"),
    ]

    operations = [
        migrations.RunPython(
            attribute_by_fiscal_year, migrations.RunPython.noop, elidable=True
        ),
    ]
