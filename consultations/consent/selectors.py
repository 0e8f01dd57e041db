"""Reads for the consent pages and the supervisors' worklist (one query each)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from .models import Consent, Referral

OVERRIDE_DAYS = 30
LIST_LIMIT = 100
USER_FIELDS = ("id", "username", "first_name", "last_name")


def consents_of(client) -> QuerySet[Consent]:
    """A client's consents, newest first, with their agencies."""
    return (
        Consent.objects.filter(client=client)
        .select_related("agency")
        .order_by("-valid_to", "-id")[:LIST_LIMIT]
    )


def referrals_of(client) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(client=client)
        .select_related("agency")
        .order_by("-date", "-id")[:LIST_LIMIT]
    )


def overrides_recent(*, now: dt.datetime | None = None) -> QuerySet[Referral]:
    """Referrals made without consent (emergency overrides) in the last
    OVERRIDE_DAYS days, newest first: the supervisors' worklist."""
    since = (now or timezone.now()) - dt.timedelta(days=OVERRIDE_DAYS)
    return (
        Referral.objects.filter(consent__isnull=True, created_at__gte=since)
        .select_related("client", "agency", "staff")
        .only(
            "id",
            "kind",
            "date",
            "override_reason",
            "created_at",
            "client__id",
            "client__code",
            "agency__id",
            "agency__name",
            *(f"staff__{f}" for f in USER_FIELDS),
        )
        .order_by("-created_at", "-id")[:LIST_LIMIT]
    )
