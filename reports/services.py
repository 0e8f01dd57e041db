"""Writes to programmes and targets: validated, in a transaction, audited
(programmes hold no personal data, so entries carry no client code)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from accounts.audit import Action, audit
from accounts.locking import lock_for_update

from .models import Programme, Target


@transaction.atomic
def programme_create(*, by, partner_agencies=(), **fields) -> Programme:
    """A new programme; made by city staff of a funder, it is funded by that
    funder unless another is given."""
    from .selectors import funder_of

    if "funder" not in fields and "funder_id" not in fields and by is not None:
        fields["funder_id"] = funder_of(by)
    programme = Programme(**fields)
    programme.full_clean()
    programme.save()
    programme.partner_agencies.set(partner_agencies)
    audit(user=by, action=Action.CREATE, obj=programme)
    return programme


@transaction.atomic
def programme_update(
    *,
    programme: Programme,
    by,
    expected_version: int | None = None,
    partner_agencies=None,
    **fields,
) -> Programme:
    """Save the changed fields; with ``expected_version`` (from the edit form)
    a save over someone else's newer save is refused (EditConflict)."""
    if expected_version is not None:
        programme = lock_for_update(programme, expected_version)
    for name, value in fields.items():
        setattr(programme, name, value)
    programme.full_clean()
    programme.version = F("version") + 1
    programme.save()
    programme.refresh_from_db(fields=["version"])
    if partner_agencies is not None:
        programme.partner_agencies.set(partner_agencies)
    changed = sorted([*fields, *(["partner_agencies"] if partner_agencies else [])])
    audit(user=by, action=Action.CHANGE, obj=programme, detail=",".join(changed))
    return programme


@transaction.atomic
def programme_delete(*, programme: Programme, by) -> None:
    audit(
        user=by,
        action=Action.DELETE,
        obj=programme,
        detail=f"fiscal year {programme.fiscal_year}",
    )
    programme.delete()  # its targets go with it


@transaction.atomic
def target_save(*, target: Target, by) -> Target:
    """Create or update a target filled in by a form."""
    created = target.pk is None
    target.full_clean()
    target.save()
    audit(
        user=by,
        action=Action.CREATE if created else Action.CHANGE,
        obj=target,
        detail=f"programme {target.programme_id}",
    )
    return target


@transaction.atomic
def target_delete(*, target: Target, by) -> None:
    audit(
        user=by,
        action=Action.DELETE,
        obj=target,
        detail=f"programme {target.programme_id}",
    )
    target.delete()
