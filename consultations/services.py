"""Writes that carry a rule. Each validates, writes in a transaction and
records the audit entry."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.audit import Action, audit
from accounts.locking import lock_for_update

from .casework import client_refresh_last_contact
from .models import (
    Client,
    CodeSequence,
    Consultation,
    FollowUp,
    SafetyFlagClearance,
    SupportAction,
    UrgencyChange,
)
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
    *,
    client: Client,
    by,
    expected_version: int | None = None,
    flag_clear_reason: str = "",
    **fields,
) -> Client:
    """Save changed fields. With ``expected_version`` (from the edit form) the
    save is refused if someone else saved the client in the meantime.

    Safety flags are set or cleared only by the assigned counsellor or a
    supervisor (Client.safety_flags_editable_by); clearing one needs
    ``flag_clear_reason``, and is kept as a SafetyFlagClearance and audited."""
    if expected_version is not None:
        client = lock_for_update(client, expected_version)
    else:
        client = Client.objects.select_for_update().get(pk=client.pk)
    flags = {
        name: fields[name]
        for name in Client.SAFETY_FLAGS
        if name in fields and bool(fields[name]) != getattr(client, name)
    }
    if flags and not client.safety_flags_editable_by(by):
        raise ValidationError(
            _(
                "Only the assigned counsellor or a supervisor may set or clear "
                "a safety flag. Nothing was saved."
            ),
            code="flags_forbidden",
        )
    cleared = [name for name, value in flags.items() if not value]
    reason = flag_clear_reason.strip()
    if cleared and not reason:
        raise ValidationError(
            _("Give a reason for clearing a safety flag. Nothing was saved."),
            code="flag_clear_reason_required",
        )
    for name, value in fields.items():
        setattr(client, name, value)
    client.full_clean()
    client.version = F("version") + 1
    client.save()
    client.refresh_from_db(fields=["version"])
    audit(user=by, action=Action.CHANGE, obj=client, detail=",".join(sorted(fields)))
    for name in cleared:
        clearance = SafetyFlagClearance(
            client=client, flag=name, reason=reason, cleared_by=by
        )
        clearance.full_clean()
        clearance.save()
        audit(
            user=by,
            action=Action.CHANGE,
            obj=client,
            detail=f"safety flag cleared: {name} (clearance#{clearance.pk})",
        )
    return client


def client_close(*, client: Client, by, reason: str, expected_version: int) -> Client:
    """Close a case with a reason from Client.ClosureReason."""
    return client_update(
        client=client,
        by=by,
        expected_version=expected_version,
        status=Client.Status.CLOSED,
        closure_reason=reason,
    )


def client_reopen(*, client: Client, by, expected_version: int) -> Client:
    return client_update(
        client=client,
        by=by,
        expected_version=expected_version,
        status=Client.Status.OPEN,
        closure_reason="",
    )


@transaction.atomic
def client_set_urgency(*, client: Client, by, urgency: str, reason: str) -> Client:
    """Change a case's urgency; the reason and the old value are kept."""
    client = Client.objects.select_for_update().get(pk=client.pk)
    if urgency == client.urgency:
        raise ValidationError(
            {"urgency": _("The case already has this urgency.")}, code="unchanged"
        )
    change = UrgencyChange(
        client=client,
        old=client.urgency,
        new=urgency,
        reason=reason.strip(),
        changed_by=by,
    )
    change.full_clean()
    change.save()
    Client.objects.filter(pk=client.pk).update(
        urgency=urgency, version=F("version") + 1
    )
    client.refresh_from_db()
    audit(user=by, action=Action.CHANGE, obj=client, detail=f"urgency {change}")
    return client


@transaction.atomic
def client_reassign(*, client: Client, by, counsellor, expected_version: int) -> Client:
    """A supervisor hands a case to another counsellor (audited with user ids)."""
    old = client.assigned_counsellor_id
    client = client_update(
        client=client,
        by=by,
        expected_version=expected_version,
        assigned_counsellor=counsellor,
    )
    new = counsellor.pk if counsellor else None
    audit(
        user=by,
        action=Action.CHANGE,
        obj=client,
        detail=f"reassigned user#{old} -> user#{new}",
    )
    return client


@transaction.atomic
def follow_up_create(
    *,
    by,
    client: Client,
    kind: str,
    due_date: dt.date,
    owner,
    note: str = "",
    consultation=None,
    support_action=None,
) -> FollowUp:
    follow_up = FollowUp(
        client=client,
        kind=kind,
        due_date=due_date,
        owner=owner,
        note=note,
        consultation=consultation,
        support_action=support_action,
        created_by=by,
    )
    follow_up.full_clean()
    follow_up.save()
    audit(user=by, action=Action.CREATE, obj=follow_up)
    return follow_up


@transaction.atomic
def follow_up_complete(*, follow_up: FollowUp, by, outcome: str) -> FollowUp:
    """Mark a next step done, recording what happened."""
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.done_at is not None:
        raise ValidationError(_("This follow-up is already done."), code="done")
    if not outcome.strip():
        raise ValidationError({"outcome": _("Write what happened.")}, code="required")
    follow_up.outcome = outcome.strip()
    follow_up.done_at = timezone.now()
    follow_up.save(update_fields=["outcome", "done_at"])
    audit(user=by, action=Action.CHANGE, obj=follow_up, detail="completed")
    return follow_up


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


def _others(other_problems, main_code: str) -> list:
    """The other problems without the main complaint, each once."""
    out = []
    for complaint in other_problems:
        if complaint.code != main_code and complaint not in out:
            out.append(complaint)
    return out


@transaction.atomic
def consultation_create(
    *,
    by,
    counsellor,
    channel: str,
    started_at: dt.datetime,
    client: Client | None = None,
    main_complaint=None,
    other_problems=(),
    summary: str = "",
    duration_minutes: int | None = None,
    is_new: bool = False,
    programme=None,
) -> Consultation:
    """Record a consultation. For a client, ``is_new`` is derived: the client's
    earliest consultation by date and time is the new one. ``main_complaint``
    (a Complaint): the forms require one; without it, 不明. Other problems
    repeating the main complaint are left out."""
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
        programme=programme,  # None: the one its rules give (reports.attribution)
    )
    if main_complaint is not None:
        consultation.main_complaint = main_complaint
    consultation.full_clean()
    consultation.save()
    consultation.other_problems.set(
        _others(other_problems, consultation.main_complaint_id)
    )
    if client is not None:
        consultation_refresh_new([client.pk])
        client_refresh_last_contact([client.pk])
        consultation.refresh_from_db(fields=["is_new"])
    audit(user=by, action=Action.CREATE, obj=consultation)
    return consultation


@transaction.atomic
def consultation_update(
    *,
    consultation: Consultation,
    by,
    expected_version: int,
    other_problems=None,
    **fields,
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
    if other_problems is not None:
        fresh.other_problems.set(_others(other_problems, fresh.main_complaint_id))
    elif "main_complaint" in fields:
        fresh.other_problems.remove(fresh.main_complaint)
    consultation_refresh_new([old_client_id, fresh.client_id])
    client_refresh_last_contact([old_client_id, fresh.client_id])
    fresh.refresh_from_db(fields=["version", "is_new"])
    changed = sorted(
        [*fields, *(["other_problems"] if other_problems is not None else [])]
    )
    audit(user=by, action=Action.CHANGE, obj=fresh, detail=",".join(changed))
    return fresh


@transaction.atomic
def consultation_delete(*, consultation: Consultation, by) -> None:
    client_id = consultation.client_id
    audit(user=by, action=Action.DELETE, obj=consultation)
    consultation.delete()
    consultation_refresh_new([client_id])
    client_refresh_last_contact([client_id])


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
    programme=None,
) -> SupportAction:
    action = SupportAction(
        client=client,
        kind=kind,
        date=date,
        staff=staff,
        partner_agency=partner_agency,
        note=note,
        programme=programme,  # None: the one its rules give (reports.attribution)
    )
    action.full_clean()
    action.save()
    client_refresh_last_contact([client.pk])
    audit(user=by, action=Action.CREATE, obj=action)
    return action


@transaction.atomic
def support_action_update(*, action: SupportAction, by, **fields) -> SupportAction:
    old_client_id = action.client_id
    for name, value in fields.items():
        setattr(action, name, value)
    action.full_clean()
    action.save()
    client_refresh_last_contact([old_client_id, action.client_id])
    audit(user=by, action=Action.CHANGE, obj=action, detail=",".join(sorted(fields)))
    return action
