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
