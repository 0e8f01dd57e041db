"""Reading what LINE posts to the webhook: the signature check and the payload.

LINE signs the raw request body with the channel secret (HMAC-SHA256,
base64) and sends the result in ``X-Line-Signature``; line-bot-sdk's
``SignatureValidator`` recomputes it and compares in constant time. The
payload is read from plain JSON rather than the SDK's typed models, so that a
message type newer than the SDK is still stored (as a placeholder) instead of
being lost.

Nothing here logs a message text or a LINE user id.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings

from .models import LineMessage

logger = logging.getLogger(__name__)

Kind = LineMessage.Kind

# LINE message types and how they are stored; any other type is stored as
# "other" with its message id.
MESSAGE_KINDS = {
    "text": Kind.TEXT,
    "image": Kind.IMAGE,
    "video": Kind.VIDEO,
    "audio": Kind.AUDIO,
    "file": Kind.FILE,
    "location": Kind.LOCATION,
    "sticker": Kind.STICKER,
}
ID_MAX_LENGTH = 64
# JSON escapes can carry what no database column should hold: NUL (PostgreSQL
# refuses it) and lone UTF-16 surrogates (not encodable as UTF-8). A valid
# surrogate pair is already one character after json.loads, so any surrogate
# left in a string is a lone one.
NUL = "\x00"
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class PayloadError(ValueError):
    """The body is not a LINE webhook payload (bad JSON or the wrong shape)."""


@dataclass(frozen=True)
class IncomingEvent:
    """One event worth storing, in the app's own terms."""

    webhook_event_id: str
    line_user_id: str
    kind: str  # a LineMessage.Kind, or UNSEND
    sent_at: dt.datetime
    text: str = ""
    line_message_id: str = ""  # for UNSEND: the message withdrawn
    reply_token: str = ""  # usable once, soon after the event (not redeliveries)
    mark_as_read_token: str = ""
    # More LineMessage fields: the quote token and quoted message, a place,
    # a sticker's words, a file's name.
    details: dict = field(default_factory=dict)
    # LineMedia fields for an image, video, voice or file: who holds the
    # content (LINE or the sender's links), its announced size and length.
    media: dict | None = None


UNSEND = "unsend"


def signature_is_valid(
    body: bytes, signature: str | None, secret: str | None = None
) -> bool:
    """True if ``signature`` is the channel secret's HMAC-SHA256 of ``body``:
    the ``secret`` of the official account called, or (None) the settings'
    LINE_CHANNEL_SECRET. Without a secret every request is refused: an empty
    key would let anyone sign."""
    if secret is None:
        secret = settings.LINE_CHANNEL_SECRET
    if not secret:
        logger.error("LINE webhook refused: the channel secret is not set")
        return False
    if not signature:
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    # Imported here: line-bot-sdk takes seconds to import, which every process
    # start (each web worker, each manage.py command) would otherwise pay.
    from linebot.v3.webhook import SignatureValidator

    return SignatureValidator(secret).validate(text, signature)


def clean_text(text: str) -> str:
    """``text`` without NUL characters and with each lone surrogate replaced
    by U+FFFD, the replacement character."""
    return LONE_SURROGATE.sub("\ufffd", text.replace(NUL, ""))


def _id(value) -> str:
    """An id field: a non-empty printable string of sensible length, else ''.
    (LINE's ids are ASCII; NUL, lone surrogates and other control characters
    are not printable, so such an id counts as missing.)"""
    if (
        isinstance(value, str)
        and 0 < len(value) <= ID_MAX_LENGTH
        and value.isprintable()
    ):
        return value
    return ""


CONTENT_KINDS = (Kind.IMAGE, Kind.VIDEO, Kind.AUDIO, Kind.FILE)
URL_MAX_LENGTH = 2000
STICKER_KEYWORDS_MAX = 20


def _str(value, max_length: int) -> str:
    """A free text field (a place name, a file name): cleaned and cut to fit."""
    return clean_text(value)[:max_length] if isinstance(value, str) else ""


def _token(value) -> str:
    """A token LINE gave (reply, mark as read, quote): printable, of sane
    length, else ''."""
    if isinstance(value, str) and 0 < len(value) <= 255 and value.isprintable():
        return value
    return ""


def _count(value, maximum: int) -> int | None:
    """A non-negative whole number up to ``maximum`` (a size, a duration)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= maximum else None


def _coordinate(value, limit: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) and -limit <= value <= limit else None


def _https_url(value) -> str:
    """An https link of sensible length, else '' (a sender's content link is
    shown to counsellors: no javascript: or other schemes)."""
    if not isinstance(value, str) or len(value) > URL_MAX_LENGTH:
        return ""
    if not value.isprintable() or any(c.isspace() for c in value):
        return ""
    try:
        parts = urlsplit(value)
    except ValueError:
        return ""
    return value if parts.scheme == "https" and parts.hostname else ""


def _details(kind: str, message: dict) -> dict:
    """The LineMessage fields beyond the text that LINE sent for this kind."""
    details = {
        "quote_token": _token(message.get("quoteToken")),
        "quoted_message_id": _id(message.get("quotedMessageId")),
    }
    if kind == Kind.FILE:
        details["file_name"] = _str(message.get("fileName"), 255)
    elif kind == Kind.LOCATION:
        latitude = _coordinate(message.get("latitude"), 90)
        longitude = _coordinate(message.get("longitude"), 180)
        if latitude is None or longitude is None:
            latitude = longitude = None
        details.update(
            location_title=_str(message.get("title"), 255),
            location_address=_str(message.get("address"), 255),
            latitude=latitude,
            longitude=longitude,
        )
    elif kind == Kind.STICKER:
        keywords = message.get("keywords")
        keywords = keywords if isinstance(keywords, list) else []
        details.update(
            sticker_keywords=[
                _str(k, 100) for k in keywords[:STICKER_KEYWORDS_MAX] if _str(k, 100)
            ],
            sticker_text=_str(message.get("text"), 1000),
        )
    return details


def _media(kind: str, message: dict) -> dict | None:
    """The LineMedia fields of an image, video, voice or file message."""
    if kind not in CONTENT_KINDS:
        return None
    provider = message.get("contentProvider")
    provider = provider if isinstance(provider, dict) else {}
    media = {
        "declared_size": _count(message.get("fileSize"), 2**62),
        "duration_ms": _count(message.get("duration"), 2**31 - 1),
    }
    if provider.get("type") == "external":
        media.update(
            provider="external",
            original_url=_https_url(provider.get("originalContentUrl")),
            preview_url=_https_url(provider.get("previewImageUrl")),
        )
    else:
        media["provider"] = "line"
    return media


POSTBACK_DATA_MAX_LENGTH = 300  # LINE's limit for a postback action's data
POSTBACK_PARAMS = ("date", "time", "datetime", "newRichMenuAliasId", "status")


def _postback_params(params) -> str:
    """What a date or time picker (or a rich menu switch) chose, appended to
    the postback's data as " name=value" pairs; '' when there is none."""
    if not isinstance(params, dict):
        return ""
    pairs = [
        f"{name}={_str(params[name], 40)}"
        for name in POSTBACK_PARAMS
        if isinstance(params.get(name), str) and _str(params[name], 40)
    ]
    return "".join(f" {pair}" for pair in pairs)


def _timestamp(value) -> dt.datetime | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    try:
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _event(raw: dict) -> IncomingEvent | None:
    """The event to store, or None for one that is not ours to keep (another
    event type, a group chat) or lacks what we need."""
    event_type = raw.get("type")
    source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
    event_id = _id(raw.get("webhookEventId"))
    user_id = _id(source.get("userId"))
    sent_at = _timestamp(raw.get("timestamp"))
    label = clean_text(str(event_type))[:30]
    if source.get("type") != "user":
        # The account is for one-to-one counselling; group chats are ignored.
        logger.info("LINE webhook: ignored a %s event from a group or room", label)
        return None
    if not (event_id and user_id and sent_at):
        logger.warning("LINE webhook: skipped a %s event lacking ids or time", label)
        return None
    common = {"webhook_event_id": event_id, "line_user_id": user_id, "sent_at": sent_at}
    context = raw.get("deliveryContext")
    redelivered = isinstance(context, dict) and context.get("isRedelivery") is True
    # A redelivered event comes too late for its reply token.
    reply_token = "" if redelivered else _token(raw.get("replyToken"))
    if event_type == "message":
        message = raw.get("message")
        if not isinstance(message, dict):
            logger.warning("LINE webhook: skipped a message event without a message")
            return None
        kind = MESSAGE_KINDS.get(message.get("type"), Kind.OTHER)
        text = message.get("text") if kind == Kind.TEXT else ""
        text = text if isinstance(text, str) else ""
        if clean_text(text) != text:
            logger.warning(
                "LINE webhook: removed NUL or lone surrogate characters from "
                "the text of event %s",
                event_id,
            )
            text = clean_text(text)
        return IncomingEvent(
            kind=kind,
            text=text,
            line_message_id=_id(message.get("id")),
            reply_token=reply_token,
            mark_as_read_token=_token(message.get("markAsReadToken")),
            details=_details(kind, message),
            media=_media(kind, message),
            **common,
        )
    if event_type == "follow":
        return IncomingEvent(kind=event_type, reply_token=reply_token, **common)
    if event_type == "unfollow":
        return IncomingEvent(kind=event_type, **common)
    if event_type == "postback":
        postback = raw.get("postback")
        postback = postback if isinstance(postback, dict) else {}
        data = _str(postback.get("data"), POSTBACK_DATA_MAX_LENGTH)
        if not data:
            logger.warning("LINE webhook: skipped a postback event without data")
            return None
        return IncomingEvent(
            kind=Kind.POSTBACK,
            text=data + _postback_params(postback.get("params")),
            reply_token=reply_token,
            **common,
        )
    if event_type == "unsend":
        unsend = raw.get("unsend") if isinstance(raw.get("unsend"), dict) else {}
        message_id = _id(unsend.get("messageId"))
        if message_id:
            return IncomingEvent(kind=UNSEND, line_message_id=message_id, **common)
        return None
    logger.info("LINE webhook: ignored a %s event", label)
    return None


def parse_payload(body: bytes) -> list[IncomingEvent]:
    """The events of a (signed) webhook body that the app stores.

    Raises PayloadError when the body is not JSON or not shaped like a
    webhook payload; single events the app does not keep are skipped.
    """
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError("not JSON") from exc
    except RecursionError as exc:
        raise PayloadError("JSON nested too deeply") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise PayloadError("no events list")
    if not all(isinstance(raw, dict) for raw in payload["events"]):
        raise PayloadError("an event is not an object")
    return [e for e in map(_event, payload["events"]) if e is not None]
