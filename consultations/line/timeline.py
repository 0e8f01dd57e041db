"""The client timeline entry for a linked LINE conversation."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role

from ..timeline import TimelineEntry
from .models import LineMessage, LineUser


def line_conversations(client, user):
    """One entry per LINE account linked to the client, at its latest
    message, with a link to the conversation (one query)."""
    if not has_role(user, Role.COUNSELLOR):
        return []
    unrecorded = Q(
        messages__direction=LineMessage.Direction.INCOMING,
        messages__consultation__isnull=True,
    ) & ~Q(messages__kind__in=[LineMessage.Kind.FOLLOW, LineMessage.Kind.UNFOLLOW])
    accounts = LineUser.objects.filter(client=client).annotate(
        total=Count("messages"), unrecorded=Count("messages", filter=unrecorded)
    )
    return [
        TimelineEntry(
            when=account.last_event_at,
            kind=_("LINE conversation"),
            title=_("%(count)d LINE messages, %(unrecorded)d not yet recorded")
            % {"count": account.total, "unrecorded": account.unrecorded},
            url=reverse("line:conversation", args=[account.pk]),
            app="line",
        )
        for account in accounts
    ]
