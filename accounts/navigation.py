"""The main menu. Each app registers its entries in AppConfig.ready(); the
layout shows only those the user's roles allow."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.template.loader import render_to_string
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
        _rendered.cache_clear()


def menu_for(user, current_path: str = "") -> list[dict]:
    entries = _entries(*_key(user))
    return [
        {
            "label": label,
            "url": url,
            "active": url != "/" and current_path.startswith(url),
        }
        for label, url in entries
    ]


def menu_html(user, current_path: str = "") -> str:
    """The menu's entries as HTML (includes/menu.html), rendered once per
    roles, language, URL configuration and entry of the current page."""
    key = _key(user)
    active = tuple(
        url for _, url in _entries(*key) if url != "/" and current_path.startswith(url)
    )
    return _rendered(*key, active)


def links() -> dict[str, str]:
    """The URLs of the layout's own links (base.html), reversed once."""
    return _links(get_urlconf(), get_script_prefix())


def _key(user) -> tuple:
    return user_roles(user), get_language(), get_urlconf(), get_script_prefix()


@functools.lru_cache(maxsize=256)
def _entries(roles: frozenset[str], language, urlconf, prefix) -> tuple:
    """The (label, url) of the entries these roles see, worked out once per
    roles, language and URL configuration: the menu of every page."""
    return tuple(
        (str(item.label), reverse(item.url_name))
        for item in sorted(_ITEMS, key=lambda i: i.order)
        if Role.ADMIN in roles or any(role in roles for role in item.roles)
    )


@functools.lru_cache(maxsize=1024)
def _rendered(roles, language, urlconf, prefix, active: tuple) -> str:
    entries = [
        {"label": label, "url": url, "active": url in active}
        for label, url in _entries(roles, language, urlconf, prefix)
    ]
    return render_to_string("includes/menu.html", {"menu": entries})


@functools.lru_cache(maxsize=16)
def _links(urlconf, prefix) -> dict[str, str]:
    names = {
        "preferences": "accounts:preferences",
        "password_change": "accounts:password_change",
        "logout": "accounts:logout",
    }
    return {key: reverse(name) for key, name in names.items()}
