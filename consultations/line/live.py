"""Live updates of the LINE pages (inbox, conversation, home worklist) by
polling with conditional requests.

An open page polls every ``POLL_SECONDS``. So that a poll costs one indexed
query in all (not the four of a normal request: session, user, groups, OTP
device, plus the question asked), the page carries a signed token naming its
user and bound to her session; the poll checks the token without the database
and, in one statement, that the session still exists and has not expired,
that the user is active and still a counsellor (or an admin), and the change
cursor it was asked for. The poll does not touch the session, so an open
console does not keep an idle session alive: when the session ends, the poll
is refused and the page says so.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import signing
from django.db.models import Count, Exists, IntegerField, Max, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.roles import Role

from .models import LineChat, LineChatTransfer, LineMessage
from .selectors import _unread

SALT = "ibasho.line.live"
# A token is good for a working day at most; the session check decides first.
TOKEN_MAX_AGE = 12 * 3600


def _session_hash(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def issue_token(request) -> str:
    """For a page drawn for a signed-in counsellor: the poll's credential."""
    return signing.dumps(
        {"u": request.user.pk, "s": _session_hash(request.session.session_key or "")},
        salt=SALT,
        compress=True,
    )


def token_user_id(request) -> tuple[int, str] | None:
    """The user id and session key of a poll whose token is valid and belongs
    to the session cookie sent with it (no database), else None."""
    token = request.GET.get("t", "")
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    if not token or not session_key:
        return None
    try:
        data = signing.loads(token, salt=SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != _session_hash(session_key):
        return None
    user_id = data.get("u")
    return (user_id, session_key) if isinstance(user_id, int) else None


def _allowed_user(user_id: int):
    User = get_user_model()
    return User.objects.filter(pk=user_id, is_active=True).filter(
        Q(is_superuser=True) | Q(groups__name__in=[Role.COUNSELLOR, Role.ADMIN])
    )


def poll(*, user_id: int, session_key: str, line_user_id: int | None = None):
    """One statement: whether the session and the user may still poll, and
    the cursor of what the page shows. For a conversation
    (``line_user_id``): the newest message id of that person. Otherwise (the
    inbox, the worklist): the newest message id of all and the number of
    unread messages (the partial index of unread messages), so that a message
    read elsewhere changes it too. Returns None when refused."""
    if line_user_id is not None:
        newest = LineMessage.objects.filter(line_user_id=line_user_id)
        cursor = {
            "last": Coalesce(
                Subquery(
                    newest.order_by()
                    .values("line_user")
                    .annotate(m=Max("pk"))
                    .values("m")[:1],
                    output_field=IntegerField(),
                ),
                0,
            )
        }
    else:
        unread = (
            LineMessage.objects.filter(_unread())
            .order_by()
            .values("direction")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        )
        cursor = {
            "last": Coalesce(
                Subquery(
                    LineMessage.objects.order_by("-pk").values("pk")[:1],
                    output_field=IntegerField(),
                ),
                0,
            ),
            "unread": Coalesce(Subquery(unread, output_field=IntegerField()), 0),
            # The desk's queue and chats held: a claim, an end, a transfer or
            # a take-over changes these without a new message.
            "waiting": _chats_counted(LineChat.Status.WAITING),
            "active": _chats_counted(LineChat.Status.ACTIVE),
            "transfers": Coalesce(
                Subquery(
                    LineChatTransfer.objects.order_by("-pk").values("pk")[:1],
                    output_field=IntegerField(),
                ),
                0,
            ),
        }
    row = (
        Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now())
        .annotate(allowed=Exists(_allowed_user(user_id)), **cursor)
        .values("allowed", *cursor)
        .first()
    )
    if row is None or not row.pop("allowed"):
        return None
    return row


def _chats_counted(status: str):
    """How many chats have ``status``, as a subquery of the poll's one
    statement (grouped by status: an aggregate over the table)."""
    return Coalesce(
        Subquery(
            LineChat.objects.filter(status=status)
            .order_by()
            .values("status")
            .annotate(n=Count("pk"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def etag(kind: str, state: dict, *extra) -> str:
    parts = [kind, *(str(v) for v in extra), *(str(state[k]) for k in sorted(state))]
    return '"' + "-".join(parts) + '"'


def unchanged(request, tag: str) -> bool:
    return tag in [
        t.strip() for t in request.headers.get("If-None-Match", "").split(",")
    ]
