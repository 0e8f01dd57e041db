"""The demo's programmes of fiscal year 2021 (令和3年度).

- The NPO's 居場所 programme, funded by the city, modelled on the Ueda summary
  in shared/seeds: the same kind of targets, and narrative sections in the
  same style (fictional text, written for the demo).
- The NPO's SNS consultations, funded by the prefecture: its LINE and SNS
  consultations and LINE chats.
- The municipal desk's programme, also funded by the prefecture: all of its
  records.

Programme rules (reports.ProgrammeRule) say which records fall under which
programme, and ``attribute`` gives the demo's records their programme by the
same rules."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

from consultations.models import PartnerAgency

from .models import ProgrammeRule, Target
from .services import programme_create, target_save

NARRATIVE = {
    "local_situation": (
        "本市の20歳未満の子どもがいる母子世帯は近年ほぼ横ばいで推移しているが、"
        "物価の上昇や新型コロナウイルス感染症の影響により、収入が減少した世帯や"
        "相談先を持たない若い母親が増えている。窓口や電話による従来の相談には"
        "つながりにくい層が多く、孤立が深まる前に気軽に相談でき、安心して休める"
        "場所を用意することが課題となっている。"
    ),
    "purpose": (
        "【目的】\n"
        "若い世代の女性や母子が相談しやすいよう、LINEを活用した相談とソーシャル"
        "ワークを行うとともに、一時的に休息や宿泊ができる居場所を提供する。また、"
        "相談者同士の支え合いと、相談者が自らの経験を語る研修会を通じて、相互に"
        "エンパワメントされることを目指す。"
    ),
    "features": (
        "①困難を抱える女性・母子の居場所づくり\n"
        "悩みを話せて、必要に応じて宿泊もできる居場所を市内に設けた。\n"
        "②LINEによる相談とソーシャルワーク\n"
        "LINEで受けた相談を面談につなぎ、手続きへの同行や関係機関への紹介を行った。\n"
        "③相互エンパワメント\n"
        "相談者同士が語り合うピアサポートグループを定期的に開催した。\n"
        "④人材育成\n"
        "相談者が自身の経験を語る研修会・講演会を開催した。"
    ),
    "effects": (
        "LINEによる相談は目標を上回り、これまで相談窓口を利用したことのない世代"
        "からの相談が多く寄せられた。一時宿泊の利用も目標を超え、休息を必要とする"
        "女性や母子の安心できる居場所として定着しつつある。ピアサポートグループでは"
        "参加者同士が互いの経験を分かち合う様子が見られた。"
    ),
    "future_issues": (
        "育児や介護のために家を離れられず、宿泊の利用を希望しながら断念する方が"
        "見られた。一人ひとりの事情に応じた支援を関係機関と連携して行うとともに、"
        "研修会の内容を参加者の声を踏まえて見直し、満足度の向上を図る必要がある。"
    ),
    "overview": (
        "①居場所づくり事業・②LINE相談とソーシャルワーク事業\n"
        "LINEで相談を受け、面談のうえ必要に応じて関係機関につなぎ、手続きに同行"
        "するなど、相談者に寄り添った支援を行った。休息が必要な方には宿泊も可能な"
        "居場所「やどかりハウス」を提供した。\n"
        "③相互エンパワメント事業\n"
        "相談につながった方や居場所の利用者が交流するピアサポートグループを開催した。\n"
        "④人材育成事業\n"
        "相談者が人前で自身の経験を語る研修会を開催した。"
    ),
}

# label override (blank: the metric's own), metric key, target, unit
METRIC_TARGETS = [
    ("一時宿泊数", "shelter_nights", 100),
    ("LINEによる相談件数", "consultations_line", 100),
    ("ピアサポートグループ参加者数", "peer_participants", 25),
    ("ピアサポートグループ開催回数", "peer_sessions", 5),
    ("人材育成事業研修会回数", "training_events", 2),
    ("人材育成事業研修会参加者の満足度", "training_satisfaction", 80),
]


def seed_programme(ctx, targets=METRIC_TARGETS) -> str:
    by = ctx.users["city"]
    programme = programme_create(
        by=by,
        fiscal_year=ctx.fiscal_year,
        funder=ctx.funders.get("city"),
        name="女性・母子の居場所づくり及び相互エンパワメントのためのコミュニティ創出事業",
        municipality="長野県いばしょ市",
        department="いばしょ市 人権男女共生課",
        contractor="NPO法人いばしょネット（委託事業者）",
        project_cost_thousand_yen=9_800,
        grant_thousand_yen=4_900,
        other_partners="庁内関係課（福祉課・子育て支援課・健康推進課ほか）\n"
        "NPO法人（子ども食堂・学習支援）",
        partner_agencies=list(
            PartnerAgency.objects.filter(
                category__in=[
                    PartnerAgency.Category.HELLO_WORK,
                    PartnerAgency.Category.SOCIAL_WELFARE_COUNCIL,
                    PartnerAgency.Category.HEALTH_OFFICE,
                    PartnerAgency.Category.MEDICAL,
                ]
            )
        ),
        **NARRATIVE,
    )
    target_save(
        target=Target(
            programme=programme,
            order=1,
            kind=Target.Kind.MANUAL,
            label="社会全体を「男女平等である」と回答した人の割合",
            unit="%",
            target_value=Decimal("20"),
            target_year=2025,
            baseline_value=Decimal("12.7"),
            baseline_year=2020,
        ),
        by=by,
    )
    for order, (label, key, value) in enumerate(targets, start=2):
        target_save(
            target=Target(
                programme=programme,
                order=order,
                kind=Target.Kind.METRIC,
                metric_key=key,
                label=label,
                target_value=Decimal(value),
            ),
            by=by,
        )
    ctx.programmes["city"] = programme
    return f"programme {programme.pk} with {1 + len(targets)} targets"


# The city programme's targets: the LINE consultations are the SNS programme's.
CITY_TARGETS = [t for t in METRIC_TARGETS if t[1] != "consultations_line"]
SNS_TARGETS = [
    ("LINEによる相談件数", "consultations_line", 100),
    ("SNS（チャット）による相談件数", "consultations_sns", 30),
]
SECOND_TARGETS = [
    ("相談件数", "consultations_total", 40),
    ("居場所の利用者数", "salon_visits", 100),
    ("講座の開催回数", "training_events", 1),
]
SNS_CHANNELS = ("line", "sns")


def _metric_targets(programme, targets, by) -> None:
    for order, (label, key, value) in enumerate(targets, start=1):
        target_save(
            target=Target(
                programme=programme,
                order=order,
                kind=Target.Kind.METRIC,
                metric_key=key,
                label=label,
                target_value=Decimal(value),
            ),
            by=by,
        )


def _rule(programme, kind, start, end, **only) -> ProgrammeRule:
    return ProgrammeRule(
        programme=programme, record_kind=kind, valid_from=start, valid_until=end, **only
    )


def seed_programmes(ctx) -> str:
    """The NPO's two programmes and their rules: LINE and SNS consultations
    and LINE chats fall under the prefecture's SNS programme, everything else
    of the year under the city's 居場所 programme."""
    from consultations.models import Channel
    from peergroups.models import Group
    from shelter.models import Facility

    seed_programme(ctx, targets=CITY_TARGETS)
    city = ctx.programmes["city"]
    by = ctx.users["prefecture"]
    sns = programme_create(
        by=by,
        fiscal_year=ctx.fiscal_year,
        funder=ctx.funders["prefecture"],
        name="SNSを活用した困難を抱える女性への相談支援事業",
        municipality="長野県",
        department="長野県 県民文化部 人権・男女共同参画課",
        contractor="NPO法人いばしょネット（委託事業者）",
        project_cost_thousand_yen=3_600,
        grant_thousand_yen=3_600,
        purpose="LINEを活用し、相談窓口につながりにくい若い世代の女性からの"
        "相談を受け、必要な支援につなぐ。",
    )
    _metric_targets(sns, SNS_TARGETS, by)
    ctx.programmes["sns"] = sns
    start, end = ctx.start, ctx.end
    Kind = ProgrammeRule.RecordKind
    rules = [
        *(_rule(sns, Kind.CONSULTATION, start, end, channel=c) for c in SNS_CHANNELS),
        _rule(sns, Kind.LINE_CHAT, start, end),
        *(
            _rule(city, Kind.CONSULTATION, start, end, channel=c)
            for c in Channel.values
            if c not in SNS_CHANNELS
        ),
        _rule(city, Kind.SUPPORT_ACTION, start, end),
        *(
            _rule(
                city,
                Kind.STAY if f.kind == Facility.Kind.SHELTER else Kind.SALON_VISIT,
                start,
                end,
                facility=f,
            )
            for f in Facility.objects.order_by("pk")
        ),
        *(
            _rule(city, Kind.PEER_SESSION, start, end, group=g)
            for g in Group.objects.order_by("pk")
        ),
        _rule(city, Kind.TRAINING_EVENT, start, end),
    ]
    ProgrammeRule.objects.bulk_create(rules)
    return f"programmes {city.pk} and {sns.pk} with {len(rules)} rules"


def seed_second_programme(ctx) -> str:
    """The municipal desk's programme, funded by the prefecture: every record
    of the desk's year falls under it."""
    by = ctx.users["prefecture"]
    programme = programme_create(
        by=by,
        fiscal_year=ctx.fiscal_year,
        funder=ctx.funders["prefecture"],
        name="こもれび市 困難な問題を抱える女性への支援事業",
        municipality="長野県",
        department="長野県 県民文化部 人権・男女共同参画課",
        contractor="こもれび市 女性相談窓口（市直営）",
        project_cost_thousand_yen=2_400,
        grant_thousand_yen=1_200,
        purpose="市の女性相談窓口で相談を受け、居場所と語り合いの会を通じて"
        "孤立を防ぐ。",
    )
    _metric_targets(programme, SECOND_TARGETS, by)
    ctx.programmes["second"] = programme
    Kind = ProgrammeRule.RecordKind
    kinds = [
        Kind.CONSULTATION,
        Kind.SUPPORT_ACTION,
        Kind.SALON_VISIT,
        Kind.PEER_SESSION,
        Kind.TRAINING_EVENT,
    ]
    ProgrammeRule.objects.bulk_create(
        _rule(programme, kind, ctx.start, ctx.end) for kind in kinds
    )
    return f"programme {programme.pk} with {len(kinds)} rules"


def attribute(ctx) -> str:
    """Gives the records of the active organisation that have no programme
    the programme of the rule they match (the demo's rules never overlap).
    A record counts by its date; a stay by any night in the rule's dates, so
    that the stay which began before the fiscal year counts in it as its
    nights do."""

    from accounts import scoping
    from consultations.models import Consultation, LineChat, SupportAction
    from peergroups.models import Session
    from shelter.models import SalonVisit, Stay
    from training.models import Event

    Kind = ProgrammeRule.RecordKind
    models = {
        Kind.CONSULTATION: (Consultation, "started_at__date"),
        Kind.SUPPORT_ACTION: (SupportAction, "date"),
        Kind.STAY: (Stay, None),
        Kind.SALON_VISIT: (SalonVisit, "date"),
        Kind.PEER_SESSION: (Session, "date"),
        Kind.TRAINING_EVENT: (Event, "date"),
        Kind.LINE_CHAT: (LineChat, "started_at__date"),
    }
    rules = ProgrammeRule.objects.filter(
        programme__organisation__in=scoping.current().org_ids
    ).order_by("pk")
    done = 0
    for rule in rules:
        model, day = models[rule.record_kind]
        if day is None:  # a stay: its nights
            within = Q(start_date__lte=rule.valid_until, end_date__gte=rule.valid_from)
        else:
            within = Q(**{f"{day}__range": (rule.valid_from, rule.valid_until)})
        if rule.channel:
            within &= Q(channel=rule.channel)
        if rule.facility_id:
            path = "room__facility" if model is Stay else "facility"
            within &= Q(**{path: rule.facility_id})
        if rule.group_id:
            within &= Q(group=rule.group_id)
        done += model.objects.filter(within, programme__isnull=True).update(
            programme=rule.programme_id
        )
    return f"{done} records attributed to their programme"
