from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import jpdates

from .selectors import training_totals


def facilitator(user) -> dict:
    fy = jpdates.fiscal_year(timezone.localdate())
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
            (_("Events"), reverse("training:event_list")),
            (_("New event"), reverse("training:event_create")),
        ],
    }
