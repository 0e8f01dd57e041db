"""Reads of the support coordination meetings: who may open case content,
the list page, a client's meetings and the count for the annual report."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q, QuerySet

from accounts.roles import Role, has_role

from .models import CoordinationMeeting, MeetingCase, MeetingMember

LIST_LIMIT = 200


def pledged_member(user, meeting_id: int) -> bool:
    """Whether ``user`` is a member of staff of the meeting whose
    confidentiality pledge is recorded (one query)."""
    return MeetingMember.objects.filter(
        meeting_id=meeting_id, user_id=user.pk, pledged_on__isnull=False
    ).exists()


def case_openable_by(user, case: MeetingCase, *, pledged: bool | None = None) -> bool:
    """Whether ``user`` may open the content of this case: admins, the
    counsellor the client is assigned to, and the meeting's members of staff
    whose confidentiality pledge is recorded. ``pledged`` is the last one
    when the caller knows it already (several cases of one meeting)."""
    if has_role(user, Role.ADMIN):
        return True
    if case.client.assigned_counsellor_id == user.pk:
        return True
    if pledged is None:
        pledged = pledged_member(user, case.meeting_id)
    return pledged


def openable_cases(user, meeting: CoordinationMeeting) -> tuple[list, list]:
    """The meeting's cases this user may open, and how many she may not."""
    cases = list(meeting.cases.select_related("client").order_by("id"))
    pledged = pledged_member(user, meeting.pk)
    allowed = [c for c in cases if case_openable_by(user, c, pledged=pledged)]
    return allowed, len(cases) - len(allowed)


def meeting_list(*, level: str = "") -> QuerySet[CoordinationMeeting]:
    """The meetings, newest first, with their numbers of members, of those
    present and of cases: one query whatever their number."""
    meetings = CoordinationMeeting.objects.all()
    if level:
        meetings = meetings.filter(level=level)
    return meetings.annotate(
        member_count=Count("members", distinct=True),
        present_count=Count("members", filter=Q(members__attended=True), distinct=True),
        case_count=Count("cases", distinct=True),
    ).order_by("-held_on", "-id")[:LIST_LIMIT]


def members_of(meeting: CoordinationMeeting) -> QuerySet[MeetingMember]:
    return meeting.members.select_related(
        "user", "agency", "pledge_recorded_by"
    ).order_by("kind", "id")


def meetings_of_client(client, user) -> list[MeetingCase]:
    """The meetings that discussed a client (her page), newest first, each
    case marked ``openable`` for ``user`` (two queries)."""
    cases = list(
        MeetingCase.objects.filter(client=client)
        .select_related("meeting")
        .order_by("-meeting__held_on", "-id")[:LIST_LIMIT]
    )
    pledged = (
        set(
            MeetingMember.objects.filter(
                user_id=user.pk,
                pledged_on__isnull=False,
                meeting_id__in=[c.meeting_id for c in cases],
            ).values_list("meeting_id", flat=True)
        )
        if cases
        else set()
    )
    for case in cases:
        case.client = client
        case.openable = case_openable_by(user, case, pledged=case.meeting_id in pledged)
    return cases


LEVEL_KEYS = {
    CoordinationMeeting.Level.REPRESENTATIVES: "representatives",
    CoordinationMeeting.Level.PRACTITIONERS: "practitioners",
    CoordinationMeeting.Level.CASE_REVIEW: "case_reviews",
}


def meetings_by_level(
    start: dt.date, end: dt.date, queryset_filter: Q | None = None
) -> dict[str, int]:
    """For the annual report: the meetings held from ``start`` to ``end``
    (both included) at each level, in one query. ``queryset_filter`` narrows
    them further (an organisation, say); the active scope applies too.
    Meetings carry no programme: they are the organisation's, counted in the
    scope of the programme's organisation."""
    meetings = CoordinationMeeting.objects.filter(held_on__range=(start, end))
    if queryset_filter is not None:
        meetings = meetings.filter(queryset_filter)
    counts = meetings.aggregate(
        **{key: Count("pk", filter=Q(level=level)) for level, key in LEVEL_KEYS.items()}
    )
    return {key: counts[key] or 0 for key in LEVEL_KEYS.values()}
