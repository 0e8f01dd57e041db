"""This app's own entries on the client timeline."""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role

from . import selectors
from .timeline import TimelineEntry


def consultations_and_support(client, user, limit: int | None = None):
    """Consultations (2 queries: rows with the main complaint, and the other
    problems) and support actions (1); with
    ``limit``, the newest ``limit`` of each."""
    if not has_role(user, Role.COUNSELLOR):
        return []
    entries = []
    consultations = selectors.client_consultations(client)
    actions = selectors.client_support_actions(client)
    if limit is not None:
        consultations, actions = consultations[:limit], actions[:limit]
    for c in consultations:
        topics = "、".join(
            [c.main_complaint.label, *(t.label for t in c.other_problems.all())]
        )
        title = _("%(channel)s consultation") % {"channel": c.get_channel_display()}
        if c.is_new:
            title += " " + _("(new)")
        if c.duration_minutes:
            title += " " + _("(%(minutes)s min)") % {"minutes": c.duration_minutes}
        if c.has_withdrawn_message:
            title += " " + _("(contains a withdrawn message)")
        entries.append(
            TimelineEntry(
                when=c.started_at,
                kind=c.get_channel_display(),
                title=title,
                detail=" / ".join(filter(None, [topics, c.summary[:200]])),
                url=reverse("consultations:consultation_update", args=[c.pk]),
                app="consultations",
            )
        )
    for a in actions:
        agency = f" → {a.partner_agency.name}" if a.partner_agency_id else ""
        entries.append(
            TimelineEntry(
                when=a.date,
                kind=a.get_kind_display(),
                title=f"{a.get_kind_display()}{agency}",
                detail=a.note[:200],
                url=reverse("consultations:support_action_update", args=[a.pk]),
                app="support",
            )
        )
    return entries
