from django.urls import reverse
from django.utils.translation import gettext as _

import jpdates
from accounts import scoping
from accounts.opening import opening_date

from . import selectors
from .metrics import YearFigures


def city_staff(user) -> dict:
    """This fiscal year at a glance: aggregate figures only (two queries),
    as the report's "figures only" counts them for this user."""
    fiscal_year = jpdates.fiscal_year(opening_date())
    programmes = selectors.programmes_of_year(fiscal_year, user)
    funded = programmes if selectors.funder_of(user) is not None else None
    if funded is None:
        consultations = YearFigures(fiscal_year).consultations_total["count"]
    else:
        with scoping.organisations({p.organisation_id for p in funded}):
            figures = YearFigures(fiscal_year, [p.pk for p in funded])
            consultations = figures.consultations_total["count"]
    return {
        "title": _("Annual report %(year)s")
        % {"year": jpdates.fiscal_year_label(fiscal_year)},
        "figures": [
            (_("Consultations so far"), f"{consultations:,}"),
            (_("Programmes this year"), len(programmes)),
        ],
        "links": [
            (_("Open the report"), reverse("reports:annual")),
            (_("Programmes and targets"), reverse("reports:index")),
        ],
    }
