from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import jpdates

from . import selectors
from .models import Stay


def coordinator(user) -> dict:
    """Today at the shelter, and the year's nights so far."""
    today = timezone.localdate()
    figures = Stay.objects.aggregate(
        staying=Count("pk", filter=Q(status=Stay.Status.CHECKED_IN)),
        arriving=Count("pk", filter=Q(status=Stay.Status.RESERVED, start_date=today)),
    )
    start, _end = jpdates.fiscal_year_range(jpdates.fiscal_year(today))
    return {
        "title": _("Shelter and salon"),
        "figures": [
            (_("Staying now"), figures["staying"]),
            (_("Arriving today"), figures["arriving"]),
            (_("Nights this fiscal year"), selectors.nights_in_period(start, today)),
        ],
        "links": [
            (_("Room calendar"), reverse("shelter:calendar")),
            (_("Book a room"), reverse("shelter:stay_create")),
            (_("Salon visits"), reverse("shelter:salon_list")),
        ],
    }
