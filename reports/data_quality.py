"""The data-quality page (admins): the records without a programme, by kind,
split into those that no programme's rules cover and those that two or more
programmes' rules cover (reports.attribution), for a person to decide. Only
the admin's organisations' records: the ORM scope of the request filters them.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.roles import Role, role_required

from .attribution import KINDS, Kind, matches_count, record_url

# Rows shown per kind and case; the rest are counted ("and N more").
SHOWN = 20
# The fields a row needs (its date and its page), beside the pk.
URL_FIELDS = {Kind.SUPPORT_ACTION: ("client_id",), Kind.LINE_CHAT: ("line_user_id",)}


def _rows(kind, records):
    return [
        {
            "date": getattr(record, kind.date_field),
            "organisation": record.organisation.name,
            "url": record_url(kind, record),
            "pk": record.pk,
        }
        for record in records
    ]


def data_quality_sections() -> list[dict]:
    """For each kind: the counts and the latest records of both cases, in
    three queries a kind whatever the number of records."""
    sections = []
    for kind in KINDS:
        unattributed = (
            kind.model_class.objects.filter(programme__isnull=True)
            .annotate(matches=matches_count(kind))
            .order_by()
        )
        counts = unattributed.aggregate(
            none=Count("pk", filter=Q(matches__lt=2)),
            several=Count("pk", filter=Q(matches__gte=2)),
        )
        fields = ("pk", kind.date_field, "organisation__name")
        listed = (
            unattributed.select_related("organisation")
            .only(*fields, *URL_FIELDS.get(kind.kind, ()))
            .order_by(f"-{kind.date_field}", "-pk")
        )
        cases = []
        for key, condition in (
            ("none", Q(matches__lt=2)),
            ("several", Q(matches__gte=2)),
        ):
            rows = _rows(kind, listed.filter(condition)[:SHOWN])
            cases.append(
                {
                    "key": key,
                    "count": counts[key],
                    "rows": rows,
                    "more": max(counts[key] - len(rows), 0),
                }
            )
        sections.append(
            {
                "kind": kind.kind,
                "label": Kind(kind.kind).label,
                "cases": cases,
                "total": counts["none"] + counts["several"],
            }
        )
    return sections


@role_required(Role.ADMIN)
@require_GET
def data_quality(request):
    sections = data_quality_sections()
    return render(
        request,
        "reports/data_quality.html",
        {"sections": sections, "shown": SHOWN},
    )
