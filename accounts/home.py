"""Sections of the start page. Each app registers a section provider in its
AppConfig.ready(): a function that, for a user allowed to see it, returns the
section's title, a few figures (each one query) and links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .roles import has_role


@dataclass(frozen=True)
class Section:
    roles: tuple[str, ...]
    # build(user) -> {title, figures: [(label, value)], links: [(label, url)]};
    # or {template: "app/x.html", ...} to render a section of its own
    build: Callable
    order: int = 50


_SECTIONS: list[Section] = []


def register(section: Section) -> None:
    if section not in _SECTIONS:
        _SECTIONS.append(section)


def sections_for(user) -> list[dict]:
    return [
        s.build(user)
        for s in sorted(_SECTIONS, key=lambda s: s.order)
        if has_role(user, *s.roles)
    ]
