"""Fictional demo clients (names are invented, phone numbers use the 070-0000
range that is never assigned)."""

from .models import Client
from .services import client_create

FAMILY = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "松本",
    "井上",
    "木村",
    "林",
    "清水",
    "山崎",
    "森",
    "池田",
]
FAMILY_KANA = [
    "さとう",
    "すずき",
    "たかはし",
    "たなか",
    "いとう",
    "わたなべ",
    "やまもと",
    "なかむら",
    "こばやし",
    "かとう",
    "よしだ",
    "やまだ",
    "まつもと",
    "いのうえ",
    "きむら",
    "はやし",
    "しみず",
    "やまざき",
    "もり",
    "いけだ",
]
GIVEN = [
    ("あかり", "あかり"),
    ("美咲", "みさき"),
    ("陽子", "ようこ"),
    ("さくら", "さくら"),
    ("理恵", "りえ"),
    ("奈々", "なな"),
    ("友美", "ともみ"),
    ("綾", "あや"),
    ("香織", "かおり"),
    ("千尋", "ちひろ"),
]
AREAS = ["中央", "北部", "南部", "東部", "西部", "丸子", "真田", "武石"]


def seed_clients(ctx) -> str:
    rng = ctx.rng
    counsellors = [ctx.users["counsellor"], ctx.users["counsellor2"]]
    for i in range(40):
        f = rng.randrange(len(FAMILY))
        given, given_kana = rng.choice(GIVEN)
        household = rng.choices(
            [c for c, _ in Client.HouseholdType.choices], weights=[6, 1, 3, 1]
        )[0]
        client_create(
            by=ctx.users["counsellor"],
            display_name=f"{FAMILY[f]} {given}",
            kana=f"{FAMILY_KANA[f]} {given_kana}",
            phone=f"070-0000-{1000 + i:04d}" if rng.random() < 0.6 else "",
            age_band=rng.choice(["20s", "30s", "30s", "40s", "40s", "50s"]),
            household_type=household,
            children_count=rng.randint(1, 3) if household.startswith("single_") else 0,
            area=rng.choice(AREAS),
            assigned_counsellor=counsellors[i % 2],
            status=Client.Status.CLOSED if i % 9 == 8 else Client.Status.OPEN,
        )
    return "40 clients"
