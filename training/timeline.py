"""Talks a client gave, for the client timeline (counsellors only)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from consultations.timeline import TimelineEntry

from .selectors import client_talks


def talks_given(client, user) -> list[TimelineEntry]:
    """One query; nothing for a user who is not a counsellor (or admin). The
    link to the event is given only to those who may open it."""
    if not has_role(user, Role.COUNSELLOR):
        return []
    may_open = has_role(user, Role.FACILITATOR)
    return [
        TimelineEntry(
            when=speaker.event.date,
            kind=_("Talk at %(kind)s") % {"kind": speaker.event.get_kind_display()},
            title=speaker.event.title,
            detail=speaker.talk_title,
            url=speaker.event.get_absolute_url() if may_open else "",
            app="training",
        )
        for speaker in client_talks(client=client)
    ]
