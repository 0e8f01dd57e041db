"""Anonymising a client on request (個人情報保護法): personal fields and free
texts about the client are wiped everywhere; the records themselves stay, so
every aggregate figure (counts, nights, participants) is unchanged.

Each app that keeps free text about a client registers a wiper in its
AppConfig.ready(); a wiper takes the client and updates in bulk.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.db.models import CharField, Value

from accounts.audit import Action, audit

from .models import (
    Client,
    Consultation,
    FollowUp,
    SafetyFlagClearance,
    SupportAction,
    UrgencyChange,
)

ANONYMISED_NAME = "（匿名化済み）"
_WIPERS: list[Callable[[Client], None]] = []


def register(wiper: Callable[[Client], None]) -> None:
    if wiper not in _WIPERS:
        _WIPERS.append(wiper)


def _wipe_consultations(client: Client) -> None:
    Consultation.objects.filter(client=client).update(summary="")
    SupportAction.objects.filter(client=client).update(note="")
    FollowUp.objects.filter(client=client).update(note="")
    # A done step keeps an outcome (a database rule): the marker.
    FollowUp.objects.filter(client=client, done_at__isnull=False).update(
        outcome=ANONYMISED_NAME
    )
    UrgencyChange.objects.filter(client=client).update(reason=ANONYMISED_NAME)
    SafetyFlagClearance.objects.filter(client=client).update(reason=ANONYMISED_NAME)


def _wipe_line(client: Client) -> None:
    from django.db.models import F
    from django.db.models.functions import Cast, Concat

    from .line.models import LineMessage, LineUser

    LineMessage.objects.filter(line_user__client=client).update(text="")
    LineUser.objects.filter(client=client).update(
        display_name="",
        line_user_id=Concat(Value("anonymised-"), Cast(F("pk"), CharField())),
    )


def _wipe_line_media(client: Client) -> None:
    from .line.services import line_media_wipe

    line_media_wipe(client)


def _wipe_consent(client: Client) -> None:
    from .consent.services import wipe_texts

    wipe_texts(client)


register(_wipe_consultations)
register(_wipe_consent)
register(_wipe_line)
register(_wipe_line_media)


@transaction.atomic
def client_anonymise(*, client: Client, by) -> Client:
    """Wipe the client's personal data. The code stays (so counts still add
    up and the audit trail still points somewhere); the name becomes a marker."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    for wiper in _WIPERS:
        wiper(client)
    Client.objects.filter(pk=client.pk).update(
        display_name=ANONYMISED_NAME,
        kana="",
        phone="",
        email="",
        birth_year=None,
        area="",
        notes="",
        search_text=client.code.casefold(),
        search_phone="",
    )
    client.refresh_from_db()
    audit(user=by, action=Action.CHANGE, obj=client, detail="anonymised")
    return client
