"""The LINE simulator's writes: each action of the simulated person is kept
as a SimulatedEvent, turned into a webhook body of LINE's shape, signed with
the channel secret as LINE signs it, and posted over HTTP to the app's real
webhook.

The event is committed before the post, so that the content endpoint of the
stand-in can serve a photo as soon as the app asks for it. Callers must not
hold a transaction open across ``post_event`` (on SQLite it would hold the
write lock the webhook needs)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import SimulatedDelivery, SimulatedEvent, SimulatedPerson

logger = logging.getLogger(__name__)

Kind = SimulatedEvent.Kind
# The bot's own user id, LINE's "destination" of every webhook body.
DESTINATION = "U" + "0" * 31 + "1"
TIMEOUT_SECONDS = 15
_ULID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32


def new_webhook_event_id() -> str:
    """A ULID, as LINE's webhookEventId: 48 bits of time, 80 random."""
    millis = int(time.time() * 1000)
    head = ""
    for _ in range(10):
        head = _ULID_ALPHABET[millis % 32] + head
        millis //= 32
    return head + "".join(secrets.choice(_ULID_ALPHABET) for _ in range(16))


def new_message_id() -> str:
    return str(secrets.randbelow(9 * 10**17) + 10**17)


def new_reply_token() -> str:
    return secrets.token_hex(16)


def media_kind(content_type: str) -> str:
    """How LINE would send an upload of this type."""
    major = (content_type or "").split("/", 1)[0]
    return {"image": Kind.IMAGE, "video": Kind.VIDEO, "audio": Kind.AUDIO}.get(
        major, Kind.FILE
    )


def signature(body: bytes, secret: str | None = None) -> str:
    """X-Line-Signature: the channel secret's HMAC-SHA256 of the body, base64."""
    key = (settings.LINE_CHANNEL_SECRET if secret is None else secret).encode()
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def event_json(event: SimulatedEvent) -> dict:
    """The webhook event, shaped as LINE's Messaging API reference shows it."""
    raw = {
        "type": "message" if event.is_message else event.kind,
        "mode": "active",
        "timestamp": int(event.sent_at.timestamp() * 1000),
        "source": {"type": "user", "userId": event.person.line_user_id},
        "webhookEventId": event.webhook_event_id,
        "deliveryContext": {"isRedelivery": False},
    }
    if event.reply_token:
        raw["replyToken"] = event.reply_token
    if event.kind == Kind.TEXT:
        raw["message"] = {
            "id": event.message_id,
            "type": "text",
            "quoteToken": secrets.token_urlsafe(24),
            "text": event.text,
        }
    elif event.kind == Kind.FILE:
        raw["message"] = {
            "id": event.message_id,
            "type": "file",
            "fileName": event.file_name,
            "fileSize": event.size,
        }
    elif event.kind in (Kind.IMAGE, Kind.VIDEO, Kind.AUDIO):
        message = {
            "id": event.message_id,
            "type": event.kind,
            "contentProvider": {"type": "line"},
        }
        if event.kind != Kind.AUDIO:
            message["quoteToken"] = secrets.token_urlsafe(24)
        if event.kind != Kind.IMAGE:
            message["duration"] = 1000  # milliseconds; not measured here
        raw["message"] = message
    elif event.kind == Kind.FOLLOW:
        unblocked = event.person.events.filter(
            kind=Kind.UNFOLLOW, sent_at__lt=event.sent_at
        ).exists()
        raw["follow"] = {"isUnblocked": unblocked}
    elif event.kind == Kind.UNSEND:
        raw["unsend"] = {"messageId": event.message_id}
    elif event.kind == Kind.POSTBACK:
        raw["postback"] = {"data": event.postback_data}
    return raw


def webhook_body(event: SimulatedEvent) -> bytes:
    return json.dumps(
        {"destination": DESTINATION, "events": [event_json(event)]},
        ensure_ascii=False,
    ).encode("utf-8")


def post_event(event: SimulatedEvent, *, webhook_url: str) -> int:
    """Sign and post the event to the webhook, as LINE's servers do, with the
    secret of the person's official account (the settings' one for a person
    of no account); keep and return the HTTP status (0 when the webhook could
    not be reached)."""
    if not webhook_url.startswith(("http://", "https://")):
        raise ValueError("the webhook URL must be http or https")
    body = webhook_body(event)
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        webhook_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "LineBotWebhook/2.0",
            "X-Line-Signature": signature(body, _secret(event.person)),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        logger.warning("LINE simulator: the webhook could not be reached (%s)", exc)
        status = 0
    if status != 200:
        logger.warning("LINE simulator: the webhook answered %s", status)
    SimulatedEvent.objects.filter(pk=event.pk).update(webhook_status=status)
    event.webhook_status = status
    return status


def _secret(person: SimulatedPerson) -> str | None:
    """The secret that signs the person's events (None: the settings')."""
    return person.channel.secret if person.channel_id else None


def _new_event(person: SimulatedPerson, kind: str, **fields) -> SimulatedEvent:
    with transaction.atomic():
        return SimulatedEvent.objects.create(
            person=person,
            kind=kind,
            webhook_event_id=new_webhook_event_id(),
            sent_at=timezone.now(),
            **fields,
        )


def person_create(*, display_name: str, channel=None) -> SimulatedPerson:
    with transaction.atomic():
        return SimulatedPerson.objects.create(
            display_name=display_name, channel=channel
        )


def send_text(
    *, person: SimulatedPerson, text: str, webhook_url: str
) -> SimulatedEvent:
    event = _new_event(
        person,
        Kind.TEXT,
        text=text,
        message_id=new_message_id(),
        reply_token=new_reply_token(),
    )
    post_event(event, webhook_url=webhook_url)
    return event


def send_media(
    *,
    person: SimulatedPerson,
    content: bytes,
    content_type: str,
    file_name: str,
    webhook_url: str,
) -> SimulatedEvent:
    kind = media_kind(content_type)
    event = _new_event(
        person,
        kind,
        message_id=new_message_id(),
        reply_token=new_reply_token(),
        content=content,
        content_type=content_type or "application/octet-stream",
        file_name=file_name if kind == Kind.FILE else "",
    )
    post_event(event, webhook_url=webhook_url)
    return event


def follow(*, person: SimulatedPerson, webhook_url: str) -> SimulatedEvent:
    """Add the account as a friend (again, after a block: isUnblocked)."""
    with transaction.atomic():
        SimulatedPerson.objects.filter(pk=person.pk).update(is_following=True)
        event = _new_event(
            person,
            Kind.FOLLOW,
            reply_token=new_reply_token(),
        )
    person.is_following = True
    post_event(event, webhook_url=webhook_url)
    return event


def unfollow(*, person: SimulatedPerson, webhook_url: str) -> SimulatedEvent:
    """Block the account (LINE sends no reply token with this event)."""
    with transaction.atomic():
        SimulatedPerson.objects.filter(pk=person.pk).update(is_following=False)
        event = _new_event(person, Kind.UNFOLLOW)
    person.is_following = False
    post_event(event, webhook_url=webhook_url)
    return event


def unsend_last(*, person: SimulatedPerson, webhook_url: str) -> SimulatedEvent | None:
    """Withdraw the person's last message that is not withdrawn yet (送信取消);
    None when there is none."""
    with transaction.atomic():
        last = (
            person.events.filter(kind__in=SimulatedEvent.MESSAGE_KINDS, unsent=False)
            .order_by("-sent_at", "-id")
            .first()
        )
        if last is None:
            return None
        SimulatedEvent.objects.filter(pk=last.pk).update(unsent=True)
        event = _new_event(person, Kind.UNSEND, message_id=last.message_id)
    post_event(event, webhook_url=webhook_url)
    return event


def tap_quick_reply(
    *, person: SimulatedPerson, delivery_id: int, index: int, webhook_url: str
) -> SimulatedEvent | None:
    """Tap a quick reply button of a message the account sent: a postback
    action posts a postback event (its displayText shows in the chat as the
    person's words), a message action sends its text. None when there is no
    such button."""
    delivery = SimulatedDelivery.objects.filter(
        pk=delivery_id, to=person.line_user_id
    ).first()
    action = quick_reply_actions(delivery).get(index)
    if action is None:
        return None
    if action.get("type") == "message":
        return send_text(
            person=person, text=action.get("text", ""), webhook_url=webhook_url
        )
    event = _new_event(
        person,
        Kind.POSTBACK,
        reply_token=new_reply_token(),
        text=action.get("displayText", ""),
        postback_data=action.get("data", ""),
    )
    post_event(event, webhook_url=webhook_url)
    return event


def quick_reply_actions(delivery: SimulatedDelivery | None) -> dict[int, dict]:
    """The postback and message actions of the quick reply buttons of a
    delivery's last message (LINE shows those of the last message only), by
    position."""
    if delivery is None or not delivery.messages:
        return {}
    last = delivery.messages[-1]
    quick = last.get("quickReply") if isinstance(last, dict) else None
    items = quick.get("items") if isinstance(quick, dict) else None
    actions = {}
    for i, item in enumerate(items if isinstance(items, list) else []):
        action = item.get("action") if isinstance(item, dict) else None
        if isinstance(action, dict) and action.get("type") in ("postback", "message"):
            actions[i] = action
    return actions
