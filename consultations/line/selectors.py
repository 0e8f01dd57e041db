"""Reads for LINE intake, each in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Count,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts import dataversion
from accounts.links import person_name, url_by_id

from . import messaging
from .models import LineChannel, LineChat, LineChatTransfer, LineMessage, LineUser

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
    """Messages from before chats, not yet recorded: a chat's messages are
    recorded by ending the chat (consultations.line.chats.chat_end)."""
    return Q(
        direction=Direction.INCOMING, consultation__isnull=True, chat__isnull=True
    ) & ~Q(kind__in=FOLLOW_KINDS)


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


# What a row of the inbox shows of its conversation and client: read as
# values, not as 50 LineUser and Client objects per page (making them cost
# more than the query itself; ``inbox_rows``).
INBOX_ROW_FIELDS = (
    "pk",
    "display_name",
    "is_following",
    "consent_given_at",
    "client_id",
    "client__code",
    "client__display_name",
    "last_event_at",
    "unread_count",
    "unrecorded_count",
    "last_message_id",
)


def inbox(*, fetched_by, unread_only: bool = False) -> QuerySet[LineUser]:
    """Conversations, the most recent first, each with its unread and not yet
    recorded message counts and the id of its last message (one query, two
    for unread ones only; ``inbox_rows`` reads a page of them as rows)."""
    last = LineMessage.objects.filter(line_user=OuterRef("pk")).order_by(
        "-sent_at", "-id"
    )
    users = LineUser.objects.annotate(
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
        users = users.filter(pk__in=dataversion.cached_list(unread_users))
    return users.order_by("-last_event_at", "-id")


def unread_conversations() -> QuerySet[LineUser]:
    """The conversations with unread messages, the most recent first, each
    with its unread count only: what the worklists show (two queries, like
    ``inbox(unread_only=True)`` without its other counts)."""
    unread_users = (
        LineMessage.objects.filter(_unread())
        .order_by()
        .values_list("line_user", flat=True)
        .distinct()
    )
    return (
        LineUser.objects.filter(pk__in=dataversion.cached_list(unread_users))
        .annotate(unread_count=_count_per_user(_unread()))
        .order_by("-last_event_at", "-id")
    )


def _last_messages(ids: list[int]) -> dict[int, dict]:
    """The previews' messages by id: the columns of their display text and
    their direction (one query; as values, a third of the time of the
    messages themselves)."""
    return {
        m["pk"]: m
        for m in dataversion.cached_list(
            LineMessage.objects.filter(pk__in=ids).values(
                "pk", "direction", *LineMessage.DISPLAY_TEXT_FIELDS
            )
        )
    }


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
    """The messages either way of ``day`` that are not yet recorded and are
    in no chat (from before chats, or replies to them)."""
    start, end = day_bounds(day)
    return (
        LineMessage.objects.filter(
            line_user=line_user,
            consultation__isnull=True,
            chat__isnull=True,
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


def _quota_key(channel: LineChannel | None) -> str:
    """Each official account has its own month's messages (None: the
    settings' account)."""
    return QUOTA_CACHE_KEY if channel is None else f"{QUOTA_CACHE_KEY}:{channel.pk}"


def quota_forget(channel: LineChannel | None = None) -> None:
    """A push or LINE's monthly-limit answer changed the figures."""
    cache.delete(_quota_key(channel))


def quota_count_push(channel: LineChannel | None = None) -> None:
    """A push was sent: count it in the cached figures rather than forget
    them, so that the next desk page does not wait on LINE's quota API (LINE
    is asked again when the cache expires)."""
    key = _quota_key(channel)
    cached = cache.get(key)
    if not cached:
        return
    used = cached["used"] + 1
    limit = cached["limit"]
    left = None if limit is None else max(limit - used, 0)
    cache.set(
        key,
        {
            **cached,
            "used": used,
            "left": left,
            "low": left is not None
            and left * 100 < limit * settings.LINE_QUOTA_WARN_PERCENT,
        },
        settings.LINE_QUOTA_CACHE_SECONDS,
    )


def quota(channel: LineChannel | None = None) -> dict | None:
    """The month's LINE messages of ``channel`` (None: the settings'
    account): {limit, used, left, low} (``limit`` and ``left`` None when the
    plan has no limit), or None when LINE is not set up or did not answer.
    Asked of LINE at most once per ``LINE_QUOTA_CACHE_SECONDS``; a failure is
    remembered for a minute, so that pages do not wait on LINE each time."""
    if not messaging.has_access_token(channel):
        return None
    key = _quota_key(channel)
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    try:
        found = messaging.quota(channel)
    except messaging.LineApiError:
        cache.set(key, {}, 60)
        return None
    left = found.left
    result = {
        "limit": found.limit,
        "used": found.used,
        "left": left,
        "low": left is not None
        and left * 100 < found.limit * settings.LINE_QUOTA_WARN_PERCENT,
    }
    cache.set(key, result, settings.LINE_QUOTA_CACHE_SECONDS)
    return result


def quotas() -> list[dict]:
    """The month's LINE messages of each active official account of the
    scope's organisations, with its ``name`` (one query); of the settings'
    account (no name) when they have none."""
    channels = list(LineChannel.objects.filter(active=True))
    if not channels:
        found = quota()
        return [{**found, "name": ""}] if found else []
    return [
        {**found, "name": channel.name}
        for channel in channels
        if (found := quota(channel))
    ]


# CHATS (the desk)
# ------------------------------------------------------------------------------

ChatStatus = LineChat.Status


def _minutes_since(then: dt.datetime | None, now: dt.datetime) -> int | None:
    if then is None:
        return None
    return max(0, int((now - then).total_seconds() // 60))


def _live_chats() -> QuerySet[LineChat]:
    """Open chats with the person, her client and the holder, and the times
    of the last message either way (one query)."""
    return (
        LineChat.objects.filter(status__in=LineChat.OPEN)
        .select_related("line_user__client", "claimed_by")
        .annotate(**_last_message_times())
    )


def _last_message_times() -> dict:
    """A chat's last message either way, as annotations: ``last_in_at`` and
    ``last_out_at``. Only a reply LINE took is an answer (not one queued,
    uncertain or failed)."""
    return {
        "last_in_at": Max(
            "messages__sent_at",
            filter=Q(messages__direction=Direction.INCOMING),
        ),
        "last_out_at": Max(
            "messages__sent_at",
            filter=Q(
                messages__direction=Direction.OUTGOING,
                messages__status=LineMessage.Status.SENT,
            ),
        ),
    }


def _waits(started_at, last_in, last_out, now: dt.datetime) -> tuple:
    """How long the person has been waiting for an answer (since the chat
    began while nobody answered, else since her last message left
    unanswered; None when she has her answer), and the time since the last
    message either way, in minutes."""
    if last_out is None:
        waiting_since = started_at
    elif last_in is not None and last_in > last_out:
        waiting_since = last_in
    else:
        waiting_since = None
    last = max(filter(None, [last_in, last_out]), default=None)
    return _minutes_since(waiting_since, now), _minutes_since(last, now)


def _with_waits(chats, now: dt.datetime | None = None) -> list[LineChat]:
    """Set on each chat ``waited_minutes`` and ``idle_minutes`` (``_waits``)."""
    now = now or timezone.now()
    chats = list(chats)
    for chat in chats:
        chat.waited_minutes, chat.idle_minutes = _waits(
            chat.started_at, chat.last_in_at, chat.last_out_at, now
        )
    return chats


def _by_wait(chats: list) -> list:
    """The one waiting longest for an answer first (stable: in the order
    given when equal)."""
    return sorted(chats, key=lambda c: -(c["waited_minutes"] or -1))


def desk_chats(*, by) -> tuple[list[dict], list[dict], dict[int, dict]]:
    """Every live chat, read once for the desk page (one query): the waiting
    chats, the oldest first; the chats ``by`` holds, the one waiting longest
    for an answer first (each with how long the person has waited); and the
    open chat of each person by LINE user id (its status and holder's name,
    for the rows: ``inbox_rows``). As values of the columns the page shows,
    the queue's and my chats' as the desk's template reads them (pk,
    line_user_id, started_at, outside_hours, line_user.display_name and
    line_user.client.code): three queries of whole chats, people, clients
    and holders cost more to build and plan than to run. Live chats are the
    conversations going on now, as many as the supervision page lists."""
    now = timezone.now()
    rows = (
        LineChat.objects.filter(status__in=LineChat.OPEN)
        .values(
            "pk",
            "status",
            "started_at",
            "outside_hours",
            "line_user_id",
            "line_user__display_name",
            "line_user__client_id",
            "line_user__client__code",
            "claimed_by_id",
            "claimed_by__last_name",
            "claimed_by__first_name",
            "claimed_by__username",
        )
        .annotate(**_last_message_times())
        .order_by("started_at", "id")
    )
    queue, mine, open_chats = [], [], {}
    # The chats are kept in memory until one changes (accounts.dataversion);
    # the waiting times are worked out from them on every read.
    for v in dataversion.cached_list(rows):
        open_chats[v["line_user_id"]] = {
            "status": v["status"],
            "holder": person_name(
                v["claimed_by__last_name"],
                v["claimed_by__first_name"],
                v["claimed_by__username"],
            ),
        }
        if v["status"] == ChatStatus.WAITING:
            shown_in = queue
        elif v["claimed_by_id"] == by.pk:
            shown_in = mine
        else:
            continue
        waited, idle = _waits(v["started_at"], v["last_in_at"], v["last_out_at"], now)
        client = v["line_user__client_id"] and {"code": v["line_user__client__code"]}
        shown_in.append(
            {
                "pk": v["pk"],
                "line_user_id": v["line_user_id"],
                "line_user": {
                    "display_name": v["line_user__display_name"],
                    "client": client,
                },
                "started_at": v["started_at"],
                "outside_hours": v["outside_hours"],
                "waited_minutes": waited,
                "idle_minutes": idle,
            }
        )
    return queue, _by_wait(mine), open_chats


def chats_live() -> list[LineChat]:
    """Every live chat (waiting, then in progress), for supervisors: who
    holds it, how long the person has waited, the time since the last
    message (one query)."""
    return _with_waits(_live_chats().order_by("-status", "started_at", "id"))


def _cut(text: str, length: int = 48) -> str:
    """``text`` cut as truncatechars:48 would: a short text in NFC, the
    usual case, is what Truncator returns, without its translated ellipsis
    looked up per row (a fifth of a row's time)."""
    if len(text) <= length and unicodedata.is_normalized("NFC", text):
        return text
    return Truncator(text).chars(length)


def inbox_rows(users: QuerySet[LineUser], *, open_chats: dict) -> list[dict]:
    """The rows of one page of the inbox (a slice of ``inbox()``), as values
    of INBOX_ROW_FIELDS, each with ``html``, the row as the page prints it,
    made here rather than by tags and filters per row (two queries: the rows
    and the previews' messages; ``open_chats`` from ``desk_chats``). The
    values are read from the page's slice, not given to the paginator: its
    count would then join the clients too."""

    def made(rows: list[dict]) -> list[dict]:
        return _inbox_rows_made(rows, open_chats)

    # Kept ready to print until a person, message or chat changes
    # (accounts.dataversion): ``open_chats`` holds only what the data says
    # (each open chat's status and holder), not the waiting times.
    return dataversion.cached_rows(users.values(*INBOX_ROW_FIELDS), made)


def _inbox_rows_made(rows: list[dict], open_chats: dict) -> list[dict]:
    from accounts.templatetags.dates import jdatetime

    messages = _last_messages(
        [r["last_message_id"] for r in rows if r["last_message_id"]]
    )
    conversation = url_by_id("line:conversation")
    client = url_by_id("consultations:client_detail")
    statuses = {value: str(label) for value, label in ChatStatus.choices}
    labels = {
        "unread": conditional_escape(_("Unread")),
        "to_record": conditional_escape(_("To record")),
        "no_name": conditional_escape(_("(name not fetched)")),
        "not_friend": conditional_escape(_("Not a friend")),
        "no_consent": conditional_escape(_("Consent not confirmed")),
        "not_linked": conditional_escape(_("Not linked")),
        "you": conditional_escape(_("You:")),
    }
    # Each distinct time and count formatted once (a date's text and a
    # number's localization are most of a row's time).
    times: dict[dt.datetime, tuple[str, str]] = {}
    numbers: dict[int, str] = {}
    for row in rows:
        message = messages.get(row["last_message_id"])
        chat = open_chats.get(row["pk"])
        when = row["last_event_at"]
        if when not in times:
            local = timezone.localtime(when)
            # isoformat() is what the "c" date format gives.
            times[when] = (local.isoformat(), jdatetime(local))
        row.update(
            href=conversation(row["pk"]),
            client_href=client(row["client_id"]) if row["client_id"] else "",
            preview=_cut(LineMessage.display_text_of(message)) if message else "",
            preview_is_reply=message is not None
            and message["direction"] == Direction.OUTGOING,
            chat_status=chat["status"] if chat else "",
            chat_status_label=statuses.get(chat["status"], chat["status"])
            if chat
            else "",
            chat_holder=chat["holder"] if chat else "",
            last_event_iso=times[when][0],
            last_event_text=times[when][1],
        )
        for count in (row["unread_count"], row["unrecorded_count"]):
            if count not in numbers:
                numbers[count] = localize(count)
        row["unread_text"] = numbers[row["unread_count"]]
        row["unrecorded_text"] = numbers[row["unrecorded_count"]]
        row["html"] = _inbox_row_html(row, labels)
    return rows


def _inbox_row_html(row: dict, labels: dict) -> str:
    """One row of the inbox as templates/consultations/includes/
    line_inbox_rows.html printed it, made as one string (each value escaped
    as the template escapes it): a template render per cell cost more than
    the page's queries."""
    e = conditional_escape
    name = e(row["display_name"]) if row["display_name"] else labels["no_name"]
    not_friend = (
        f'<span class="badge closed">{labels["not_friend"]}</span>'
        if row["is_following"] is False
        else ""
    )
    no_consent = (
        f'<span class="badge closed consent-missing">{labels["no_consent"]}</span>'
        if row["consent_given_at"] is None
        else ""
    )
    if row["client_id"]:
        client = (
            f'<a href="{e(row["client_href"])}">{e(row["client__code"])}</a> '
            f"{e(row['client__display_name'])}"
        )
    else:
        client = f'<span class="muted">{labels["not_linked"]}</span>'
    if row["chat_status"]:
        held = f" {e(row['chat_holder'])}" if row["chat_holder"] else ""
        chat = (
            f'<span class="badge chat-{e(row["chat_status"])}">'
            f"{e(row['chat_status_label'])}</span>{held}"
        )
    else:
        chat = '<span class="muted">–</span>'
    preview = ""
    if row["preview_is_reply"]:
        preview = f'<span class="muted">{labels["you"]}</span> '
    preview += e(row["preview"])
    unread = row["unread_count"]
    count = f'<span class="count">{e(row["unread_text"])}</span>' if unread else "0"
    row_class = ' class="unread"' if unread else ""
    return mark_safe(  # noqa: S308 (each value escaped)
        f"\n    <tr{row_class}>\n"
        "      <td>\n"
        f'        <a href="{e(row["href"])}">{name}</a>\n'
        f"        {not_friend}\n"
        f"        {no_consent}\n"
        "      </td>\n"
        f"      <td>{client}</td>\n"
        f"      <td>{chat}</td>\n"
        f'      <td class="preview">{preview}</td>\n'
        f'      <td><time datetime="{e(row["last_event_iso"])}">'
        f"{e(row['last_event_text'])}</time></td>\n"
        f'      <td class="num unread-count" data-label="{labels["unread"]}">'
        f"{count}</td>\n"
        f'      <td class="num" data-label="{labels["to_record"]}">'
        f"{e(row['unrecorded_text'])}</td>\n"
        "    </tr>\n  "
    )


def open_chat(*, line_user: LineUser) -> LineChat | None:
    """The person's open chat with its holder and times (one query)."""
    chat = _live_chats().filter(line_user=line_user).first()
    return _with_waits([chat])[0] if chat else None


def chat_history(*, line_user: LineUser) -> tuple[list[LineChat], list]:
    """The person's chats (with holder, who ended it and its consultation)
    and the handovers of the open one, oldest first (two queries), for the
    conversation's chat panel."""
    chats = list(
        LineChat.objects.filter(line_user=line_user)
        .select_related("claimed_by", "ended_by", "consultation")
        .order_by("started_at", "id")
    )
    transfers = list(
        LineChatTransfer.objects.filter(
            chat__line_user=line_user, chat__status__in=LineChat.OPEN
        )
        .select_related("from_user", "to_user", "by")
        .order_by("at", "id")
    )
    return chats, transfers


def chat_summary(*, chat: LineChat) -> str:
    """The chat's messages as an editable transcript for the consultation
    summary (one query)."""
    messages = (
        LineMessage.objects.filter(chat=chat)
        .exclude(kind__in=FOLLOW_KINDS)
        .order_by("sent_at", "id")
    )
    return day_summary(messages)
