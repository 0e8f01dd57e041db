"""Optimistic locking: an edit form carries the version it was loaded at; the
save is refused if someone saved the record since. Models that use it have a
``version`` field that the services increase on each save."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class EditConflict(ValidationError):
    """Someone else saved the record after this form was loaded."""

    def __init__(self):
        super().__init__(
            _(
                "Someone else saved this record after you opened it. Your changes "
                "were not saved: reload the page to see the current version, then "
                "make your changes again."
            ),
            code="edit_conflict",
        )


def lock_for_update(instance, expected_version: int):
    """Lock the row and check its version (call inside transaction.atomic).
    Returns the locked, fresh row; raises EditConflict if it moved on."""
    fresh = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
    if fresh.version != expected_version:
        raise EditConflict()
    return fresh
