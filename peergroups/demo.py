"""Demo sessions reproducing Ueda's 令和3年度 peer-support pattern: 18
sessions on the dates of its report (the 1–3 January gathering is one
session), 179 participants in total."""

from __future__ import annotations

from datetime import date, time

from consultations.models import Client

from . import services
from .selectors import session_totals

# (first day, last day or None, group index)
UEDA_SESSIONS = (
    (date(2021, 10, 15), None, 0),
    (date(2021, 11, 9), None, 0),
    (date(2021, 11, 10), None, 1),
    (date(2021, 11, 18), None, 0),
    (date(2021, 12, 7), None, 0),
    (date(2021, 12, 17), None, 1),
    (date(2021, 12, 28), None, 0),
    (date(2022, 1, 1), date(2022, 1, 3), 0),
    (date(2022, 1, 18), None, 0),
    (date(2022, 1, 25), None, 1),
    (date(2022, 2, 1), None, 0),
    (date(2022, 2, 8), None, 0),
    (date(2022, 2, 15), None, 1),
    (date(2022, 2, 23), None, 0),
    (date(2022, 2, 24), None, 1),
    (date(2022, 3, 4), None, 0),
    (date(2022, 3, 6), None, 0),
    (date(2022, 3, 8), None, 1),
)
UEDA_PARTICIPANTS = 179
GROUPS = (
    ("ピアサポートグループ", "相談者・やどかりハウス利用者同士の交流の場"),
    ("ひとり親のおしゃべり会", "同じ悩みを持つひとり親同士の集まり"),
)
THEMES = (
    "近況を話そう",
    "子育ての悩み",
    "仕事と暮らし",
    "からだとこころのセルフケア",
    "お金のこと",
    "これからの暮らし",
    "わたしの好きなこと",
)
PLACES = ("やどかりハウス", "市民プラザ 交流室")
NEW_YEAR_THEME = "お正月をいっしょに過ごす会"


def _head_counts(rng, n: int, total: int, big: int) -> list[int]:
    counts = [rng.randint(6, 12) for _ in range(n)]
    counts[big] = rng.randint(16, 22)
    diff = total - sum(counts)
    while diff:
        i = rng.randrange(n)
        if diff > 0:
            counts[i] += 1
            diff -= 1
        elif counts[i] > 4:
            counts[i] -= 1
            diff += 1
    return counts


def seed_sessions(ctx) -> str:
    rng = ctx.rng
    by = ctx.users["facilitator"]
    groups = [
        services.group_create(by=by, name=name, description=description)
        for name, description in GROUPS
    ]
    clients = list(Client.objects.order_by("code"))
    big = next(i for i, s in enumerate(UEDA_SESSIONS) if s[1] is not None)
    counts = _head_counts(rng, len(UEDA_SESSIONS), UEDA_PARTICIPANTS, big)
    for (first, last, group_index), head_count in zip(
        UEDA_SESSIONS, counts, strict=True
    ):
        named = rng.sample(clients, k=min(len(clients), rng.randint(1, 4)))
        if last:
            times, theme = (time(11, 0), time(16, 0)), NEW_YEAR_THEME
        else:
            times = rng.choice(
                [(time(10, 0), time(12, 0)), (time(13, 30), time(15, 30))]
            )
            theme = rng.choice(THEMES)
        services.session_create(
            by=by,
            group=groups[group_index],
            date=first,
            end_date=last,
            start_time=times[0],
            end_time=times[1],
            place=PLACES[0] if group_index == 0 else PLACES[1],
            facilitator=by,
            theme=theme,
            head_count=head_count,
            clients=named,
        )
    totals = session_totals(start=ctx.start, end=ctx.end)
    return (
        f"{totals.sessions} peer-support sessions, {totals.participants} participants"
    )


def seed_second_group(ctx) -> str:
    """The second organisation's group: a few sessions of a chat circle."""
    rng = ctx.rng
    by = ctx.users["komorebi"]
    group = services.group_create(
        by=by,
        name="こもれびおしゃべり会",
        description="ひとりで悩まないための語り合いの会",
    )
    clients = list(Client.objects.order_by("code"))
    days = (date(2021, 6, 17), date(2021, 9, 16), date(2021, 12, 16), date(2022, 3, 17))
    for day in days:
        services.session_create(
            by=by,
            group=group,
            date=day,
            start_time=time(13, 30),
            end_time=time(15, 0),
            place="こもれびカフェ",
            facilitator=by,
            theme=rng.choice(THEMES),
            head_count=rng.randint(4, 8),
            clients=rng.sample(clients, k=min(len(clients), 2)),
        )
    return f"1 group, {len(days)} sessions"
