import datetime as dt

from django.utils import translation
from django.utils.translation import gettext

from consultations.plans import services

CALM = {
    "violence": "none",
    "abuser_knows": "no",
    "children": "no_children",
    "suicide": "none",
    "housing": "safe",
    "money": "enough",
    "health": "ok",
}
DAY = dt.date(2021, 10, 1)


def ja(message: str) -> str:
    """A message as the (Japanese-first) pages show it."""
    with translation.override("ja"):
        return gettext(message)


def approved_plan(*, client, author, supervisor, tasks=()):
    """Version n of a plan, approved, with tasks given as kwargs dicts."""
    plan = services.plan_create(
        by=author, client=client, wishes="自分の部屋がほしい", goals="住まいを探す",
        review_on=DAY + dt.timedelta(days=60),
    )  # fmt: skip
    for task in tasks:
        services.task_create(plan=plan, by=author, **task)
    return services.plan_approve(plan=plan, by=supervisor)
