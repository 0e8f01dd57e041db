from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import jpdates

from .metrics import YearFigures
from .models import Programme


def city_staff(user) -> dict:
    """This fiscal year at a glance: aggregate figures only (two queries)."""
    fiscal_year = jpdates.fiscal_year(timezone.localdate())
    figures = YearFigures(fiscal_year)
    return {
        "title": _("Annual report %(year)s")
        % {"year": jpdates.fiscal_year_label(fiscal_year)},
        "figures": [
            (_("Consultations so far"), f"{figures.consultations_total['count']:,}"),
            (
                _("Programmes this year"),
                Programme.objects.filter(fiscal_year=fiscal_year).count(),
            ),
        ],
        "links": [
            (_("Open the report"), reverse("reports:annual")),
            (_("Programmes and targets"), reverse("reports:index")),
        ],
    }
