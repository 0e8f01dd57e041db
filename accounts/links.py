"""What list rows made in Python share: a record's URL reversed once per page
rather than once per row (a reverse() per row was a fifth of a long list's
time), and a person's name as ``User.display_name`` shows it, from the
columns a ``values()`` query read."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

_MARKER = 987654321


def url_by_id(name: str) -> Callable[[int], str]:
    """The URL ``name`` of a record by its integer id (the URL's one
    argument), reversed once: ``url_by_id("x:detail")(7)`` is
    ``reverse("x:detail", args=[7])``."""
    head, tail = reverse(name, args=[_MARKER]).split(str(_MARKER))
    return lambda pk: f"{head}{pk}{tail}"


def person_name(last_name: str | None, first_name: str | None, username) -> str:
    """Family name first, as in Japanese; the username when no name (as
    ``accounts.models.User.display_name``); "" for no user at all."""
    name = f"{last_name or ''} {first_name or ''}".strip()
    return name or username or ""
