"""When the LINE desk is open. The opening calendars live in the places app
(shelter), which consultations must not import: shelter registers a provider
here in its AppConfig.ready(), as the timeline providers do. With no provider
registered the desk counts as always open (no automatic reply outside hours).

A provider has two methods:

- ``closed_since(at)``: None while the desk is open at ``at``, else the time
  it last closed (the start of the closed period ``at`` falls in);
- ``hours_text()``: the opening hours as one line for people, such as
  「月・水・木・金・土 10:00–20:00（祝日・年末年始を除く）」.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Provider(Protocol):
    def closed_since(self, at: dt.datetime) -> dt.datetime | None: ...

    def hours_text(self) -> str: ...


_PROVIDERS: list[Provider] = []


def register(provider: Provider) -> None:
    """Make ``provider`` the source of the LINE desk's hours (the latest
    registered wins)."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def unregister(provider: Provider) -> None:
    if provider in _PROVIDERS:
        _PROVIDERS.remove(provider)


def _provider() -> Provider | None:
    return _PROVIDERS[-1] if _PROVIDERS else None


def closed_since(at: dt.datetime) -> dt.datetime | None:
    """When the desk closed, if it is closed at ``at``; None while it is open."""
    provider = _provider()
    return None if provider is None else provider.closed_since(at)


def is_open(at: dt.datetime) -> bool:
    """Is the LINE desk open at ``at``?"""
    return closed_since(at) is None


def hours_text() -> str:
    """The desk's opening hours as text, '' when none are known."""
    provider = _provider()
    return "" if provider is None else provider.hours_text()
