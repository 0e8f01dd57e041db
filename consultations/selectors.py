"""Reads with visibility rules and query discipline."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

import jpdates
from accounts import dataversion
from accounts.links import person_name, url_by_id
from accounts.roles import Role, has_role

from .models import (
    Channel,
    Client,
    Consultation,
    SafetyFlagClearance,
    SupportAction,
)
from .search import normalise


def contact_visible_q(user) -> Q:
    """Client.contact_visible_to in SQL: the clients whose contact details
    (phone, e-mail, area) ``user`` may see."""
    if has_role(user, Role.ADMIN):
        return Q(pk__isnull=False)
    return Q(no_phone_or_mail=False, address_confidential=False) | Q(
        assigned_counsellor=user
    )


def client_search(text: str, *, fetched_by) -> Q:
    """Clients whose code, name or kana contains the (normalised) text, or
    whose phone number does where the searcher may see it: a phone number
    finds a client with hidden contact details (Client.contact_visible_to)
    only for her assigned counsellor and admins, so that a search cannot
    confirm whose number it is."""
    by_phone = Q(search_phone__contains=text)
    if not has_role(fetched_by, Role.ADMIN):
        by_phone &= contact_visible_q(fetched_by)
    return Q(search_text__contains=text) | by_phone


def client_list(*, fetched_by, filters: dict | None = None) -> QuerySet[Client]:
    """Clients, each with ``contact_shown``: whether ``fetched_by`` may see
    its contact details and area (computed in the same query)."""
    filters = filters or {}
    clients = (
        Client.objects.select_related("assigned_counsellor")
        .annotate(
            contact_shown=ExpressionWrapper(
                contact_visible_q(fetched_by), output_field=BooleanField()
            )
        )
        .order_by("-id")
    )
    if filters.get("q"):
        clients = clients.filter(
            client_search(normalise(filters["q"]), fetched_by=fetched_by)
        )
    if filters.get("status"):
        clients = clients.filter(status=filters["status"])
    if filters.get("counsellor"):
        clients = clients.filter(assigned_counsellor=filters["counsellor"])
    if filters.get("household_type"):
        clients = clients.filter(household_type=filters["household_type"])
    return clients


# What a row of the client list shows, read as values (no model objects).
CLIENT_ROW_FIELDS = (
    "pk",
    "code",
    "display_name",
    "kana",
    "household_type",
    "area",
    "contact_shown",
    "assigned_counsellor__last_name",
    "assigned_counsellor__first_name",
    "assigned_counsellor__username",
    "status",
)


def client_rows(values: list[dict]) -> list[dict]:
    """The rows of one page of the client list (``values`` of
    CLIENT_ROW_FIELDS, from client_list) with the link, labels and the
    counsellor's name made here, so that the template only prints them (no
    query). The area stays out of a row whose contact is not shown."""
    detail = url_by_id("consultations:client_detail")
    households = {value: str(label) for value, label in Client.HouseholdType.choices}
    statuses = {value: str(label) for value, label in Client.Status.choices}
    rows = []
    for v in values:
        rows.append(
            {
                "href": detail(v["pk"]),
                "code": v["code"],
                "display_name": v["display_name"],
                "kana": v["kana"],
                "household_type": households.get(
                    v["household_type"], v["household_type"]
                ),
                "contact_shown": v["contact_shown"],
                "area": v["area"] if v["contact_shown"] else "",
                "counsellor": person_name(
                    v["assigned_counsellor__last_name"],
                    v["assigned_counsellor__first_name"],
                    v["assigned_counsellor__username"],
                ),
                "status": v["status"],
                "status_label": statuses.get(v["status"], v["status"]),
            }
        )
    return rows


# The client picker (static/js/client_picker.js) offers this many matches.
LOOKUP_LIMIT = 10


def client_lookup(*, fetched_by, query: str, limit: int = LOOKUP_LIMIT) -> list[dict]:
    """Matches for the counsellor's client picker, in one query: what tells
    two women of the same name apart (code, display name, kana, age band and
    the date of the last contact: the later of the last consultation and the
    last support action), and whether she consulted before. Never contact
    details; a phone number finds a client only where the searcher may see it
    (client_search)."""
    text = normalise(query)
    if len(text) < 1:
        return []
    rows = (
        Client.objects.filter(client_search(text, fetched_by=fetched_by))
        .annotate(
            has_consultations=Exists(
                Consultation.objects.filter(client=OuterRef("pk"))
            ),
        )
        .order_by("status", "-id")
        .values(
            "code",
            "display_name",
            "kana",
            "age_band",
            "status",
            "has_consultations",
            "last_contact_on",
        )[:limit]
    )
    found = []
    for row in rows:
        # The cached date (casework.client_refresh_last_contact keeps it).
        row["last_contact"] = row.pop("last_contact_on")
        found.append(row)
    return found


def _local_range(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Aware datetimes covering local (Asia/Tokyo) days start..end inclusive."""
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def consultations_between(start: dt.date, end: dt.date) -> Q:
    """Consultations on local days start..end inclusive (an index range scan)."""
    since, until = _local_range(start, end)
    return Q(started_at__gte=since, started_at__lt=until)


# The consultation list offers this many fiscal years (the current one first).
LIST_FISCAL_YEARS = 6


def fiscal_year_to_show(*, today: dt.date) -> int:
    """The fiscal year the consultation list opens on: the latest one with
    consultations, up to this one (one query on the index of started_at)."""
    current = jpdates.fiscal_year(today)
    _start, until = _local_range(*jpdates.fiscal_year_range(current))
    found = dataversion.cached_list(
        Consultation.objects.filter(started_at__lt=until)
        .order_by("-started_at")
        .values_list("started_at", flat=True)[:1]
    )
    if not found:
        return current
    latest = found[0]
    shown = jpdates.fiscal_year(timezone.localtime(latest).date())
    return max(shown, current - LIST_FISCAL_YEARS + 1)


def consultation_list(
    *, fetched_by, filters: dict | None = None
) -> QuerySet[Consultation]:
    filters = filters or {}
    consultations = Consultation.objects.select_related(
        "client", "counsellor", "main_complaint"
    )
    year = filters.get("fiscal_year")
    month = filters.get("month")
    if year is not None:
        start, end = jpdates.fiscal_year_range(year)
        if month:
            calendar_year = year if month >= 4 else year + 1
            start = dt.date(calendar_year, month, 1)
            end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        consultations = consultations.filter(consultations_between(start, end))
    elif month:
        consultations = consultations.filter(started_at__month=month)
    if filters.get("channel"):
        consultations = consultations.filter(channel=filters["channel"])
    if filters.get("counsellor"):
        consultations = consultations.filter(counsellor=filters["counsellor"])
    if filters.get("complaint"):
        # Main complaint or one of the other problems (EXISTS: no duplicates).
        complaint = filters["complaint"]
        consultations = consultations.filter(
            Q(main_complaint=complaint)
            | Exists(
                Consultation.other_problems.through.objects.filter(
                    consultation_id=OuterRef("pk"), complaint=complaint
                )
            )
        )
    if filters.get("new") in ("0", "1"):
        consultations = consultations.filter(is_new=filters["new"] == "1")
    return consultations.order_by("-started_at", "-id")


def channel_counts(consultations: QuerySet[Consultation]) -> list[dict]:
    """Count and new count per channel (all six, zeros included) in one query:
    the consultations grouped by channel and whether new (a dozen groups), not
    twelve filtered counts (1.5 of a year's 5 ms on PostgreSQL)."""
    # started_at (never null), not pk: counted from the index
    # consult_time_cover alone, without visiting the table.
    groups = (
        consultations.order_by()
        .values_list("channel", "is_new")
        .annotate(n=Count("started_at"))
    )
    counts = dict.fromkeys(Channel, 0)
    new = dict.fromkeys(Channel, 0)
    # Kept in memory until a consultation changes (accounts.dataversion).
    for channel, is_new, n in dataversion.cached_list(groups):
        counts[channel] = counts.get(channel, 0) + n
        if is_new:
            new[channel] = new.get(channel, 0) + n
    return [
        {"channel": c.value, "label": c.label, "count": counts[c], "new": new[c]}
        for c in Channel
    ]


# What a row of the consultation list shows, read as values (no model objects).
CONSULTATION_ROW_FIELDS = (
    "pk",
    "started_at",
    "channel",
    "client_id",
    "client__code",
    "client__display_name",
    "is_new",
    "has_withdrawn_message",
    "main_complaint__label",
    "counsellor__last_name",
    "counsellor__first_name",
    "counsellor__username",
    "duration_minutes",
)


def consultation_rows(values: list[dict]) -> list[dict]:
    """The rows of one page of the consultation list (``values`` of
    CONSULTATION_ROW_FIELDS) with what the page prints made here: links, the
    date, labels and the other problems (one query for those), so that the
    template only prints strings."""
    from accounts.templatetags.dates import jdatetime

    others: dict[int, list[str]] = {}
    if values:
        through = Consultation.other_problems.through.objects.filter(
            consultation_id__in=[v["pk"] for v in values]
        )
        for consultation_id, label in dataversion.cached_list(
            through.order_by("complaint__order", "complaint__code").values_list(
                "consultation_id", "complaint__label"
            )
        ):
            others.setdefault(consultation_id, []).append(label)
    edit = url_by_id("consultations:consultation_update")
    client = url_by_id("consultations:client_detail")
    channels = {value: str(label) for value, label in Channel.choices}
    rows = []
    for v in values:
        labels = others.get(v["pk"])
        rows.append(
            {
                "href": edit(v["pk"]),
                "started_at": jdatetime(v["started_at"]),
                "channel": channels.get(v["channel"], v["channel"]),
                "client_href": client(v["client_id"]) if v["client_id"] else "",
                "client": f"{v['client__code']} {v['client__display_name']}",
                "is_new": v["is_new"],
                "withdrawn": v["has_withdrawn_message"],
                "complaint": v["main_complaint__label"] or "",
                "others": f"（{'、'.join(labels)}）" if labels else "",
                "counsellor": person_name(
                    v["counsellor__last_name"],
                    v["counsellor__first_name"],
                    v["counsellor__username"],
                ),
                "minutes": v["duration_minutes"],
            }
        )
    for row in rows:
        row["html"] = _consultation_row_html(row)
    return rows


def _consultation_row_html(row: dict) -> str:
    """One row of the consultation list as the template printed it, made as
    one string (each value escaped as the template escapes it): a template
    render per row and cell cost more than the page's queries."""
    e = conditional_escape
    # The texts outside the f-strings: makemessages does not read calls
    # inside one (tests/test_messages_extractable.py).
    anonymous, new = _("anonymous"), _("New")
    withdrawn = _("Contains a withdrawn message")
    if row["client_href"]:
        client = f'<a href="{e(row["client_href"])}">{e(row["client"])}</a>'
    else:
        client = f'<span class="muted">{e(anonymous)}</span>'
    badges = ""
    if row["is_new"]:
        badges = f'<span class="badge new">{e(new)}</span>'
    if row["withdrawn"]:
        badges += f' <span class="badge closed">{e(withdrawn)}</span>'
    others = f'<span class="muted">{e(row["others"])}</span>' if row["others"] else ""
    minutes = "" if row["minutes"] is None else e(localize(row["minutes"]))
    return mark_safe(  # noqa: S308 (each value escaped)
        "\n    <tr>\n"
        f'      <td><a href="{e(row["href"])}">{e(row["started_at"])}</a></td>\n'
        f"      <td>{e(row['channel'])}</td>\n"
        f"      <td>{client}</td>\n"
        f"      <td>{badges}</td>\n"
        f"      <td>{e(row['complaint'])}{others}</td>\n"
        f"      <td>{e(row['counsellor'])}</td>\n"
        f'      <td class="num">{minutes}</td>\n'
        "    </tr>\n  "
    )


def client_consultations(client: Client) -> QuerySet[Consultation]:
    return (
        client.consultations.select_related("counsellor", "main_complaint")
        .prefetch_related("other_problems")
        .order_by("-started_at", "-id")
    )


def client_support_actions(client: Client) -> QuerySet[SupportAction]:
    return client.support_actions.select_related("staff", "partner_agency").order_by(
        "-date", "-id"
    )


# How far back the team worklist lists cleared safety flags, and how many.
FLAG_CLEARANCE_DAYS = 30
FLAG_CLEARANCE_LIMIT = 100


def flag_clearances_recent(*, now: dt.datetime | None = None) -> QuerySet:
    """Safety flags cleared in the last FLAG_CLEARANCE_DAYS days, newest
    first, for the supervisors' worklist (one query)."""
    since = (now or timezone.now()) - dt.timedelta(days=FLAG_CLEARANCE_DAYS)
    return (
        SafetyFlagClearance.objects.filter(cleared_at__gte=since)
        .select_related("client", "cleared_by")
        .only(
            "id",
            "flag",
            "reason",
            "cleared_at",
            "client__id",
            "client__code",
            "cleared_by__id",
            "cleared_by__username",
            "cleared_by__first_name",
            "cleared_by__last_name",
        )
        .order_by("-cleared_at", "-id")[:FLAG_CLEARANCE_LIMIT]
    )
