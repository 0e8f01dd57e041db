"""Entries for the client timeline (consultations.timeline): the client's stays,
unmet requests and the salon days they were named on. Three queries, whatever
the number of entries; nothing for roles that may not read stays."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from consultations.timeline import TimelineEntry

from .models import SalonVisit, Stay, UnmetRequest

READERS = (Role.COUNSELLOR, Role.COORDINATOR)


def client_entries(client, user) -> list[TimelineEntry]:
    if not has_role(user, *READERS):
        return []
    entries = []
    stays = Stay.objects.filter(client=client).select_related("room__facility")
    for stay in stays:
        detail = stay.dates_label
        if stay.children:
            detail += " · " + _("%(n)d children") % {"n": stay.children}
        entries.append(
            TimelineEntry(
                when=stay.start_date,
                kind=str(stay.get_kind_display()),
                title=f"{stay.room} — {stay.get_status_display()}",
                detail=detail,
                url=reverse("shelter:stay_detail", args=[stay.pk]),
                app="shelter",
            )
        )
    for request in UnmetRequest.objects.filter(client=client):
        entries.append(
            TimelineEntry(
                when=request.date,
                kind=_("Unmet stay request"),
                title=str(request.get_reason_display()),
                detail=request.note,
                app="shelter",
            )
        )
    visits = SalonVisit.objects.filter(clients=client).select_related("facility")
    for visit in visits:
        entries.append(
            TimelineEntry(
                when=visit.date,
                kind=_("Salon visit"),
                title=visit.facility.name,
                app="shelter",
            )
        )
    return entries
