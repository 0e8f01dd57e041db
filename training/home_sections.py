from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import jpdates

from .selectors import fiscal_year_to_show, training_totals


def facilitator(user) -> dict:
    fy = fiscal_year_to_show(today=timezone.localdate())
    start, end = jpdates.fiscal_year_range(fy)
    totals = training_totals(start=start, end=end)
    return {
        "title": _("Training events (%(year)s)")
        % {"year": jpdates.fiscal_year_label(fy)},
        "figures": [
            (_("Events"), totals.events),
            (_("Participants"), totals.participants),
        ],
        "links": [
            (_("Event list"), reverse("training:event_list")),
            (_("New event"), reverse("training:event_create")),
        ],
    }
