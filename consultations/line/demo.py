# ruff: noqa: E501 - the fictional message texts read best one per line.
"""Fictional demo conversations for `manage.py seed_demo`: a few people who
wrote to the programme's LINE account near the end of the demo fiscal year.
Incoming messages go through the same service as the webhook, so they open
chats; some conversations are linked to a demo client and had a first chat
ended as a consultation.

Then a year of ended chats (LineChat) for the SNS figures of the annual
report: one for each LINE consultation of the demo year, so that every chat's
consultation exists with channel LINE and the report's other figures stay as
they were.

Each organisation that exists when this runs gets its LINE official account
(LineChannel), with demo secrets encrypted under the demo key; the demo's
conversations are with the first organisation's account, and each ended
chat's person writes to the account of her consultation's organisation."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from django.utils import timezone

import jpdates
from accounts import scoping
from accounts.models import Organisation

from ..models import Channel, Client, Complaint, Consultation
from . import chats, selectors, services
from .models import LineChannel, LineChat, LineMessage, LineUser
from .webhook import IncomingEvent

Kind = LineMessage.Kind

# who: "in" (the person), "out" (a counsellor), or an event kind
# (follow, unfollow, image, sticker). days: days before the end of the year.
CONVERSATIONS = [
    {
        "name": "ゆうママ",
        "link": True,
        "record_first_day": True,
        "complaints": ["economic", "housing"],
        "days": [
            (
                9,
                [
                    ("21:12", "follow", ""),
                    (
                        "21:15",
                        "in",
                        "夜分にすみません。給料日まであと10日あるのに生活費が残り3千円しかありません。",
                    ),
                    (
                        "21:16",
                        "in",
                        "子どもが2人いて、食費だけでもなんとかしたいです。",
                    ),
                    (
                        "21:40",
                        "out",
                        "ご連絡ありがとうございます。お子さんの食事のこと、ご心配ですね。社会福祉協議会の緊急小口資金や、市内のフードバンクをご案内できます。",
                    ),
                    (
                        "21:52",
                        "in",
                        "フードバンクは初めてです。どこに行けばいいですか？",
                    ),
                    (
                        "22:05",
                        "out",
                        "明日、受け取り場所と時間をお知らせします。よろしければ一度お電話でもお話を伺えますか。",
                    ),
                ],
            ),
            (
                2,
                [
                    (
                        "08:47",
                        "in",
                        "先日はありがとうございました。食料を受け取れました。",
                    ),
                    ("08:49", "in", "小口資金の申請に必要な書類を教えてもらえますか。"),
                ],
            ),
        ],
    },
    {
        "name": "はる",
        "link": False,
        "complaints": [],
        "days": [
            (
                1,
                [
                    ("13:02", "follow", ""),
                    (
                        "13:05",
                        "in",
                        "はじめまして。3歳の子の育児でいっぱいいっぱいです。",
                    ),
                    (
                        "13:06",
                        "in",
                        "夜泣きが続いて眠れず、つい怒鳴ってしまいます。誰にも相談できなくて。",
                    ),
                    ("13:30", "sticker", ""),
                ],
            ),
        ],
    },
    {
        "name": "みかん",
        "link": True,
        "record_first_day": False,
        "complaints": ["housing"],
        "days": [
            (
                5,
                [
                    (
                        "10:20",
                        "in",
                        "アパートの契約更新を断られました。来月末までに出ないといけません。",
                    ),
                    (
                        "10:21",
                        "in",
                        "子どもの学校を変えたくないので、同じ学区で探したいです。",
                    ),
                    (
                        "11:02",
                        "out",
                        "大変な状況ですね。市営住宅の募集時期と、住居確保給付金についてお調べしてお伝えします。",
                    ),
                ],
            ),
            (
                0,
                [
                    ("09:15", "in", "不動産屋さんで言われた初期費用の見積もりです。"),
                    ("09:15", "image", ""),
                    ("09:18", "in", "この金額はとても払えそうにありません。"),
                ],
            ),
        ],
    },
    {
        "name": "ひまわり",
        "link": False,
        "complaints": [],
        "days": [
            (
                3,
                [
                    ("19:40", "follow", ""),
                    ("19:44", "in", "サロンは子ども連れでも行けますか？"),
                    (
                        "20:01",
                        "out",
                        "はい、お子さん連れでどうぞ。火曜と金曜の10時から15時まで開いています。",
                    ),
                    ("20:03", "in", "ありがとうございます。金曜に行ってみます。"),
                ],
            ),
        ],
    },
    {
        "name": "さくらんぼ",
        "link": True,
        "record_first_day": True,
        "complaints": ["economic"],
        "days": [
            (
                15,
                [
                    (
                        "12:10",
                        "in",
                        "パートのシフトを減らされて、収入が半分になりました。",
                    ),
                    (
                        "12:35",
                        "out",
                        "ハローワークのマザーズコーナーで、子育て中の方向けの求人を一緒に探すこともできます。",
                    ),
                    ("12:41", "in", "同行してもらえるなら行ってみたいです。"),
                ],
            ),
            (7, [("18:00", "unfollow", "")]),
        ],
    },
]


def _event_id(rng) -> str:
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "".join(rng.choice(alphabet) for _ in range(26))


# The demo accounts' channel ids (10 digits, as LINE's) start here; their
# secrets and tokens are not secret (demo data, known to the stand-in API).
DEMO_CHANNEL_ID_BASE = 2000000000


def demo_secret(channel_id: str) -> str:
    return f"demo-channel-secret-{channel_id}"


def demo_access_token(channel_id: str) -> str:
    return f"demo-access-token-{channel_id}"


def seed_channels() -> list[LineChannel]:
    """One official account per organisation, in the organisations' order
    (those already there are kept)."""
    channels = []
    for number, organisation in enumerate(Organisation.objects.order_by("pk"), start=1):
        channel = LineChannel._base_manager.filter(organisation=organisation).first()
        if channel is None:
            channel_id = str(DEMO_CHANNEL_ID_BASE + number)
            channel = LineChannel(
                organisation=organisation,
                name=f"{organisation.name} LINE相談",
                channel_id=channel_id,
            )
            channel.secret = demo_secret(channel_id)
            channel.access_token = demo_access_token(channel_id)
            channel.save()
        channels.append(channel)
    return channels


def seed_conversations(ctx) -> str:
    """The organisations' official accounts, the conversations of the first
    one (in its organisation's scope), then a year of ended chats."""
    channels = seed_channels()
    with scoping.organisations([channels[0].organisation_id]):
        summary = _seed_conversations(ctx, channels[0])
    ended = seed_chats(ctx, channels)
    return (
        f"{len(channels)} LINE official accounts, {summary}, "
        f"{ended} ended chats of the year"
    )


def _seed_conversations(ctx, channel: LineChannel) -> str:
    """Each day's events go through the webhook's store, so they open and
    join chats as real ones do; the counsellor's replies answer the open
    chat (claiming it at the first reply). A conversation with
    ``record_first_day`` had its first day's chat ended as a consultation;
    the others are still open: waiting while nobody answered, else in
    progress."""
    rng = ctx.rng
    tz = timezone.get_current_timezone()
    counsellor = ctx.users["counsellor"]
    complaints = {c.code: c for c in Complaint.objects.all()}
    clients = list(Client.objects.filter(status=Client.Status.OPEN).order_by("pk"))
    recorded = messages = 0
    for script in CONVERSATIONS:
        line_user_id = f"U{rng.getrandbits(128):032x}"
        line_user = None
        for index, (days_before, lines) in enumerate(script["days"]):
            day = ctx.end - dt.timedelta(days=days_before)
            incoming: list[IncomingEvent] = []
            replies = []
            for hhmm, who, text in lines:
                at = dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=tz)
                if who == "out":
                    replies.append((at, text))
                    continue
                kind = Kind.TEXT if who == "in" else who
                incoming.append(
                    IncomingEvent(
                        webhook_event_id=_event_id(rng),
                        line_user_id=line_user_id,
                        kind=kind,
                        sent_at=at,
                        text=text,
                        line_message_id=str(rng.randrange(10**17, 10**18))
                        if kind not in (Kind.FOLLOW, Kind.UNFOLLOW)
                        else "",
                    )
                )
            messages += services.line_events_store(events=incoming, channel=channel)
            if line_user is None:
                line_user = LineUser.objects.get(
                    channel=channel, line_user_id=line_user_id
                )
                line_user.display_name = script["name"]
                line_user.save(update_fields=["display_name"])
                if script["link"] and clients:
                    services.line_user_link_client(
                        line_user=line_user, client=rng.choice(clients), by=counsellor
                    )
            chat = LineChat.objects.filter(
                line_user=line_user, status__in=LineChat.OPEN
            ).first()
            for at, text in replies:
                if chat is not None and chat.status == LineChat.Status.WAITING:
                    chat = chats.chat_claim(chat=chat, by=counsellor, at=at)
                services.line_reply_store(
                    line_user=line_user, by=counsellor, text=text, sent_at=at, chat=chat
                )
                messages += 1
            if replies:
                # What came before the last reply has been read.
                LineMessage.objects.filter(
                    line_user=line_user,
                    direction=LineMessage.Direction.INCOMING,
                    sent_at__lt=replies[-1][0],
                ).update(read_at=replies[-1][0])
            if index == 0 and script.get("record_first_day") and chat is not None:
                last = chat.messages.order_by("-sent_at").values_list(
                    "sent_at", flat=True
                )[0]
                chats.chat_end(
                    chat=chat,
                    outcome=LineChat.Outcome.ESTABLISHED,
                    by=counsellor,
                    summary=selectors.chat_summary(chat=chat),
                    anonymous=line_user.client_id is None,
                    main_complaint=complaints.get(next(iter(script["complaints"]), "")),
                    other_problems=[complaints[c] for c in script["complaints"][1:]],
                    at=last + dt.timedelta(minutes=5),
                )
                recorded += 1
    return (
        f"{len(CONVERSATIONS)} LINE conversations, {messages} messages, "
        f"{recorded} chats ended as consultations"
    )


# A YEAR OF ENDED CHATS
# ------------------------------------------------------------------------------

NICKNAMES = ["あおい", "りん", "ここ", "なな", "もも", "ゆず", "ちー", "さき", "まる"]


def _chat_rng(ctx) -> random.Random:
    """A generator of its own, seeded from the demo's without drawing from it:
    the seeders after this one get the same numbers as before, so the demo's
    other figures do not change."""
    state = repr(ctx.rng.getstate()).encode()
    return random.Random(hashlib.sha256(b"line chats" + state).hexdigest())


def _outside_hours(at: dt.datetime) -> bool:
    """The demo's phone and SNS line (shelter.demo) answers Monday and
    Wednesday to Saturday, 10:00 to 20:00, closed on public holidays and over
    the year end."""
    day = at.date()
    return (
        at.weekday() in (1, 6)
        or not dt.time(10) <= at.time() < dt.time(20)
        or jpdates.is_public_holiday(day)
        or jpdates.is_year_end_break(day)
    )


def seed_chats(ctx, channels: list[LineChannel] | None = None) -> int:
    """An ended chat for every LINE consultation of the demo year that was not
    recorded from a conversation: it starts when the consultation does, lasts
    as long as the consultation now says, answers after a few minutes; about
    one in seven did not become a consultation (不成立). A client's chats share
    her LINE account; an anonymous contact has one of her own. The person
    writes to the official account of the consultation's organisation (of
    ``channels``; none: the settings' account)."""
    channel_of = {c.organisation_id: c for c in channels or ()}
    rng = _chat_rng(ctx)
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(ctx.start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(ctx.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    consultations = list(
        Consultation.objects.filter(
            channel=Channel.LINE,
            started_at__gte=since,
            started_at__lt=until,
            line_messages__isnull=True,
            line_chat__isnull=True,
        ).order_by("started_at", "pk")
    )
    accounts: dict[int, LineUser] = {}
    chats = []
    for consultation in consultations:
        start = consultation.started_at
        if consultation.client_id in accounts:
            person = accounts[consultation.client_id]
        else:
            channel = channel_of.get(consultation.organisation_id)
            person = LineUser.objects.create(
                channel=channel,
                organisation_id=consultation.organisation_id,
                line_user_id=f"U{rng.getrandbits(128):032x}",
                display_name=rng.choice(NICKNAMES),
                client_id=consultation.client_id,
                is_following=True,
                first_contact_at=start,
                last_event_at=start,
            )
            if consultation.client_id:
                accounts[consultation.client_id] = person
        established = rng.random() > 0.15
        if established:
            band = rng.choices(["short", "middle", "long"], [4, 4, 2])[0]
            low, high = {"short": (8, 29), "middle": (30, 60), "long": (61, 110)}[band]
            lasting = dt.timedelta(
                minutes=rng.randint(low, high), seconds=rng.choice([0, 0, 20, 40])
            )
            wait = dt.timedelta(minutes=rng.choice([1, 2, 3, 3, 5, 8, 12, 20]))
        else:
            # She stopped writing, sometimes before anyone answered.
            lasting = dt.timedelta(minutes=rng.randint(3, 25))
            wait = (
                dt.timedelta(minutes=rng.randint(1, 3)) if rng.random() < 0.6 else None
            )
        wait = min(wait, lasting) if wait is not None else None
        chats.append(
            LineChat(
                line_user=person,
                status=LineChat.Status.ENDED,
                started_at=start,
                claimed_by=consultation.counsellor,
                claimed_at=start + (wait or lasting) / 2,
                first_response_at=start + wait if wait is not None else None,
                ended_at=start + lasting,
                ended_by=consultation.counsellor,
                outcome=LineChat.Outcome.ESTABLISHED
                if established
                else LineChat.Outcome.NOT_ESTABLISHED,
                outside_hours=_outside_hours(timezone.localtime(start)),
                consultation=consultation,
            )
        )
        consultation.duration_minutes = max(1, round(lasting.total_seconds() / 60))
        person.last_event_at = max(person.last_event_at, start + lasting)
    LineChat.objects.bulk_create(chats)
    Consultation.objects.bulk_update(consultations, ["duration_minutes"])
    for person in {c.line_user_id: c.line_user for c in chats}.values():
        person.save(update_fields=["last_event_at"])
    return len(chats)
