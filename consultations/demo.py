"""Fictional demo clients (names are invented, phone numbers use the 070-0000
range that is never assigned)."""

from .consent.demo import seed_consent
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
            closure_reason=rng.choice(["resolved", "referred", "moved_away"])
            if i % 9 == 8
            else "",
        )
    return "40 clients"


CHANNEL_WEIGHTS = [
    ("line", 40),
    ("phone", 30),
    ("face_to_face", 12),
    ("sns", 10),
    ("email", 3),
    ("visit", 5),
]
SUMMARIES = {
    "spouse_violence": "夫からの暴言が続いている。安全な連絡方法を確認した。",
    "family_violence": "同居の親から手を上げられる。避難先の選択肢を説明した。",
    "partner_violence": "交際相手に連絡を監視されている。警察への相談を案内した。",
    "sexual_violence": "被害のことを誰にも話せずにいる。専門の相談窓口を紹介した。",
    "stalking": "元交際相手につきまとわれている。警察署への同行を提案した。",
    "divorce": "離婚を考えている。法律相談の予約方法を伝えた。",
    "family_problems": "子どもの不登校が続き、一人で抱えている。次回面談を約束した。",
    "housing": "今の住まいを出たい。一時的な居場所の利用について話した。",
    "economic": "家賃の支払いが難しい。社会福祉協議会の貸付について説明した。",
    "medical": "体調がすぐれず通院先がない。医療機関の受診を勧めた。",
    "mental": "眠れない日が続く。気持ちを聞き、専門機関の情報を伝えた。",
    "relationships": "話せる人がいない。サロンとピアサポートグループを紹介した。",
    "pregnancy": "予期しない妊娠で不安がある。保健師への相談を案内した。",
    "other": "手続きの書き方が分からない。書類の確認を手伝った。",
}


def seed_consultations(ctx) -> str:
    import datetime as dt

    from django.utils import timezone

    from .complaints import DemoComplaints
    from .models import Complaint, Consultation, PartnerAgency, SupportAction
    from .services import consultation_create, support_action_create

    rng = ctx.rng
    counsellors = [ctx.users["counsellor"], ctx.users["counsellor2"]]
    clients = list(Client.objects.order_by("id"))
    complaints = {c.code: c for c in Complaint.objects.all()}
    demo_complaints = DemoComplaints(rng)
    channels = [c for c, _ in CHANNEL_WEIGHTS]
    weights = [w for _, w in CHANNEL_WEIGHTS]
    day = ctx.start
    count = 0
    while day <= ctx.end:
        if day.weekday() != 1:  # the desk is closed on Tuesdays
            for _ in range(rng.choice([0, 1, 1, 1, 2])):
                channel = rng.choices(channels, weights)[0]
                hour = rng.randint(
                    10, 19 if channel in ("line", "phone", "sns") else 15
                )
                started = timezone.make_aware(
                    dt.datetime.combine(day, dt.time(hour, rng.choice([0, 15, 30, 45])))
                )
                client = rng.choice(clients) if rng.random() < 0.75 else None
                main, others = demo_complaints.for_consultation(
                    client.pk if client else None
                )
                consultation_create(
                    by=ctx.users["counsellor"],
                    counsellor=rng.choice(counsellors),
                    channel=channel,
                    started_at=started,
                    client=client,
                    main_complaint=complaints[main],
                    other_problems=[complaints[c] for c in others],
                    summary=SUMMARIES[main],
                    duration_minutes=rng.choice([10, 15, 20, 30, 45, 60]),
                    is_new=client is None and rng.random() < 0.3,
                )
                count += 1
        day += dt.timedelta(days=1)
    agencies = list(PartnerAgency.objects.order_by("id"))
    actions = 0
    kinds = [k for k, _ in SupportAction.Kind.choices]
    for consultation in Consultation.objects.filter(client__isnull=False).order_by(
        "id"
    )[::6]:
        kind = rng.choices(kinds, weights=[5, 3, 3, 1])[0]
        support_action_create(
            by=ctx.users["counsellor"],
            client=consultation.client,
            kind=kind,
            date=timezone.localtime(consultation.started_at).date()
            + dt.timedelta(days=rng.randint(1, 10)),
            staff=consultation.counsellor,
            partner_agency=rng.choice(agencies) if kind != "interview" else None,
        )
        actions += 1
    return f"{count} consultations, {actions} support actions"


def seed_casework(ctx) -> str:
    """Recent casework relative to today, so the worklist has something to show:
    a few recent consultations, next steps due around today, urgent cases and
    safety flags."""
    import datetime as dt

    from django.utils import timezone

    from .models import FollowUp
    from .services import client_set_urgency, consultation_create, follow_up_create

    rng = ctx.rng
    today = timezone.localdate()
    # The demo clients came in during the demo fiscal year, not today.
    Client.objects.update(
        created_at=timezone.make_aware(dt.datetime.combine(ctx.start, dt.time(9)))
    )
    me, colleague = ctx.users["counsellor"], ctx.users["counsellor2"]
    open_clients = list(Client.objects.filter(status=Client.Status.OPEN).order_by("id"))
    recent = open_clients[:14]
    for i, client in enumerate(recent):
        day = today - dt.timedelta(days=rng.randint(0, 20) if i % 4 else 10)
        consultation_create(
            by=me,
            counsellor=client.assigned_counsellor or me,
            channel=rng.choice(["line", "phone", "face_to_face"]),
            started_at=timezone.make_aware(dt.datetime.combine(day, dt.time(11, 0))),
            client=client,
            summary="近況の確認。",
        )
    kinds = [k for k, _ in FollowUp.Kind.choices]
    for offset in (-4, -2, -1, 0, 0, 1, 3, 7):
        client = rng.choice(recent)
        follow_up_create(
            by=me,
            client=client,
            kind=rng.choice(kinds[:3]),
            due_date=today + dt.timedelta(days=offset),
            owner=me if offset != 1 else colleague,
            note=rng.choice(
                ["夕方以降に電話", "面談の日程調整", "ハローワークへ同行", ""]
            ),
        )
    for client, reason in zip(
        open_clients[2:6],
        [
            "パートナーからの暴力が続いている",
            "住まいを失うおそれ",
            "体調の悪化",
            "連絡が途絶えがち",
        ],
        strict=True,
    ):
        client_set_urgency(client=client, by=me, urgency="high", reason=reason)
    flagged = open_clients[3]
    flagged.address_confidential = True
    flagged.no_phone_or_mail = True
    flagged.save(update_fields=["address_confidential", "no_phone_or_mail"])
    line_only = open_clients[7]
    line_only.line_only = True
    line_only.save(update_fields=["line_only"])
    from .plans.demo import seed_plans

    consent = seed_consent(ctx, open_clients[:5])
    plans = seed_plans(ctx)  # assessments, support plans, a closure request
    from .meetings.demo import seed_meetings

    meetings = seed_meetings(ctx)
    return (
        "14 recent consultations, 8 next steps, 4 urgent cases, 2 flagged; "
        f"{consent}; {plans}; {meetings}"
    )


# THE SECOND ORGANISATION (a municipal desk of another city)
# ------------------------------------------------------------------------------

SECOND_CLIENTS = 8
SECOND_CHANNELS = [("phone", 5), ("face_to_face", 4), ("visit", 1)]


def seed_second_desk(ctx) -> str:
    """A few clients and a year of consultations (about one a week by phone,
    at the desk or on a visit), some with a follow-up interview: run in the
    scope of the second organisation, so every record is hers."""
    import datetime as dt

    from django.utils import timezone

    from .complaints import DemoComplaints
    from .models import Complaint, SupportAction
    from .services import consultation_create, support_action_create

    rng = ctx.rng
    me = ctx.users["komorebi"]
    clients = []
    for i in range(SECOND_CLIENTS):
        f = rng.randrange(len(FAMILY))
        given, given_kana = rng.choice(GIVEN)
        clients.append(
            client_create(
                by=me,
                display_name=f"{FAMILY[f]} {given}",
                kana=f"{FAMILY_KANA[f]} {given_kana}",
                phone=f"070-0000-{2000 + i:04d}",
                age_band=rng.choice(["20s", "30s", "40s", "50s"]),
                household_type=rng.choice([c for c, _ in Client.HouseholdType.choices]),
                area=rng.choice(["駅前", "川西", "山手"]),
                assigned_counsellor=me,
            )
        )
    Client.objects.update(
        created_at=timezone.make_aware(dt.datetime.combine(ctx.start, dt.time(9)))
    )
    complaints = {c.code: c for c in Complaint.objects.all()}
    demo_complaints = DemoComplaints(rng)
    channels = [c for c, _ in SECOND_CHANNELS]
    weights = [w for _, w in SECOND_CHANNELS]
    count = actions = 0
    day = ctx.start + dt.timedelta(days=rng.randint(0, 6))
    while day <= ctx.end:
        if day.weekday() < 5:  # the city's desk is open on weekdays
            client = rng.choice(clients) if rng.random() < 0.8 else None
            main, others = demo_complaints.for_consultation(
                client.pk if client else None
            )
            consultation_create(
                by=me,
                counsellor=me,
                channel=rng.choices(channels, weights)[0],
                started_at=timezone.make_aware(
                    dt.datetime.combine(day, dt.time(rng.randint(9, 16), 0))
                ),
                client=client,
                main_complaint=complaints[main],
                other_problems=[complaints[c] for c in others],
                summary=SUMMARIES[main],
                duration_minutes=rng.choice([15, 30, 45, 60]),
                is_new=client is None and rng.random() < 0.5,
            )
            count += 1
            if client is not None and rng.random() < 0.2:
                support_action_create(
                    by=me,
                    client=client,
                    kind=SupportAction.Kind.INTERVIEW,
                    date=min(day + dt.timedelta(days=rng.randint(1, 7)), ctx.end),
                    staff=me,
                )
                actions += 1
        day += dt.timedelta(days=rng.randint(5, 9))
    return f"{len(clients)} clients, {count} consultations, {actions} support actions"
