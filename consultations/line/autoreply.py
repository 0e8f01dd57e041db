"""The LINE desk's automatic replies: a greeting with the privacy notice and
a consent button for someone who has not consented yet, and a reply to a
message that arrives outside the desk's opening hours, with the hours and
emergency numbers. Admins edit their texts (LineAutoReply).

Each goes out once: a LineAutoReplyClaim row per person, kind and period
(the greeting: "first"; outside the hours: the time the desk closed, so once
per closed period), written in the webhook's transaction under a unique
constraint, so neither a redelivered event nor two concurrent deliveries can
send it twice. Only an event that carries a reply token triggers one (a
redelivered event has none): automatic replies use the free reply token,
never a push. A task (outbound_tasks.send_auto_replies) sends them once the
webhook's transaction is committed, and stores them as outgoing messages of
the conversation, without a sender.

Consent: the greeting's button posts back ``consent=yes``; its time is kept
on the LINE user. Nothing here logs a text, a LINE user id or a name."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from accounts.audit import Action, audit

from . import canned, desk_hours, messaging
from .models import (
    CONSENT_POSTBACK_DATA,
    AutoReplyKind,
    LineAutoReply,
    LineAutoReplyClaim,
    LineMessage,
    LineUser,
)
from .webhook import IncomingEvent

logger = logging.getLogger(__name__)

GREETING_PERIOD = "first"
# In one reply, the notice about the hours first: LINE shows the quick reply
# buttons of the last message only, and the greeting's consent button must
# show.
SEND_ORDER = (AutoReplyKind.OUTSIDE_HOURS, AutoReplyKind.GREETING)
Kind = LineMessage.Kind


def after_events_stored(*, users: dict[str, LineUser], fresh: list) -> None:
    """In the webhook's transaction, after its events are stored: record
    consents, then claim the automatic replies due (LINE_AUTO_REPLIES)."""
    _record_consent(users, fresh)
    if settings.LINE_AUTO_REPLIES:
        _claim_auto_replies(users, fresh)


def is_consent(event: IncomingEvent) -> bool:
    return event.kind == Kind.POSTBACK and event.text.split(" ")[0] == (
        CONSENT_POSTBACK_DATA
    )


def _record_consent(users: dict[str, LineUser], fresh: list) -> None:
    for event in fresh:
        if not is_consent(event):
            continue
        user = users[event.line_user_id]
        if LineUser.objects.filter(pk=user.pk, consent_given_at__isnull=True).update(
            consent_given_at=event.sent_at
        ):
            user.consent_given_at = event.sent_at
            audit(user=None, action=Action.CHANGE, obj=user, detail="consent given")


def _claim_auto_replies(users: dict[str, LineUser], fresh: list) -> None:
    """Claim the replies due to each person who wrote (or followed, or tapped
    a button) with a usable reply token, and enqueue their sending."""
    triggers: dict[str, IncomingEvent] = {}
    for event in fresh:
        if event.reply_token and not is_consent(event):
            triggers.setdefault(event.line_user_id, event)
    if not triggers:
        return
    active = set(
        LineAutoReply.objects.filter(active=True).values_list("kind", flat=True)
    )
    if not active:
        return
    closed = None
    if AutoReplyKind.OUTSIDE_HOURS in active:
        closed = desk_hours.closed_since(timezone.now())
    message_ids = dict(
        LineMessage.objects.filter(
            webhook_event_id__in=[e.webhook_event_id for e in triggers.values()]
        ).values_list("webhook_event_id", "pk")
    )
    claims = []
    for uid, event in triggers.items():
        trigger_id = message_ids.get(event.webhook_event_id)
        if trigger_id is None:
            continue
        user = users[uid]
        if AutoReplyKind.GREETING in active and user.consent_given_at is None:
            claims.append((user, AutoReplyKind.GREETING, GREETING_PERIOD, trigger_id))
        if closed is not None:
            period = closed.isoformat(timespec="minutes")
            claims.append((user, AutoReplyKind.OUTSIDE_HOURS, period, trigger_id))
    if not claims:
        return
    LineAutoReplyClaim.objects.bulk_create(
        [
            LineAutoReplyClaim(line_user=u, kind=k, period=p, trigger_id=t)
            for u, k, p, t in claims
        ],
        ignore_conflicts=True,
    )
    # Those this delivery won: a claim already there (a redelivery, another
    # delivery at the same time) names another trigger, or none yet.
    won = set(
        LineAutoReplyClaim.objects.filter(
            trigger_id__in={t for *_rest, t in claims}, message__isnull=True
        ).values_list("trigger_id", flat=True)
    )
    from .outbound_tasks import send_auto_replies

    # The database task backend writes the task in this transaction: the
    # worker sees it exactly when the events are committed.
    for trigger_id in sorted(won):
        send_auto_replies.enqueue(trigger_id)


def _claim_reply_token(trigger_id: int) -> str:
    """The trigger's reply token if it is unused and still valid; marked used
    here (one conditional update), so a counsellor's reply cannot take it
    too."""
    since = timezone.now() - dt.timedelta(seconds=settings.LINE_REPLY_TOKEN_SECONDS)
    token = (
        LineMessage.objects.filter(
            pk=trigger_id, reply_token_used=False, sent_at__gte=since
        )
        .exclude(reply_token="")
        .values_list("reply_token", flat=True)
        .first()
    )
    if token and LineMessage.objects.filter(
        pk=trigger_id, reply_token_used=False
    ).update(reply_token_used=True):
        return token
    return ""


def line_auto_replies_send(*, trigger_id: int) -> int:
    """Send the automatic replies claimed for the incoming message
    ``trigger_id`` with its reply token, and store them as sent; return how
    many went out. Nothing is sent once the token is used or expired, nor
    when LINE refuses it (an automatic reply is never pushed)."""
    claims = list(
        LineAutoReplyClaim.objects.select_related("line_user__channel").filter(
            trigger_id=trigger_id, message__isnull=True
        )
    )
    texts = {
        r.kind: r
        for r in LineAutoReply.objects.filter(
            active=True, kind__in=[c.kind for c in claims]
        )
    }
    claims = sorted(
        (c for c in claims if c.kind in texts), key=lambda c: SEND_ORDER.index(c.kind)
    )
    if not claims:
        return 0
    token = _claim_reply_token(trigger_id)
    if not token:
        logger.info(
            "LINE automatic reply to message #%s: no usable reply token", trigger_id
        )
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        hours = desk_hours.hours_text()
    outgoing = []
    for claim in claims:
        reply = texts[claim.kind]
        buttons = ()
        if claim.kind == AutoReplyKind.GREETING:
            buttons = (
                messaging.QuickReplyButton(
                    label=reply.button_label,
                    data=CONSENT_POSTBACK_DATA,
                    display_text=reply.button_label,
                ),
            )
        text = canned.fill(reply.text, hours=hours)[: messaging.TEXT_MAX_LENGTH]
        outgoing.append(messaging.OutgoingText(text=text, buttons=buttons))
    try:
        messaging.reply_messages(
            reply_token=token,
            messages=outgoing,
            channel=claims[0].line_user.channel,
        )
    except messaging.LineApiError as exc:
        logger.warning(
            "LINE automatic reply to message #%s not sent (HTTP status %s)",
            trigger_id,
            exc.status or "none",
        )
        return 0
    _store_sent(claims, outgoing)
    return len(claims)


@transaction.atomic
def _store_sent(claims: list[LineAutoReplyClaim], outgoing: list) -> None:
    """Keep what went out in the conversation: outgoing, automatic, no sender."""
    now = timezone.now()
    line_user = claims[0].line_user
    for claim, message in zip(claims, outgoing, strict=True):
        stored = LineMessage.objects.create(
            line_user=line_user,
            direction=LineMessage.Direction.OUTGOING,
            kind=Kind.TEXT,
            text=message.text,
            sent_at=now,
            status=LineMessage.Status.SENT,
            sent_via=LineMessage.Via.REPLY,
            automatic=claim.kind,
            to_non_friend=line_user.is_following is False,
            attempts=1,
        )
        LineAutoReplyClaim.objects.filter(pk=claim.pk).update(message=stored)
        audit(user=None, action=Action.CREATE, obj=stored, detail=claim.kind)
    LineUser.objects.filter(pk=line_user.pk, last_event_at__lt=now).update(
        last_event_at=now
    )
