"""The client timeline: everything about a client on one page.

Each app registers a provider in its AppConfig.ready(). A provider takes
(client, user) and returns that client's entries in a fixed number of queries
(never one per entry), or nothing when the user may not see them. The
consultations app never imports the apps that plug in here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import timezone


@dataclass(frozen=True)
class TimelineEntry:
    when: dt.datetime | dt.date  # a date sorts as the start of that day
    kind: str  # short label: 電話相談, 同行支援, 宿泊 ...
    title: str
    detail: str = ""
    url: str = ""
    app: str = ""  # css hook: consultations, shelter, peergroups, training

    @property
    def sort_key(self) -> dt.datetime:
        if isinstance(self.when, dt.datetime):
            return (
                timezone.localtime(self.when)
                if timezone.is_aware(self.when)
                else self.when
            )
        return timezone.make_aware(dt.datetime.combine(self.when, dt.time.min))

    @property
    def is_datetime(self) -> bool:
        return isinstance(self.when, dt.datetime)


Provider = Callable[..., Iterable[TimelineEntry]]
_PROVIDERS: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def entries_for(client, user) -> list[TimelineEntry]:
    """All entries for ``client`` that ``user`` may see, newest first."""
    entries: list[TimelineEntry] = []
    for provider in _PROVIDERS:
        entries.extend(provider(client, user))
    return sorted(entries, key=lambda e: e.sort_key, reverse=True)
