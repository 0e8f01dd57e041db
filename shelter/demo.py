"""Demo data for seed_demo: a shelter house with three rooms and a year of
stays (211 nights in the fiscal year, as Ueda counted), day rests, a few
cancellations and unmet requests; a drop-in salon open on Tsuchiura's days
(Monday and Wednesday to Saturday, 12:00–16:00) with its visits; and the
opening calendar of every service. Uses only ctx.rng, so it is deterministic."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

import jpdates
from consultations.models import Client, Consent, PartnerAgency

from . import calendar as opening
from .models import (
    CalendarException,
    Facility,
    OpeningCalendar,
    OpeningHours,
    ProtectionDestination,
    ProtectionReason,
    Room,
    SalonVisit,
    Service,
    Stay,
    UnmetRequest,
)

SHELTER_NAME = "やどかりハウス"
CENTRE_NAME = "県女性相談支援センター"  # fictional, like every name here
SALON_NAME = "コミュニティサロン ひだまり"
ROOMS = ("1号室", "2号室", "3号室（親子室）")
TARGET_NIGHTS = 211
ONE_DAY = dt.timedelta(days=1)

MON_WED_TO_SAT = (0, 2, 3, 4, 5)
T = dt.time


def _seed_calendars(ctx) -> None:
    weekly = {
        Service.CONSULTATION_DESK: (MON_WED_TO_SAT, T(10), T(16), True),
        Service.PHONE_LINE: (MON_WED_TO_SAT, T(10), T(20), True),
        Service.SALON: (MON_WED_TO_SAT, T(12), T(16), True),
        Service.SHELTER: (range(7), None, None, False),
        # As seeded by shelter's migration 0003, if the data was flushed.
        Service.LINE: (MON_WED_TO_SAT, T(10), T(20), True),
    }
    hours = []
    for service, (days, opens, closes, closes_on_holidays) in weekly.items():
        calendar, created = OpeningCalendar.objects.get_or_create(
            service=service,
            defaults={
                "closed_on_public_holidays": closes_on_holidays,
                "closed_over_year_end": closes_on_holidays,
            },
        )
        if not created:
            continue
        hours += [
            OpeningHours(calendar=calendar, weekday=d, opens=opens, closes=closes)
            for d in days
        ]
    OpeningHours.objects.bulk_create(hours)
    y = ctx.fiscal_year
    changes = [
        # Summer break (お盆) and a staff training day: desk and salon closed.
        *(
            (service, dt.date(y, 8, day), CalendarException.Kind.CLOSED, reason)
            for service in (Service.CONSULTATION_DESK, Service.SALON)
            for day, reason in ((12, "夏季休業"), (13, "夏季休業"), (14, "夏季休業"))
        ),
        (
            Service.CONSULTATION_DESK,
            dt.date(y, 11, 18),
            CalendarException.Kind.CLOSED,
            "職員研修",
        ),
        (Service.SALON, dt.date(y, 11, 18), CalendarException.Kind.CLOSED, "職員研修"),
        # An open day on a public holiday for a workshop.
        (
            Service.SALON,
            dt.date(y, 11, 23),
            CalendarException.Kind.OPEN,
            "ワークショップ",
        ),
    ]
    calendars = {c.service: c for c in OpeningCalendar.objects.all()}
    CalendarException.objects.bulk_create(
        CalendarException(
            calendar=calendars[service], date=day, kind=kind, reason=reason
        )
        for service, day, kind, reason in changes
    )


def _plan_stays(rng, rooms, start: dt.date, end: dt.date) -> list[list[dt.date]]:
    """[room index, start, end] of overnight stays in the fiscal year (plus one
    from the year before and one into the next), adding up to TARGET_NIGHTS
    nights inside the year. Stays in one room never overlap."""
    plans = []
    for index in range(len(rooms)):
        day = start - dt.timedelta(days=3 if index == 0 else rng.randint(2, 9))
        while True:
            nights = rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5, 7))
            # Only the one planned stay below runs into the next year.
            if day + dt.timedelta(days=nights) > end + ONE_DAY:
                break
            plans.append([index, day, day + dt.timedelta(days=nights)])
            day += dt.timedelta(days=nights + rng.randint(3, 16))

    # One stay across the end of the year, as SPEC §2 describes: 30 March to
    # 2 April gives 2 nights to this year and 1 to the next.
    across = [0, end - ONE_DAY, end + 2 * ONE_DAY]
    plans = [
        p
        for p in plans
        if not (p[0] == 0 and p[1] < across[2] + ONE_DAY and p[2] > across[1])
    ]
    plans.append(across)

    def in_year(plan) -> int:
        return max(0, (min(plan[2], end + ONE_DAY) - max(plan[1], start)).days)

    # Drop stays inside the year until the nights fit, then lengthen stays
    # into the free days after them to reach the figure exactly.
    total = sum(in_year(p) for p in plans)
    inner = [p for p in plans if start < p[1] and p[2] <= end]
    rng.shuffle(inner)
    for plan in inner:
        if total - in_year(plan) >= TARGET_NIGHTS:
            plans.remove(plan)
            total -= in_year(plan)
    plans.sort(key=lambda p: (p[0], p[1]))
    while total < TARGET_NIGHTS:
        grown = False
        for i, plan in enumerate(plans):
            following = plans[i + 1] if i + 1 < len(plans) else None
            limit = (
                following[1] if following and following[0] == plan[0] else end + ONE_DAY
            )
            if plan[1] >= start and plan[2] + ONE_DAY < limit and plan[2] <= end:
                plan[2] += ONE_DAY
                total += 1
                grown = True
                if total == TARGET_NIGHTS:
                    break
        if not grown:
            break
    return plans


def _free_days(plans, room_index, start, end) -> list[dt.date]:
    taken = set()
    for index, first, until in plans:
        if index == room_index:
            taken.update(jpdates.days(first, until - ONE_DAY))
    return [d for d in jpdates.days(start, end) if d not in taken]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _entrust(stays: list[Stay], start: dt.date, end: dt.date) -> int:
    """Two of the overnight stays are entrusted temporary protections (一時保護
    委託) placed by the prefecture's centre: the longest stay of the year,
    a woman (with her children, if she has them there) after her husband's
    violence, who moved on to a mother and child facility (without children,
    a women's independence support facility); and the stay across 31 March,
    a woman with nowhere to live, counted with her stay in the demo's year,
    with its days in April too.
    Uses no random numbers, so the rest of the demo stays as it was."""
    centre, _created = PartnerAgency.objects.get_or_create(
        name=CENTRE_NAME,
        defaults={"category": PartnerAgency.Category.WOMEN_SUPPORT_CENTRE},
    )
    inside = [s for s in stays if start <= s.start_date and s.end_date <= end]
    longest = max(inside, key=lambda s: (s.nights, s.children, s.start_date))
    across = next(s for s in stays if s.start_date <= end < s.end_date)
    cases = (
        (longest, "0127", ProtectionReason.SPOUSE_VIOLENCE, Consent.Method.WRITTEN,
         ProtectionDestination.MOTHER_CHILD_FACILITY),
        (across, "0203", ProtectionReason.HOUSING, Consent.Method.SPOKEN,
         ProtectionDestination.INDEPENDENT),
    )  # fmt: skip
    for stay, number, reason, method, destination in cases:
        era, year = jpdates.era_year(stay.start_date)
        stay.entrusted = True
        stay.protection_agency = centre
        stay.protection_reference = f"{era}{year}女相第{int(number)}号"
        stay.protection_consent_on = stay.start_date
        stay.protection_consent_method = method
        stay.protection_admitted_on = stay.start_date
        stay.protection_discharged_on = stay.end_date
        stay.protection_children = stay.children
        stay.protection_reason = reason
        if destination == ProtectionDestination.MOTHER_CHILD_FACILITY and not (
            stay.children
        ):
            destination = ProtectionDestination.WOMEN_FACILITY
        stay.protection_destination = destination
    return len(cases)


def seed_places(ctx) -> str:
    rng = ctx.rng
    coordinator = ctx.users["coordinator"]
    shelter = Facility.objects.create(name=SHELTER_NAME, kind=Facility.Kind.SHELTER)
    salon = Facility.objects.create(name=SALON_NAME, kind=Facility.Kind.SALON)
    rooms = [
        Room.objects.create(facility=shelter, name=name, order=i)
        for i, name in enumerate(ROOMS)
    ]
    _seed_calendars(ctx)

    clients = list(Client.objects.order_by("code"))
    # Some clients come back: a few regulars take most of the stays.
    guests = rng.sample(clients, min(16, len(clients)))
    weights = [6, 5, 4, 3] + [1] * (len(guests) - 4)

    def guest() -> Client:
        return rng.choices(guests, weights=weights)[0]

    def children_of(client: Client, room_index: int) -> int:
        most = client.children_count or 0
        if room_index == 2:  # the family room
            return max(1, most)
        return rng.randint(0, most) if most else 0

    plans = _plan_stays(rng, rooms, ctx.start, ctx.end)
    stays = []
    for index, first, until in plans:
        person = guest()
        stays.append(
            Stay(
                room=rooms[index],
                client=person,
                kind=Stay.Kind.OVERNIGHT,
                start_date=first,
                end_date=until,
                children=children_of(person, index),
                status=Stay.Status.COMPLETED,
                checked_in_at=_at(first, 15),
                checked_out_at=_at(until, 10),
                created_by=coordinator,
            )
        )
    entrusted = _entrust(stays, ctx.start, ctx.end)
    day_rests = 0
    for index in range(len(rooms)):
        free = _free_days(plans, index, ctx.start, ctx.end)
        for day in sorted(rng.sample(free, 9)):
            person = guest()
            stays.append(
                Stay(
                    room=rooms[index],
                    client=person,
                    kind=Stay.Kind.DAY_REST,
                    start_date=day,
                    end_date=day,
                    children=children_of(person, index),
                    status=Stay.Status.COMPLETED,
                    checked_in_at=_at(day, 11),
                    checked_out_at=_at(day, 16),
                    created_by=coordinator,
                )
            )
            day_rests += 1
    # Bookings that were called off: they count nowhere.
    for _i in range(6):
        first = ctx.start + dt.timedelta(days=rng.randint(0, 350))
        stays.append(
            Stay(
                room=rng.choice(rooms),
                client=guest(),
                start_date=first,
                end_date=first + dt.timedelta(days=rng.randint(1, 3)),
                status=Stay.Status.CANCELLED,
                cancelled_at=_at(first - dt.timedelta(days=1), 18),
                created_by=coordinator,
            )
        )
    Stay.objects.bulk_create(stays)

    reasons = [c for c, _label in UnmetRequest.Reason.choices]
    requests = []
    for _i in range(18):
        reason = rng.choices(reasons, weights=[7, 3, 3, 3, 2])[0]
        requests.append(
            UnmetRequest(
                date=ctx.start + dt.timedelta(days=rng.randint(0, 364)),
                client=guest() if rng.random() < 0.6 else rng.choice(clients),
                reason=reason,
                wanted=rng.choice([Stay.Kind.OVERNIGHT] * 3 + [Stay.Kind.DAY_REST]),
                created_by=coordinator,
            )
        )
    UnmetRequest.objects.bulk_create(requests)

    visits = []
    named = []
    for day in opening.open_days(Service.SALON, ctx.start, ctx.end):
        count = rng.choices(range(7), weights=[3, 5, 6, 5, 3, 2, 1])[0]
        visits.append(
            SalonVisit(facility=salon, date=day, visitors=count, created_by=coordinator)
        )
        named.append(rng.sample(clients, min(count, rng.choice((0, 0, 1, 1, 2)))))
    SalonVisit.objects.bulk_create(visits)
    saved = {v.date: v for v in SalonVisit.objects.filter(facility=salon)}
    Through = SalonVisit.clients.through
    Through.objects.bulk_create(
        Through(salonvisit_id=saved[visit.date].pk, client_id=person.pk)
        for visit, people in zip(visits, named, strict=True)
        for person in people
    )
    nights = sum(
        max(
            0,
            (min(s.end_date, ctx.end + ONE_DAY) - max(s.start_date, ctx.start)).days,
        )
        for s in stays
        if s.kind == Stay.Kind.OVERNIGHT and s.status != Stay.Status.CANCELLED
    )
    return (
        f"{SHELTER_NAME} with {len(rooms)} rooms: {len(plans)} overnight stays "
        f"({nights} nights in the year), {day_rests} day rests, "
        f"{entrusted} entrusted temporary protections, "
        f"{len(requests)} unmet requests; {len(visits)} salon days, "
        f"{sum(v.visitors for v in visits)} visits; 4 opening calendars"
    )


SECOND_SALON_NAME = "女性の居場所 こもれびカフェ"


def seed_second_salon(ctx) -> str:
    """The second organisation's drop-in space: open on Thursdays, with its
    visits (run in her scope, so the facility and visits are hers)."""
    rng = ctx.rng
    me = ctx.users["komorebi"]
    salon = Facility.objects.create(name=SECOND_SALON_NAME, kind=Facility.Kind.SALON)
    clients = list(Client.objects.order_by("code"))
    days = [
        d
        for d in jpdates.days(ctx.start, ctx.end)
        if d.weekday() == 3 and not jpdates.is_public_holiday(d)
    ]
    visits = [
        SalonVisit(facility=salon, date=day, visitors=rng.randint(1, 5), created_by=me)
        for day in days
    ]
    SalonVisit.objects.bulk_create(visits)
    Through = SalonVisit.clients.through
    Through.objects.bulk_create(
        Through(salonvisit_id=visit.pk, client_id=person.pk)
        for visit in SalonVisit.objects.filter(facility=salon).order_by("date")
        for person in rng.sample(clients, min(len(clients), rng.choice((0, 1))))
    )
    return (
        f"{SECOND_SALON_NAME}: {len(visits)} salon days, "
        f"{sum(v.visitors for v in visits)} visits"
    )
