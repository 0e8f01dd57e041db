"""The client timeline: everything about a client on one page.

Each app registers a provider in its AppConfig.ready(). A provider takes
(client, user) and returns that client's entries in a fixed number of queries
(never one per entry), or nothing when the user may not see them. The
consultations app never imports the apps that plug in here.
"""

from __future__ import annotations

import datetime as dt
import inspect
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


_TAKES_LIMIT: set[Provider] = set()

# The client page shows this many entries unless the whole history is asked for.
PAGE_LIMIT = 100


def register(provider: Provider) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
        if "limit" in inspect.signature(provider).parameters:
            _TAKES_LIMIT.add(provider)


def entries_for(client, user, *, limit: int | None = None) -> list[TimelineEntry]:
    """The entries for ``client`` that ``user`` may see, newest first: all of
    them, or the ``limit`` newest. Each provider that takes a limit returns its
    ``limit`` newest, so the newest ``limit`` of them all are exact."""
    entries: list[TimelineEntry] = []
    for provider in _PROVIDERS:
        if limit is not None and provider in _TAKES_LIMIT:
            entries.extend(provider(client, user, limit=limit))
        else:
            entries.extend(provider(client, user))
    entries.sort(key=lambda e: e.sort_key, reverse=True)
    return entries if limit is None else entries[:limit]
