"""Reads with visibility rules and query discipline."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Client
from .search import normalise


def client_list(*, fetched_by, query: str = "", status: str = "") -> QuerySet[Client]:
    clients = Client.objects.select_related("assigned_counsellor")
    if query:
        clients = clients.filter(search_text__contains=normalise(query))
    if status:
        clients = clients.filter(status=status)
    return clients
