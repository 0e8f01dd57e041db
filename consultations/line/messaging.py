"""Calls to the LINE Messaging API, each through line-bot-sdk v3 with a
timeout. The base URL comes from ``LINE_API_BASE_URL`` so that tests and demos
can point it at a local stub.

A failure is raised as ``LineApiError`` carrying the HTTP status and LINE's
error message (the ``message`` of its JSON answer), and logged here with those
two only: never the text sent, a LINE user id or a name.

What a failure means for a message matters more than its status:

- ``ambiguous``: a timeout after the request went out, a connection reset, or
  a 5xx. LINE may have delivered the message.
- ``monthly_limit``: 429 "You have reached your monthly limit." Nothing was
  sent, and nothing will be until the month ends or the plan changes.
- ``rate_limited``: any other 429 (the API rate limit, concurrent operations).
  Nothing was sent; the same request may be made again a little later.
- anything else (the API could not be reached at all, a 4xx): nothing was sent.

line-bot-sdk is imported on first use (``_sdk()``): importing it takes
seconds, which every process start (each web worker, each manage.py command)
would otherwise pay.

Each call is made with the access token of one official account: the
``channel`` (a LineChannel) of the person written to, or for a person of no
channel (the legacy single account) ``LINE_CHANNEL_ACCESS_TOKEN``."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from django.conf import settings
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
)

if TYPE_CHECKING:
    from .models import LineChannel

logger = logging.getLogger(__name__)

# (connect, read) seconds: a counsellor is waiting for the page.
TIMEOUT = (3.05, 10)
TEXT_MAX_LENGTH = 5000  # LINE's limit for one text message
# The message of LINE's 429 answer when the month's messages are used up
# (developers.line.biz, "Handle HTTP status code 429 errors").
MONTHLY_LIMIT_MESSAGE = "You have reached your monthly limit."


class LineApiError(Exception):
    """The Messaging API refused or could not be reached."""

    def __init__(
        self,
        status: int | None = None,
        *,
        not_configured=False,
        ambiguous=False,
        line_message: str = "",
    ):
        self.status = status
        self.not_configured = not_configured
        self.ambiguous = ambiguous or (status is not None and status >= 500)
        self.line_message = line_message
        super().__init__(f"LINE API error (HTTP {status})")

    @property
    def monthly_limit(self) -> bool:
        return (
            self.status == 429
            and MONTHLY_LIMIT_MESSAGE.rstrip(".").lower() in self.line_message.lower()
        )

    @property
    def rate_limited(self) -> bool:
        return self.status == 429 and not self.monthly_limit

    @property
    def not_found(self) -> bool:
        return self.status == 404


def _sdk() -> ModuleType:
    from linebot.v3 import messaging

    return messaging


def access_token(channel: LineChannel | None) -> str:
    """The access token of ``channel``, or of the settings' account (None)."""
    if channel is None:
        return settings.LINE_CHANNEL_ACCESS_TOKEN
    return channel.access_token


def has_access_token(channel: LineChannel | None) -> bool:
    """Whether calls for ``channel`` can be made (without decrypting)."""
    if channel is None:
        return bool(settings.LINE_CHANNEL_ACCESS_TOKEN)
    return bool(channel.access_token_encrypted)


def _api_client(channel: LineChannel | None):
    token = access_token(channel)
    if not token:
        logger.error(
            "LINE API not called: no access token for %s",
            f"LINE channel #{channel.pk}" if channel else "LINE_CHANNEL_ACCESS_TOKEN",
        )
        raise LineApiError(not_configured=True)
    configuration = _sdk().Configuration(
        host=settings.LINE_API_BASE_URL.rstrip("/"), access_token=token
    )
    # No silent retries: the retry key makes a deliberate resend safe.
    configuration.retries = 0
    return _sdk().ApiClient(configuration)


def _line_message(body) -> str:
    """LINE's error message from an error answer ({"message": ...}), cut
    short. It describes the request (never echoes the text sent)."""
    try:
        message = json.loads(body or b"{}").get("message", "")
    except (ValueError, AttributeError):
        return ""
    return message[:200] if isinstance(message, str) else ""


def _failed(call: str, exc: BaseException) -> LineApiError:
    """The LineApiError for what ``call`` raised, logged by status and LINE's
    message only."""
    sdk = _sdk()
    if isinstance(exc, sdk.ApiException) and exc.status:
        error = LineApiError(exc.status, line_message=_line_message(exc.body))
    else:
        reason = exc.reason if isinstance(exc, MaxRetryError) else exc
        # Refused or timed out while connecting: the request never left.
        never_sent = isinstance(reason, NewConnectionError | ConnectTimeoutError)
        error = LineApiError(None, ambiguous=not never_sent)
    logger.warning(
        "LINE API %s failed: HTTP status %s, LINE's message %r%s",
        call,
        error.status or "none",
        error.line_message,
        " (no answer: may have been done)" if error.ambiguous else "",
    )
    return error


def _call(call: str, method: str, *args, channel: LineChannel | None, **kwargs):
    sdk = _sdk()
    try:
        with _api_client(channel) as api_client:
            return getattr(sdk.MessagingApi(api_client), method)(
                *args, _request_timeout=TIMEOUT, **kwargs
            )
    except sdk.ApiException as exc:
        raise _failed(call, exc) from None
    except (HTTPError, OSError) as exc:
        raise _failed(call, exc) from None
    except ValueError as exc:
        # LINE answered 2xx with a body the SDK could not read.
        logger.warning("LINE API %s: unreadable answer (%s)", call, type(exc).__name__)
        raise LineApiError(200) from None


def push_text(
    *, to: str, text: str, retry_key: str, channel: LineChannel | None = None
) -> None:
    """Send one text message to a LINE user (POST /v2/bot/message/push).
    Counts against the month's messages.

    A 409 answer means LINE already accepted a request with this retry key:
    the message went out, so it counts as sent."""
    sdk = _sdk()
    try:
        _call(
            "push",
            "push_message",
            sdk.PushMessageRequest(to=to, messages=[sdk.TextMessage(text=text)]),
            x_line_retry_key=retry_key,
            channel=channel,
        )
    except LineApiError as exc:
        if exc.status == 409:
            return
        raise


def reply_text(
    *, reply_token: str, text: str, channel: LineChannel | None = None
) -> None:
    """Answer a message with its reply token (POST /v2/bot/message/reply).
    Free of charge; a token is used once, soon after its webhook event."""
    sdk = _sdk()
    _call(
        "reply",
        "reply_message",
        sdk.ReplyMessageRequest(
            reply_token=reply_token, messages=[sdk.TextMessage(text=text)]
        ),
        channel=channel,
    )


@dataclass(frozen=True)
class QuickReplyButton:
    """A quick reply button that posts back ``data`` when tapped (LINE shows
    ``label``, at most 20 characters, and writes ``display_text`` in the chat
    as the person's words)."""

    label: str
    data: str
    display_text: str = ""


@dataclass(frozen=True)
class OutgoingText:
    text: str
    buttons: tuple[QuickReplyButton, ...] = ()


def _text_message(message: OutgoingText):
    sdk = _sdk()
    quick_reply = None
    if message.buttons:
        quick_reply = sdk.QuickReply(
            items=[
                sdk.QuickReplyItem(
                    action=sdk.PostbackAction(
                        label=button.label,
                        data=button.data,
                        display_text=button.display_text or None,
                    )
                )
                for button in message.buttons
            ]
        )
    return sdk.TextMessage(text=message.text, quick_reply=quick_reply)


def reply_messages(
    *,
    reply_token: str,
    messages: list[OutgoingText],
    channel: LineChannel | None = None,
) -> None:
    """Answer an event with up to five text messages, each with its quick
    reply buttons (LINE shows those of the last message only), with the
    event's reply token (POST /v2/bot/message/reply): free of charge."""
    sdk = _sdk()
    _call(
        "reply",
        "reply_message",
        sdk.ReplyMessageRequest(
            reply_token=reply_token, messages=[_text_message(m) for m in messages]
        ),
        channel=channel,
    )


@dataclass(frozen=True)
class Profile:
    display_name: str
    picture_url: str


def profile(*, line_user_id: str, channel: LineChannel | None = None) -> Profile:
    """The user's LINE profile (GET /v2/bot/profile/{userId}). LINE answers
    404 for someone who is not a friend of the account (``not_found``)."""
    answer = _call("profile", "get_profile", line_user_id, channel=channel)
    return Profile(
        display_name=answer.display_name or "", picture_url=answer.picture_url or ""
    )


def display_name(*, line_user_id: str, channel: LineChannel | None = None) -> str:
    """The user's LINE display name (GET /v2/bot/profile/{userId})."""
    return profile(line_user_id=line_user_id, channel=channel).display_name


@dataclass(frozen=True)
class Quota:
    limit: int | None  # None: no limit this month
    used: int

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def quota(channel: LineChannel | None = None) -> Quota:
    """The month's message limit and how many were sent
    (GET /v2/bot/message/quota and /v2/bot/message/quota/consumption)."""
    limit = _call("quota", "get_message_quota", channel=channel)
    used = _call("quota consumption", "get_message_quota_consumption", channel=channel)
    kind = getattr(limit.type, "value", limit.type)
    return Quota(
        limit=limit.value if kind == "limited" else None, used=used.total_usage
    )


def mark_as_read(*, token: str, channel: LineChannel | None = None) -> None:
    """Show the person that their messages were read (既読), with the
    markAsReadToken of a message (POST /v2/bot/chat/markAsRead). Only some
    accounts may use it."""
    sdk = _sdk()
    _call(
        "mark as read",
        "mark_messages_as_read_by_token",
        sdk.MarkMessagesAsReadByTokenRequest(mark_as_read_token=token),
        channel=channel,
    )


# MESSAGE CONTENT (images, video, voice, files)
# ------------------------------------------------------------------------------

# (connect, read) seconds; the read limit is per read, not for the whole file.
CONTENT_TIMEOUT = (3.05, 30)
CONTENT_CHUNK = 64 * 1024


class ContentTooLarge(Exception):
    """The content is larger than the limit given; it was not read further."""


class _UnreadBody:
    """LINE's answer handed to the SDK unread. With ``_preload_content=False``
    the SDK still reads the whole body into memory (``ApiResponse.raw_data =
    response.data``); through this wrapper ``raw_data`` is the open urllib3
    response instead, which the caller streams to disk."""

    def __init__(self, response):
        self._response = response
        self.status = response.status

    def getheaders(self):
        return self._response.headers

    def getheader(self, name, default=None):
        return self._response.headers.get(name, default)

    @property
    def data(self):
        return self._response


def _data_api_client(channel: LineChannel | None):
    token = access_token(channel)
    if not token:
        raise LineApiError(not_configured=True)
    sdk = _sdk()

    class StreamingApiClient(sdk.ApiClient):
        def request(self, *args, **kwargs):
            return _UnreadBody(super().request(*args, **kwargs))

    configuration = sdk.Configuration(
        host=settings.LINE_DATA_API_BASE_URL.rstrip("/"), access_token=token
    )
    # The worker decides when to try again (consultations.line.tasks).
    configuration.retries = 0
    return StreamingApiClient(configuration)


def download_content(
    *, message_id: str, into, max_bytes: int, channel: LineChannel | None = None
) -> int:
    """Stream the content of an image, video, voice or file message
    (GET {LINE_DATA_API_BASE_URL}/v2/bot/message/{messageId}/content) into the
    binary file ``into``; return the number of bytes written.

    Raises ContentTooLarge past ``max_bytes`` (announced by Content-Length, or
    found while reading: nothing more is read), and LineApiError with LINE's
    HTTP status (404: LINE no longer has the content) or None when LINE could
    not be reached or the transfer broke off."""
    sdk = _sdk()
    try:
        with _data_api_client(channel) as api_client:
            answer = sdk.MessagingApiBlob(
                api_client
            ).get_message_content_with_http_info(
                message_id, _preload_content=False, _request_timeout=CONTENT_TIMEOUT
            )
            response = answer.raw_data
            try:
                announced = response.headers.get("Content-Length", "")
                if announced.isdigit() and int(announced) > max_bytes:
                    raise ContentTooLarge
                size = 0
                for chunk in response.stream(CONTENT_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise ContentTooLarge
                    into.write(chunk)
            finally:
                response.close()
    except sdk.ApiException as exc:
        raise LineApiError(exc.status or None) from None
    except (HTTPError, OSError):
        raise LineApiError(None) from None
    return size
