"""Writes that carry a rule: bookings and their life (check in, check out,
cancel), unmet requests, salon visits and opening calendars. Each validates,
writes inside a transaction and records the audit entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import jpdates
from accounts.audit import Action, audit, audit_many
from accounts.locking import lock_for_update

from .models import (
    PROTECTION_FIELDS,
    CalendarException,
    Facility,
    OpeningCalendar,
    OpeningHours,
    Room,
    SalonVisit,
    Stay,
    UnmetRequest,
    overlap_error,
)

OVERLAP_CONSTRAINT = "stay_no_overlap"


def _user(by):
    return by if getattr(by, "is_authenticated", False) else None


def _is_overlap(exc: IntegrityError) -> bool:
    """True if PostgreSQL's exclusion constraint refused the row."""
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    name = getattr(diag, "constraint_name", None) or ""
    return name == OVERLAP_CONSTRAINT or OVERLAP_CONSTRAINT in str(exc)


def _save_stay(stay: Stay, **save_kwargs) -> None:
    """Save, turning the database's refusal of a clash into the same message
    the check gives. (On PostgreSQL two bookings can pass the check at the
    same moment; the exclusion constraint then refuses the second when the
    first commits. On SQLite the write lock taken at BEGIN prevents that.)"""
    try:
        with transaction.atomic():
            stay.save(**save_kwargs)
    except IntegrityError as exc:
        if not _is_overlap(exc):
            raise
        taken = list(stay.conflicts()[:5]) or [stay]
        raise overlap_error(stay.room, taken) from exc


# STAYS
# ------------------------------------------------------------------------------


def stay_book(
    *,
    by,
    room: Room,
    client,
    start: dt.date,
    end: dt.date | None = None,
    kind: str = Stay.Kind.OVERNIGHT,
    children: int = 0,
    programme=None,
    protection: Mapping | None = None,
) -> Stay:
    """Book ``room`` for ``client``: overnight from ``start`` to ``end`` (the day
    of departure) or, for a day rest, on ``start``. Refused with a message
    naming the dates when another stay holds the room on one of those days.
    ``protection``: an entrusted temporary protection, its fields by name
    (``PROTECTION_FIELDS``, the agency as ``protection_agency``)."""
    if kind == Stay.Kind.DAY_REST and end is None:
        end = start
    stay = Stay(
        room=room,
        client=client,
        kind=kind,
        start_date=start,
        end_date=end,
        children=children,
        created_by=_user(by),
        programme=programme,  # None: the one its rules give (reports.attribution)
        **_protection_fields(protection),
    )
    # The check (in full_clean) and the insert share one transaction: on
    # SQLite it holds the write lock from BEGIN (IMMEDIATE mode).
    with transaction.atomic():
        stay.full_clean()
        _save_stay(stay)
        audit(user=by, action=Action.CREATE, obj=stay)
    return stay


def _protection_fields(protection: Mapping | None) -> dict:
    """The stay's fields for a temporary protection (or for none)."""
    if protection is None:
        return {"entrusted": False}
    unknown = set(protection) - set(PROTECTION_FIELDS)
    if unknown:
        raise TypeError(f"not fields of a temporary protection: {sorted(unknown)}")
    return {"entrusted": True, **protection}


def stay_update(*, stay: Stay, by, expected_version: int, **fields) -> Stay:
    """Change the room, kind, dates, children, programme or temporary
    protection (``entrusted`` and ``PROTECTION_FIELDS``) of a stay that is
    still open, refused if someone saved it in the meantime or if the new
    days clash."""
    allowed = {
        "room",
        "kind",
        "start_date",
        "end_date",
        "children",
        "programme",
        "entrusted",
        *PROTECTION_FIELDS,
    }
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"stay_update cannot change {sorted(unknown)}")
    with transaction.atomic():
        fresh = lock_for_update(stay, expected_version)
        if not fresh.is_open:
            raise ValidationError(
                _("A completed or cancelled stay cannot be changed."),
                code="closed",
            )
        for name, value in fields.items():
            setattr(fresh, name, value)
        if fresh.kind == Stay.Kind.DAY_REST and "end_date" not in fields:
            fresh.end_date = fresh.start_date
        fresh.full_clean(exclude={"version"})
        fresh.version = F("version") + 1
        _save_stay(fresh)
        fresh.refresh_from_db(fields=["version"])
        audit(user=by, action=Action.CHANGE, obj=fresh, detail=",".join(sorted(fields)))
    return fresh


def stay_protection_set(
    *, stay: Stay, by, expected_version: int, protection: Mapping | None
) -> Stay:
    """Record (or, with None, remove) the temporary protection of a stay that
    is not cancelled: a completed stay too, for the discharge and where she
    went, which are often known only afterwards. The stay's room, dates and
    children stay as they are."""
    with transaction.atomic():
        fresh = lock_for_update(stay, expected_version)
        if fresh.status == Stay.Status.CANCELLED:
            raise ValidationError(
                _("A cancelled stay cannot be a temporary protection."),
                code="closed",
            )
        for name, value in _protection_fields(protection).items():
            setattr(fresh, name, value)
        fresh.full_clean(exclude={"version"})
        fresh.version = F("version") + 1
        fresh.save(update_fields=["entrusted", *PROTECTION_FIELDS, "version",
                                  "updated_at"])  # fmt: skip
        fresh.refresh_from_db(fields=["version"])
        audit(user=by, action=Action.CHANGE, obj=fresh, detail="protection")
    return fresh


def _locked(stay: Stay) -> Stay:
    return (
        Stay.objects.select_for_update()
        .select_related("client", "room")
        .get(pk=stay.pk)
    )


def _refuse_unless(stay: Stay, *statuses: str, action) -> None:
    if stay.status not in statuses:
        raise ValidationError(
            _("This stay cannot be %(action)s: it is %(status)s."),
            code="status",
            params={"action": action, "status": stay.get_status_display()},
        )


@transaction.atomic
def stay_check_in(*, stay: Stay, by, today: dt.date | None = None) -> Stay:
    today = today or timezone.localdate()
    fresh = _locked(stay)
    _refuse_unless(fresh, Stay.Status.RESERVED, action=_("checked in"))
    if today < fresh.start_date:
        raise ValidationError(
            _("This stay starts on %(date)s; it cannot be checked in before then."),
            code="too_early",
            params={"date": jpdates.on_screen(fresh.start_date)},
        )
    fresh.status = Stay.Status.CHECKED_IN
    fresh.checked_in_at = timezone.now()
    fresh.version = F("version") + 1
    fresh.save(update_fields=["status", "checked_in_at", "version", "updated_at"])
    fresh.refresh_from_db(fields=["version"])
    audit(user=by, action=Action.CHANGE, obj=fresh, detail="check_in")
    return fresh


@transaction.atomic
def stay_check_out(*, stay: Stay, by, today: dt.date | None = None) -> Stay:
    """Complete a checked-in stay. Leaving before the planned day shortens the
    stay to the nights spent, which frees the room for the rest. A temporary
    protection ends with the stay: discharged on the day she leaves, unless
    an earlier discharge was recorded."""
    today = today or timezone.localdate()
    fresh = _locked(stay)
    _refuse_unless(fresh, Stay.Status.CHECKED_IN, action=_("checked out"))
    fields = ["status", "checked_out_at", "version", "updated_at"]
    if fresh.kind == Stay.Kind.OVERNIGHT and fresh.start_date < today < fresh.end_date:
        fresh.end_date = today
        fields.append("end_date")
    if fresh.entrusted:
        if fresh.protection_admitted_on >= fresh.end_date:
            raise ValidationError(
                _(
                    "Her temporary protection starts on %(date)s, after she leaves: "
                    "change or remove it before checking out."
                ),
                code="protection_after_leaving",
                params={"date": jpdates.on_screen(fresh.protection_admitted_on)},
            )
        discharged = fresh.protection_discharged_on
        if discharged is None or discharged > fresh.end_date:
            fresh.protection_discharged_on = fresh.end_date
            fields.append("protection_discharged_on")
    fresh.status = Stay.Status.COMPLETED
    fresh.checked_out_at = timezone.now()
    fresh.version = F("version") + 1
    fresh.save(update_fields=fields)
    fresh.refresh_from_db(fields=["version"])
    audit(user=by, action=Action.CHANGE, obj=fresh, detail="check_out")
    return fresh


@transaction.atomic
def stay_cancel(*, stay: Stay, by) -> Stay:
    fresh = _locked(stay)
    _refuse_unless(fresh, Stay.Status.RESERVED, action=_("cancelled"))
    fresh.status = Stay.Status.CANCELLED
    fresh.cancelled_at = timezone.now()
    fresh.version = F("version") + 1
    fresh.save(update_fields=["status", "cancelled_at", "version", "updated_at"])
    fresh.refresh_from_db(fields=["version"])
    audit(user=by, action=Action.CHANGE, obj=fresh, detail="cancel")
    return fresh


# UNMET REQUESTS
# ------------------------------------------------------------------------------


@transaction.atomic
def unmet_request_create(
    *,
    by,
    date: dt.date,
    reason: str,
    client=None,
    wanted: str = Stay.Kind.OVERNIGHT,
    note: str = "",
    organisation=None,
) -> UnmetRequest:
    """``organisation``: for a request without a client, the one chosen by a
    user of several organisations; a client's request is her organisation's."""
    if (
        client is not None
        and organisation is not None
        and organisation.pk != client.organisation_id
    ):
        raise ValidationError(
            {"organisation": _("The client belongs to another organisation.")}
        )
    request = UnmetRequest(
        organisation=organisation if client is None else None,
        date=date,
        reason=reason,
        client=client,
        wanted=wanted,
        note=note,
        created_by=_user(by),
    )
    request.full_clean()
    request.save()
    audit(user=by, action=Action.CREATE, obj=request)
    return request


@transaction.atomic
def unmet_request_delete(*, request: UnmetRequest, by) -> None:
    audit(user=by, action=Action.DELETE, obj=request)
    request.delete()


# SALON VISITS
# ------------------------------------------------------------------------------


def _check_named(visitors: int | None, clients: list) -> None:
    if visitors is not None and len(clients) > visitors:
        raise ValidationError(
            {
                "visitors": _(
                    "%(named)d clients are named but only %(visitors)d visitors "
                    "are counted."
                )
                % {"named": len(clients), "visitors": visitors}
            },
            code="fewer_than_named",
        )


def _audit_visit(by, action, visit, clients) -> None:
    audit(user=by, action=action, obj=visit)
    if clients:
        audit_many(
            user=by,
            action=action,
            object_type="shelter.salonvisit",
            client_codes=[c.code for c in clients],
            detail=f"salon visit {visit.pk}",
        )


KEEP = object()  # an argument left out: the field keeps its value


@transaction.atomic
def salon_visit_record(
    *,
    by,
    facility: Facility,
    date: dt.date,
    visitors: int,
    clients: Iterable = (),
    programme=None,
) -> SalonVisit:
    """The number of visitors at a salon on one day, optionally naming clients
    (who are counted among the visitors). Without a programme, the one its
    rules give (reports.attribution)."""
    clients = list(clients)
    visit = SalonVisit(
        facility=facility,
        date=date,
        visitors=visitors,
        created_by=_user(by),
        programme=programme,
    )
    _check_named(visitors, clients)
    visit.full_clean()
    visit.save()
    visit.clients.set(clients)
    _audit_visit(by, Action.CREATE, visit, clients)
    return visit


@transaction.atomic
def salon_visit_update(
    *,
    visit: SalonVisit,
    by,
    visitors: int,
    clients: Iterable = (),
    programme=KEEP,
) -> SalonVisit:
    """Change the visitors and named clients (and the programme, if given)."""
    clients = list(clients)
    visit = SalonVisit.objects.select_for_update().get(pk=visit.pk)
    visit.visitors = visitors
    fields = ["visitors", "updated_at"]
    if programme is not KEEP:
        visit.programme = programme
        fields.append("programme")
    _check_named(visitors, clients)
    visit.full_clean()
    visit.save(update_fields=fields)
    visit.clients.set(clients)
    _audit_visit(by, Action.CHANGE, visit, clients)
    return visit


@transaction.atomic
def salon_visit_delete(*, visit: SalonVisit, by) -> None:
    audit(user=by, action=Action.DELETE, obj=visit)
    visit.delete()


# OPENING CALENDARS
# ------------------------------------------------------------------------------

Hours = tuple[dt.time | None, dt.time | None]


@transaction.atomic
def opening_calendar_set(
    *,
    by,
    service: str,
    weekly: Mapping[int, Hours],
    closed_on_public_holidays: bool = True,
    closed_over_year_end: bool = True,
) -> OpeningCalendar:
    """Set a service's weekly days and hours: ``weekly`` maps each open weekday
    (0 = Monday) to (opens, closes), both None for all day. Weekdays left out
    are closed."""
    calendar, _created = OpeningCalendar.objects.select_for_update().get_or_create(
        service=service
    )
    calendar.closed_on_public_holidays = closed_on_public_holidays
    calendar.closed_over_year_end = closed_over_year_end
    calendar.full_clean()
    calendar.save()
    rows = []
    errors = []
    for weekday, (opens, closes) in sorted(weekly.items()):
        row = OpeningHours(
            calendar=calendar, weekday=weekday, opens=opens, closes=closes
        )
        if (opens is None) != (closes is None) or (
            opens and closes and opens >= closes
        ):
            errors.append(
                ValidationError(
                    _("%(day)s: give both hours, opening before closing."),
                    code="hours",
                    params={"day": row.get_weekday_display()},
                )
            )
        rows.append(row)
    if errors:
        raise ValidationError(errors)
    OpeningHours.objects.filter(calendar=calendar).delete()
    OpeningHours.objects.bulk_create(rows)
    audit(user=by, action=Action.CHANGE, obj=calendar, detail="weekly")
    return calendar


@transaction.atomic
def calendar_exception_add(
    *, by, service: str, date: dt.date, kind: str, reason: str = ""
) -> CalendarException:
    calendar, _created = OpeningCalendar.objects.get_or_create(service=service)
    exception = CalendarException(
        calendar=calendar, date=date, kind=kind, reason=reason
    )
    exception.full_clean()
    exception.save()
    audit(user=by, action=Action.CREATE, obj=exception)
    return exception


@transaction.atomic
def calendar_exception_remove(*, exception: CalendarException, by) -> None:
    audit(user=by, action=Action.DELETE, obj=exception)
    exception.delete()
