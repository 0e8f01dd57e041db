"""Demo assessments, support plans and a closure request (issue 19), called
by consultations.demo.seed_casework in the scope of the NPO: every record is
that of its client's organisation. Fictional, deterministic, dated relative
to today so that the worklist has something to show:

- one woman's risk over two months: three assessments, high → medium → low,
  the last one set to medium with a reason;
- her support plan: version 1 approved, then version 2 (approved, in effect)
  with three tasks, one of them overdue;
- a plan in effect whose review date has passed;
- a draft plan that waits for a supervisor's approval;
- a closure request that waits for a supervisor's decision.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ..models import Client, PartnerAgency
from . import services

CALM = {
    "violence": "none",
    "abuser_knows": "no",
    "children": "no_children",
    "suicide": "none",
    "housing": "safe",
    "money": "enough",
    "health": "ok",
}


def _agency(name: str):
    return PartnerAgency.objects.filter(name=name).first()


def seed_plans(ctx) -> str:
    today = timezone.localdate()
    days = dt.timedelta
    me, colleague = ctx.users["counsellor"], ctx.users["counsellor2"]
    supervisor = ctx.users["admin"]
    open_clients = list(Client.objects.filter(status=Client.Status.OPEN).order_by("id"))
    her, housing, review, leaving = (open_clients[i] for i in (2, 4, 8, 10))

    # Her risk over time.
    for when, answers, chosen, reason in (
        (
            today - days(60),
            {"violence": "severe", "abuser_knows": "yes", "housing": "unsure",
             "money": "none", "health": "needs_care"},
            None,
            "",
        ),
        (
            today - days(30),
            {"violence": "some", "abuser_knows": "unknown", "money": "short",
             "health": "needs_care"},
            None,
            "",
        ),
        (
            today - days(5),
            {"money": "short"},
            "medium",
            "転居して間もなく、相手が新しい住所を探している様子がある。",
        ),
    ):  # fmt: skip
        services.assessment_create(
            by=me, client=her, assessed_on=when, chosen=chosen, reason=reason,
            **{**CALM, **answers},
        )  # fmt: skip

    # Her plan: version 1, then version 2 in effect with its tasks.
    first = services.plan_create(
        by=me, client=her,
        wishes="「子どもと二人で、あの人に見つからない所で暮らしたい。」",
        goals="安全な住まいに移る。住民票の閲覧制限をかける。",
        review_on=today - days(20),
    )  # fmt: skip
    services.task_create(
        plan=first, by=me, description="住民票の閲覧制限（DV等支援措置）を申し出る",
        due_on=today - days(40), owner_agency=_agency("市役所 市民課"),
    )  # fmt: skip
    services.plan_approve(plan=first, by=supervisor)
    services.task_set_status(task=first.tasks.get(), by=me, status="done")
    second = services.plan_create(
        by=me, client=her,
        wishes="「子どもと二人で、落ち着いて暮らしたい。いずれは働きたい。」",
        goals="新しい住まいで生活を整える。仕事を探す準備をする。体調を整える。",
        review_on=today + days(30),
    )  # fmt: skip
    for description, due, owner in (
        ("ハローワークで職業相談の予約を取る", today - days(3), {"owner_staff": me}),
        ("心療内科の受診に同行する", today + days(10), {"owner_staff": colleague}),
        ("子どもの転校手続きを確認する", today + days(14),
         {"owner_agency": _agency("市役所 子育て支援課")}),
    ):  # fmt: skip
        services.task_create(
            plan=second, by=me, description=description, due_on=due, **owner
        )
    services.plan_approve(plan=second, by=supervisor)

    # A plan in effect whose review date has passed.
    due = services.plan_create(
        by=colleague, client=review,
        wishes="「一人でいると不安。話せる場所がほしい。」",
        goals="サロンとピアサポートグループにつながる。",
        review_on=today - days(2),
    )  # fmt: skip
    services.task_create(
        plan=due, by=colleague, description="サロンの利用日を一緒に決める",
        due_on=today + days(3), owner_staff=colleague,
    )  # fmt: skip
    services.plan_approve(plan=due, by=supervisor)

    # A draft waiting for approval.
    draft = services.plan_create(
        by=colleague, client=housing,
        wishes="「家賃が払えない。子どもたちと今の家に住み続けたい。」",
        goals="当面の生活費を確保する。家賃の支払いの見通しを立てる。",
        review_on=today + days(45),
    )  # fmt: skip
    services.task_create(
        plan=draft, by=colleague, description="緊急小口資金の相談に同行する",
        due_on=today + days(4), owner_agency=_agency("社会福祉協議会"),
    )  # fmt: skip
    services.task_create(
        plan=draft, by=colleague, description="住居確保給付金の申請書類をそろえる",
        due_on=today + days(7), owner_staff=colleague,
    )  # fmt: skip

    # A closure waiting for a supervisor's decision.
    leaving.refresh_from_db()
    services.closure_request(
        client=leaving, by=colleague, reason=Client.ClosureReason.RESOLVED,
        expected_version=leaving.version,
        note="就職が決まり、生活が落ち着いた。本人も終了に同意。",
    )  # fmt: skip
    return "3 assessments, 4 support plans (1 draft), 1 closure awaiting approval"
