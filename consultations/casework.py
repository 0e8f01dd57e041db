"""The counsellor's worklist: follow-ups due, and cases that have gone quiet.

Day rules, all in local time (Asia/Tokyo):
* a follow-up is *due today* when its due date is today, *overdue* when its
  due date is before today, until it is done;
* a case has had *no contact in N days* when nothing happened on any of the
  last N days, today included: no consultation, no support action, and it was
  not registered, on or after the local date today − (N − 1). With N = 7 and
  today 10 October, contact on 3 October still counts; contact on 2 October
  does not.
* a support plan is *due for review* when it is in effect and its review
  date is today or earlier; a plan task is *overdue* when it is open on the
  plan in effect and its due date is before today;
* supervisors also see the drafts of plans and the closures of cases that
  wait for their approval (not their own: four eyes).
Each list is one query, whatever the number of cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import router
from django.db.models import F, Func, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from accounts import dataversion, scoping
from accounts.links import person_name, url_by_id

from .models import Client, Consultation, FollowUp, SupportAction

HIGH_URGENCY_QUIET_DAYS = 7
QUIET_DAYS = 30
LIST_LIMIT = 100
# How many rows of each list the worklists show (the most urgent first); a
# link opens the whole list on its own page, WORKLIST_PAGE_SIZE rows a page.
WORKLIST_SHOWN = 20
WORKLIST_PAGE_SIZE = 50
# What the worklist shows of a person (a list of up to 400 rows: only these
# columns are read, never a phone number or a note on the case). The lists of
# follow-ups, quiet cases and unread conversations are read as values (dicts)
# and their rows made in Python (``for_display``): building model objects
# for the LIST_LIMIT + 1 rows each list reads to count them cost more than
# the page's queries.
USER_FIELDS = ("username", "first_name", "last_name")
FOLLOW_UP_ROW = (
    "pk",
    "client_id",
    "owner_id",
    "kind",
    "due_date",
    "note",
    "client__code",
    "client__display_name",
    *(f"owner__{f}" for f in USER_FIELDS),
)
CASE_ROW = (
    "pk",
    "code",
    "display_name",
    "urgency",
    "last_contact_on",
    "assigned_counsellor_id",
    *(f"assigned_counsellor__{f}" for f in USER_FIELDS),
)
UNREAD_ROW = (
    "pk",
    "display_name",
    "client_id",
    "last_event_at",
    "unread_count",
    "client_code",
    "client_name",
)


def local_today(now: dt.datetime | None = None) -> dt.date:
    return timezone.localdate(now or timezone.now())


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def follow_ups_due(*, owner=None, now=None) -> QuerySet:
    """Open follow-ups due today or earlier (all owners when owner is None),
    as values of FOLLOW_UP_ROW."""
    follow_ups = FollowUp.objects.filter(
        done_at__isnull=True, due_date__lte=local_today(now)
    )
    if owner is not None:
        follow_ups = follow_ups.filter(owner=owner)
    return follow_ups.order_by("due_date", "id").values(*FOLLOW_UP_ROW)


def last_contact_computed() -> Func:
    """A client's last contact computed from the records (an expression over
    the client's rows): the later of the local date of her last consultation
    and the date of her last support action, None when she has neither."""
    consulted = Subquery(
        Consultation.objects.filter(client=OuterRef("pk"))
        .order_by("-started_at")
        .annotate(day=TruncDate("started_at"))
        .values("day")[:1]
    )
    supported = Subquery(
        SupportAction.objects.filter(client=OuterRef("pk"))
        .order_by("-date")
        .values("date")[:1]
    )
    # GREATEST of two NULLs is NULL on both databases; with one NULL,
    # PostgreSQL would skip it but SQLite would answer NULL: coalesce first.
    return Greatest(Coalesce(consulted, supported), Coalesce(supported, consulted))


def client_refresh_last_contact(client_ids) -> None:
    """Recompute the cached ``Client.last_contact_on`` of these clients (one
    UPDATE). Every write of a consultation or a support action calls it in
    its transaction, with the clients before and after the write."""
    ids = {pk for pk in client_ids if pk is not None}
    if ids:
        Client.objects.filter(pk__in=ids).update(
            last_contact_on=last_contact_computed()
        )


def last_contact_stale() -> QuerySet[Client]:
    """Clients whose cached last contact differs from their records (none,
    unless a write path forgot to refresh it): manage.py check_last_contact."""
    # NULL (no contact) compared as a date before any other: a plain
    # exclude(last_contact_on=F(...)) would miss a cached date where the
    # records have none (NULL = NULL is not true).
    never = Value(dt.date.min)
    return Client.objects.annotate(
        cached=Coalesce("last_contact_on", never),
        computed=Coalesce(last_contact_computed(), never),
    ).exclude(cached=F("computed"))


def quiet_cases(
    *, days: int, counsellor=None, now=None, urgency: str | None = None
) -> QuerySet:
    """Open cases with no contact in ``days`` days, quietest (earliest last
    contact, none first) first, as values of CASE_ROW. Reads the cached
    ``last_contact_on``."""
    since = local_today(now) - dt.timedelta(days=days - 1)
    cases = Client.objects.filter(
        Q(last_contact_on__isnull=True) | Q(last_contact_on__lt=since),
        status=Client.Status.OPEN,
        created_at__lt=_local_midnight(since),
    )
    if urgency:
        cases = cases.filter(urgency=urgency)
    if counsellor is not None:
        cases = cases.filter(assigned_counsellor=counsellor)
    return cases.order_by(F("last_contact_on").asc(nulls_first=True), "id").values(
        *CASE_ROW
    )


def unread_line_conversations(*, user=None):
    """LINE conversations with unread messages: for a counsellor, those of her
    clients and those not linked to any client yet; for the team, all. Values
    of UNREAD_ROW: only the columns the worklist shows are read."""
    from .line.selectors import unread_conversations

    conversations = unread_conversations()
    if user is None:
        counsellor = {
            f"counsellor_{f}": F(f"client__assigned_counsellor__{f}")
            for f in USER_FIELDS
        }
        return conversations.annotate(
            client_code=F("client__code"),
            client_name=F("client__display_name"),
            **counsellor,
        ).values(*UNREAD_ROW, *counsellor)
    # Her clients by a subquery (the counsellor's index), and the client's
    # code and name looked up for the rows read: with the client joined and
    # filtered on, PostgreSQL hash-joined every client before it could
    # filter (4 of the home page's 11 ms of SQL).
    client = Client.objects.filter(pk=OuterRef("client_id"))
    return (
        conversations.filter(
            Q(client__isnull=True)
            | Q(client__in=Client.objects.filter(assigned_counsellor=user))
        )
        .annotate(
            client_code=Subquery(client.values("code")[:1]),
            client_name=Subquery(client.values("display_name")[:1]),
        )
        .values(*UNREAD_ROW)
    )


@dataclass
class Worklist:
    # Each list holds its first WORKLIST_SHOWN rows only (the most urgent).
    overdue: list
    due_today: list
    high_quiet: list
    quiet: list
    unread_line: list
    today: dt.date
    # The lists that hold more than LIST_LIMIT entries (only the first
    # LIST_LIMIT are counted): their count reads "100+", not "100".
    more: set[str] = field(default_factory=set)
    # Each list's count as shown ("37", "100+"), and the link to the whole
    # list for those with more rows than shown.
    counts: dict = field(default_factory=dict)
    links: dict = field(default_factory=dict)
    # Support plans (consultations.plans): due for review, overdue tasks.
    plans_review: list = field(default_factory=list)
    tasks_overdue: list = field(default_factory=list)
    # Supervisors only (the lists are empty, and not read, for others).
    supervisor: bool = False
    plans_awaiting: list = field(default_factory=list)
    closures_awaiting: list = field(default_factory=list)


def worklist_lists(*, user=None, now=None) -> dict[str, QuerySet]:
    """The worklist's lists by name, each in its order (most urgent first):
    ``user``'s own, or the team's (user None). The supervisors' approvals
    only for a supervisor (the team's is a supervisor's)."""
    from accounts.roles import is_supervisor

    from .plans import selectors as plans

    today = local_today(now)
    due = follow_ups_due(owner=user, now=now)
    lists = {
        "overdue": due.filter(due_date__lt=today),
        "due_today": due.filter(due_date=today),
        "high_quiet": quiet_cases(
            days=HIGH_URGENCY_QUIET_DAYS,
            counsellor=user,
            now=now,
            urgency=Client.Urgency.HIGH,
        ),
        "quiet": quiet_cases(days=QUIET_DAYS, counsellor=user, now=now),
        "unread_line": unread_line_conversations(user=user),
        "plans_review": plans.plans_due_for_review(today=today, user=user),
        "tasks_overdue": plans.plan_tasks_overdue(today=today, user=user),
    }
    if user is None or is_supervisor(user):
        lists["plans_awaiting"] = plans.plans_awaiting_approval(user=user)
        lists["closures_awaiting"] = plans.closures_awaiting_approval(user=user)
    return lists


def all_url_name(user) -> str:
    """The URL name of the page that shows one whole list."""
    return "consultations:worklist_all" if user else "consultations:team_worklist_all"


def summary(name: str, queryset, *, link_name: str) -> tuple[list, str, str, bool]:
    """A list as the worklists show it (one query): its first WORKLIST_SHOWN
    rows, its count ("100+" beyond LIST_LIMIT), the link to the whole list
    ("" when every row is shown) and whether it holds more than LIST_LIMIT."""
    found = list(queryset[: LIST_LIMIT + 1])
    more = len(found) > LIST_LIMIT
    count = f"{LIST_LIMIT}+" if more else str(len(found))
    link = reverse(link_name, args=[name]) if len(found) > WORKLIST_SHOWN else ""
    return found[:WORKLIST_SHOWN], count, link, more


def worklist(*, user=None, now=None) -> Worklist:
    """My worklist (user given) or the team's (user None), kept in memory
    until the data it shows changes (one query while it is kept: the data
    version; ``accounts.dataversion``): per user, scope, language and day."""
    key = (
        "worklist",
        getattr(user, "pk", None),
        scoping.current(),
        get_language(),
        local_today(now),
    )
    # The token of the database the lists are read from (a replica for the
    # team's page when one is set: accounts.replica).
    using = router.db_for_read(FollowUp)
    return dataversion.cached(key, lambda: _worklist(user=user, now=now), using=using)


def _worklist(*, user=None, now=None) -> Worklist:
    """Eight queries (the unread conversations take two), and two more for a
    supervisor (the team's is a supervisor's)."""
    lists = worklist_lists(user=user, now=now)
    rows, counts, links, more = {}, {}, {}, set()
    for name, queryset in lists.items():
        rows[name], counts[name], links[name], over = summary(
            name, queryset, link_name=all_url_name(user)
        )
        if over:
            more.add(name)
    for name, shown in rows.items():
        for_display(name, shown, show_owner=user is None)
    return Worklist(
        **rows,
        today=local_today(now),
        more=more,
        counts=counts,
        links=links,
        supervisor="plans_awaiting" in lists,
    )


def for_display(name: str, rows, *, show_owner: bool) -> None:
    """Each row's HTML (``html``) for the lists read as values (follow-ups,
    quiet cases, unread conversations: the rows of list ``name``), made here
    with its link and labels, worked out once per page, rather than by a
    template per row and tags per cell (those were half of the page's time);
    ``show_owner`` adds whose it is (the team's lists). The plan lists are
    model objects drawn by their templates."""
    if name in ("overdue", "due_today"):
        _follow_up_html(rows, show_owner=show_owner)
    elif name in ("high_quiet", "quiet"):
        _case_html(rows, show_owner=show_owner)
    elif name == "unread_line":
        unread_line_for_display(rows, show_owner=show_owner)


def _follow_up_html(rows, *, show_owner: bool) -> None:
    """The rows of includes/follow_up_rows.html."""
    from accounts.templatetags.dates import jdate

    e = conditional_escape
    client_url = url_by_id("consultations:client_detail")
    kinds = {value: e(label) for value, label in FollowUp.Kind.choices}
    for row in rows:
        note = f' <span class="muted">{e(row["note"])}</span>' if row["note"] else ""
        if show_owner:
            owner = person_name(*(row[f"owner__{f}"] for f in _NAME))
            note += f' <span class="muted">（{e(owner)}）</span>'
        row["html"] = mark_safe(  # noqa: S308 (each value escaped)
            f'\n  <li><a href="{e(client_url(row["client_id"]))}#follow-ups">'
            f"<strong>{jdate(row['due_date'])}</strong> "
            f"{kinds.get(row['kind']) or e(row['kind'])} — "
            f"{e(row['client__code'])} {e(row['client__display_name'])}</a>"
            f"{note}</li>\n"
        )


def _case_html(rows, *, show_owner: bool) -> None:
    """The rows of includes/quiet_rows.html."""
    from accounts.templatetags.dates import jdate

    e = conditional_escape
    client_url = url_by_id("consultations:client_detail")
    urgencies = {value: e(label) for value, label in Client.Urgency.choices}
    last_contact = e(_("last contact"))
    unassigned = _("unassigned")
    for row in rows:
        urgency = row["urgency"]
        owner = ""
        if show_owner:
            name = person_name(*(row[f"assigned_counsellor__{f}"] for f in _NAME))
            owner = f' <span class="muted">（{e(name or unassigned)}）</span>'
        when = row["last_contact_on"]
        row["html"] = mark_safe(  # noqa: S308 (each value escaped)
            f'\n  <li><a href="{e(client_url(row["pk"]))}">'
            f"{e(row['code'])} {e(row['display_name'])}</a> "
            f'<span class="badge urgency-{e(urgency)}">'
            f"{urgencies.get(urgency) or e(urgency)}</span>\n"
            f'    <span class="muted">{last_contact}: '
            f"{jdate(when) if when else '–'}</span>{owner}</li>\n"
        )


def unread_line_for_display(conversations, *, show_owner: bool = False) -> None:
    """Each unread conversation's row (``html``) with its link and unread
    count, for includes/line_unread_list.html (the worklist and its live
    updates); ``show_owner`` adds the client's counsellor (the team's)."""
    e = conditional_escape
    conversation_url = url_by_id("line:conversation")
    not_linked = _("LINE user (not linked)")
    unassigned = _("unassigned")
    for row in conversations:
        n = row["unread_count"]
        label = ngettext("%(n)s unread", "%(n)s unread", n) % {"n": n}
        if row["client_id"]:
            who = f"{e(row['client_code'])} {e(row['client_name'])}"
        else:
            who = e(row["display_name"] or not_linked)
        owner = ""
        if show_owner and row["client_id"]:
            name = person_name(*(row[f"counsellor_{f}"] for f in _NAME))
            owner = f' <span class="muted">（{e(name or unassigned)}）</span>'
        row["html"] = mark_safe(  # noqa: S308 (each value escaped)
            f'\n      <li><a href="{e(conversation_url(row["pk"]))}">{who}</a>\n'
            f'        <span class="badge new">{e(label)}</span>{owner}</li>\n    '
        )


# A user's name columns in the order accounts.links.person_name takes them.
_NAME = ("last_name", "first_name", "username")
