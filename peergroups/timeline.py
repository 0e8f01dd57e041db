"""Sessions a client attended, for the client timeline (counsellors only)."""

from __future__ import annotations

from django.utils.translation import gettext as _

import jpdates
from accounts.roles import Role, has_role
from consultations.timeline import TimelineEntry

from .selectors import client_sessions


def sessions_attended(client, user) -> list[TimelineEntry]:
    """One query; nothing for a user who is not a counsellor (or admin). The
    link to the session is given only to those who may open it."""
    if not has_role(user, Role.COUNSELLOR):
        return []
    may_open = has_role(user, Role.FACILITATOR)
    entries = []
    for attendance in client_sessions(client=client):
        session = attendance.session
        detail = session.theme
        if session.end_date:
            first, last = session.date, session.end_date
            days = f"{jpdates.on_screen(first)}～{jpdates.on_screen(last)}"
            detail = f"{days} {detail}".strip()
        entries.append(
            TimelineEntry(
                when=session.date,
                kind=_("Peer-support session"),
                title=session.group.name,
                detail=detail,
                url=session.get_absolute_url() if may_open else "",
                app="peergroups",
            )
        )
    return entries
