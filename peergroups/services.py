"""Writes for groups, sessions, attendance and series. Each validates, writes
in a transaction and records the audit entry (one per client for attendance)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

import jpdates
from accounts.audit import Action, audit, audit_many
from accounts.locking import lock_for_update

from . import series as series_rules
from .models import MAX_HEAD_COUNT, Attendance, Frequency, Group, Series, Session

SESSION_FIELDS = (
    "group",
    "date",
    "end_date",
    "start_time",
    "end_time",
    "place",
    "facilitator",
    "theme",
    "programme",
)


# GROUPS
# ------------------------------------------------------------------------------


@transaction.atomic
def group_create(
    *, by, name: str, description: str = "", active=True, organisation=None
) -> Group:
    """``organisation``: the one chosen by a user of several (else the
    user's only one, accounts.scoping)."""
    group = Group(name=name.strip(), description=description, active=active)
    if organisation is not None:
        group.organisation = organisation
    group.full_clean()
    group.save()
    audit(user=by, action=Action.CREATE, obj=group)
    return group


@transaction.atomic
def group_update(*, group: Group, by, **fields) -> Group:
    for name, value in fields.items():
        setattr(group, name, value.strip() if name == "name" else value)
    group.full_clean()
    group.save()
    audit(user=by, action=Action.CHANGE, obj=group, detail=",".join(sorted(fields)))
    return group


# ATTENDANCE: participants = named + anonymous, nobody counted twice
# ------------------------------------------------------------------------------


def anonymous_from_head_count(*, head_count: int, named: int) -> int:
    """Everyone present (the head count taken in the room) minus the clients
    named: the people counted anonymously. A named client is never also in the
    anonymous count, so participants = named + anonymous = head count."""
    if head_count is None or head_count < 0:
        raise ValidationError(
            {"head_count": _("Enter the number of people present (0 or more).")},
            code="head_count_negative",
        )
    if head_count > MAX_HEAD_COUNT:
        raise ValidationError(
            {
                "head_count": _("At most %(max)d people can be recorded.")
                % {"max": MAX_HEAD_COUNT}
            },
            code="head_count_too_large",
        )
    if head_count < named:
        raise ValidationError(
            {
                "head_count": _(
                    "%(head_count)d people present is fewer than the %(named)d "
                    "named clients. Count everyone present, named or not."
                )
                % {"head_count": head_count, "named": named}
            },
            code="head_count_below_named",
        )
    return head_count - named


def _distinct(clients: Iterable) -> list:
    """Each client once, in the order given."""
    return list({client.pk: client for client in clients}.values())


def _set_attendees(session: Session, clients: Iterable, *, by) -> None:
    """Make the session's named attendees exactly ``clients`` (a fixed number
    of queries), auditing each client added or removed."""
    wanted = {c.pk: c for c in clients}
    current = dict(
        Attendance.objects.filter(session=session).values_list("client_id", "pk")
    )
    removed = [pk for client_id, pk in current.items() if client_id not in wanted]
    added = [c for pk, c in wanted.items() if pk not in current]
    removed_codes = []
    if removed:
        removed_codes = list(
            Attendance.objects.filter(pk__in=removed).values_list(
                "client__code", flat=True
            )
        )
        Attendance.objects.filter(pk__in=removed).delete()
    if added:
        Attendance.objects.bulk_create(
            Attendance(session=session, client=c) for c in added
        )
    if added or removed:
        audit_many(
            user=by,
            action=Action.CHANGE,
            object_type="peergroups.attendance",
            client_codes=[c.code for c in added] + removed_codes,
            detail=f"session {session.pk}",
        )


# SESSIONS
# ------------------------------------------------------------------------------


@transaction.atomic
def session_create(
    *,
    by,
    group: Group,
    date: date,
    head_count: int = 0,
    clients: Iterable = (),
    end_date: date | None = None,
    start_time: time | None = None,
    end_time: time | None = None,
    place: str = "",
    facilitator=None,
    theme: str = "",
    series: Series | None = None,
    programme=None,
) -> Session:
    clients = _distinct(clients)
    session = Session(
        group=group,
        series=series,
        date=date,
        end_date=end_date,
        start_time=start_time,
        end_time=end_time,
        place=place,
        facilitator=facilitator,
        theme=theme,
        programme=programme,  # None: the one its rules give (reports.attribution)
    )
    errors = {}
    try:
        session.anonymous_count = anonymous_from_head_count(
            head_count=head_count, named=len(clients)
        )
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        session.full_clean(exclude=["anonymous_count"] if errors else None)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    session.save()
    audit(user=by, action=Action.CREATE, obj=session)
    _set_attendees(session, clients, by=by)
    return session


@transaction.atomic
def session_update(
    *,
    session: Session,
    by,
    expected_version: int | None = None,
    head_count: int,
    clients: Iterable,
    **fields,
) -> Session:
    """Save a session's fields and attendance. With ``expected_version`` (from
    the edit form) the save is refused if someone saved it in the meantime."""
    unknown = set(fields) - set(SESSION_FIELDS)
    if unknown:
        raise TypeError(f"not session fields: {sorted(unknown)}")
    if expected_version is not None:
        session = lock_for_update(session, expected_version)
    clients = _distinct(clients)
    for name, value in fields.items():
        setattr(session, name, value)
    errors = {}
    try:
        session.anonymous_count = anonymous_from_head_count(
            head_count=head_count, named=len(clients)
        )
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    try:
        session.full_clean(exclude=["anonymous_count"] if errors else None)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    session.version = F("version") + 1
    session.save()
    session.refresh_from_db(fields=["version"])
    audit(user=by, action=Action.CHANGE, obj=session, detail=",".join(sorted(fields)))
    _set_attendees(session, clients, by=by)
    return session


@transaction.atomic
def session_delete(*, session: Session, by) -> None:
    codes = list(session.attendances.values_list("client__code", flat=True))
    audit(user=by, action=Action.DELETE, obj=session)
    if codes:
        audit_many(
            user=by,
            action=Action.DELETE,
            object_type="peergroups.attendance",
            client_codes=codes,
            detail=f"session {session.pk}",
        )
    session.delete()


# SERIES
# ------------------------------------------------------------------------------


def series_plan(
    *,
    frequency: str,
    weekday: int,
    week_of_month: int | None,
    first_date: date,
    last_date: date,
    holiday_policy: str,
) -> list[series_rules.PlannedDate]:
    """The dates a series would have, checked against the limits; nothing is
    written (for the preview)."""
    if frequency == Frequency.MONTHLY and week_of_month is None:
        raise ValidationError(
            {"week_of_month": _("Choose which week of the month.")},
            code="series_week_of_month",
        )
    if frequency != Frequency.MONTHLY:
        week_of_month = None
    if last_date < first_date:
        raise ValidationError(
            {"last_date": _("The last date must not be before the first.")},
            code="series_period",
        )
    if (last_date - first_date).days > series_rules.MAX_DAYS:
        raise ValidationError(
            {
                "last_date": _("A series can cover at most %(days)d days.")
                % {"days": series_rules.MAX_DAYS}
            },
            code="series_too_long",
        )
    planned = series_rules.plan(
        frequency=frequency,
        weekday=weekday,
        week_of_month=week_of_month,
        first=first_date,
        last=last_date,
        holiday_policy=holiday_policy,
    )
    held = [p for p in planned if not p.skipped]
    if not held:
        raise ValidationError(
            _("The rule gives no date in this period."), code="series_empty"
        )
    if len(held) > series_rules.MAX_SESSIONS:
        raise ValidationError(
            _("A series can create at most %(max)d sessions (this one: %(n)d).")
            % {"max": series_rules.MAX_SESSIONS, "n": len(held)},
            code="series_too_many",
        )
    return planned


@transaction.atomic
def series_create(
    *,
    by,
    group: Group,
    frequency: str,
    weekday: int,
    week_of_month: int | None,
    first_date: date,
    last_date: date,
    holiday_policy: str,
    start_time: time | None = None,
    end_time: time | None = None,
    place: str = "",
    facilitator=None,
    theme: str = "",
) -> Series:
    """Create the series and one session per date the rule gives, applying the
    holiday policy; the skipped and moved dates are kept on the series. Each
    session can then be edited on its own. Refused as a whole if the group
    already has a session on one of the dates."""
    planned = series_plan(
        frequency=frequency,
        weekday=weekday,
        week_of_month=week_of_month,
        first_date=first_date,
        last_date=last_date,
        holiday_policy=holiday_policy,
    )
    series = Series(
        group=group,
        frequency=frequency,
        weekday=weekday,
        week_of_month=week_of_month if frequency == Frequency.MONTHLY else None,
        first_date=first_date,
        last_date=last_date,
        holiday_policy=holiday_policy,
        created_by=by,
        skipped=[
            {
                "date": p.planned.isoformat(),
                "holiday": p.holiday,
                "moved_to": p.held_on.isoformat() if p.held_on else None,
            }
            for p in planned
            if p.holiday and p.held_on != p.planned
        ],
    )
    series.full_clean()
    held = sorted(p.held_on for p in planned if not p.skipped)
    clashes = list(
        Session.objects.filter(group=group, date__in=held)
        .order_by("date")
        .values_list("date", flat=True)
    )
    if clashes:
        raise ValidationError(
            _("%(group)s already has a session on %(dates)s.")
            % {
                "group": group.name,
                "dates": "、".join(jpdates.on_screen(d) for d in clashes),
            },
            code="series_clash",
        )
    sessions = [
        Session(
            group=group,
            date=day,
            start_time=start_time,
            end_time=end_time,
            place=place,
            facilitator=facilitator,
            theme=theme,
        )
        for day in held
    ]
    # The sessions differ only by their date, which the rule chose: checking
    # one checks them all (and saves one query per session).
    sessions[0].full_clean(exclude=["series"])
    series.save()
    for session in sessions:
        session.series = series
    Session.objects.bulk_create(sessions)
    audit(
        user=by,
        action=Action.CREATE,
        obj=series,
        detail=f"{len(sessions)} sessions",
    )
    return series
