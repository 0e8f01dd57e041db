"""Demo support coordination meetings (issue 20), called by
consultations.demo.seed_casework in the scope of the NPO. Fictional and
dated relative to today: a meeting of each level.

- 代表者会議 (three months ago): the organisations of the council, each
  with its pledge, and the year's plan in general terms; no case.
- 実務者会議 (a month ago): the staff of the agencies, one case followed
  up; one outside member was absent and her pledge is not yet recorded.
- 個別ケース検討会議 (last week): one woman's case, what was shared and
  decided, and the split of roles; the staff's roles are their next steps.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ..models import Client, PartnerAgency
from . import services


def _agency(name: str):
    return PartnerAgency.objects.filter(name=name).first()


def seed_meetings(ctx) -> str:
    today = timezone.localdate()
    days = dt.timedelta
    me, colleague, admin = (
        ctx.users["counsellor"],
        ctx.users["counsellor2"],
        ctx.users["admin"],
    )
    open_clients = list(Client.objects.filter(status=Client.Status.OPEN).order_by("id"))
    her, housing = open_clients[2], open_clients[4]

    # 代表者会議: the organisations, once a year.
    held = today - days(90)
    council = services.meeting_create(
        by=admin, level="representatives", held_on=held,
        title="令和の女性支援ネットワーク 代表者会議", place="市役所 第2会議室",
        agenda="支援調整会議の運営要領の確認\n今年度の取組方針\n各機関の相談状況（件数のみ）",
        next_review_on=held + days(365),
    )  # fmt: skip
    services.member_add(
        by=admin, meeting=council, kind="person", user=admin, pledged_on=held
    )
    for name in ("市役所 福祉課", "市役所 子育て支援課", "警察署", "社会福祉協議会",
                 "保健福祉事務所", "ハローワーク"):  # fmt: skip
        services.member_add(
            by=admin, meeting=council, kind="organisation", agency=_agency(name),
            pledged_on=held,
        )  # fmt: skip
    services.member_add(
        by=admin, meeting=council, kind="organisation", name="市内の女性シェルター",
        attended=False, pledged_on=held,
    )  # fmt: skip

    # 実務者会議: the staff, monthly; cases in progress.
    held = today - days(30)
    practice = services.meeting_create(
        by=me, level="practitioners", held_on=held, title="実務者会議（定例）",
        place="いばしょネット 相談室",
        agenda="継続ケースの進捗確認\n新規相談の傾向\n次回の個別ケース検討会議の調整",
        next_review_on=held + days(30),
    )  # fmt: skip
    for user in (me, colleague):
        services.member_add(
            by=me, meeting=practice, kind="person", user=user, pledged_on=held
        )
    welfare = services.member_add(
        by=me, meeting=practice, kind="person", name="山中 和子",
        agency=_agency("市役所 福祉課"), pledged_on=held,
    )  # fmt: skip
    services.member_add(
        by=me, meeting=practice, kind="person", name="川原 美穂",
        agency=_agency("市役所 子育て支援課"), attended=False,
    )  # fmt: skip
    follow = services.case_add(
        by=colleague, meeting=practice, client=housing,
        situation="家賃の滞納が3か月。子ども2人と同居。パートの収入が減った。",
        decisions="緊急小口資金と住居確保給付金の相談を並行して進める。",
    )  # fmt: skip
    services.role_add(
        by=colleague, case=follow, member=welfare,
        task="住居確保給付金の要件を確認して連絡する", due_on=held + days(7),
    )  # fmt: skip

    # 個別ケース検討会議: one woman's case, last week.
    held = today - days(7)
    review = services.meeting_create(
        by=me, level="case_review", held_on=held, title="個別ケース検討会議",
        place="いばしょネット 相談室", next_review_on=held + days(28),
    )  # fmt: skip
    mine = services.member_add(by=me, meeting=review, kind="person", user=me)
    services.member_add(by=me, meeting=review, kind="person", user=colleague)
    welfare = services.member_add(
        by=me, meeting=review, kind="person", name="山中 和子",
        agency=_agency("市役所 福祉課"), pledged_on=held,
    )  # fmt: skip
    health = services.member_add(
        by=me, meeting=review, kind="person", name="森 直美",
        agency=_agency("保健福祉事務所"), pledged_on=held,
    )  # fmt: skip
    case = services.case_add(
        by=me, meeting=review, client=her,
        situation=(
            "元夫からの暴力で転居して2か月。元夫が新しい住所を探している様子が"
            "ある。小学生の子ども1人。不眠が続き、仕事を探す気力が出ない。"
        ),
        decisions=(
            "住民票の閲覧制限は継続。転校先の学校に情報の取扱いを依頼する。"
            "受診につなげ、体調が整ってから就労支援に進む。"
        ),
    )  # fmt: skip
    for member, task, due in (
        (mine, "心療内科の受診予約に同行する", today + days(5)),
        (welfare, "学校と教育委員会に情報の取扱いを依頼する", today + days(10)),
        (health, "保健師による家庭訪問の日程を調整する", today + days(14)),
    ):
        services.role_add(by=me, case=case, member=member, task=task, due_on=due)
    return "3 coordination meetings (one of each level), 2 cases, 4 roles"
