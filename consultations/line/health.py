"""Is the LINE webhook working? The webhook view records how it answered each
call (record()); the admins' LINE status page reads it back (webhook_status()).

Only counts, times and outcomes are kept: no body, no text, no LINE user id.
Whether "Webhook redelivery" is switched on cannot be read from here: it is a
setting in the LINE Developers console (see README, "LINE").
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from .models import LineWebhookDay

logger = logging.getLogger(__name__)

Outcome = LineWebhookDay.Outcome
DAYS_SHOWN = 14


# One statement, the same on PostgreSQL and SQLite: today's row for the outcome
# is created or counted up, so concurrent calls never race.
COUNT_CALL = (
    "INSERT INTO consultations_linewebhookday "
    "(day, outcome, calls, events, last_at, last_events) "
    "VALUES (%s, %s, 1, %s, %s, %s) "
    "ON CONFLICT (day, outcome) DO UPDATE SET "
    "calls = consultations_linewebhookday.calls + 1, "
    "events = consultations_linewebhookday.events + excluded.events, "
    "last_at = excluded.last_at, last_events = excluded.last_events"
)


def record(outcome: str, *, events: int = 0) -> None:
    """Count one webhook call of this outcome (with its number of events) in
    today's row. It never raises: while the database is down the call simply
    goes uncounted."""
    now = timezone.now()
    ops = connection.ops
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                COUNT_CALL,
                [
                    ops.adapt_datefield_value(timezone.localdate(now)),
                    outcome,
                    events,
                    ops.adapt_datetimefield_value(now),
                    events,
                ],
            )
    except DatabaseError as exc:
        logger.warning(
            "LINE webhook: a %s call could not be counted (%s)",
            outcome,
            type(exc).__name__,
        )


def webhook_status() -> dict:
    """What the LINE status page shows: whether the channel is configured
    (never the values), the last call received, and the recent days."""
    since = timezone.localdate() - dt.timedelta(days=DAYS_SHOWN - 1)
    days = list(LineWebhookDay.objects.filter(day__gte=since))
    received = [d for d in days if d.outcome == Outcome.RECEIVED]
    last_received = (
        max(received, key=lambda d: d.last_at)
        if received
        else LineWebhookDay.objects.filter(outcome=Outcome.RECEIVED)
        .order_by("-last_at")
        .first()
    )
    return {
        "secret_set": bool(settings.LINE_CHANNEL_SECRET),
        "token_set": bool(settings.LINE_CHANNEL_ACCESS_TOKEN),
        "last_received": last_received,
        "days": days,
        "failures": [d for d in days if d.is_failure],
        "days_shown": DAYS_SHOWN,
    }
