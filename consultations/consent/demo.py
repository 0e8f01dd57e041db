"""Fictional consents and referrals for ``manage.py seed_demo`` (called by
``consultations.demo.seed_casework``, relative to today): consents of each
state (one expired, one withdrawn, one not yet valid), referrals sent,
accepted and declined, with outcomes, and one emergency override. Each record
is in its client's organisation (the services take it from the client)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ..models import Client, PartnerAgency
from . import services
from .models import InfoCategory as C
from .models import Referral, mask_of


def seed_consent(ctx, clients: list[Client] | None = None) -> str:
    me = ctx.users["counsellor"]
    today = timezone.localdate()
    clients = clients or list(
        Client.objects.filter(status=Client.Status.OPEN).order_by("id")[:5]
    )
    if len(clients) < 5:
        return "no consents (too few clients)"
    agency = {a.name: a for a in PartnerAgency.objects.all()}

    def day(offset: int) -> dt.date:
        return today + dt.timedelta(days=offset)

    def consent(client, name, categories, start, end, method="written"):
        return services.consent_record(
            by=me,
            client=client,
            agency=agency[name],
            categories=mask_of(categories),
            valid_from=day(start),
            valid_to=day(end),
            method=method,
        )

    def refer(client, name, when, categories, given=None, kind="referral", **kw):
        return services.referral_create(
            by=me,
            client=client,
            agency=agency[name],
            kind=kind,
            date=day(when),
            categories=mask_of(categories),
            consent=given,
            **kw,
        )

    def outcome(referral, accepted, text, when):
        services.referral_answer(by=me, referral=referral, accepted=accepted)
        services.referral_record_outcome(
            by=me, referral=referral, outcome=text, outcome_date=day(when)
        )

    first, second, third, fourth, fifth = clients[:5]
    # Welfare office: accepted, with its outcome.
    welfare = consent(
        first,
        "市役所 福祉課",
        [C.NAME_CONTACT, C.CONSULTATION, C.HOUSING, C.FINANCES],
        -20,
        345,
    )
    outcome(
        refer(first, "市役所 福祉課", -14, [C.NAME_CONTACT, C.FINANCES], welfare),
        True,
        "生活保護の申請につながった。担当ケースワーカーが決まった。",
        -5,
    )
    # Hello Work: information passed, no answer yet; a withdrawn consent.
    hello = consent(
        second, "ハローワーク", [C.NAME_CONTACT, C.CONSULTATION], -10, 80, "spoken"
    )
    refer(
        second,
        "ハローワーク",
        -3,
        [C.NAME_CONTACT, C.CONSULTATION],
        hello,
        kind=Referral.Kind.INFORMATION,
    )
    services.consent_withdraw(
        by=me,
        consent=consent(second, "子ども食堂運営団体", [C.CHILDREN], -30, 150, "line"),
    )
    # Social welfare council: an expired consent and the referral it allowed.
    council = consent(third, "社会福祉協議会", [C.NAME_CONTACT, C.FINANCES], -400, -35)
    outcome(
        refer(third, "社会福祉協議会", -200, [C.NAME_CONTACT, C.FINANCES], council),
        True,
        "緊急小口資金の貸付を受けた。",
        -180,
    )
    # The police, in an emergency, without consent (a supervisor sees it).
    refer(
        fourth,
        "警察署",
        -1,
        [C.NAME_CONTACT, C.VIOLENCE],
        override_reason=(
            "深夜に元夫が自宅付近に現れ、本人と連絡が取れない。"
            "命の危険があるため警察署に情報提供した。"
        ),
    )
    # A clinic: declined, with what was arranged instead; a consent to the
    # health office that starts next week.
    clinic = consent(fifth, "医療機関", [C.NAME_CONTACT, C.HEALTH], -12, 60, "line")
    outcome(
        refer(fifth, "医療機関", -6, [C.HEALTH], clinic),
        False,
        "予約が埋まっていた。別の医療機関を本人と探すことにした。",
        -2,
    )
    consent(fifth, "保健福祉事務所", [C.HEALTH, C.CHILDREN], 7, 200, "spoken")
    return "7 consents, 5 referrals (1 emergency override)"
