"""Reads for the simulator's phone: the person's side of the conversation."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .models import SimulatedDelivery, SimulatedEvent, SimulatedPerson
from .simulator import quick_reply_actions

FEED_LIMIT = 100


@dataclass(frozen=True)
class FeedItem:
    at: datetime
    side: str  # "me" (the person), "account" (a reply), "event" (follow...)
    kind: str
    label: str = ""  # what is not text: 「画像」, 「友だち追加」...
    text: str = ""
    file_name: str = ""
    unsent: bool = False
    delivered: bool = True
    webhook_status: int | None = None
    # The quick reply buttons of the account's last message, while it is the
    # last thing in the chat: (position, label).
    delivery_id: int | None = None
    buttons: tuple = ()


def _delivery_items(delivery: SimulatedDelivery) -> list[FeedItem]:
    items = []
    for message in delivery.messages:
        kind = message.get("type", "")
        text = message.get("text", "") if kind in ("text", "textV2") else ""
        items.append(
            FeedItem(
                at=delivery.received_at,
                side="account",
                kind=kind,
                label=kind,
                text=text,
                delivered=delivery.delivered,
            )
        )
    return items


def feed(*, person: SimulatedPerson) -> list[FeedItem]:
    """The latest FEED_LIMIT events and received messages, oldest first."""
    events = list(
        person.events.defer("content").order_by("-sent_at", "-id")[:FEED_LIMIT]
    )
    deliveries = list(
        SimulatedDelivery.objects.filter(to=person.line_user_id).order_by(
            "-received_at", "-id"
        )[:FEED_LIMIT]
    )
    items = []
    for event in events:
        items.append(
            FeedItem(
                at=event.sent_at,
                # A tapped button's displayText shows as the person's words.
                side="me" if event.is_message or event.text else "event",
                kind=event.kind,
                label=event.get_kind_display(),
                text=event.text,
                file_name=event.file_name,
                unsent=event.unsent,
                webhook_status=event.webhook_status,
            )
        )
    for delivery in deliveries:
        items.extend(_delivery_items(delivery))
    items.sort(key=lambda item: item.at)
    items = items[-FEED_LIMIT:]
    if items and items[-1].side == "account" and deliveries:
        newest = deliveries[0]
        buttons = tuple(
            (i, action.get("label", ""))
            for i, action in quick_reply_actions(newest).items()
        )
        items[-1] = replace(items[-1], delivery_id=newest.pk, buttons=buttons)
    return items


def can_unsend(*, person: SimulatedPerson) -> bool:
    return person.events.filter(
        kind__in=SimulatedEvent.MESSAGE_KINDS, unsent=False
    ).exists()
