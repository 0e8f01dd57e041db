"""Writes for LINE intake: storing webhook events, linking a LINE user to a
client, recording a day's exchange as a consultation, and replies."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import Action, audit
from accounts.roles import Role, user_roles

from ..models import Channel, Client, Consultation
from ..services import client_create, consultation_create
from . import media, messaging, selectors
from .models import LineMedia, LineMessage, LineUser
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
            **e.details,
        )
        for e in fresh
        if e.kind != UNSEND
    ]
    LineMessage.objects.bulk_create(rows, ignore_conflicts=True)
    _media_register([e for e in fresh if e.media is not None])
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


# MEDIA
# ------------------------------------------------------------------------------

Status = LineMedia.Status
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
        fields = dict(event.media)
        external = fields["provider"] == LineMedia.Provider.EXTERNAL
        if external:
            status = Status.EXTERNAL
        elif event.line_message_id:
            status = Status.PENDING
        else:  # nothing to ask LINE for
            status = Status.FAILED
        rows.append(
            LineMedia(
                message_id=message_ids[event.webhook_event_id], status=status, **fields
            )
        )
    created = LineMedia.objects.bulk_create(rows, ignore_conflicts=True)
    pending = LineMedia.objects.filter(
        message_id__in=[row.message_id for row in created], status=Status.PENDING
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
        LineMedia.objects.select_related("message")
        .filter(pk=media_id, status=Status.PENDING)
        .first()
    )
    if item is None:
        return None
    message = item.message
    if not message.line_message_id:  # nothing to ask LINE for
        LineMedia.objects.filter(pk=media_id, status=Status.PENDING).update(
            status=Status.FAILED, attempts=item.attempts + 1
        )
        return Status.FAILED
    outcome: dict = {}
    names = ("", "")
    with media.partial_file() as partial:
        try:
            size = messaging.download_content(
                message_id=message.line_message_id,
                into=partial,
                max_bytes=settings.LINE_MEDIA_MAX_BYTES,
            )
        except messaging.ContentTooLarge:
            outcome = {"status": Status.TOO_LARGE}
        except messaging.LineApiError as exc:
            outcome = _failure(item, exc)
        else:
            partial.flush()
            found = media.sniff(partial)
            content_type = media.content_type_for(message.kind, found)
            digest = _sha256(partial)
            if content_type is None:
                outcome = {
                    "status": Status.TYPE_MISMATCH,
                    "size": size,
                    "content_type": found,
                    "sha256": digest,
                }
            else:
                names = media.store(
                    partial, thumbnail=content_type in media.IMAGE_TYPES
                )
                outcome = {
                    "status": Status.DOWNLOADED,
                    "size": size,
                    "content_type": content_type,
                    "sha256": digest,
                    "stored_name": names[0],
                    "thumbnail_name": names[1],
                }
    with transaction.atomic():
        current = LineMedia.objects.select_for_update().get(pk=media_id)
        if current.status != Status.PENDING:
            media.delete_files(*names)
            return None
        for name, value in outcome.items():
            setattr(current, name, value)
        current.save()
        if current.status == Status.PENDING:  # to be tried again
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
        return {"status": Status.EXPIRED, "attempts": attempts}
    transient = exc.status is None and not exc.not_configured
    transient = transient or exc.status == 429 or (exc.status or 0) >= 500
    if transient and attempts < settings.LINE_MEDIA_ATTEMPTS:
        return {"status": Status.PENDING, "attempts": attempts}
    return {"status": Status.FAILED, "attempts": attempts}


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
    updated = LineMedia.objects.filter(pk=media_item.pk, status=Status.FAILED).update(
        status=Status.PENDING, updated_at=timezone.now()
    )
    if not updated:
        return False
    _enqueue_download(media_item.pk)
    audit(user=by, action=Action.CHANGE, obj=media_item, detail="download retried")
    return True


def line_media_wipe(client: Client) -> None:
    """Anonymisation: delete the client's LINE content files (once the
    anonymisation commits) and what LINE said about their messages (place,
    sticker words, file names, the sender's links)."""
    items = LineMedia.objects.filter(message__line_user__client=client).exclude(
        status=Status.DELETED
    )
    names = [
        name
        for pair in items.values_list("stored_name", "thumbnail_name")
        for name in pair
        if name
    ]
    items.update(
        status=Status.DELETED,
        stored_name="",
        thumbnail_name="",
        original_url="",
        preview_url="",
        sha256="",
        updated_at=timezone.now(),
    )
    LineMessage.objects.filter(line_user__client=client).update(
        file_name="",
        location_title="",
        location_address="",
        latitude=None,
        longitude=None,
        sticker_keywords=[],
        sticker_text="",
    )
    if names:
        transaction.on_commit(lambda: media.delete_files(*names))
