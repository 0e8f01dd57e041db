"""Calls to the LINE Messaging API through line-bot-sdk. The base URL comes
from ``LINE_API_BASE_URL`` so that tests and demos can point it at a local
stub. Errors are raised as ``LineApiError`` carrying the HTTP status only:
callers log that, never the message text.

line-bot-sdk is imported on first use (``_sdk()``): importing it takes
seconds, which every process start (each web worker, each manage.py command)
would otherwise pay."""

from __future__ import annotations

from types import ModuleType

from django.conf import settings
from urllib3.exceptions import HTTPError

# (connect, read) seconds: a counsellor is waiting for the page.
TIMEOUT = (3.05, 10)
TEXT_MAX_LENGTH = 5000  # LINE's limit for one text message


class LineApiError(Exception):
    """The Messaging API refused or could not be reached."""

    def __init__(self, status: int | None = None, *, not_configured=False):
        self.status = status
        self.not_configured = not_configured
        super().__init__(f"LINE API error (HTTP {status})")


def _sdk() -> ModuleType:
    from linebot.v3 import messaging

    return messaging


def _api_client():
    if not settings.LINE_CHANNEL_ACCESS_TOKEN:
        raise LineApiError(not_configured=True)
    configuration = _sdk().Configuration(
        host=settings.LINE_API_BASE_URL.rstrip("/"),
        access_token=settings.LINE_CHANNEL_ACCESS_TOKEN,
    )
    # No silent retries: the retry key makes a deliberate resend safe.
    configuration.retries = 0
    return _sdk().ApiClient(configuration)


def push_text(*, to: str, text: str, retry_key: str) -> None:
    """Send one text message to a LINE user (POST /v2/bot/message/push).

    A 409 answer means LINE already accepted a request with this retry key:
    the message went out, so it counts as sent."""
    sdk = _sdk()
    try:
        with _api_client() as api_client:
            sdk.MessagingApi(api_client).push_message(
                sdk.PushMessageRequest(to=to, messages=[sdk.TextMessage(text=text)]),
                x_line_retry_key=retry_key,
                _request_timeout=TIMEOUT,
            )
    except sdk.ApiException as exc:
        if exc.status == 409:
            return
        raise LineApiError(exc.status) from None
    except (HTTPError, OSError):
        raise LineApiError(None) from None


def display_name(*, line_user_id: str) -> str:
    """The user's LINE display name (GET /v2/bot/profile/{userId})."""
    sdk = _sdk()
    try:
        with _api_client() as api_client:
            profile = sdk.MessagingApi(api_client).get_profile(
                line_user_id, _request_timeout=TIMEOUT
            )
    except sdk.ApiException as exc:
        raise LineApiError(exc.status) from None
    except (HTTPError, OSError):
        raise LineApiError(None) from None
    return profile.display_name or ""


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


def _data_api_client():
    if not settings.LINE_CHANNEL_ACCESS_TOKEN:
        raise LineApiError(not_configured=True)
    sdk = _sdk()

    class StreamingApiClient(sdk.ApiClient):
        def request(self, *args, **kwargs):
            return _UnreadBody(super().request(*args, **kwargs))

    configuration = sdk.Configuration(
        host=settings.LINE_DATA_API_BASE_URL.rstrip("/"),
        access_token=settings.LINE_CHANNEL_ACCESS_TOKEN,
    )
    # The worker decides when to try again (consultations.line.tasks).
    configuration.retries = 0
    return StreamingApiClient(configuration)


def download_content(*, message_id: str, into, max_bytes: int) -> int:
    """Stream the content of an image, video, voice or file message
    (GET {LINE_DATA_API_BASE_URL}/v2/bot/message/{messageId}/content) into the
    binary file ``into``; return the number of bytes written.

    Raises ContentTooLarge past ``max_bytes`` (announced by Content-Length, or
    found while reading: nothing more is read), and LineApiError with LINE's
    HTTP status (404: LINE no longer has the content) or None when LINE could
    not be reached or the transfer broke off."""
    sdk = _sdk()
    try:
        with _data_api_client() as api_client:
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
