"""The day a page opens on when the request names no period.

Normally today. In a demo database (``manage.py seed_demo`` records its
fiscal year in ``DemoData``) it is the last day of the demo's fiscal year,
so that the calendar, the opening days, the lists' year and the annual
report open where the demo's data is, not on an empty present. The rule is
described for users in the README ("Demo data"). "Today" itself (what is
past, what may be booked, the 今月 link) stays the real today.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from .models import DemoData


def opening_date() -> date:
    """Today, or the last day of the demo's fiscal year (one query)."""
    fiscal_year = (
        DemoData.objects.filter(pk=1).values_list("fiscal_year", flat=True).first()
    )
    if fiscal_year is None:
        return timezone.localdate()
    return date(fiscal_year + 1, 3, 31)
