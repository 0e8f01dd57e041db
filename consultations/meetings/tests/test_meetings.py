"""Support coordination meetings (issue 20): who opens a case's content,
the pledges, the roles that become next steps, the minutes and the count
for the annual report."""

import datetime as dt
import shutil
import subprocess

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from accounts.roles import Role
from consultations.meetings import selectors, services
from consultations.models import (
    CoordinationMeeting,
    FollowUp,
    MeetingCase,
    MeetingMember,
    MeetingRole,
    PartnerAgency,
)
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2021, 10, 5)


@pytest.fixture
def holder(make_user):
    """The counsellor the client is assigned to."""
    return make_user(Role.COUNSELLOR, username="holder")


@pytest.fixture
def member(make_user):
    """A counsellor who is a member of the meeting, with a pledge."""
    return make_user(Role.COUNSELLOR, username="member")


@pytest.fixture
def outsider(make_user):
    """A counsellor who is neither a member nor the client's counsellor."""
    return make_user(Role.COUNSELLOR, username="outsider")


@pytest.fixture
def meeting(member):
    meeting = services.meeting_create(
        by=member, level="case_review", held_on=DAY, title="個別ケース検討会議"
    )
    services.member_add(
        by=member, meeting=meeting, kind="person", user=member, pledged_on=DAY
    )
    return meeting


@pytest.fixture
def case(meeting, member, holder):
    person = ClientFactory(assigned_counsellor=holder)
    return services.case_add(
        by=member, meeting=meeting, client=person,
        situation="夫からの暴力。住まいがない。", decisions="一時保護を検討する",
    )  # fmt: skip


def case_url(case):
    return reverse("consultations:meeting_case", args=[case.pk])


def views_of(case):
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.VIEW,
        object_type="consultations.meetingcase",
        object_id=str(case.pk),
    )


# WHO OPENS A CASE'S CONTENT
# ------------------------------------------------------------------------------


def test_a_counsellor_who_is_no_member_and_does_not_hold_the_case_gets_403(
    client_as, case, outsider
):
    c = client_as(outsider)
    for name in ("meeting_case", "meeting_case_update"):
        response = c.get(reverse(f"consultations:{name}", args=[case.pk]))
        assert response.status_code == 403, name
    response = c.post(
        reverse("consultations:meeting_role_add", args=[case.pk]),
        {"member": case.meeting.members.first().pk, "task": "x", "due_on": "2021-10-9"},
    )
    assert response.status_code == 403
    assert not views_of(case).exists()
    assert not MeetingRole.objects.exists()
    # The header is hers to see, without the case (not even whose it is).
    page = c.get(case.meeting.get_absolute_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert case.client.code not in body and 'id="hidden-cases"' in body
    assert "1 case is open only" in body


@pytest.mark.parametrize("who", ["member", "holder", "admin"])
def test_a_member_the_clients_counsellor_and_an_admin_open_it_each_time_audited(
    client_as, case, request, admin_user, who
):
    user = admin_user if who == "admin" else request.getfixturevalue(who)
    c = client_as(user)
    for _ in range(2):
        response = c.get(case_url(case))
        assert response.status_code == 200
        assert "夫からの暴力" in response.content.decode()
    entries = views_of(case)
    assert entries.count() == 2
    assert {(e.user_id, e.client_code) for e in entries} == {
        (user.pk, case.client.code)
    }


def test_a_member_without_a_recorded_pledge_cannot_open_it_until_it_is_recorded(
    client_as, case, make_user, member
):
    newcomer = make_user(Role.COUNSELLOR, username="newcomer")
    joined = services.member_add(
        by=member, meeting=case.meeting, kind="person", user=newcomer
    )
    assert joined.pledged_on is None
    c = client_as(newcomer)
    assert c.get(case_url(case)).status_code == 403
    assert not views_of(case).exists()
    services.member_record_pledge(by=member, member=joined, pledged_on=DAY)
    assert c.get(case_url(case)).status_code == 200
    assert views_of(case).count() == 1


def test_a_pledge_carries_over_to_her_next_meeting(member):
    later = services.meeting_create(
        by=member, level="practitioners", held_on=DAY + dt.timedelta(days=30)
    )
    services.meeting_create(by=member, level="practitioners", held_on=DAY)
    first = services.meeting_create(by=member, level="case_review", held_on=DAY)
    services.member_add(
        by=member, meeting=first, kind="person", user=member, pledged_on=DAY
    )
    again = services.member_add(by=member, meeting=later, kind="person", user=member)
    assert again.pledged_on == DAY and again.pledge_recorded_by == member


def test_only_who_may_open_it_records_a_case(meeting, outsider, holder):
    from django.core.exceptions import PermissionDenied

    person = ClientFactory(assigned_counsellor=holder)
    with pytest.raises(PermissionDenied):
        services.case_add(by=outsider, meeting=meeting, client=person, situation="x")
    # Her own client's case: yes, without being a member.
    assert services.case_add(by=holder, meeting=meeting, client=person, situation="x")
    assert MeetingCase.objects.count() == 1


def test_the_case_form_refuses_an_outsider_with_the_reason(
    client_as, meeting, outsider
):
    person = ClientFactory()
    response = client_as(outsider).post(
        reverse("consultations:meeting_case_add", args=[meeting.pk]),
        {"client": person.code, "situation": "状況"},
    )
    assert response.status_code == 200
    assert "with a recorded confidentiality pledge" in response.content.decode()
    assert not MeetingCase.objects.exists()


# PLEDGES AND MEMBERS
# ------------------------------------------------------------------------------


def test_a_pledge_in_the_future_is_refused_with_a_message_and_nothing_saved(
    client_as, meeting, member
):
    outside = services.member_add(
        by=member, meeting=meeting, kind="person", name="支援 花子", affiliation="県"
    )
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client_as(member).post(
        reverse("consultations:meeting_member_pledge", args=[outside.pk]),
        {"pledged_on": tomorrow.isoformat()},
        follow=True,
    )
    assert "cannot be dated in the future" in response.content.decode()
    outside.refresh_from_db()
    assert outside.pledged_on is None


def test_the_database_refuses_a_pledge_dated_after_it_was_recorded(meeting, member):
    row = MeetingMember.objects.get(meeting=meeting, user=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingMember.objects.filter(pk=row.pk).update(
            pledged_on=row.pledge_recorded_on + dt.timedelta(days=1)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingMember.objects.filter(pk=row.pk).update(pledge_recorded_by=None)


def test_the_database_wants_a_member_identified(meeting, member):
    agency = PartnerAgency.objects.create(name="市福祉事務所", category="city_office")
    for fields in (
        {"kind": "person"},  # nobody
        {"kind": "person", "user": member, "name": "二重"},  # staff and a name
        {"kind": "organisation", "user": member},  # a user is no organisation
        {"kind": "organisation"},  # no agency, no name
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            MeetingMember.objects.create(meeting=meeting, **fields)
    MeetingMember.objects.create(meeting=meeting, kind="organisation", agency=agency)


def test_the_member_form_explains_what_is_missing(client_as, meeting, member):
    response = client_as(member).post(
        reverse("consultations:meeting_member_add", args=[meeting.pk]),
        {"kind": "person", "attended": "on"},
    )
    assert "write the person&#x27;s name" in response.content.decode()
    assert meeting.members.count() == 1
    client_as(member).post(
        reverse("consultations:meeting_member_add", args=[meeting.pk]),
        {"kind": "organisation", "affiliation": "女性シェルター"},
    )
    assert meeting.members.get(kind="organisation").display_name == "女性シェルター"


def test_staff_of_another_organisation_is_not_accepted(meeting, member, make_user):
    from accounts.models import Organisation

    elsewhere = make_user(
        Role.COUNSELLOR,
        username="elsewhere",
        organisations=[Organisation.objects.create(name="他")],
    )
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.member_add(by=member, meeting=meeting, kind="person", user=elsewhere)


def test_the_next_review_is_not_before_the_meeting(member, client_as):
    response = client_as(member).post(
        reverse("consultations:meeting_create"),
        {
            "level": "practitioners",
            "held_on": "2021-10-05",
            "next_review_on": "2021-10-01",
        },
    )
    assert "cannot be before the meeting" in response.content.decode()
    assert not CoordinationMeeting.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        CoordinationMeeting.objects.create(
            level="practitioners", held_on=DAY,
            next_review_on=DAY - dt.timedelta(days=1), created_by=member,
        )  # fmt: skip


# ROLES BECOME NEXT STEPS
# ------------------------------------------------------------------------------


def test_a_staff_members_role_is_her_next_step_an_outsiders_is_in_the_minutes(
    client_as, case, member
):
    staff = MeetingMember.objects.get(meeting=case.meeting, user=member)
    outside = services.member_add(
        by=member, meeting=case.meeting, kind="person", name="福祉 一子",
        affiliation="市福祉事務所",
    )  # fmt: skip
    c = client_as(member)
    url = reverse("consultations:meeting_role_add", args=[case.pk])
    c.post(url, {"member": staff.pk, "task": "一時保護の調整", "due_on": "2021-10-08"})
    c.post(
        url,
        {"member": outside.pk, "task": "生活保護の申請受付", "due_on": "2021-10-12"},
    )
    mine, theirs = MeetingRole.objects.order_by("due_on")
    step = FollowUp.objects.get()
    assert mine.follow_up == step
    assert (step.owner, step.client, step.due_date, step.note) == (
        member, case.client, dt.date(2021, 10, 8), "一時保護の調整",
    )  # fmt: skip
    assert theirs.follow_up is None and theirs.member == outside
    page = c.get(case_url(case)).content.decode()
    assert "生活保護の申請受付" in page and "市福祉事務所" in page


def test_a_role_goes_to_a_member_of_this_meeting_only(case, member):
    from django.core.exceptions import ValidationError

    other = services.meeting_create(by=member, level="practitioners", held_on=DAY)
    stranger = services.member_add(
        by=member, meeting=other, kind="organisation", name="警察署"
    )
    with pytest.raises(ValidationError):
        services.role_add(by=member, case=case, member=stranger, task="x", due_on=DAY)
    assert not MeetingRole.objects.exists() and not FollowUp.objects.exists()


# LISTS, THE CLIENT'S PAGE, THE REPORT
# ------------------------------------------------------------------------------


def test_the_clients_page_lists_the_meetings_that_discussed_her(
    client_as, case, holder, outsider
):
    page = client_as(holder).get(case.client.get_absolute_url()).content.decode()
    assert 'id="meetings"' in page and case_url(case) in page
    # Another counsellor is sent to the meeting's header, not to the case.
    page = client_as(outsider).get(case.client.get_absolute_url()).content.decode()
    assert case_url(case) not in page and case.meeting.get_absolute_url() in page


def test_the_list_runs_the_same_queries_for_5_and_50_meetings(client_as, member):
    c = client_as(member)

    def grow(n):
        for i in range(n):
            meeting = CoordinationMeeting.objects.create(
                level="practitioners", held_on=DAY, created_by=member, title=f"会議{i}"
            )
            MeetingMember.objects.create(
                meeting=meeting, kind="organisation", name="市"
            )

    def queries():
        c.get(reverse("consultations:meeting_list"))
        with CaptureQueriesContext(connection) as ctx:
            page = c.get(reverse("consultations:meeting_list"))
        return len(ctx.captured_queries), page.content.decode()

    grow(5)
    few, _page = queries()
    grow(45)
    many, page = queries()
    assert few == many
    assert page.count("会議") >= 50


def test_meetings_by_level_counts_the_period_in_one_query(
    member, django_assert_num_queries
):
    from django.db.models import Q

    for level, day in (
        ("representatives", dt.date(2021, 4, 1)),
        ("practitioners", dt.date(2021, 6, 1)),
        ("practitioners", dt.date(2021, 9, 1)),
        ("case_review", dt.date(2022, 3, 31)),
        ("case_review", dt.date(2022, 4, 1)),  # the next fiscal year
        ("representatives", dt.date(2021, 3, 31)),  # the year before
    ):
        services.meeting_create(by=member, level=level, held_on=day)
    with django_assert_num_queries(1):
        counts = selectors.meetings_by_level(dt.date(2021, 4, 1), dt.date(2022, 3, 31))
    assert counts == {"representatives": 1, "practitioners": 2, "case_reviews": 1}
    narrowed = selectors.meetings_by_level(
        dt.date(2021, 4, 1), dt.date(2022, 3, 31), Q(held_on__gte=dt.date(2021, 6, 1))
    )
    assert narrowed == {"representatives": 0, "practitioners": 2, "case_reviews": 1}


# THE MINUTES
# ------------------------------------------------------------------------------


def test_the_minutes_hold_the_cases_the_reader_may_open_with_the_font_embedded(
    client_as, case, member, outsider, tmp_path
):
    services.role_add(
        by=member, case=case,
        member=MeetingMember.objects.get(meeting=case.meeting, user=member),
        task="一時保護の調整", due_on=DAY,
    )  # fmt: skip
    url = reverse("consultations:meeting_minutes", args=[case.meeting.pk])
    response = client_as(member).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    exports = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT)
    assert exports.filter(client_code=case.client.code).count() == 1
    pdf = tmp_path / "minutes.pdf"
    pdf.write_bytes(response.content)
    if shutil.which("pdffonts"):
        fonts = subprocess.run(
            ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
        assert "IPAexGothic" in fonts
        assert all(
            line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if line
        )  # every font embedded
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "令和3年10月5日" in text and "一時保護の調整" in text
        assert case.client.code in text
        # Someone who may open no case gets the header only.
        other = tmp_path / "other.pdf"
        other.write_bytes(client_as(outsider).get(url).content)
        text = subprocess.run(
            ["pdftotext", str(other), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert case.client.code not in text and "夫からの暴力" not in text


def test_anonymising_the_client_wipes_what_was_said_and_decided(
    client_as, case, member, make_user
):
    from consultations.anonymise import ANONYMISED_NAME

    services.role_add(
        by=member, case=case,
        member=MeetingMember.objects.get(meeting=case.meeting, user=member),
        task="夫の住所の近くを避けて転居", due_on=DAY,
    )  # fmt: skip
    admin = make_user(Role.COUNSELLOR, Role.ADMIN, username="boss")
    client_as(admin).post(
        reverse("consultations:client_anonymise", args=[case.client.pk])
    )
    case.refresh_from_db()
    assert (case.situation, case.decisions) == (ANONYMISED_NAME, "")
    assert MeetingRole.objects.get().task == ANONYMISED_NAME
    assert case.meeting.cases.count() == 1  # the record, and the count, stay
