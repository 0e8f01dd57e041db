"""Writes of the support coordination meetings. Each validates, writes in a
transaction and records the audit entry (ids and codes only)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from accounts.audit import Action, audit

from ..models import Client, FollowUp, PartnerAgency
from ..services import follow_up_create
from .models import CoordinationMeeting, MeetingCase, MeetingMember, MeetingRole
from .selectors import case_openable_by

MEETING_FIELDS = ("level", "held_on", "title", "place", "agenda", "next_review_on")


def _check_review(held_on, next_review_on) -> None:
    if held_on and next_review_on and next_review_on < held_on:
        raise ValidationError(
            {
                "next_review_on": ValidationError(
                    _("The next review cannot be before the meeting."),
                    code="review_before",
                )
            }
        )


@transaction.atomic
def meeting_create(
    *,
    by,
    level: str,
    held_on: dt.date,
    title: str = "",
    place: str = "",
    agenda: str = "",
    next_review_on: dt.date | None = None,
) -> CoordinationMeeting:
    _check_review(held_on, next_review_on)
    meeting = CoordinationMeeting(
        level=level,
        held_on=held_on,
        title=title.strip(),
        place=place.strip(),
        agenda=agenda.strip(),
        next_review_on=next_review_on,
        created_by=by,
    )
    meeting.full_clean()
    meeting.save()
    audit(user=by, action=Action.CREATE, obj=meeting)
    return meeting


@transaction.atomic
def meeting_update(
    *, by, meeting: CoordinationMeeting, **fields
) -> CoordinationMeeting:
    """The header: level, date, title, place, agenda, next review date."""
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"not a meeting field: {', '.join(sorted(unknown))}")
    meeting = CoordinationMeeting.objects.select_for_update().get(pk=meeting.pk)
    for name, value in fields.items():
        setattr(meeting, name, value.strip() if isinstance(value, str) else value)
    _check_review(meeting.held_on, meeting.next_review_on)
    meeting.full_clean()
    meeting.save()
    audit(user=by, action=Action.CHANGE, obj=meeting)
    return meeting


def _check_pledge_date(pledged_on: dt.date | None) -> None:
    if pledged_on is not None and pledged_on > timezone.localdate():
        raise ValidationError(
            {
                "pledged_on": ValidationError(
                    _("A confidentiality pledge cannot be dated in the future."),
                    code="future",
                )
            }
        )


@transaction.atomic
def member_add(
    *,
    by,
    meeting: CoordinationMeeting,
    kind: str,
    user=None,
    name: str = "",
    agency: PartnerAgency | None = None,
    affiliation: str = "",
    attended: bool = True,
    pledged_on: dt.date | None = None,
) -> MeetingMember:
    """Add a member: a member of staff of the meeting's organisation, an
    outside person (name and organisation) or an organisation. A member of
    staff who already pledged confidentiality for an earlier meeting of this
    organisation keeps that pledge (it binds her also after she leaves);
    ``pledged_on`` records a new one."""
    name, affiliation = name.strip(), affiliation.strip()
    _check_pledge_date(pledged_on)
    # Adds to one meeting run one after the other (the duplicate check).
    meeting = CoordinationMeeting.objects.select_for_update().get(pk=meeting.pk)
    if user is not None:
        if kind != MeetingMember.Kind.PERSON or name or agency or affiliation:
            raise ValidationError(
                _(
                    "A member of staff is a person named by her account: leave "
                    "the name and organisation empty."
                ),
                code="staff_and_name",
            )
        if not (
            scoping.members_of([meeting.organisation_id]).filter(pk=user.pk).exists()
        ):
            raise ValidationError(
                {"user": _("Choose a member of staff of this organisation.")},
                code="user_elsewhere",
            )
        if MeetingMember.objects.filter(meeting=meeting, user=user).exists():
            raise ValidationError(
                {"user": _("She is already a member of this meeting.")},
                code="duplicate",
            )
    elif kind == MeetingMember.Kind.PERSON:
        if not name:
            raise ValidationError(
                {"name": _("Choose a member of staff or write the person's name.")},
                code="no_name",
            )
    else:
        if not name and agency is None:
            # An organisation's name written in the field for an outside
            # person's organisation is its name.
            name = affiliation
        if agency is not None and name:
            raise ValidationError(
                _(
                    "Choose a partner agency or write the organisation's name, "
                    "not both."
                ),
                code="agency_and_name",
            )
        if agency is None and not name:
            raise ValidationError(
                {
                    "name": _(
                        "Choose a partner agency or write the organisation's name."
                    )
                },
                code="no_name",
            )
        affiliation = ""
    member = MeetingMember(
        meeting=meeting,
        kind=kind,
        user=user,
        name=name,
        agency=agency,
        affiliation=affiliation,
        attended=attended,
    )
    if pledged_on is not None:
        member.pledged_on = pledged_on
        member.pledge_recorded_by = by
        member.pledge_recorded_on = timezone.localdate()
    elif user is not None:
        earlier = (
            MeetingMember.objects.filter(user=user, pledged_on__isnull=False)
            .filter(organisation_id=meeting.organisation_id)
            .order_by("-pledged_on", "-id")
            .values("pledged_on", "pledge_recorded_by", "pledge_recorded_on")
            .first()
        )
        if earlier:
            member.pledged_on = earlier["pledged_on"]
            member.pledge_recorded_by_id = earlier["pledge_recorded_by"]
            member.pledge_recorded_on = earlier["pledge_recorded_on"]
    member.full_clean()
    member.save()
    audit(user=by, action=Action.CREATE, obj=member, detail=f"meeting#{meeting.pk}")
    return member


@transaction.atomic
def member_record_pledge(
    *, by, member: MeetingMember, pledged_on: dt.date
) -> MeetingMember:
    """Record the date a member confirmed the duty of confidentiality."""
    member = MeetingMember.objects.select_for_update().get(pk=member.pk)
    if pledged_on is None:
        raise ValidationError(
            {"pledged_on": _("Give the date of the pledge.")}, code="required"
        )
    _check_pledge_date(pledged_on)
    if member.pledged_on is not None:
        raise ValidationError(
            _("This member's pledge is already recorded."), code="pledged"
        )
    member.pledged_on = pledged_on
    member.pledge_recorded_by = by
    member.pledge_recorded_on = timezone.localdate()
    member.full_clean()
    member.save(
        update_fields=["pledged_on", "pledge_recorded_by", "pledge_recorded_on"]
    )
    audit(user=by, action=Action.CHANGE, obj=member, detail="pledge")
    return member


@transaction.atomic
def member_set_attendance(
    *, by, member: MeetingMember, attended: bool
) -> MeetingMember:
    member = MeetingMember.objects.select_for_update().get(pk=member.pk)
    member.attended = attended
    member.save(update_fields=["attended"])
    audit(user=by, action=Action.CHANGE, obj=member, detail="attendance")
    return member


def _refuse_unless_openable(by, case: MeetingCase) -> None:
    if not case_openable_by(by, case):
        raise PermissionDenied


@transaction.atomic
def case_add(
    *,
    by,
    meeting: CoordinationMeeting,
    client: Client,
    situation: str,
    decisions: str = "",
) -> MeetingCase:
    """Record a case discussed at the meeting. Only someone who may open
    the case content records it (PermissionDenied otherwise)."""
    meeting = CoordinationMeeting.objects.select_for_update().get(pk=meeting.pk)
    case = MeetingCase(
        meeting=meeting,
        client=client,
        situation=situation.strip(),
        decisions=decisions.strip(),
        created_by=by,
    )
    _refuse_unless_openable(by, case)
    if client.organisation_id != meeting.organisation_id:
        raise ValidationError(
            {"client": _("This client is another organisation's.")},
            code="client_elsewhere",
        )
    if MeetingCase.objects.filter(meeting=meeting, client=client).exists():
        raise ValidationError(
            {"client": _("This client's case is already recorded for this meeting.")},
            code="duplicate",
        )
    case.full_clean()
    case.save()
    audit(user=by, action=Action.CREATE, obj=case, detail=f"meeting#{meeting.pk}")
    return case


@transaction.atomic
def case_update(
    *, by, case: MeetingCase, situation: str, decisions: str
) -> MeetingCase:
    case = (
        MeetingCase.objects.select_for_update(of=("self",))
        .select_related("client")
        .get(pk=case.pk)
    )
    _refuse_unless_openable(by, case)
    case.situation = situation.strip()
    case.decisions = decisions.strip()
    case.full_clean()
    case.save(update_fields=["situation", "decisions"])
    audit(user=by, action=Action.CHANGE, obj=case)
    return case


@transaction.atomic
def role_add(
    *, by, case: MeetingCase, member: MeetingMember, task: str, due_on: dt.date
) -> MeetingRole:
    """One line of the split of roles: a member of the meeting does this by
    then. A member of staff's role becomes her next step (a FollowUp of the
    client, which her worklist shows); an outside member's is in the minutes."""
    case = MeetingCase.objects.select_related("client").get(pk=case.pk)
    _refuse_unless_openable(by, case)
    if member.meeting_id != case.meeting_id:
        raise ValidationError(
            {"member": _("Choose a member of this meeting.")}, code="member_elsewhere"
        )
    task = task.strip()
    role = MeetingRole(case=case, member=member, task=task, due_on=due_on)
    role.full_clean()
    if member.user_id is not None:
        role.follow_up = follow_up_create(
            by=by,
            client=case.client,
            kind=FollowUp.Kind.OTHER,
            due_date=due_on,
            owner=member.user,
            note=task,
        )
    role.save()
    audit(user=by, action=Action.CREATE, obj=role, detail=f"meetingcase#{case.pk}")
    return role


def wipe_texts(client: Client) -> None:
    """Anonymisation (consultations.anonymise): what was said and decided
    about her, and the roles' texts, become the marker; the records stay."""
    from ..anonymise import ANONYMISED_NAME

    MeetingCase.objects.filter(client=client).update(
        situation=ANONYMISED_NAME, decisions=""
    )
    MeetingRole.objects.filter(case__client=client).update(task=ANONYMISED_NAME)
