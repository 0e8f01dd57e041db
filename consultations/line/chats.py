"""Writes for LINE chats (a chat is a consultation): opening them as
messages arrive, claiming, transferring, a supervisor's take-over, and ending
one as a consultation record.

States: waiting (待機中) -> active (対応中, one counsellor holds it) -> ended
(終了, with an outcome). A waiting chat is claimed before anything else is
done with it (a reply claims it); an ended chat is never reopened: the
person's next message opens a new chat."""

from __future__ import annotations

import datetime as dt
import math

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import Action, audit
from accounts.roles import Role, has_role, is_supervisor

from ..models import Channel, Client, Consultation
from ..services import consultation_create
from . import desk_hours
from .models import LineChat, LineChatTransfer, LineMessage, LineUser

Status = LineChat.Status
OPEN = LineChat.OPEN


class ChatError(ValidationError):
    """A chat action refused because of the chat's state or who holds it;
    its message is for the counsellor."""


# OPENING (the webhook)
# ------------------------------------------------------------------------------


def chats_open_for(*, first_message_at: dict[int, dt.datetime]) -> dict[int, int]:
    """The open chat of each LINE user (by pk) that has new incoming messages,
    opening a waiting chat, starting at their first new message, for those
    with none: {line user pk: chat pk}. Two queries at most, whatever the
    number of people and messages. The caller holds the LINE users' rows
    locked (the webhook store does), so one person cannot get two open chats;
    the database's partial unique constraint guarantees it anyway."""
    if not first_message_at:
        return {}
    found = dict(
        LineChat.objects.filter(
            line_user_id__in=first_message_at, status__in=OPEN
        ).values_list("line_user_id", "pk")
    )
    new = {pk: at for pk, at in first_message_at.items() if pk not in found}
    # Whether the desk was open: asked once for the delivery (its events come
    # within moments of each other), so the count of queries stays the same
    # for 3 people or 30.
    outside = bool(new) and not desk_hours.is_open(min(new.values()))
    missing = [
        LineChat(
            line_user_id=pk, started_at=at, status=Status.WAITING, outside_hours=outside
        )
        for pk, at in new.items()
    ]
    if missing:
        # PostgreSQL and SQLite (3.35+) return the new ids.
        for chat in LineChat.objects.bulk_create(missing):
            found[chat.line_user_id] = chat.pk
    return found


# CLAIMING
# ------------------------------------------------------------------------------


def _holder_message(chat: LineChat):
    name = chat.claimed_by.display_name if chat.claimed_by_id else "?"
    return _("%(name)s started handling this chat first.") % {"name": name}


def _ended():
    return ChatError(_("This chat has ended."), code="ended")


@transaction.atomic
def chat_claim(*, chat: LineChat, by, at: dt.datetime | None = None) -> LineChat:
    """Take a waiting chat: one conditional UPDATE ... WHERE status='waiting',
    so that when two counsellors claim it at the same moment exactly one
    wins; the other gets ChatError naming who did. Claiming a chat one
    already holds changes nothing. ``at``: now, unless given (the demo's
    past)."""
    now = at or timezone.now()
    won = LineChat.objects.filter(pk=chat.pk, status=Status.WAITING).update(
        status=Status.ACTIVE, claimed_by=by, claimed_at=now
    )
    fresh = LineChat.objects.select_related("claimed_by", "line_user__client").get(
        pk=chat.pk
    )
    if not won:
        if fresh.status == Status.ENDED:
            raise _ended()
        if fresh.claimed_by_id != by.pk:
            raise ChatError(_holder_message(fresh), code="claimed")
        return fresh
    audit(user=by, action=Action.CHANGE, obj=fresh, detail="claimed")
    return fresh


def _lock(chat: LineChat) -> LineChat:
    return (
        LineChat.objects.select_for_update(of=("self",))
        .select_related("line_user__client")
        .get(pk=chat.pk)
    )


def _may_act(chat: LineChat, by) -> None:
    """The holder, or a supervisor, may transfer or end an active chat."""
    if chat.status == Status.ENDED:
        raise _ended()
    if chat.status == Status.WAITING:
        raise ChatError(_("Claim this chat first."), code="waiting")
    if chat.claimed_by_id != by.pk and not is_supervisor(by):
        raise ChatError(
            _("%(name)s is handling this chat.")
            % {"name": chat.claimed_by.display_name},
            code="not_holder",
        )


def check_holder(*, chat_id: int | None, by) -> None:
    """ChatError when ``chat_id`` is an open chat that someone else holds and
    ``by`` is no supervisor: what a reply in it may not do (sending again or
    discarding an uncertain reply included)."""
    if chat_id is None:
        return
    chat = LineChat.objects.select_related("claimed_by").filter(pk=chat_id).first()
    if (
        chat is not None
        and chat.status == Status.ACTIVE
        and chat.claimed_by_id != by.pk
        and not is_supervisor(by)
    ):
        raise ChatError(
            _(
                "%(name)s is handling this chat: ask them to transfer it to you, "
                "or a supervisor to reassign it."
            )
            % {"name": chat.claimed_by.display_name},
            code="not_holder",
        )


@transaction.atomic
def chat_transfer(*, chat: LineChat, to, note: str, by) -> LineChat:
    """Hand an active chat to another counsellor, with a note for them (kept
    and shown in the conversation; the audit entry records who to whom, not
    the note). By its holder or a supervisor."""
    chat = _lock(chat)
    _may_act(chat, by)
    if not (to.is_active and has_role(to, Role.COUNSELLOR)):
        raise ChatError(
            _("A chat can only be handed to an active counsellor."),
            code="not_counsellor",
        )
    if to.pk == chat.claimed_by_id:
        raise ChatError(
            _("%(name)s already holds this chat.") % {"name": to.display_name},
            code="same_holder",
        )
    previous = chat.claimed_by_id
    LineChatTransfer.objects.create(
        chat=chat, from_user_id=previous, to_user=to, by=by, note=note.strip()
    )
    chat.claimed_by = to
    chat.claimed_at = timezone.now()
    chat.save(update_fields=["claimed_by", "claimed_at"])
    audit(
        user=by,
        action=Action.CHANGE,
        obj=chat,
        detail=f"transferred from user #{previous} to user #{to.pk}",
    )
    return chat


@transaction.atomic
def chat_take_over(*, chat: LineChat, by, note: str = "") -> LineChat:
    """A supervisor takes a live chat (waiting or held by someone else) for
    themselves; the handover is kept with the chat like a transfer."""
    if not is_supervisor(by):
        raise ChatError(
            _("Only a supervisor can take over a chat."), code="not_supervisor"
        )
    chat = _lock(chat)
    if chat.status == Status.ENDED:
        raise _ended()
    if chat.claimed_by_id == by.pk:
        return chat
    previous = chat.claimed_by_id
    LineChatTransfer.objects.create(
        chat=chat,
        from_user_id=previous,
        to_user=by,
        by=by,
        note=note.strip(),
        take_over=True,
    )
    chat.status = Status.ACTIVE
    chat.claimed_by = by
    chat.claimed_at = timezone.now()
    chat.save(update_fields=["status", "claimed_by", "claimed_at"])
    audit(
        user=by,
        action=Action.CHANGE,
        obj=chat,
        detail=f"taken over from user #{previous or '-'}",
    )
    return chat


# REPLIES
# ------------------------------------------------------------------------------


def chat_for_reply(*, line_user: LineUser, by) -> LineChat | None:
    """The open chat a reply to ``line_user`` answers, claimed for ``by``
    first if it is waiting (the reply is the claim). Refused (ChatError) if
    someone else holds it or won the claim: two counsellors never answer one
    chat at once. None when the person has no open chat (a reply to older
    messages)."""
    chat = (
        LineChat.objects.select_related("claimed_by")
        .filter(line_user=line_user, status__in=OPEN)
        .first()
    )
    if chat is None:
        return None
    if chat.status == Status.WAITING:
        return chat_claim(chat=chat, by=by)
    if chat.claimed_by_id != by.pk:
        raise ChatError(
            _(
                "%(name)s is handling this chat: ask them to transfer it to you, "
                "or a supervisor to reassign it."
            )
            % {"name": chat.claimed_by.display_name},
            code="not_holder",
        )
    return chat


def chat_note_response(*, chat_id: int, at: dt.datetime) -> None:
    """The first reply stored in a chat sets its time of first response (one
    conditional update: later replies leave it)."""
    LineChat.objects.filter(pk=chat_id, first_response_at__isnull=True).update(
        first_response_at=at
    )


# ENDING
# ------------------------------------------------------------------------------


def duration_minutes(start: dt.datetime, end: dt.datetime) -> int:
    """Whole minutes from start to end, rounded up, at least one."""
    return max(1, math.ceil((end - start).total_seconds() / 60))


@transaction.atomic
def chat_end(
    *,
    chat: LineChat,
    outcome: str,
    by,
    summary: str,
    client: Client | None = None,
    anonymous: bool = False,
    main_complaint=None,
    other_problems=(),
    at: dt.datetime | None = None,
) -> Consultation:
    """End an active chat and record it as exactly one consultation: channel
    LINE, started when the chat started, lasting until now (in minutes), by
    the counsellor who holds it, for ``client`` (linked to the LINE user if
    she was not linked yet), else the LINE user's client, or anonymous when
    unlinked and ``anonymous``. The chat's messages are marked read and
    recorded in it. By the holder or a supervisor. ``at``: the end, now
    unless given (the demo's past).

    The LINE user's row is locked first, as the webhook store locks it: a
    message arriving meanwhile then waits, and opens a new chat once this one
    has ended, rather than joining the chat being closed."""
    LineUser.objects.select_for_update().filter(pk=chat.line_user_id).first()
    chat = _lock(chat)
    _may_act(chat, by)
    if outcome not in LineChat.Outcome.values:
        raise ChatError(_("Choose an outcome."), code="outcome")
    line_user = chat.line_user
    if anonymous:
        if client is not None or line_user.client_id:
            raise ChatError(
                _("This LINE user is linked to a client: it cannot be anonymous."),
                code="linked",
            )
    elif client is None:
        client = line_user.client
        if client is None:
            raise ChatError(
                _("Link this LINE user to a client, or end the chat as anonymous."),
                code="no_client",
            )
    elif line_user.client_id != client.pk:
        from .services import line_user_link_client

        line_user_link_client(line_user=line_user, client=client, by=by)
    now = at or timezone.now()
    consultation = consultation_create(
        by=by,
        counsellor=chat.claimed_by,
        channel=Channel.LINE,
        started_at=chat.started_at,
        client=client,
        summary=summary,
        main_complaint=main_complaint,
        other_problems=other_problems,
        duration_minutes=duration_minutes(chat.started_at, now),
    )
    messages = LineMessage.objects.filter(chat=chat)
    messages.filter(
        direction=LineMessage.Direction.INCOMING, read_at__isnull=True
    ).update(read_at=now)
    messages.filter(consultation__isnull=True).update(consultation=consultation)
    chat.status = Status.ENDED
    chat.ended_at = now
    chat.ended_by = by
    chat.outcome = outcome
    chat.consultation = consultation
    chat.save(
        update_fields=["status", "ended_at", "ended_by", "outcome", "consultation"]
    )
    audit(
        user=by,
        action=Action.CHANGE,
        obj=chat,
        detail=f"ended {outcome}, consultation {consultation.pk}",
    )
    return consultation
