"""Demo training events reproducing Ueda's 令和3年度 人材育成事業: two events
(2021-10-23 and 2022-02-10) whose surveys give 88% and 56% satisfaction, each
with a client who told her story (with her consent)."""

from __future__ import annotations

from datetime import date

from consultations.models import Client

from . import services
from .models import Event
from .selectors import event_summaries

# date, kind, title, venue, participants, respondents, satisfied (4 or 5),
# talk title
UEDA_EVENTS = (
    (
        date(2021, 10, 23),
        Event.Kind.TRAINING,
        "当事者の声から学ぶ支援者研修会",
        "市民プラザ 大会議室",
        32,
        25,
        22,  # 88.0%
        "ひとりで抱えていたころのこと",
    ),
    (
        date(2022, 2, 10),
        Event.Kind.LECTURE,
        "わたしの居場所 ― 経験を語る講演会",
        "中央公民館 ホール",
        41,
        25,
        14,  # 56.0%
        "支えられる側から支える側へ",
    ),
)
COMMENTS_GOOD = (
    "当事者の方のお話が心に残りました。",
    "支援の現場で活かしたいと思います。",
    "とても分かりやすかったです。",
    "勇気をもらいました。",
)
COMMENTS_OTHER = (
    "時間が短く感じました。",
    "もう少し具体的な事例を聞きたかった。",
    "会場が寒かったです。",
)


def seed_events(ctx) -> str:
    rng = ctx.rng
    by = ctx.users["facilitator"]
    clients = list(Client.objects.order_by("code"))
    for (
        day,
        kind,
        title,
        venue,
        participants,
        respondents,
        satisfied,
        talk,
    ) in UEDA_EVENTS:
        event = services.event_create(
            by=by,
            kind=kind,
            date=day,
            title=title,
            venue=venue,
            participant_count=participants,
        )
        if clients:
            services.speaker_add(
                by=by,
                event=event,
                client=rng.choice(clients),
                consent=True,
                talk_title=talk,
            )
        scores = [rng.choice((4, 5)) for _ in range(satisfied)] + [
            rng.choice((1, 2, 3, 3)) for _ in range(respondents - satisfied)
        ]
        rng.shuffle(scores)
        answers = []
        for score in scores:
            pool = COMMENTS_GOOD if score >= 4 else COMMENTS_OTHER
            comment = rng.choice(pool) if rng.random() < 0.4 else ""
            answers.append((score, comment))
        services.survey_responses_add(by=by, event=event, responses=answers)
    summary = ", ".join(
        f"{e.date.isoformat()} {e.satisfaction}"
        for e in event_summaries(start=ctx.start, end=ctx.end)
    )
    return f"{len(UEDA_EVENTS)} training events ({summary})"


def seed_second_event(ctx) -> str:
    """The second organisation's event: one lecture for residents."""
    by = ctx.users["komorebi"]
    event = services.event_create(
        by=by,
        kind=Event.Kind.LECTURE,
        date=date(2021, 11, 20),
        title="女性の人権を考える市民講座",
        venue="こもれび市 市民会館",
        participant_count=28,
    )
    services.survey_responses_add(
        by=by, event=event, responses=[(5, ""), (4, ""), (4, ""), (3, ""), (5, "")]
    )
    return "1 event"
