"""The main menu. Each app registers its entries in AppConfig.ready(); the
layout shows only those the user's roles allow."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

from .roles import Role, user_roles


@dataclass(frozen=True)
class MenuItem:
    label: str
    url_name: str
    roles: tuple[str, ...]
    order: int = 50


_ITEMS: list[MenuItem] = []


def register(item: MenuItem) -> None:
    if item not in _ITEMS:
        _ITEMS.append(item)
        _entries.cache_clear()


def menu_for(user, current_path: str = "") -> list[dict]:
    entries = _entries(
        user_roles(user), get_language(), get_urlconf(), get_script_prefix()
    )
    return [
        {
            "label": label,
            "url": url,
            "active": url != "/" and current_path.startswith(url),
        }
        for label, url in entries
    ]


@functools.lru_cache(maxsize=256)
def _entries(roles: frozenset[str], language, urlconf, prefix) -> tuple:
    """The (label, url) of the entries these roles see, worked out once per
    roles, language and URL configuration: the menu of every page."""
    return tuple(
        (str(item.label), reverse(item.url_name))
        for item in sorted(_ITEMS, key=lambda i: i.order)
        if Role.ADMIN in roles or any(role in roles for role in item.roles)
    )
