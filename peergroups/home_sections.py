from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import jpdates

from .selectors import fiscal_year_to_show, session_totals


def facilitator(user) -> dict:
    fy = fiscal_year_to_show(today=timezone.localdate())
    start, end = jpdates.fiscal_year_range(fy)
    totals = session_totals(start=start, end=end)
    return {
        "title": _("Peer support (%(year)s)") % {"year": jpdates.fiscal_year_label(fy)},
        "figures": [
            (_("Sessions"), totals.sessions),
            (_("Participants"), totals.participants),
        ],
        "links": [
            (_("Session list"), reverse("peergroups:session_list")),
            (_("New session"), reverse("peergroups:session_create")),
            (_("New series"), reverse("peergroups:series_create")),
        ],
    }
