"""Writes for LINE intake: storing webhook events, linking a LINE user to a
client, recording a day's exchange as a consultation, and replies."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import Action, audit
from accounts.roles import Role, user_roles

from ..models import Channel, Client, Consultation
from ..services import client_create, consultation_create
from . import autoreply, chats, media, messaging, selectors
from .models import LineChannel, LineChat, LineMedia, LineMessage, LineUser
from .webhook import UNSEND, IncomingEvent

logger = logging.getLogger(__name__)

Direction = LineMessage.Direction
Kind = LineMessage.Kind
Status = LineMessage.Status


# WEBHOOK
# ------------------------------------------------------------------------------


@transaction.atomic
def line_events_store(
    *, events: Iterable[IncomingEvent], channel: LineChannel | None = None
) -> int:
    """Store the events of one webhook call; return how many were new.

    ``channel`` is the official account whose webhook was called: its people
    are its own (LINE user ids are per provider). None: the account of the
    settings (the legacy webhook), whose people have no channel.

    Each event is stored once per ``webhook_event_id``: a redelivery, or the
    same event twice in one payload, adds nothing (the database's unique
    constraint decides, so two concurrent deliveries cannot both store it).
    A message withdrawn before it arrived (events can come out of order) has
    a tombstone: its text is never stored. Someone new gets their LINE profile
    fetched by a task once this is committed. A fixed number of queries,
    whatever the number of events (but one per withdrawal)."""
    by_id: dict[str, IncomingEvent] = {}
    for event in events:
        by_id.setdefault(event.webhook_event_id, event)
    if not by_id:
        return 0
    first_seen = {}
    for event in by_id.values():
        uid = event.line_user_id
        first_seen[uid] = min(first_seen.get(uid, event.sent_at), event.sent_at)
    # Those seen before: anyone else is new, and their profile is fetched.
    of_channel = LineUser.objects.filter(channel=channel)
    seen_before = set(
        of_channel.filter(line_user_id__in=first_seen).values_list(
            "line_user_id", flat=True
        )
    )
    # The organisation is the channel's (given, so that bulk_create does not
    # read it), else that of the webhook's scope.
    organisation = {"organisation_id": channel.organisation_id} if channel else {}
    LineUser.objects.bulk_create(
        [
            LineUser(
                channel=channel,
                line_user_id=uid,
                first_contact_at=at,
                last_event_at=at,
                **organisation,
            )
            for uid, at in first_seen.items()
        ],
        ignore_conflicts=True,
    )
    # Locked, so that concurrent deliveries for one person update in turn.
    users = {
        u.line_user_id: u
        for u in of_channel.select_for_update().filter(line_user_id__in=first_seen)
    }
    known = set(
        LineMessage.objects.filter(webhook_event_id__in=by_id).values_list(
            "webhook_event_id", flat=True
        )
    )
    fresh = [e for eid, e in by_id.items() if eid not in known]
    withdrawn = _tombstones(
        [e for e in fresh if e.kind != UNSEND and e.line_message_id], users
    )
    kept = [
        e
        for e in fresh
        if e.kind != UNSEND and (e.line_user_id, e.line_message_id) not in withdrawn
    ]
    # Each message joins the person's open chat, or opens one (not a follow
    # or an unfollow: a chat begins with a message).
    firsts: dict[int, dt.datetime] = {}
    for e in kept:
        if e.kind in LineMessage.MESSAGE_KINDS:
            pk = users[e.line_user_id].pk
            firsts[pk] = min(firsts.get(pk, e.sent_at), e.sent_at)
    chat_of = chats.chats_open_for(first_message_at=firsts)
    rows = [
        LineMessage(
            line_user=users[e.line_user_id],
            chat_id=(
                chat_of[users[e.line_user_id].pk]
                if e.kind in LineMessage.MESSAGE_KINDS
                else None
            ),
            direction=Direction.INCOMING,
            kind=e.kind,
            text=e.text,
            webhook_event_id=e.webhook_event_id,
            line_message_id=e.line_message_id,
            sent_at=e.sent_at,
            reply_token=e.reply_token,
            mark_as_read_token=e.mark_as_read_token,
            **e.details,
        )
        for e in kept
    ]
    LineMessage.objects.bulk_create(rows, ignore_conflicts=True)
    _media_register([e for e in fresh if e.media is not None])
    _withdraw_unsent([e for e in fresh if e.kind == UNSEND], users)
    _refresh_users(users, fresh)
    # Consent from a postback; the greeting and the reply outside the hours.
    autoreply.after_events_stored(users=users, fresh=fresh)
    _fetch_new_profiles(
        [users[uid] for uid in first_seen if uid not in seen_before], channel
    )
    return len(rows)


def _fetch_new_profiles(new: list[LineUser], channel: LineChannel | None) -> None:
    """Enqueue a profile fetch (name, picture, friendship) for each person
    seen for the first time; the worker sees it once the events are
    committed."""
    if not new or not messaging.has_access_token(channel):
        return
    from .outbound_tasks import fetch_profile

    # The database task backend writes the task in this transaction: it is
    # visible to the worker exactly when the events are committed.
    for user in new:
        fetch_profile.enqueue(user.pk)


def _tombstones(messages: list[IncomingEvent], users: dict) -> set:
    """(LINE user id, message id) of the ``messages`` withdrawn before they
    arrived. Their tombstone takes the message's kind and time; the text is
    not stored (one query, one more per tombstone met)."""
    if not messages:
        return set()
    found = {
        (row.line_user_id, row.line_message_id): row
        for row in LineMessage.objects.filter(
            line_user__in=[users[e.line_user_id] for e in messages],
            direction=Direction.INCOMING,
            unsent=True,
            line_message_id__in={e.line_message_id for e in messages},
        )
    }
    withdrawn = set()
    for event in messages:
        user = users[event.line_user_id]
        row = found.get((user.pk, event.line_message_id))
        if row is None:
            continue
        withdrawn.add((event.line_user_id, event.line_message_id))
        LineMessage.objects.filter(pk=row.pk).update(
            kind=event.kind, sent_at=event.sent_at
        )
    return withdrawn


def _withdraw_unsent(events: list[IncomingEvent], users: dict) -> None:
    """The person withdrew a message in LINE (送信取消): drop its text, take
    it out of any consultation summary it was recorded in and flag that
    consultation. A withdrawal of a message not (yet) stored leaves a
    tombstone keyed by the LINE message id."""
    if not events:
        return
    for event in events:
        user = users[event.line_user_id]
        targets = list(
            LineMessage.objects.filter(
                line_user=user,
                direction=Direction.INCOMING,
                line_message_id=event.line_message_id,
            ).values_list("pk", "text", "consultation_id")
        )
        if not targets:
            LineMessage.objects.bulk_create(
                [
                    LineMessage(
                        line_user=user,
                        direction=Direction.INCOMING,
                        kind=Kind.OTHER,
                        webhook_event_id=event.webhook_event_id,
                        line_message_id=event.line_message_id,
                        sent_at=event.sent_at,
                        read_at=timezone.now(),
                        unsent=True,
                    )
                ],
                ignore_conflicts=True,
            )
            continue
        withdrawn = LineMessage.objects.filter(pk__in=[pk for pk, _t, _c in targets])
        withdrawn.update(text="", unsent=True, reply_token="", mark_as_read_token="")
        # A photo or file goes with the text, and so do a place's address and
        # a sticker's words.
        _media_delete(withdrawn)
        for _pk, text, consultation_id in targets:
            if consultation_id:
                _consultation_withdraw_text(consultation_id, text)


def _consultation_withdraw_text(consultation_id: int, text: str) -> None:
    """Replace the withdrawn text wherever the summary still quotes it, and
    flag the consultation for the counsellor to check (the summary may
    paraphrase it). The version moves on, so an edit form open on the old
    summary cannot save it back."""
    consultation = (
        Consultation.objects.select_for_update().filter(pk=consultation_id).first()
    )
    if consultation is None:
        return
    summary = consultation.summary
    if text.strip():
        summary = summary.replace(text, withdrawn_placeholder())
    Consultation.objects.filter(pk=consultation_id).update(
        summary=summary, has_withdrawn_message=True, version=F("version") + 1
    )
    audit(
        user=None,
        action=Action.CHANGE,
        obj=consultation,
        detail="summary: a recorded LINE message was withdrawn",
    )


def withdrawn_placeholder() -> str:
    return LineMessage(unsent=True).display_text


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
        by=by,
        display_name=display_name,
        assigned_counsellor=assigned,
        # the LINE user's organisation (its LINE account's)
        organisation_id=line_user.organisation_id,
    )
    line_user_link_client(line_user=line_user, client=client, by=by)
    return client


def line_user_refresh_profile(*, line_user: LineUser, by=None) -> LineUser:
    """Fetch the LINE profile: display name, picture and whether the person is
    a friend (outside any transaction, like replies). LINE answers 404 for
    someone who is not a friend: that is recorded, then the error is raised
    like any other (messaging.LineApiError). ``by`` is None for the task."""
    try:
        found = messaging.profile(
            line_user_id=line_user.line_user_id, channel=line_user.channel
        )
    except messaging.LineApiError as exc:
        if exc.not_found:
            LineUser.objects.filter(pk=line_user.pk).update(
                is_following=False, profile_checked_at=timezone.now()
            )
            line_user.is_following = False
        raise
    with transaction.atomic():
        line_user.display_name = found.display_name[:100]
        line_user.picture_url = found.picture_url[:500]
        line_user.is_following = True
        line_user.profile_checked_at = timezone.now()
        line_user.save(
            update_fields=[
                "display_name",
                "picture_url",
                "is_following",
                "profile_checked_at",
            ]
        )
        audit(user=by, action=Action.CHANGE, obj=line_user, detail="profile")
    return line_user


# READING AND RECORDING
# ------------------------------------------------------------------------------


def line_messages_mark_read(*, line_user: LineUser) -> int:
    """Mark the person's messages read (a counsellor opened the conversation).
    With ``LINE_SEND_READ_RECEIPTS`` the person's LINE shows them read (既読)
    too: a task sends the newest message's token, which covers the earlier
    ones."""
    newest = None
    if settings.LINE_SEND_READ_RECEIPTS:
        newest = (
            LineMessage.objects.filter(
                line_user=line_user, direction=Direction.INCOMING, read_at__isnull=True
            )
            .exclude(mark_as_read_token="")
            .order_by("-sent_at", "-id")
            .values_list("pk", flat=True)
            .first()
        )
    count = LineMessage.objects.filter(
        line_user=line_user, direction=Direction.INCOMING, read_at__isnull=True
    ).update(read_at=timezone.now())
    if newest is not None:
        from .outbound_tasks import send_read_receipt

        send_read_receipt.enqueue(newest)
    return count


@transaction.atomic
def consultation_record_from_line(
    *,
    line_user: LineUser,
    by,
    day: dt.date,
    up_to_message_id: int,
    started_at: dt.datetime,
    summary: str,
    main_complaint=None,
    other_problems=(),
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
        main_complaint=main_complaint,
        other_problems=other_problems,
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


class StaleView(ValidationError):
    """A newer message from the person arrived after the page the counsellor
    replied from was drawn."""


def newer_incoming_exists(*, line_user: LineUser, seen_message_id: int | None) -> bool:
    """Whether the person wrote after the message ``seen_message_id`` (the
    newest the counsellor's page showed; None: the page showed none)."""
    return (
        LineMessage.objects.filter(
            line_user=line_user,
            direction=Direction.INCOMING,
            pk__gt=seen_message_id or 0,
        )
        .exclude(kind__in=(Kind.FOLLOW, Kind.UNFOLLOW))
        .exists()
    )


class NotAFriend(ValidationError):
    """The person does not have the account as a friend and the counsellor
    did not confirm sending anyway."""


def _claim_reply_token(line_user: LineUser) -> str:
    """The reply token of the person's newest message if it is still valid
    (``LINE_REPLY_TOKEN_SECONDS`` after the event) and unused; it is marked
    used here, so two replies cannot both take it (one conditional update)."""
    since = timezone.now() - dt.timedelta(seconds=settings.LINE_REPLY_TOKEN_SECONDS)
    candidate = (
        LineMessage.objects.filter(
            line_user=line_user,
            direction=Direction.INCOMING,
            reply_token_used=False,
            sent_at__gte=since,
        )
        .exclude(reply_token="")
        .order_by("-sent_at", "-id")
        .values_list("pk", "reply_token")
        .first()
    )
    if candidate is None:
        return ""
    pk, token = candidate
    if LineMessage.objects.filter(pk=pk, reply_token_used=False).update(
        reply_token_used=True
    ):
        return token
    return ""


def _check_friendship(line_user: LineUser) -> None:
    """Ask the profile API whether someone not known to be a friend is one.
    An error other than LINE's 404 leaves it unknown."""
    with contextlib.suppress(messaging.LineApiError):
        line_user_refresh_profile(line_user=line_user)


def line_reply_send(
    *,
    line_user: LineUser,
    by,
    text: str,
    retry_key: uuid.UUID,
    confirmed_not_friend: bool = False,
    seen_message_id: int | None = None,
    confirmed_stale: bool = False,
) -> LineMessage:
    """Send a reply through the Messaging API and store it as LINE took it.

    The reply token of the person's last message is used while it is valid
    (free of charge), push otherwise (counted in the month's messages, with
    ``retry_key`` as X-Line-Retry-Key). The HTTP calls run outside any
    database transaction, so no lock is held while LINE answers.

    - accepted (or 409: LINE had accepted this retry key): stored as sent;
      for someone who is not a friend it is marked as possibly not delivered;
    - a timeout, a connection reset or a 5xx: stored as "may have been sent",
      its text locked (``line_reply_resend`` or ``line_reply_discard``);
    - the rate limit (429): stored as queued; a task sends it after a pause;
    - anything else (the monthly limit, a 4xx, LINE unreachable): nothing is
      stored and ``messaging.LineApiError`` is raised.

    Raises ``NotAFriend`` for someone who is not a friend unless
    ``confirmed_not_friend``, and ``StaleView`` when the person wrote after
    the newest message the counsellor's page showed (``seen_message_id``)
    unless ``confirmed_stale``. The same ``retry_key`` stores a reply once."""
    existing = LineMessage.objects.filter(retry_key=retry_key).first()
    if existing is not None:
        return existing
    if not confirmed_stale and newer_incoming_exists(
        line_user=line_user, seen_message_id=seen_message_id
    ):
        raise StaleView(
            _(
                "A new message from this person arrived after this page was "
                "drawn. Read it above, then tick the box to send your reply "
                "as it is."
            ),
            code="stale",
        )
    if line_user.is_following is None:
        _check_friendship(line_user)
    if line_user.is_following is False and not confirmed_not_friend:
        raise NotAFriend(
            _(
                "This person is not a friend of the account: LINE may accept "
                "the reply without delivering it. Tick the box to send anyway."
            ),
            code="not_friend",
        )
    # The reply answers the person's open chat: a waiting chat is claimed
    # first (ChatError if someone else holds it or wins the claim).
    chat = chats.chat_for_reply(line_user=line_user, by=by)
    store = {
        "line_user": line_user,
        "by": by,
        "text": text,
        "retry_key": retry_key,
        "to_non_friend": line_user.is_following is False,
        "chat": chat,
    }
    token = _claim_reply_token(line_user)
    via = LineMessage.Via.REPLY if token else LineMessage.Via.PUSH
    try:
        if token:
            try:
                messaging.reply_text(
                    reply_token=token, text=text, channel=line_user.channel
                )
            except messaging.LineApiError as exc:
                if exc.status != 400:
                    raise
                # The token was refused (expired sooner than thought): nothing
                # went out, so push instead.
                via = LineMessage.Via.PUSH
                messaging.push_text(
                    to=line_user.line_user_id,
                    text=text,
                    retry_key=str(retry_key),
                    channel=line_user.channel,
                )
        else:
            messaging.push_text(
                to=line_user.line_user_id,
                text=text,
                retry_key=str(retry_key),
                channel=line_user.channel,
            )
    except messaging.LineApiError as exc:
        _log_reply_failure(line_user, exc)
        if exc.ambiguous:
            return line_reply_store(status=Status.UNCERTAIN, sent_via=via, **store)
        if exc.rate_limited:
            message = line_reply_store(
                status=Status.QUEUED, sent_via=LineMessage.Via.PUSH, **store
            )
            _enqueue_queued(message, attempt=1)
            return message
        if exc.monthly_limit:
            selectors.quota_forget(line_user.channel)
        raise
    if via == LineMessage.Via.PUSH:
        selectors.quota_count_push(line_user.channel)
    return line_reply_store(status=Status.SENT, sent_via=via, **store)


def _log_reply_failure(line_user: LineUser, exc: messaging.LineApiError) -> None:
    if not exc.not_configured:
        logger.warning(
            "LINE reply to LINE user #%s failed (HTTP status %s)",
            line_user.pk,
            exc.status or "none: no answer",
        )


def _enqueue_queued(message: LineMessage, *, attempt: int) -> None:
    """The rate-limited ``message`` is sent by a task after a pause that grows
    with each attempt (``LINE_RATE_LIMIT_BACKOFF_SECONDS``)."""
    from .outbound_tasks import send_queued_reply

    pauses = settings.LINE_RATE_LIMIT_BACKOFF_SECONDS
    pause = pauses[min(attempt, len(pauses)) - 1]
    run_after = timezone.now() + dt.timedelta(seconds=pause)
    send_queued_reply.using(run_after=run_after).enqueue(message.pk, attempt)


def line_reply_send_queued(*, message_id: int, attempt: int) -> str:
    """Send a reply queued after LINE's rate limit (the task's work), with its
    stored text and retry key; queue it again with a longer pause while the
    rate limit lasts, up to the number of pauses set. Returns the status."""
    message = (
        LineMessage.objects.select_related("line_user__channel")
        .filter(pk=message_id, status=Status.QUEUED)
        .first()
    )
    if message is None:
        return ""
    try:
        messaging.push_text(
            to=message.line_user.line_user_id,
            text=message.text,
            retry_key=str(message.retry_key),
            channel=message.line_user.channel,
        )
    except messaging.LineApiError as exc:
        _log_reply_failure(message.line_user, exc)
        if exc.rate_limited and attempt < len(settings.LINE_RATE_LIMIT_BACKOFF_SECONDS):
            with transaction.atomic():
                _set_status(message, Status.QUEUED)
                _enqueue_queued(message, attempt=attempt + 1)
            return Status.QUEUED
        status = Status.UNCERTAIN if exc.ambiguous else Status.FAILED
        if exc.monthly_limit:
            selectors.quota_forget(message.line_user.channel)
        _set_status(message, status)
        return status
    selectors.quota_count_push(message.line_user.channel)
    _set_status(message, Status.SENT)
    return Status.SENT


def _set_status(message: LineMessage, status: str, by=None) -> None:
    """Move an outgoing message to ``status`` (one more attempt counted)."""
    with transaction.atomic():
        LineMessage.objects.filter(pk=message.pk).update(
            status=status, attempts=F("attempts") + 1
        )
        message.refresh_from_db(fields=["status", "attempts"])
        if status == Status.SENT and message.chat_id:
            chats.chat_note_response(chat_id=message.chat_id, at=timezone.now())
        audit(user=by, action=Action.CHANGE, obj=message, detail=f"status {status}")


def line_reply_resend(*, message: LineMessage, by) -> LineMessage:
    """Send a "may have been sent" reply again: its stored text, with its
    retry key, by push. LINE answers 409 if it had accepted the first one,
    which counts as sent; so the person gets it once. (A first attempt with a
    reply token cannot be recognised by LINE: the page says so.)"""
    if message.status != Status.UNCERTAIN:
        return message
    try:
        messaging.push_text(
            to=message.line_user.line_user_id,
            text=message.text,
            retry_key=str(message.retry_key),
            channel=message.line_user.channel,
        )
    except messaging.LineApiError as exc:
        _log_reply_failure(message.line_user, exc)
        if exc.rate_limited:
            with transaction.atomic():
                _set_status(message, Status.QUEUED, by)
                LineMessage.objects.filter(pk=message.pk).update(
                    sent_via=LineMessage.Via.PUSH
                )
                _enqueue_queued(message, attempt=1)
            return message
        # Still unknown: it stays "may have been sent".
        raise
    selectors.quota_count_push(message.line_user.channel)
    LineMessage.objects.filter(pk=message.pk).update(sent_via=LineMessage.Via.PUSH)
    _set_status(message, Status.SENT, by)
    return message


def line_reply_discard(*, message: LineMessage, by) -> LineMessage:
    """Give up a "may have been sent" reply: it stays in the record, marked
    discarded (not delivered as far as the app knows)."""
    updated = LineMessage.objects.filter(pk=message.pk, status=Status.UNCERTAIN).update(
        status=Status.DISCARDED
    )
    if updated:
        audit(user=by, action=Action.CHANGE, obj=message, detail="status discarded")
    message.refresh_from_db(fields=["status"])
    return message


def line_reply_store(
    *,
    line_user: LineUser,
    by,
    text: str,
    retry_key: uuid.UUID | None = None,
    sent_at: dt.datetime | None = None,
    status: str = LineMessage.Status.SENT,
    sent_via: str = "",
    to_non_friend: bool = False,
    chat: LineChat | None = None,
) -> LineMessage:
    """Store a reply with what became of it (by default: it went out;
    ``sent_at`` defaults to now), in the ``chat`` it answers, whose first
    reply sets its time of first response. If the same retry key was stored
    meanwhile (a form sent twice at once), that message is returned: the
    database's unique retry key decides."""
    sent_at = sent_at or timezone.now()
    message = LineMessage(
        line_user=line_user,
        chat=chat,
        direction=Direction.OUTGOING,
        kind=Kind.TEXT,
        text=text,
        sent_at=sent_at,
        sent_by=by,
        retry_key=retry_key,
        status=status,
        sent_via=sent_via,
        to_non_friend=to_non_friend,
        attempts=1,
    )
    message.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            message.save()
            LineUser.objects.filter(pk=line_user.pk, last_event_at__lt=sent_at).update(
                last_event_at=sent_at
            )
            if chat is not None and status == LineMessage.Status.SENT:
                # Only a reply LINE took answers the person (a queued or
                # uncertain one counts once it is sent: _set_status).
                chats.chat_note_response(chat_id=chat.pk, at=sent_at)
            audit(user=by, action=Action.CREATE, obj=message)
    except IntegrityError:
        existing = retry_key and LineMessage.objects.filter(retry_key=retry_key).first()
        if existing:
            return existing
        raise
    return message


# MEDIA
# ------------------------------------------------------------------------------

MediaStatus = LineMedia.Status
# Minutes before the worker tries a failed download again, by attempts made.
RETRY_DELAYS = (1, 5, 30, 120)


def _enqueue_download(media_id: int, *, attempts: int = 0) -> None:
    """Hand a download to the worker once the transaction commits (at once,
    or after a pause when an attempt failed)."""
    from .tasks import download_line_content

    def enqueue():
        task = download_line_content
        if attempts:
            delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
            task = task.using(run_after=timezone.now() + dt.timedelta(minutes=delay))
        task.enqueue(media_id)

    transaction.on_commit(enqueue)


def _media_register(events: list[IncomingEvent]) -> None:
    """A content row for each new image, video, voice or file message (two
    queries); LINE's content is queued for download, the sender's links are
    only kept."""
    if not events:
        return
    message_ids = dict(
        LineMessage.objects.filter(
            webhook_event_id__in=[e.webhook_event_id for e in events]
        ).values_list("webhook_event_id", "pk")
    )
    rows = []
    for event in events:
        if event.webhook_event_id not in message_ids:
            continue  # withdrawn before it arrived: only its tombstone is kept
        fields = dict(event.media)
        external = fields["provider"] == LineMedia.Provider.EXTERNAL
        if external:
            status = MediaStatus.EXTERNAL
        elif event.line_message_id:
            status = MediaStatus.PENDING
        else:  # nothing to ask LINE for
            status = MediaStatus.FAILED
        rows.append(
            LineMedia(
                message_id=message_ids[event.webhook_event_id], status=status, **fields
            )
        )
    created = LineMedia.objects.bulk_create(rows, ignore_conflicts=True)
    pending = LineMedia.objects.filter(
        message_id__in=[row.message_id for row in created], status=MediaStatus.PENDING
    ).values_list("pk", flat=True)
    for media_id in pending:
        _enqueue_download(media_id)


def line_media_download(*, media_id: int) -> str | None:
    """Download one message's content from LINE into the private storage and
    record the outcome; return the new status (None if there was nothing to
    do: already done, or no longer pending).

    The HTTP call runs outside any transaction. The outcome is written under
    a lock and only if the content is still pending, so a duplicate task or
    an anonymisation in the meantime leaves no file behind."""
    item = (
        LineMedia.objects.select_related("message__line_user__channel")
        .filter(pk=media_id, status=MediaStatus.PENDING)
        .first()
    )
    if item is None:
        return None
    message = item.message
    if not message.line_message_id:  # nothing to ask LINE for
        LineMedia.objects.filter(pk=media_id, status=MediaStatus.PENDING).update(
            status=MediaStatus.FAILED, attempts=item.attempts + 1
        )
        return MediaStatus.FAILED
    outcome: dict = {}
    names = ("", "")
    with media.partial_file() as partial:
        try:
            size = messaging.download_content(
                message_id=message.line_message_id,
                into=partial,
                max_bytes=settings.LINE_MEDIA_MAX_BYTES,
                channel=message.line_user.channel,
            )
        except messaging.ContentTooLarge:
            outcome = {"status": MediaStatus.TOO_LARGE}
        except messaging.LineApiError as exc:
            outcome = _failure(item, exc)
        else:
            partial.flush()
            found = media.sniff(partial)
            content_type = media.content_type_for(message.kind, found)
            digest = _sha256(partial)
            if content_type is None:
                outcome = {
                    "status": MediaStatus.TYPE_MISMATCH,
                    "size": size,
                    "content_type": found,
                    "sha256": digest,
                }
            else:
                names = media.store(
                    partial, thumbnail=content_type in media.IMAGE_TYPES
                )
                outcome = {
                    "status": MediaStatus.DOWNLOADED,
                    "size": size,
                    "content_type": content_type,
                    "sha256": digest,
                    "stored_name": names[0],
                    "thumbnail_name": names[1],
                }
    with transaction.atomic():
        current = LineMedia.objects.select_for_update().get(pk=media_id)
        if current.status != MediaStatus.PENDING:
            media.delete_files(*names)
            return None
        for name, value in outcome.items():
            setattr(current, name, value)
        current.save()
        if current.status == MediaStatus.PENDING:  # to be tried again
            _enqueue_download(current.pk, attempts=current.attempts)
    logger.info(
        "LINE content of message #%s: %s (attempt %s)",
        message.pk,
        current.status,
        current.attempts,
    )
    return current.status


def _failure(item: LineMedia, exc: messaging.LineApiError) -> dict:
    """The outcome of a refused or broken download: LINE no longer has it
    (404), or a failure worth trying again (no answer, 429, 5xx) which the
    worker retries up to LINE_MEDIA_ATTEMPTS in all, or another refusal."""
    attempts = item.attempts + 1
    logger.warning(
        "LINE content of message #%s not downloaded (HTTP status %s)",
        item.message_id,
        exc.status or ("none: not configured" if exc.not_configured else "none"),
    )
    if exc.status == 404:
        return {"status": MediaStatus.EXPIRED, "attempts": attempts}
    transient = exc.status is None and not exc.not_configured
    transient = transient or exc.status == 429 or (exc.status or 0) >= 500
    if transient and attempts < settings.LINE_MEDIA_ATTEMPTS:
        return {"status": MediaStatus.PENDING, "attempts": attempts}
    return {"status": MediaStatus.FAILED, "attempts": attempts}


def _sha256(file) -> str:
    import hashlib

    file.seek(0)
    digest = hashlib.file_digest(file, "sha256").hexdigest()
    file.seek(0)
    return digest


@transaction.atomic
def line_media_retry(*, media_item: LineMedia, by) -> bool:
    """Queue a failed download again (a counsellor asked); False if it is not
    failed (any more)."""
    updated = LineMedia.objects.filter(
        pk=media_item.pk, status=MediaStatus.FAILED
    ).update(status=MediaStatus.PENDING, updated_at=timezone.now())
    if not updated:
        return False
    _enqueue_download(media_item.pk)
    audit(user=by, action=Action.CHANGE, obj=media_item, detail="download retried")
    return True


def line_media_wipe(client: Client) -> None:
    """Anonymisation: delete the client's LINE content files (once the
    anonymisation commits) and what LINE said about their messages (place,
    sticker words, file names, the sender's links)."""
    _media_delete(LineMessage.objects.filter(line_user__client=client))


# What a message says besides its text: wiped with the text when the person
# withdraws it, and on anonymisation.
MESSAGE_DETAILS_WIPED = {
    "file_name": "",
    "location_title": "",
    "location_address": "",
    "latitude": None,
    "longitude": None,
    "sticker_keywords": [],
    "sticker_text": "",
}


def _media_delete(messages) -> None:
    """Delete the content files of ``messages`` (a LineMessage queryset) once
    the transaction commits, mark their content deleted, and wipe what LINE
    said about them (place, sticker words, file names, the sender's links)."""
    items = LineMedia.objects.filter(message__in=messages).exclude(
        status=MediaStatus.DELETED
    )
    names = [
        name
        for pair in items.values_list("stored_name", "thumbnail_name")
        for name in pair
        if name
    ]
    items.update(
        status=MediaStatus.DELETED,
        stored_name="",
        thumbnail_name="",
        original_url="",
        preview_url="",
        sha256="",
        updated_at=timezone.now(),
    )
    messages.update(**MESSAGE_DETAILS_WIPED)
    if names:
        transaction.on_commit(lambda: media.delete_files(*names))
