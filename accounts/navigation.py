"""The main menu. Each app registers its entries in AppConfig.ready(); the
layout shows only those the user's roles allow."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from .roles import has_role


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


def menu_for(user, current_path: str = "") -> list[dict]:
    entries = []
    for item in sorted(_ITEMS, key=lambda i: i.order):
        if has_role(user, *item.roles):
            url = reverse(item.url_name)
            entries.append(
                {
                    "label": item.label,
                    "url": url,
                    "active": url != "/" and current_path.startswith(url),
                }
            )
    return entries
