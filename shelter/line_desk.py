"""The LINE desk's opening hours, from its opening calendar (Service.LINE),
for consultations.line.desk_hours (registered in ShelterConfig.ready())."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from . import calendar as opening
from .models import OpeningHours, Service

# How far back to look for the last closing time: past the longest closure
# the calendar usually has (the year-end break with a weekend and holidays).
LOOKBACK_DAYS = 14


class LineDeskHours:
    def closed_since(self, at: dt.datetime) -> dt.datetime | None:
        """None while the desk is open at ``at``; else the time it closed
        (the start of the lookback window if it never opened in it). No LINE
        desk calendar: always open. Three queries."""
        local = timezone.localtime(at)
        today = local.date()
        start = today - dt.timedelta(days=LOOKBACK_DAYS)
        calendar = opening.calendars([Service.LINE], start=start, end=today).get(
            Service.LINE
        )
        if calendar is None:
            return None
        tz = local.tzinfo
        for status in reversed(opening.day_statuses(calendar, start, today)):
            if not status.open:
                continue
            opens = dt.datetime.combine(status.date, status.opens or dt.time.min, tz)
            if status.closes is None:  # all day
                closes = dt.datetime.combine(
                    status.date + dt.timedelta(days=1), dt.time.min, tz
                )
            else:
                closes = dt.datetime.combine(status.date, status.closes, tz)
            if opens <= local < closes:
                return None
            if closes <= local:
                return closes
        return dt.datetime.combine(start, dt.time.min, tz)

    def hours_text(self) -> str:
        """The weekly hours, days with the same hours together, and whether
        holidays and the year-end break are closed ('' without any). One
        query."""
        rows = list(
            OpeningHours.objects.filter(calendar__service=Service.LINE)
            .select_related("calendar")
            .order_by("weekday")
        )
        if not rows:
            return ""
        calendar = rows[0].calendar
        groups: dict[tuple, list[int]] = {}
        for hours in rows:
            groups.setdefault((hours.opens, hours.closes), []).append(hours.weekday)
        separator = pgettext("list of weekdays", ", ")
        parts = []
        for (opens, closes), days in groups.items():
            names = separator.join(str(WEEKDAYS_ABBR[d]) for d in days)
            if opens is None:
                parts.append(_("%(days)s all day") % {"days": names})
            else:
                parts.append(
                    _("%(days)s %(opens)s–%(closes)s")
                    % {
                        "days": names,
                        "opens": formats.time_format(opens, "H:i"),
                        "closes": formats.time_format(closes, "H:i"),
                    }
                )
        text = pgettext("list of opening hours", "; ").join(parts)
        holidays = calendar.closed_on_public_holidays
        year_end = calendar.closed_over_year_end
        if holidays and year_end:
            text += _(" (closed on public holidays and over the year-end break)")
        elif holidays:
            text += _(" (closed on public holidays)")
        elif year_end:
            text += _(" (closed over the year-end break)")
        return text


line_desk_hours = LineDeskHours()
