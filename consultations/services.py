"""Writes that carry a rule. Each validates, writes in a transaction and
records the audit entry."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from accounts.audit import Action, audit
from accounts.locking import lock_for_update

from .models import Client, CodeSequence, Consultation, SupportAction
from .resources import consultation_refresh_new

CLIENT_CODE_FORMAT = "C-{:06d}"


def client_code_next() -> str:
    """The next unused client code. The counter only grows, so a code is never
    handed out twice, even after its client is deleted; codes taken by an
    import are skipped."""
    with transaction.atomic():
        seq, _created = CodeSequence.objects.select_for_update().get_or_create(
            name="client"
        )
        number = seq.last
        while True:
            number += 1
            code = CLIENT_CODE_FORMAT.format(number)
            if not Client.objects.filter(code=code).exists():
                break
        seq.last = number
        seq.save(update_fields=["last"])
    return code


@transaction.atomic
def client_create(*, by, code: str | None = None, **fields) -> Client:
    client = Client(code=code or client_code_next(), **fields)
    client.full_clean()
    client.save()
    audit(user=by, action=Action.CREATE, obj=client)
    return client


@transaction.atomic
def client_update(
    *, client: Client, by, expected_version: int | None = None, **fields
) -> Client:
    """Save changed fields. With ``expected_version`` (from the edit form) the
    save is refused if someone else saved the client in the meantime."""
    if expected_version is not None:
        client = lock_for_update(client, expected_version)
    for name, value in fields.items():
        setattr(client, name, value)
    client.full_clean()
    client.version = F("version") + 1
    client.save()
    client.refresh_from_db(fields=["version"])
    audit(user=by, action=Action.CHANGE, obj=client, detail=",".join(sorted(fields)))
    return client


def client_set_status(*, client: Client, by, status: str, expected_version: int):
    return client_update(
        client=client, by=by, expected_version=expected_version, status=status
    )


def _check_new_flag(client, is_new: bool) -> None:
    if client is not None and is_new:
        raise ValidationError(
            {
                "is_new": _(
                    "The new flag is worked out for a known client; tick it only "
                    "for an anonymous contact."
                )
            },
            code="new_for_client",
        )


@transaction.atomic
def consultation_create(
    *,
    by,
    counsellor,
    channel: str,
    started_at: dt.datetime,
    client: Client | None = None,
    topics=(),
    summary: str = "",
    duration_minutes: int | None = None,
    is_new: bool = False,
) -> Consultation:
    """Record a consultation. For a client, ``is_new`` is derived: the client's
    earliest consultation by date and time is the new one."""
    _check_new_flag(client, is_new)
    if client is not None:
        # Serialise consultations of one client so "first" cannot race.
        Client.objects.select_for_update().filter(pk=client.pk).first()
    consultation = Consultation(
        counsellor=counsellor,
        channel=channel,
        started_at=started_at,
        client=client,
        summary=summary,
        duration_minutes=duration_minutes,
        is_new=is_new if client is None else False,
    )
    consultation.full_clean()
    consultation.save()
    consultation.topics.set(topics)
    if client is not None:
        consultation_refresh_new([client.pk])
        consultation.refresh_from_db(fields=["is_new"])
    audit(user=by, action=Action.CREATE, obj=consultation)
    return consultation


@transaction.atomic
def consultation_update(
    *, consultation: Consultation, by, expected_version: int, topics=None, **fields
) -> Consultation:
    """Save an edit, refused if someone saved in the meantime. Moving the date
    or the client re-derives which consultation is each client's first."""
    fresh = lock_for_update(consultation, expected_version)
    old_client_id = fresh.client_id
    for name, value in fields.items():
        setattr(fresh, name, value)
    _check_new_flag(fresh.client, bool(fields.get("is_new")))
    if fresh.client_id is not None:
        Client.objects.select_for_update().filter(pk=fresh.client_id).first()
        fresh.is_new = False  # derived again below
    fresh.full_clean()
    fresh.version = F("version") + 1
    fresh.save()
    if topics is not None:
        fresh.topics.set(topics)
    consultation_refresh_new([old_client_id, fresh.client_id])
    fresh.refresh_from_db(fields=["version", "is_new"])
    changed = sorted([*fields, *(["topics"] if topics is not None else [])])
    audit(user=by, action=Action.CHANGE, obj=fresh, detail=",".join(changed))
    return fresh


@transaction.atomic
def consultation_delete(*, consultation: Consultation, by) -> None:
    client_id = consultation.client_id
    audit(user=by, action=Action.DELETE, obj=consultation)
    consultation.delete()
    consultation_refresh_new([client_id])


@transaction.atomic
def support_action_create(
    *,
    by,
    client: Client,
    kind: str,
    date: dt.date,
    staff,
    partner_agency=None,
    note: str = "",
) -> SupportAction:
    action = SupportAction(
        client=client,
        kind=kind,
        date=date,
        staff=staff,
        partner_agency=partner_agency,
        note=note,
    )
    action.full_clean()
    action.save()
    audit(user=by, action=Action.CREATE, obj=action)
    return action


@transaction.atomic
def support_action_update(*, action: SupportAction, by, **fields) -> SupportAction:
    for name, value in fields.items():
        setattr(action, name, value)
    action.full_clean()
    action.save()
    audit(user=by, action=Action.CHANGE, obj=action, detail=",".join(sorted(fields)))
    return action
