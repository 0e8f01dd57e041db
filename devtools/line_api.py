"""A stand-in for the LINE Messaging API, for the demo and the tests.

It answers on LINE's own paths (mounted under /dev/line-api/, which the demo
sets as LINE_API_BASE_URL and LINE_DATA_API_BASE_URL) with LINE's JSON shapes
and headers: a bearer token that is neither LINE_CHANNEL_ACCESS_TOKEN nor the
access token of an active official account (LineChannel) gets 401, a
repeated X-Line-Retry-Key gets 409 with ``x-line-accepted-request-id``, a body
that LINE would refuse gets 400 with ``message`` and ``details``, and past the
monthly quota a push gets 429. What it accepts is kept (SimulatedDelivery) so
that the simulator shows it on the person's phone.

Like LINE's servers it is public (no login, no CSRF token) and checks the
token instead. Nothing here logs a text or a user id.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import re
import secrets
import uuid
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .models import SimulatedDelivery, SimulatedEvent, SimulatedPerson

# LINE's limits (Messaging API reference).
MAX_MESSAGES = 5
TEXT_MAX_LENGTH = 5000
# LINE's free (communication) plan: 200 push messages a month.
MONTHLY_QUOTA = 200
# How long a reply token can be used after its webhook event.
REPLY_TOKEN_LIFETIME = dt.timedelta(minutes=1)
MESSAGE_TYPES = {
    "text",
    "textV2",
    "sticker",
    "image",
    "video",
    "audio",
    "location",
    "imagemap",
    "template",
    "flex",
}
TO_PATTERN = re.compile(r"^[UCR][0-9a-f]{32}$")


def simulator_enabled() -> bool:
    return bool(getattr(settings, "LINE_SIMULATOR", False))


def _line_json(payload: dict, status: int = 200, **headers) -> JsonResponse:
    response = JsonResponse(
        payload, status=status, json_dumps_params={"ensure_ascii": False}
    )
    response["x-line-request-id"] = headers.pop("request_id", None) or str(uuid.uuid4())
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _error(status: int, message: str, details: list[dict] | None = None):
    payload = {"message": message}
    if details:
        payload["details"] = details
    return _line_json(payload, status)


def stand_in(view):
    """Public like LINE's API, but only while the simulator is on, and only
    with the access token of an official account: the settings' one or that
    of an active LineChannel (any organisation's: LINE serves them all)."""

    @csrf_exempt
    @login_not_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not simulator_enabled():
            raise Http404
        given = request.headers.get("Authorization", "")
        if not (
            given.startswith("Bearer ")
            and _known_token(given.removeprefix("Bearer ").encode())
        ):
            return _error(
                401,
                "Authentication failed. Confirm that the access token in the "
                "authorization header is valid.",
            )
        return view(request, *args, **kwargs)

    return wrapped


def _known_token(given: bytes) -> bool:
    from consultations.line.models import LineChannel

    tokens = [settings.LINE_CHANNEL_ACCESS_TOKEN] + [
        channel.access_token
        for channel in LineChannel._base_manager.filter(active=True).exclude(
            access_token_encrypted=""
        )
    ]
    # Every one compared, in constant time each.
    matches = [hmac.compare_digest(given, t.encode()) for t in tokens if t]
    return any(matches)


def _month_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def pushed_this_month(now: dt.datetime | None = None) -> int:
    """Messages pushed this month: what LINE counts against the quota
    (replies are free)."""
    now = now or timezone.now()
    counts = SimulatedDelivery.objects.filter(
        endpoint=SimulatedDelivery.Endpoint.PUSH, received_at__gte=_month_start(now)
    ).values_list("message_count", flat=True)
    return sum(counts)


def _body(request) -> dict | None:
    try:
        body = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def _message_errors(messages) -> list[dict]:
    """What LINE's validation would list for the ``messages`` property."""
    if not isinstance(messages, list) or not messages:
        return [{"message": "Size must be between 1 and 5", "property": "messages"}]
    if len(messages) > MAX_MESSAGES:
        return [{"message": "Size must be between 1 and 5", "property": "messages"}]
    errors = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict) or message.get("type") not in MESSAGE_TYPES:
            errors.append(
                {
                    "message": "Must be one of the following values: "
                    + ", ".join(sorted(MESSAGE_TYPES)),
                    "property": f"{where}.type",
                }
            )
            continue
        if message["type"] in ("text", "textV2"):
            text = message.get("text")
            if not isinstance(text, str) or not text:
                errors.append(
                    {"message": "May not be empty", "property": f"{where}.text"}
                )
            elif len(text) > TEXT_MAX_LENGTH:
                errors.append(
                    {
                        "message": f"Length must be between 0 and {TEXT_MAX_LENGTH}",
                        "property": f"{where}.text",
                    }
                )
        if "quickReply" in message:
            errors += _quick_reply_errors(message["quickReply"], f"{where}.quickReply")
    return errors


QUICK_REPLY_MAX_ITEMS = 13
ACTION_LABEL_MAX_LENGTH = 20
POSTBACK_DATA_MAX_LENGTH = 300


def _quick_reply_errors(quick, where: str) -> list[dict]:
    """What LINE's validation would list for a quick reply: 1 to 13 items of
    type "action"; postback actions with a label of 1 to 20 characters and
    data of 1 to 300; message actions with a label and a text."""
    items = quick.get("items") if isinstance(quick, dict) else None
    if not isinstance(items, list) or not 0 < len(items) <= QUICK_REPLY_MAX_ITEMS:
        return [
            {"message": "Size must be between 1 and 13", "property": f"{where}.items"}
        ]
    errors = []
    for i, item in enumerate(items):
        at = f"{where}.items[{i}]"
        action = item.get("action") if isinstance(item, dict) else None
        if (
            not isinstance(item, dict)
            or item.get("type") != "action"
            or not isinstance(action, dict)
        ):
            errors.append({"message": "Must be an action item", "property": at})
            continue
        label = action.get("label")
        if not isinstance(label, str) or not 0 < len(label) <= ACTION_LABEL_MAX_LENGTH:
            errors.append(
                {
                    "message": "Length must be between 1 and 20",
                    "property": f"{at}.action.label",
                }
            )
        if action.get("type") == "postback":
            data = action.get("data")
            if (
                not isinstance(data, str)
                or not 0 < len(data) <= POSTBACK_DATA_MAX_LENGTH
            ):
                errors.append(
                    {
                        "message": "Length must be between 1 and 300",
                        "property": f"{at}.action.data",
                    }
                )
        elif action.get("type") == "message":
            if not isinstance(action.get("text"), str) or not action["text"]:
                errors.append(
                    {"message": "May not be empty", "property": f"{at}.action.text"}
                )
        else:
            errors.append(
                {
                    "message": "Must be one of the following values: message, postback",
                    "property": f"{at}.action.type",
                }
            )
    return errors


def _invalid(errors: list[dict]):
    return _error(400, f"The request body has {len(errors)} error(s)", errors)


def _retry_key(request) -> tuple[uuid.UUID | None, HttpResponse | None]:
    raw = request.headers.get("X-Line-Retry-Key")
    if raw is None:
        return None, None
    try:
        return uuid.UUID(raw), None
    except ValueError:
        return None, _error(400, "The value of the X-Line-Retry-Key header is invalid")


def _already_accepted(retry_key: uuid.UUID):
    earlier = SimulatedDelivery.objects.filter(retry_key=retry_key).first()
    if earlier is None:
        return None
    return _line_json(
        {
            "message": "The retry key is already accepted",
            "sentMessages": earlier.sent_messages,
        },
        409,
        x_line_accepted_request_id=earlier.request_id,
    )


def _accept(*, endpoint, to, messages, retry_key, reply_token=None, delivered=True):
    """Keep the request and answer as LINE does, or 409 when another request
    with the same retry key won the race."""
    request_id = str(uuid.uuid4())
    sent = [
        {
            "id": str(secrets.randbelow(9 * 10**17) + 10**17),
            "quoteToken": secrets.token_urlsafe(24),
        }
        for _ in messages
    ]
    try:
        with transaction.atomic():
            SimulatedDelivery.objects.create(
                request_id=request_id,
                endpoint=endpoint,
                to=to,
                reply_token=reply_token,
                retry_key=retry_key,
                messages=messages,
                sent_messages=sent,
                message_count=len(messages),
                delivered=delivered,
            )
    except IntegrityError:
        if retry_key is not None and (conflict := _already_accepted(retry_key)):
            return conflict
        return _error(400, "Invalid reply token")
    return _line_json({"sentMessages": sent}, request_id=request_id)


@stand_in
@require_POST
@transaction.non_atomic_requests
def push(request):
    """POST /v2/bot/message/push"""
    retry_key, refusal = _retry_key(request)
    if refusal:
        return refusal
    if retry_key is not None and (conflict := _already_accepted(retry_key)):
        return conflict
    body = _body(request)
    if body is None:
        return _error(
            400,
            "The request body has 1 error(s)",
            [{"message": "Invalid JSON", "property": ""}],
        )
    to = body.get("to")
    if not isinstance(to, str) or not TO_PATTERN.match(to):
        return _error(
            400,
            "The property, 'to', in the request body is invalid (line: -, column: -)",
        )
    if errors := _message_errors(body.get("messages")):
        return _invalid(errors)
    messages = body["messages"]
    if pushed_this_month() + len(messages) > getattr(
        settings, "LINE_SIMULATOR_MONTHLY_QUOTA", MONTHLY_QUOTA
    ):
        return _error(429, "You have reached your monthly limit.")
    person = SimulatedPerson.objects.filter(line_user_id=to).first()
    # A person who blocked the account gets nothing, yet LINE answers 200.
    delivered = person is None or person.is_following
    return _accept(
        endpoint=SimulatedDelivery.Endpoint.PUSH,
        to=to,
        messages=messages,
        retry_key=retry_key,
        delivered=delivered,
    )


@stand_in
@require_POST
@transaction.non_atomic_requests
def reply(request):
    """POST /v2/bot/message/reply: once per reply token, within its lifetime."""
    retry_key, refusal = _retry_key(request)
    if refusal:
        return refusal
    if retry_key is not None and (conflict := _already_accepted(retry_key)):
        return conflict
    body = _body(request)
    if body is None:
        return _error(
            400,
            "The request body has 1 error(s)",
            [{"message": "Invalid JSON", "property": ""}],
        )
    token = body.get("replyToken")
    if not isinstance(token, str) or not token:
        return _invalid([{"message": "May not be empty", "property": "replyToken"}])
    if errors := _message_errors(body.get("messages")):
        return _invalid(errors)
    event = (
        SimulatedEvent.objects.select_related("person")
        .filter(reply_token=token, sent_at__gte=timezone.now() - REPLY_TOKEN_LIFETIME)
        .first()
    )
    if event is None or SimulatedDelivery.objects.filter(reply_token=token).exists():
        return _error(400, "Invalid reply token")
    return _accept(
        endpoint=SimulatedDelivery.Endpoint.REPLY,
        to=event.person.line_user_id,
        messages=body["messages"],
        retry_key=retry_key,
        reply_token=token,
        delivered=event.person.is_following,
    )


@stand_in
@require_GET
def profile(request, user_id):
    """GET /v2/bot/profile/{userId}: 404 unless the person is a friend."""
    person = SimulatedPerson.objects.filter(line_user_id=user_id).first()
    if person is None or not person.is_following:
        return _error(404, "Not found")
    return _line_json(
        {
            "userId": person.line_user_id,
            "displayName": person.display_name,
            "language": "ja",
        }
    )


@stand_in
@require_GET
def quota(request):
    """GET /v2/bot/message/quota"""
    return _line_json(
        {
            "type": "limited",
            "value": getattr(settings, "LINE_SIMULATOR_MONTHLY_QUOTA", MONTHLY_QUOTA),
        }
    )


@stand_in
@require_GET
def quota_consumption(request):
    """GET /v2/bot/message/quota/consumption"""
    return _line_json({"totalUsage": pushed_this_month()})


@stand_in
@require_GET
def content(request, message_id):
    """GET /v2/bot/message/{messageId}/content (api-data.line.me): the bytes
    the person sent from the simulator."""
    event = (
        SimulatedEvent.objects.filter(
            message_id=message_id, kind__in=SimulatedEvent.MEDIA_KINDS
        )
        .exclude(content=None)
        .first()
    )
    if event is None:
        return _error(404, "Not found")
    response = HttpResponse(
        bytes(event.content),
        content_type=event.content_type or "application/octet-stream",
    )
    response["x-line-request-id"] = str(uuid.uuid4())
    return response
