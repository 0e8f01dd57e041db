"""Reads with query discipline: the stay list and the occupancy calendar (a
fixed number of queries whatever the number of stays), the client fields a
coordinator may see, and the figures of the annual report, each one
aggregate query.

Counting rules (SPEC §2): a stay's nights count in the period each night
falls in (the night of day d is the one starting on d); the stay itself
counts once, in the period it starts in; cancelled stays count nowhere.
An entrusted temporary protection counts once, in the period its stay
starts in (with the stay, in the stay's programme), with its full length in
days (``Stay.protection_days``) once she is discharged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Greatest, Least

import jpdates
from accounts.links import url_by_id
from consultations.models import Client
from consultations.search import normalise

from . import calendar as opening
from .models import (
    PROTECTION_FIELDS,
    Facility,
    ProtectionReason,
    Room,
    SalonVisit,
    Service,
    Stay,
    UnmetRequest,
    stay_dates_label,
)

ONE_DAY = dt.timedelta(days=1)

# CLIENTS, AS A COORDINATOR SEES THEM: code and display name; in the client
# picker also the kana and age band, so that two of the same name are told
# apart. Never contact details, notes or consultations.
# ------------------------------------------------------------------------------

BOOKING_FIELDS = ("id", "code", "display_name")
PICKER_FIELDS = ("code", "display_name", "kana", "age_band")


def clients_for_booking() -> QuerySet[Client]:
    return Client.objects.only(*BOOKING_FIELDS).order_by("code")


def client_search_for_booking(query: str, *, limit: int = 20) -> list[Client]:
    """Clients whose code or display name contains ``query`` (never searched
    by phone or other details a coordinator may not see)."""
    query = query.strip()
    if not query:
        return []
    return list(
        clients_for_booking().filter(
            Q(code__icontains=query) | Q(display_name__icontains=query)
        )[:limit]
    )


def client_lookup_for_booking(query: str, *, limit: int = 10) -> list[dict]:
    """Matches for the coordinator's client picker, in one query: code,
    display name, kana, age band and the start of her last stay (not
    cancelled): a coordinator's own records, where a counsellor's picker
    shows the last contact. Searched by code, name and kana only, never by
    phone (what a coordinator may not see cannot find a client either)."""
    text = normalise(query)
    if not text:
        return []
    return list(
        Client.objects.filter(search_text__contains=text)
        .annotate(
            last_stay=Subquery(
                Stay.objects.filter(client=OuterRef("pk"))
                .exclude(status=Stay.Status.CANCELLED)
                .order_by("-start_date")
                .values("start_date")[:1]
            )
        )
        .order_by("status", "-id")
        .values(*PICKER_FIELDS, "last_stay")[:limit]
    )


# STAYS
# ------------------------------------------------------------------------------


# The stay's own fields that lists and the calendar read.
STAY_FIELDS = (
    "kind",
    "start_date",
    "end_date",
    "children",
    "status",
    "version",
    "checked_in_at",
    "checked_out_at",
    "cancelled_at",
    "created_at",
    "entrusted",
)


def _with_related(stays: QuerySet[Stay]) -> QuerySet[Stay]:
    return stays.select_related("room__facility", "client").only(
        *(f"client__{name}" for name in BOOKING_FIELDS),
        "room__name",
        "room__facility__name",
        *STAY_FIELDS,
    )


def stay_detail(pk: int) -> Stay:
    """A stay with its temporary protection (and the referring body)."""
    return (
        Stay.objects.select_related("room__facility", "client", "protection_agency")
        .only(
            *(f"client__{name}" for name in BOOKING_FIELDS),
            *STAY_FIELDS,
            *PROTECTION_FIELDS,
            "room__name",
            "room__facility__name",
            "protection_agency__name",
        )
        .get(pk=pk)
    )


def stay_list(
    *,
    facility: Facility | None = None,
    room: Room | None = None,
    status: str = "",
    kind: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    client: str = "",
    entrusted: bool = False,
) -> QuerySet[Stay]:
    """Stays, newest first. ``start``/``end`` keep the stays holding their room
    on some day of that period (inclusive); ``client`` matches code or name;
    ``entrusted``: only temporary protections."""
    stays = _with_related(Stay.objects.all())
    if entrusted:
        stays = stays.filter(entrusted=True)
    if facility:
        stays = stays.filter(room__facility=facility)
    if room:
        stays = stays.filter(room=room)
    if status:
        stays = stays.filter(status=status)
    if kind:
        stays = stays.filter(kind=kind)
    if start or end:
        stays = stays.overlapping(
            start or dt.date.min, (end + ONE_DAY) if end else dt.date.max
        )
    if client:
        stays = stays.filter(
            Q(client__code__icontains=client)
            | Q(client__display_name__icontains=client)
        )
    return stays.order_by("-start_date", "-id")


def stays_of_client(client: Client) -> QuerySet[Stay]:
    return _with_related(Stay.objects.filter(client=client)).order_by(
        "-start_date", "-id"
    )


def unmet_requests(
    *, start: dt.date | None = None, end: dt.date | None = None, client=None
) -> QuerySet[UnmetRequest]:
    requests = UnmetRequest.objects.select_related("client").only(
        "date",
        "reason",
        "wanted",
        "note",
        "created_at",
        *(f"client__{name}" for name in BOOKING_FIELDS),
    )
    if start:
        requests = requests.filter(date__gte=start)
    if end:
        requests = requests.filter(date__lte=end)
    if client is not None:
        requests = requests.filter(client=client)
    return requests.order_by("-date", "-id")


# What a row of the unmet request list shows, read as values (no model
# objects: 50 of them and their clients cost more than the page's queries).
UNMET_ROW_FIELDS = (
    "pk",
    "date",
    "reason",
    "wanted",
    "note",
    "client_id",
    "client__code",
    "client__display_name",
)


# What a row of the stay list shows, read as values (no model objects).
STAY_ROW_FIELDS = (
    "pk",
    "start_date",
    "end_date",
    "kind",
    "entrusted",
    "room__facility__name",
    "room__name",
    "client_id",
    "client__code",
    "client__display_name",
    "children",
    "status",
)


def stay_rows(values: list[dict]) -> list[dict]:
    """The rows of one page of the stay list (``values`` of STAY_ROW_FIELDS,
    from stay_list) with links, dates and labels made here, so that the
    template only prints them (no query)."""
    from accounts.templatetags.dates import jdate

    detail = url_by_id("shelter:stay_detail")
    client = url_by_id("shelter:client_stays")
    kinds = {value: str(label) for value, label in Stay.Kind.choices}
    statuses = {value: str(label) for value, label in Stay.Status.choices}
    rows = []
    for v in values:
        overnight = v["kind"] == Stay.Kind.OVERNIGHT
        rows.append(
            {
                "href": detail(v["pk"]),
                "start": jdate(v["start_date"]),
                "end": jdate(v["end_date"]) if overnight else "",
                "kind": kinds.get(v["kind"], v["kind"]),
                "entrusted": v["entrusted"],
                "nights": (v["end_date"] - v["start_date"]).days if overnight else 0,
                "room": f"{v['room__facility__name']} {v['room__name']}",
                "client_href": client(v["client_id"]),
                "client_code": v["client__code"],
                "client_name": v["client__display_name"],
                "children": v["children"],
                "status": v["status"],
                "status_label": statuses.get(v["status"], v["status"]),
            }
        )
    return rows


# THE OCCUPANCY CALENDAR: rooms by days of one month
# ------------------------------------------------------------------------------


@dataclass(slots=True)
class CalendarClient:
    code: str
    display_name: str


@dataclass(slots=True)
class CalendarStay:
    """What the calendar shows of a stay, read as values (some 400 a month:
    no model objects)."""

    pk: int
    room_id: int
    client: CalendarClient
    kind: str
    start_date: dt.date
    end_date: dt.date
    children: int
    status: str

    @property
    def occupied_until(self) -> dt.date:
        return max(self.end_date, self.start_date + ONE_DAY)

    @property
    def dates_label(self) -> str:
        return stay_dates_label(self.kind, self.start_date, self.end_date)


@dataclass(slots=True)
class CalendarFacility:
    pk: int
    name: str


@dataclass(slots=True)
class CalendarRoom:
    """What the calendar shows of a room, read as values with its facility's
    name (no model objects for some 40 rooms and their facilities)."""

    pk: int
    name: str


@dataclass(slots=True)
class Cell:
    """A run of days in one room's row: free (one day) or one stay."""

    start: dt.date
    days: int = 1
    stay: CalendarStay | None = None
    continues_before: bool = False
    continues_after: bool = False

    @property
    def free(self) -> bool:
        return self.stay is None


@dataclass
class RoomRow:
    room: CalendarRoom
    cells: list[Cell] = field(default_factory=list)
    nights: int = 0


@dataclass
class Day:
    date: dt.date
    holiday: str = ""
    shelter_open: bool = True
    is_today: bool = False

    @property
    def weekend(self) -> bool:
        return self.date.weekday() >= 5

    @property
    def sunday(self) -> bool:
        return self.date.weekday() == 6


@dataclass
class MonthCalendar:
    first: dt.date
    last: dt.date
    days: list[Day]
    facilities: list[tuple[CalendarFacility, list[RoomRow]]]

    @property
    def previous(self) -> dt.date:
        return (self.first - ONE_DAY).replace(day=1)

    @property
    def next(self) -> dt.date:
        return self.last + ONE_DAY


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - ONE_DAY


def stay_calendar(
    month: dt.date, *, facility: Facility | None = None, today: dt.date | None = None
) -> MonthCalendar:
    """Occupancy of every active room in a month: one query for the rooms,
    one for the stays, two for the shelter's opening calendar."""
    first, last = month_bounds(month)
    rooms = Room.objects.filter(
        active=True, facility__active=True, facility__kind=Facility.Kind.SHELTER
    )
    if facility:
        rooms = rooms.filter(facility=facility)
    rooms = list(
        rooms.order_by("facility__name", "order", "name").values_list(
            "pk", "name", "facility_id", "facility__name"
        )
    )
    # The rooms are listed above: a stay brings only its client's code and
    # name, read as values (no model objects for some 400 stays a month),
    # each looked up by her id: joined, PostgreSQL hashed the whole clients
    # table for a month's stays (3-6 ms of the page on the data set of
    # seed_scale, against about 1 ms for 400 lookups by primary key).
    client = Client.objects.filter(pk=OuterRef("client_id")).order_by()
    stays = (
        Stay.objects.counted()
        .filter(room__in=[pk for pk, *_rest in rooms])
        .overlapping(first, last + ONE_DAY)
        .order_by("start_date")
        .annotate(
            client_code=Subquery(client.values("code")),
            client_name=Subquery(client.values("display_name")),
        )
        .values_list(
            "pk",
            "room_id",
            "client_code",
            "client_name",
            "kind",
            "start_date",
            "end_date",
            "children",
            "status",
        )
    )
    by_room: dict[int, list[CalendarStay]] = {}
    for pk, room_id, code, name, *rest in stays if rooms else []:
        stay = CalendarStay(pk, room_id, CalendarClient(code, name), *rest)
        by_room.setdefault(room_id, []).append(stay)

    statuses = opening.service_day_statuses(Service.SHELTER, first, last)
    shelter_has_calendar = any(s.open for s in statuses)
    holidays = jpdates.public_holidays(first, last)
    days = [
        Day(
            date=s.date,
            holiday=holidays.get(s.date, ""),
            shelter_open=s.open or not shelter_has_calendar,
            is_today=s.date == today,
        )
        for s in statuses
    ]

    following = last + ONE_DAY
    facilities: list[tuple[CalendarFacility, list[RoomRow]]] = []
    for pk, name, facility_id, facility_name in rooms:
        row = RoomRow(room=CalendarRoom(pk, name))
        cells = row.cells
        day = first
        for stay in by_room.get(pk, ()):
            begin = max(stay.start_date, first)
            occupied_until = stay.occupied_until
            until = min(occupied_until, following)
            while day < begin:
                cells.append(Cell(day))
                day += ONE_DAY
            if until <= day:  # cannot happen without a double booking
                continue
            cells.append(
                Cell(
                    begin,
                    (until - begin).days,
                    stay,
                    continues_before=stay.start_date < first,
                    continues_after=occupied_until > following,
                )
            )
            if stay.kind == Stay.Kind.OVERNIGHT:
                row.nights += (min(stay.end_date, following) - begin).days
            day = until
        while day <= last:
            cells.append(Cell(day))
            day += ONE_DAY
        if facilities and facilities[-1][0].pk == facility_id:
            facilities[-1][1].append(row)
        else:
            facilities.append((CalendarFacility(facility_id, facility_name), [row]))
    return MonthCalendar(first, last, days, facilities)


# FIGURES FOR THE ANNUAL REPORT (each one aggregate query)
# ------------------------------------------------------------------------------


def _nights_expression(start: dt.date, end: dt.date):
    """Nights of an overnight stay falling from start to end inclusive."""
    upper = end + ONE_DAY
    return ExpressionWrapper(
        Least(F("end_date"), Value(upper)) - Greatest(F("start_date"), Value(start)),
        output_field=DurationField(),
    )


def _in_period_nights(start: dt.date, end: dt.date) -> Q:
    return Q(kind=Stay.Kind.OVERNIGHT, start_date__lte=end, end_date__gt=start)


def _days(value) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return value.days
    return int(value)


def nights_in_period(start: dt.date, end: dt.date) -> int:
    """Nights spent from start to end (inclusive): a stay from 30 March to
    2 April gives 2 nights to a period ending 31 March, 1 to one starting
    1 April."""
    total = (
        Stay.objects.counted()
        .filter(_in_period_nights(start, end))
        .aggregate(nights=Sum(_nights_expression(start, end)))["nights"]
    )
    return _days(total)


def overnight_stays_started(start: dt.date, end: dt.date) -> int:
    """Overnight stays that start in the period (each counts once)."""
    return (
        Stay.objects.counted()
        .filter(kind=Stay.Kind.OVERNIGHT, start_date__range=(start, end))
        .count()
    )


def day_uses(start: dt.date, end: dt.date) -> int:
    """Day rests (一時利用) in the period."""
    return (
        Stay.objects.counted()
        .filter(kind=Stay.Kind.DAY_REST, start_date__range=(start, end))
        .count()
    )


def _of_programmes(queryset, programmes):
    """Only the records attributed to these programmes (ids); None: all."""
    if programmes is None:
        return queryset
    return queryset.filter(programme_id__in=list(programmes))


def stay_figures(start: dt.date, end: dt.date, *, programmes=None) -> dict[str, int]:
    """overnight_stays, nights and day_uses for a period, in one query (only
    the stays of ``programmes``, a list of ids, if given)."""
    started = Q(start_date__range=(start, end))
    figures = (
        _of_programmes(Stay.objects.counted(), programmes)
        .filter(start_date__lte=end, end_date__gte=start)
        .aggregate(
            overnight_stays=Count("pk", filter=started & Q(kind=Stay.Kind.OVERNIGHT)),
            day_uses=Count("pk", filter=started & Q(kind=Stay.Kind.DAY_REST)),
            nights=Sum(
                _nights_expression(start, end), filter=_in_period_nights(start, end)
            ),
        )
    )
    return {
        "overnight_stays": figures["overnight_stays"],
        "nights": _days(figures["nights"]),
        "day_uses": figures["day_uses"],
    }


ONE_PLACE = Decimal("0.1")


def temporary_protection_figures(
    start: dt.date, end: dt.date, *, programmes=None
) -> dict:
    """The statutory table of entrusted temporary protections (SPEC §3,
    ``statutory.temporary_protection``), in one query: ``stays``, the
    protections whose stay starts in the period (each counts once, in the
    year its stay began, like the stay, and so in the stay's programme;
    cancelled stays never count); ``discharged``, those of them discharged
    by now; ``average_days``, the mean length of the discharged ones, in
    full also when they ended in the next year (discharge − admission + 1
    days, ``Stay.protection_days``), a Decimal of one place, None without
    any; ``by_reason``, [{code, label, count}] for every reason, zeros
    included. Only the stays of ``programmes`` (a list of programme ids) if
    given, as ``stay_figures`` counts."""
    length = ExpressionWrapper(
        F("protection_discharged_on") - F("protection_admitted_on"),
        output_field=DurationField(),
    )
    discharged = Q(protection_discharged_on__isnull=False)
    figures = (
        _of_programmes(Stay.objects.counted(), programmes)
        .filter(entrusted=True, start_date__range=(start, end))
        .aggregate(
            stays=Count("pk"),
            discharged=Count("pk", filter=discharged),
            length=Sum(length, filter=discharged),
            **{
                f"reason_{reason}": Count("pk", filter=Q(protection_reason=reason))
                for reason in ProtectionReason.values
            },
        )
    )
    done = figures["discharged"]
    average = None
    if done:
        # + 1 a stay: the day of discharge counts too.
        days = _days(figures["length"]) + done
        average = (Decimal(days) / Decimal(done)).quantize(
            ONE_PLACE, rounding=ROUND_HALF_UP
        )
    return {
        "stays": figures["stays"],
        "discharged": done,
        "average_days": average,
        "by_reason": [
            {
                "code": reason.value,
                "label": str(reason.label),
                "count": figures[f"reason_{reason.value}"],
            }
            for reason in ProtectionReason
        ],
    }


def unmet_requests_by_reason(start: dt.date, end: dt.date) -> dict[str, int]:
    """Unmet requests in the period by reason, every reason present (zeros
    included), in one query."""
    counts = dict(
        UnmetRequest.objects.filter(date__range=(start, end))
        .order_by()
        .values_list("reason")
        .annotate(Count("pk"))
    )
    return {reason: counts.get(reason, 0) for reason in UnmetRequest.Reason.values}


def salon_visit_figures(
    start: dt.date,
    end: dt.date,
    *,
    facility: Facility | None = None,
    programmes=None,
) -> dict[str, int]:
    """visits: visitors in total (延べ人数); visit_days: days with at least one
    visitor. One query."""
    visits = _of_programmes(
        SalonVisit.objects.filter(date__range=(start, end)), programmes
    )
    if facility:
        visits = visits.filter(facility=facility)
    figures = visits.aggregate(
        visits=Sum("visitors"),
        visit_days=Count("date", filter=Q(visitors__gt=0), distinct=True),
    )
    return {"visits": figures["visits"] or 0, "visit_days": figures["visit_days"]}


def open_days_per_service(start: dt.date, end: dt.date) -> dict[str, int]:
    """Open days of every service in the period (three queries in all)."""
    by_service = opening.calendars(start=start, end=end)
    return {
        service: opening.count_open_days(by_service.get(service), start, end)
        for service in Service.values
    }


def fiscal_year_figures(fiscal_year: int) -> dict:
    """What the annual report needs from this app for one fiscal year, in the
    shape of its JSON (SPEC §3)."""
    start, end = jpdates.fiscal_year_range(fiscal_year)
    stays = stay_figures(start, end)
    unmet = unmet_requests_by_reason(start, end)
    open_days = open_days_per_service(start, end)
    return {
        "shelter": {
            **stays,
            "unmet_requests": sum(unmet.values()),
            "unmet_requests_by_reason": unmet,
        },
        "salon": salon_visit_figures(start, end),
        "temporary_protection": temporary_protection_figures(start, end),
        "open_days": {
            "consultation": open_days[Service.CONSULTATION_DESK],
            "phone_line": open_days[Service.PHONE_LINE],
            "salon": open_days[Service.SALON],
            "shelter": open_days[Service.SHELTER],
        },
    }
