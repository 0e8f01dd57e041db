"""The demo programme of fiscal year 2021 (令和3年度), modelled on the Ueda
summary in shared/seeds: the same kind of targets, and narrative sections in
the same style (fictional text, written for the demo)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q

import jpdates
from consultations.models import PartnerAgency

from .models import Target
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


def attribute_year(programme) -> int:
    """Attribute the records of the programme's fiscal year that have no
    programme yet to it, so that its report counts them (the demo's one
    programme a year). Returns how many records were attributed."""
    from consultations.models import Consultation, LineChat, SupportAction
    from consultations.selectors import consultations_between
    from peergroups.models import Session
    from shelter.models import SalonVisit, Stay
    from training.models import Event

    start, end = jpdates.fiscal_year_range(programme.fiscal_year)
    on_days = Q(date__range=(start, end))
    kinds = (
        (Consultation, consultations_between(start, end)),
        (LineChat, consultations_between(start, end)),
        (SupportAction, on_days),
        (Stay, Q(start_date__range=(start, end))),
        (SalonVisit, on_days),
        (Session, on_days),
        (Event, on_days),
    )
    return sum(
        model.objects.filter(within, programme__isnull=True).update(programme=programme)
        for model, within in kinds
    )


def seed_programme(ctx) -> str:
    by = ctx.users["city"]
    programme = programme_create(
        by=by,
        fiscal_year=ctx.fiscal_year,
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
    attribute_year(programme)
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
    for order, (label, key, value) in enumerate(METRIC_TARGETS, start=2):
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
    return f"programme {programme.pk} with {1 + len(METRIC_TARGETS)} targets"
