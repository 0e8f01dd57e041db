"""Reads for LINE intake, each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import pgettext

from . import messaging
from .models import LineMessage, LineUser

Direction = LineMessage.Direction
Kind = LineMessage.Kind
FOLLOW_KINDS = (Kind.FOLLOW, Kind.UNFOLLOW)

# The conversation page shows this many of the newest messages.
CONVERSATION_LIMIT = 200


def _unread() -> Q:
    return Q(direction=Direction.INCOMING, read_at__isnull=True) & ~Q(
        kind__in=FOLLOW_KINDS
    )


def _unrecorded() -> Q:
    return Q(direction=Direction.INCOMING, consultation__isnull=True) & ~Q(
        kind__in=FOLLOW_KINDS
    )


def _count_per_user(condition: Q):
    """A correlated count of the LINE user's messages matching ``condition``;
    on a page of users the database counts for that page only."""
    counts = (
        LineMessage.objects.filter(condition, line_user=OuterRef("pk"))
        .order_by()
        .values("line_user")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def inbox(*, fetched_by, unread_only: bool = False) -> QuerySet[LineUser]:
    """Conversations, the most recent first, each with its unread and not yet
    recorded message counts and the id of its last message (one query, two
    for unread ones only; see ``attach_last_messages`` for the previews)."""
    last = LineMessage.objects.filter(line_user=OuterRef("pk")).order_by(
        "-sent_at", "-id"
    )
    users = LineUser.objects.select_related("client").annotate(
        unread_count=_count_per_user(_unread()),
        unrecorded_count=_count_per_user(_unrecorded()),
        last_message_id=Subquery(last.values("pk")[:1]),
    )
    if unread_only:
        # The few conversations with unread messages first (the partial index
        # line_msg_unread), then those users: as one query, PostgreSQL walked
        # every conversation newest first looking for unread ones (40 ms for
        # 4k conversations, growing with them).
        unread_users = (
            LineMessage.objects.filter(_unread())
            .order_by()
            .values_list("line_user", flat=True)
            .distinct()
        )
        users = users.filter(pk__in=list(unread_users))
    return users.order_by("-last_event_at", "-id")


def attach_last_messages(users) -> None:
    """Set ``last_message`` on each user of a page (one query)."""
    ids = [u.last_message_id for u in users if u.last_message_id]
    found = LineMessage.objects.in_bulk(ids)
    for user in users:
        user.last_message = found.get(user.last_message_id)


def unread_totals() -> dict:
    """Unread messages and the conversations they are in (one query)."""
    return LineMessage.objects.filter(_unread()).aggregate(
        messages=Count("pk"), conversations=Count("line_user", distinct=True)
    )


def conversation(*, line_user: LineUser) -> tuple[list[LineMessage], bool]:
    """The newest messages, oldest first, with their content (media), each
    with ``quoted``: the stored message it quotes, if any; and whether older
    messages exist (two queries)."""
    newest = list(
        LineMessage.objects.filter(line_user=line_user)
        .select_related("sent_by", "media")
        .order_by("-sent_at", "-id")[: CONVERSATION_LIMIT + 1]
    )
    has_older = len(newest) > CONVERSATION_LIMIT
    shown = newest[:CONVERSATION_LIMIT][::-1]
    attach_quoted(shown, line_user=line_user)
    return shown, has_older


def attach_quoted(messages: list[LineMessage], *, line_user: LineUser) -> None:
    """Set ``quoted`` on each message: the message of the same conversation
    that it quotes (quotedMessageId), or None if that one is not stored (one
    query, none without quotes)."""
    wanted = {m.quoted_message_id for m in messages if m.quoted_message_id}
    found = {}
    if wanted:
        found = {
            m.line_message_id: m
            for m in LineMessage.objects.filter(
                line_user=line_user, line_message_id__in=wanted
            )
        }
    for message in messages:
        message.quoted = found.get(message.quoted_message_id)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The start of ``day`` and of the next day, in the local time zone."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def unrecorded_days(*, line_user: LineUser) -> list[dict]:
    """The days with messages not yet recorded as a consultation, oldest
    first: [{day, count}] (one query)."""
    return list(
        LineMessage.objects.filter(_unrecorded(), line_user=line_user)
        .annotate(day=TruncDate("sent_at", tzinfo=timezone.get_current_timezone()))
        .order_by("day")
        .values("day")
        .annotate(count=Count("pk"))
    )


def day_unrecorded(*, line_user: LineUser, day: dt.date) -> QuerySet[LineMessage]:
    """The messages either way of ``day`` that are not yet recorded."""
    start, end = day_bounds(day)
    return (
        LineMessage.objects.filter(
            line_user=line_user,
            consultation__isnull=True,
            sent_at__gte=start,
            sent_at__lt=end,
        )
        .exclude(kind__in=FOLLOW_KINDS)
        .order_by("sent_at", "id")
    )


def day_summary(messages) -> str:
    """The day's messages as an editable transcript for the consultation
    summary: one line per message, time and who wrote it."""
    lines = []
    for message in messages:
        who = (
            pgettext("LINE summary", "Person")
            if message.direction == Direction.INCOMING
            else pgettext("LINE summary", "Counsellor")
        )
        when = timezone.localtime(message.sent_at).strftime("%H:%M")
        lines.append(f"{when} {who}: {message.display_text}")
    return "\n".join(lines)


QUOTA_CACHE_KEY = "line:quota"


def quota_forget() -> None:
    """A push or LINE's monthly-limit answer changed the figures."""
    cache.delete(QUOTA_CACHE_KEY)


def quota() -> dict | None:
    """The month's LINE messages: {limit, used, left, low} (``limit`` and
    ``left`` None when the plan has no limit), or None when LINE is not set
    up or did not answer. Asked of LINE at most once per
    ``LINE_QUOTA_CACHE_SECONDS``; a failure is remembered for a minute, so
    that pages do not wait on LINE each time."""
    if not settings.LINE_CHANNEL_ACCESS_TOKEN:
        return None
    cached = cache.get(QUOTA_CACHE_KEY)
    if cached is not None:
        return cached or None
    try:
        found = messaging.quota()
    except messaging.LineApiError:
        cache.set(QUOTA_CACHE_KEY, {}, 60)
        return None
    left = found.left
    result = {
        "limit": found.limit,
        "used": found.used,
        "left": left,
        "low": left is not None
        and left * 100 < found.limit * settings.LINE_QUOTA_WARN_PERCENT,
    }
    cache.set(QUOTA_CACHE_KEY, result, settings.LINE_QUOTA_CACHE_SECONDS)
    return result
