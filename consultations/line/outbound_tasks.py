"""Background tasks of LINE (django-tasks, run by `manage.py db_worker`):
a reply queued after LINE's rate limit, the profile of someone new, and read
receipts. They log record ids and HTTP statuses only, never a text, a LINE
user id or a name.

Each runs in the scope of the organisation of its record
(accounts.scoping.run_in_scope), so that it sees and writes that organisation's records
only, and calls LINE with the access token of the person's official
account."""

from __future__ import annotations

import logging

from django_tasks import task

from accounts import scoping
from accounts.audit import audit_context

from . import messaging, services
from .models import LineChannel, LineMessage, LineUser

logger = logging.getLogger(__name__)


@task()
@scoping.run_in_scope(LineMessage, "message_id")
def send_queued_reply(message_id: int, attempt: int) -> str:
    """Send a reply that LINE's rate limit held back; queued again with a
    longer pause while the limit lasts."""
    with audit_context(path="task line reply"):
        return services.line_reply_send_queued(message_id=message_id, attempt=attempt)


@task()
@scoping.run_in_scope(LineUser, "line_user_id")
def fetch_profile(line_user_id: int) -> bool:
    """Fetch the display name, picture and friendship of someone new. Returns
    whether LINE answered with a profile."""
    return _fetch_profile(line_user_id)


def _fetch_profile(line_user_id: int) -> bool:
    line_user = (
        LineUser.objects.select_related("channel").filter(pk=line_user_id).first()
    )
    if line_user is None or not messaging.has_access_token(line_user.channel):
        return False
    try:
        with audit_context(path="task line profile"):
            services.line_user_refresh_profile(line_user=line_user)
    except messaging.LineApiError as exc:
        logger.info(
            "LINE profile of LINE user #%s not fetched (HTTP status %s)",
            line_user_id,
            exc.status,
        )
        return False
    return True


@task()
@scoping.run_in_scope(LineMessage, "message_id")
def send_read_receipt(message_id: int) -> bool:
    """Mark the person's messages read in LINE (既読), up to this one. The
    token is used once: it is cleared whatever LINE answers."""
    token, channel_id = (
        LineMessage.objects.filter(pk=message_id)
        .values_list("mark_as_read_token", "line_user__channel")
        .first()
    ) or ("", None)
    if not token:
        return False
    LineMessage.objects.filter(pk=message_id).update(mark_as_read_token="")
    channel = LineChannel.objects.filter(pk=channel_id).first() if channel_id else None
    try:
        messaging.mark_as_read(token=token, channel=channel)
    except messaging.LineApiError:
        return False
    return True


@task()
@scoping.run_in_scope(LineMessage, "trigger_id")
def send_auto_replies(trigger_id: int) -> int:
    """Send the automatic replies (greeting, outside the hours) claimed for
    an incoming message, with its reply token (consultations.line.autoreply).
    Returns how many went out."""
    from .autoreply import line_auto_replies_send

    with audit_context(path="task line automatic reply"):
        return line_auto_replies_send(trigger_id=trigger_id)
