"""Writes for LINE intake: storing webhook events, linking a LINE user to a
client, recording a day's exchange as a consultation, and replies."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import Action, audit
from accounts.roles import Role, user_roles

from ..models import Channel, Client, Consultation
from ..services import client_create, consultation_create
from . import messaging, selectors
from .models import LineMessage, LineUser
from .webhook import UNSEND, IncomingEvent

logger = logging.getLogger(__name__)

Direction = LineMessage.Direction
Kind = LineMessage.Kind


# WEBHOOK
# ------------------------------------------------------------------------------


@transaction.atomic
def line_events_store(*, events: Iterable[IncomingEvent]) -> int:
    """Store the events of one webhook call; return how many were new.

    Each event is stored once per ``webhook_event_id``: a redelivery, or the
    same event twice in one payload, adds nothing (the database's unique
    constraint decides, so two concurrent deliveries cannot both store it).
    A fixed number of queries, whatever the number of events."""
    by_id: dict[str, IncomingEvent] = {}
    for event in events:
        by_id.setdefault(event.webhook_event_id, event)
    if not by_id:
        return 0
    first_seen = {}
    for event in by_id.values():
        uid = event.line_user_id
        first_seen[uid] = min(first_seen.get(uid, event.sent_at), event.sent_at)
    LineUser.objects.bulk_create(
        [
            LineUser(line_user_id=uid, first_contact_at=at, last_event_at=at)
            for uid, at in first_seen.items()
        ],
        ignore_conflicts=True,
    )
    # Locked, so that concurrent deliveries for one person update in turn.
    users = {
        u.line_user_id: u
        for u in LineUser.objects.select_for_update().filter(
            line_user_id__in=first_seen
        )
    }
    known = set(
        LineMessage.objects.filter(webhook_event_id__in=by_id).values_list(
            "webhook_event_id", flat=True
        )
    )
    fresh = [e for eid, e in by_id.items() if eid not in known]
    rows = [
        LineMessage(
            line_user=users[e.line_user_id],
            direction=Direction.INCOMING,
            kind=e.kind,
            text=e.text,
            webhook_event_id=e.webhook_event_id,
            line_message_id=e.line_message_id,
            sent_at=e.sent_at,
        )
        for e in fresh
        if e.kind != UNSEND
    ]
    LineMessage.objects.bulk_create(rows, ignore_conflicts=True)
    _withdraw_unsent([e for e in fresh if e.kind == UNSEND], users)
    _refresh_users(users, fresh)
    return len(rows)


def _withdraw_unsent(events: list[IncomingEvent], users: dict) -> None:
    """The person withdrew a message in LINE (送信取消): drop its text."""
    if not events:
        return
    # One query per withdrawn message; there is rarely more than one.
    for event in events:
        LineMessage.objects.filter(
            line_user=users[event.line_user_id],
            direction=Direction.INCOMING,
            line_message_id=event.line_message_id,
        ).update(text="", unsent=True)


def _refresh_users(users: dict, fresh: list[IncomingEvent]) -> None:
    """Bring each person's last activity and following state up to date.
    Events may arrive out of order, so the following state is that of the
    latest follow or unfollow stored."""
    # A withdrawal changes an old message; it is no new activity.
    fresh = [e for e in fresh if e.kind != UNSEND]
    touched = {e.line_user_id for e in fresh}
    if not touched:
        return
    for uid in touched:
        user = users[uid]
        times = [e.sent_at for e in fresh if e.line_user_id == uid]
        user.last_event_at = max(user.last_event_at, *times)
    follow_changes = {
        e.line_user_id for e in fresh if e.kind in (Kind.FOLLOW, Kind.UNFOLLOW)
    }
    if follow_changes:
        history = (
            LineMessage.objects.filter(
                line_user__in=[users[uid] for uid in follow_changes],
                kind__in=[Kind.FOLLOW, Kind.UNFOLLOW],
            )
            .order_by("sent_at", "id")
            .values_list("line_user_id", "kind")
        )
        by_pk = {users[uid].pk: users[uid] for uid in follow_changes}
        for pk, kind in history:
            by_pk[pk].is_following = kind == Kind.FOLLOW
    LineUser.objects.bulk_update(
        [users[uid] for uid in touched], ["last_event_at", "is_following"]
    )


# LINKING TO A CLIENT
# ------------------------------------------------------------------------------


@transaction.atomic
def line_user_link_client(*, line_user: LineUser, client: Client, by) -> LineUser:
    """Link a LINE user to a client (or move the link to another client)."""
    previous = line_user.client.code if line_user.client_id else ""
    line_user.client = client
    line_user.save(update_fields=["client"])
    audit(
        user=by,
        action=Action.CHANGE,
        obj=line_user,
        detail=f"client {previous or '-'} -> {client.code}",
    )
    return line_user


@transaction.atomic
def line_user_create_client(*, line_user: LineUser, by, display_name: str) -> Client:
    """Create a client for a LINE user and link the two. The new client is
    assigned to the counsellor who creates it."""
    assigned = by if Role.COUNSELLOR in user_roles(by) else None
    client = client_create(
        by=by, display_name=display_name, assigned_counsellor=assigned
    )
    line_user_link_client(line_user=line_user, client=client, by=by)
    return client


def line_user_refresh_profile(*, line_user: LineUser, by) -> LineUser:
    """Fetch the LINE display name (outside any transaction, like replies).
    Raises messaging.LineApiError."""
    name = messaging.display_name(line_user_id=line_user.line_user_id)
    with transaction.atomic():
        line_user.display_name = name[:100]
        line_user.save(update_fields=["display_name"])
        audit(user=by, action=Action.CHANGE, obj=line_user, detail="display_name")
    return line_user


# READING AND RECORDING
# ------------------------------------------------------------------------------


def line_messages_mark_read(*, line_user: LineUser) -> int:
    """Mark the person's messages read (a counsellor opened the conversation)."""
    return LineMessage.objects.filter(
        line_user=line_user, direction=Direction.INCOMING, read_at__isnull=True
    ).update(read_at=timezone.now())


@transaction.atomic
def consultation_record_from_line(
    *,
    line_user: LineUser,
    by,
    day: dt.date,
    up_to_message_id: int,
    started_at: dt.datetime,
    summary: str,
    topics=(),
    duration_minutes: int | None = None,
) -> Consultation:
    """Record a day's LINE exchange as one consultation (channel LINE) for
    the linked client, and mark those messages handled.

    "Those messages" are the day's not yet recorded messages up to the last
    one the counsellor saw (``up_to_message_id``): one that arrives while the
    form is open stays to be recorded. Refused if the LINE user is not linked
    to a client, or if someone else recorded the messages in the meantime."""
    line_user = LineUser.objects.select_for_update().get(pk=line_user.pk)
    if line_user.client_id is None:
        raise ValidationError(
            _("Link this LINE user to a client first."), code="no_client"
        )
    messages = selectors.day_unrecorded(line_user=line_user, day=day).filter(
        pk__lte=up_to_message_id
    )
    if not messages.filter(direction=Direction.INCOMING).exists():
        raise ValidationError(
            _("These messages have already been recorded."), code="already_recorded"
        )
    consultation = consultation_create(
        by=by,
        counsellor=by,
        channel=Channel.LINE,
        started_at=started_at,
        client=line_user.client,
        summary=summary,
        topics=topics,
        duration_minutes=duration_minutes,
    )
    # Read first: once linked to the consultation they leave ``messages``.
    messages.filter(direction=Direction.INCOMING, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    handled = messages.update(consultation=consultation)
    audit(
        user=by,
        action=Action.CHANGE,
        obj=line_user,
        detail=f"recorded {handled} messages as consultation {consultation.pk}",
    )
    return consultation


# REPLIES
# ------------------------------------------------------------------------------


def line_reply_send(
    *, line_user: LineUser, by, text: str, retry_key: uuid.UUID
) -> LineMessage:
    """Send a reply through the Messaging API and store it.

    The HTTP call runs outside any database transaction (so no lock is held
    while LINE answers). On failure ``messaging.LineApiError`` is raised and
    nothing is stored; the log line names the LINE user's record id and the
    HTTP status, never the text. The same ``retry_key`` sends and stores a
    reply once, however often the form is submitted."""
    existing = LineMessage.objects.filter(retry_key=retry_key).first()
    if existing is not None:
        return existing
    try:
        messaging.push_text(
            to=line_user.line_user_id, text=text, retry_key=str(retry_key)
        )
    except messaging.LineApiError as exc:
        if exc.not_configured:
            logger.error("LINE reply not sent: LINE_CHANNEL_ACCESS_TOKEN is not set")
        else:
            logger.warning(
                "LINE reply to LINE user #%s failed (HTTP status %s)",
                line_user.pk,
                exc.status or "none: no answer",
            )
        raise
    return line_reply_store(line_user=line_user, by=by, text=text, retry_key=retry_key)


def line_reply_store(
    *,
    line_user: LineUser,
    by,
    text: str,
    retry_key: uuid.UUID | None = None,
    sent_at: dt.datetime | None = None,
) -> LineMessage:
    """Store a reply that went out (``sent_at`` defaults to now). If the same
    retry key was stored meanwhile (a form sent twice at once), that message
    is returned: the database's unique retry key decides."""
    sent_at = sent_at or timezone.now()
    message = LineMessage(
        line_user=line_user,
        direction=Direction.OUTGOING,
        kind=Kind.TEXT,
        text=text,
        sent_at=sent_at,
        sent_by=by,
        retry_key=retry_key,
    )
    message.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            message.save()
            LineUser.objects.filter(pk=line_user.pk, last_event_at__lt=sent_at).update(
                last_event_at=sent_at
            )
            audit(user=by, action=Action.CREATE, obj=message)
    except IntegrityError:
        existing = retry_key and LineMessage.objects.filter(retry_key=retry_key).first()
        if existing:
            return existing
        raise
    return message
