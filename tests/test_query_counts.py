"""Every page runs the same number of SQL queries with 5 rows as with 50
(SPEC §4: a constant number of queries whatever the data size).

The pages are those of the role matrix (tests/test_role_matrix.py): every URL
that answers a GET with 200 for some role is opened as that role, once on a
small data set and once after 45 more rows of everything have been added:
clients with their consultations (and complaints), support actions, follow-ups,
LINE conversations and messages, stays, unmet requests, salon visits with
named clients, peer sessions with attendance, events with speakers and survey
responses, each both in the lists and on the records that the detail pages
show. A page whose count grows with the data fails, with the SQL of both runs.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Funder
from accounts.roles import Role
from consultations import casework, services
from consultations.models import (
    Client,
    ClosureRequest,
    Complaint,
    Consent,
    Consultation,
    CoordinationMeeting,
    FollowUp,
    LineMedia,
    LineMessage,
    MeetingCase,
    MeetingMember,
    MeetingRole,
    PartnerAgency,
    PlanTask,
    Referral,
    SupportAction,
    SupportPlan,
    UrgencyAssessment,
)
from consultations.tests.factories import ConsultationFactory
from consultations.tests.line_factories import LineMessageFactory, LineUserFactory
from devtools.models import SimulatedPerson
from peergroups.models import Attendance, Session
from peergroups.services import series_create
from peergroups.tests.factories import GroupFactory, SessionFactory
from reports.models import ImportJob, Programme, Target
from reports.tests.helpers import attribute_all
from shelter.models import SalonVisit, Stay, UnmetRequest
from shelter.tests.factories import (
    RoomFactory,
    SalonFactory,
    SalonVisitFactory,
    ShelterFactory,
    StayFactory,
)
from tests.factories import ClientFactory
from tests.test_role_matrix import MATRIX
from tests.urlworld import (
    consent_and_referral,
    line_media_downloaded,
    meetings_world,
    plans_world,
    url_for,
)
from training.models import Speaker, SurveyResponse
from training.tests.factories import EventFactory

pytestmark = pytest.mark.django_db

# Not pages of the app: the Django admin, the health check, and URLs that only
# redirect for a signed-in user.
SKIP = {"admin:index", "admin-login", "healthz", "accounts:login", "set_language"}
# A download, not a page: django-import-export reads the rows in chunks of 100
# (two queries a chunk) so that a large export does not sit in memory at once.
SKIP.add("consultations:consultation_export")
# A PDF download (WeasyPrint), of one referral: no list in it.
SKIP.add("consultations:referral_letter")
# Who opens a page: the first role (admin last) that gets 200 there.
ROLE_ORDER = (
    Role.COUNSELLOR,
    Role.COORDINATOR,
    Role.FACILITATOR,
    Role.CITY_STAFF,
    Role.ADMIN,
)
# The same pages with their filters (query strings added to the URL).
VARIANTS = {
    "consultations:client_list": ("?q=q", "?status=open&page=2"),
    "consultations:client_detail": ("?history=all",),
    "consultations:consultation_list": (
        "?fiscal_year=",
        "?fiscal_year=2021&month=10&channel=phone&complaint=housing&new=0",
    ),
    "line:inbox": ("?unread=on",),
    "shelter:calendar": ("?month=2021-10",),
    "shelter:stay_list": ("?start=2021-10-01&end=2021-10-31&status=reserved",),
    "shelter:stay_create": ("?q=Q-",),
    "shelter:unmet_list": ("?fy=2021",),
    "shelter:salon_list": ("?month=2021-10",),
    "shelter:opening_days": ("?fy=2021",),
    "peergroups:session_list": ("?fy=2021",),
    "training:event_list": ("?fy=2021",),
    "reports:annual": ("?fiscal_year=2021", "?fiscal_year=2021&publication=on"),
    "reports:funder_summary": ("?publication=on",),
}
D = dt.date
_serial = itertools.count()


def pages() -> list[tuple[str, str]]:
    out = []
    for name, answers in sorted(MATRIX.items()):
        if name in SKIP:
            continue
        role = next((r for r in ROLE_ORDER if answers.get(r) == 200), None)
        if role is not None:
            out.append((name, role))
    return out


def build_world(users) -> dict:
    """One record of each kind that a URL needs, as in the role matrix."""
    counsellor = users[Role.COUNSELLOR]
    person = ClientFactory(assigned_counsellor=counsellor)
    action = services.support_action_create(
        by=counsellor, client=person, kind="interview", date=D(2021, 10, 1),
        staff=counsellor,
    )  # fmt: skip
    step = services.follow_up_create(
        by=counsellor, client=person, kind="call_back", due_date=D(2021, 10, 2),
        owner=counsellor,
    )  # fmt: skip
    group = GroupFactory()
    series = series_create(
        by=users[Role.FACILITATOR], group=group, frequency="weekly", weekday=1,
        week_of_month=None, first_date=D(2021, 10, 5), last_date=D(2021, 10, 26),
        holiday_policy="skip",
    )  # fmt: skip
    event = EventFactory(date=D(2021, 10, 23))
    shelter = ShelterFactory()
    rooms = [RoomFactory(facility=shelter) for _ in range(5)]
    programme = Programme.objects.create(
        fiscal_year=2021,
        name="事業",
        municipality="市",
        funder=users[Role.CITY_STAFF].funder,
    )
    line_user = LineUserFactory(client=person)
    consent, referral = consent_and_referral(counsellor, person)
    return {
        "consent": consent,
        "referral": referral,
        "users": users,
        "programme": programme,
        "target": Target.objects.create(
            programme=programme, metric_key="peer_sessions", target_value=5
        ),
        "client": person,
        "consultation": ConsultationFactory(client=person, counsellor=counsellor),
        "action": action,
        "step": step,
        "line_user": line_user,
        "line_media": line_media_downloaded(line_user),
        "rooms": rooms,
        "stay": StayFactory(
            client=person,
            room=rooms[0],
            start_date=D(2021, 9, 1),
            end_date=D(2021, 9, 3),
        ),  # fmt: skip
        "stays": 0,
        "unmet": UnmetRequest.objects.create(
            date=D(2021, 10, 1), reason="work", client=person
        ),
        "salon": SalonFactory(),
        "visit": SalonVisitFactory(date=D(2021, 9, 30)),
        "visits": 0,
        "group": group,
        "session": SessionFactory(group=group, date=D(2021, 10, 15)),
        "series": series,
        "event": event,
        "speaker": Speaker.objects.create(
            event=event, client=ClientFactory(), consent=True
        ),
        "response": SurveyResponse.objects.create(event=event, satisfaction=4),
        # An upload's page, opened by an admin (the first role it answers).
        "import_job": ImportJob.objects.create(
            kind="consultations",
            user=users[Role.ADMIN],
            token="0" * 32,
            file_format="csv",
        ),
        # The LINE simulator's phone (devtools, on in the tests).
        "simulated_person": SimulatedPerson.objects.create(display_name="模擬"),
        # An assessment, plans (in effect and draft) and a closure request.
        **plans_world(counsellor, person),
        # A case review meeting with members, the client's case and a role.
        **meetings_world(counsellor, person),
    }


def grow(world, n: int) -> None:
    """n more rows of everything, in the lists and on the world's records."""
    users = world["users"]
    counsellor = users[Role.COUNSELLOR]
    person = world["client"]
    complaints = list(Complaint.objects.all()[:2])
    agency = PartnerAgency.objects.first()
    others = Client.objects.bulk_create(
        Client(
            code=f"Q-{next(_serial):06d}",
            display_name=f"利用者{i}",
            search_text=f"q{i}",
            assigned_counsellor=counsellor,
        )
        for i in range(n)
    )
    start = timezone.make_aware(dt.datetime(2021, 10, 1, 10))
    consultations = Consultation.objects.bulk_create(
        Consultation(
            channel="phone" if i % 2 else "line",
            started_at=start + dt.timedelta(hours=next(_serial)),
            counsellor=counsellor,
            client=person if i % 2 else others[i // 2],
            summary="相談",
            main_complaint_id="housing" if i % 2 else "spouse_violence",
        )
        for i in range(2 * n)
    )
    Consultation.other_problems.through.objects.bulk_create(
        Consultation.other_problems.through(consultation=c, complaint=t)
        for c in consultations
        for t in complaints
    )
    SupportAction.objects.bulk_create(
        SupportAction(
            kind="referral", date=D(2021, 10, 1 + i % 28), staff=counsellor,
            client=person if i % 2 else others[i // 2], partner_agency=agency,
        )
        for i in range(2 * n)
    )  # fmt: skip
    # Consents of the world's client (its page, the referral form) and
    # referrals: half relying on one, half emergency overrides (the team
    # worklist), each with its support action.
    consents = Consent.objects.bulk_create(
        Consent(
            client=person, agency=agency, categories=1 + i % 127,
            valid_from=D(2021, 4, 1), valid_to=D(2022, 3, 31), method="written",
            recorded_by=counsellor,
        )
        for i in range(n)
    )  # fmt: skip
    actions = SupportAction.objects.bulk_create(
        SupportAction(
            kind="referral", date=D(2021, 10, 1), staff=counsellor, client=person,
            partner_agency=agency,
        )
        for _ in range(2 * n)
    )  # fmt: skip
    Referral.objects.bulk_create(
        Referral(
            client=person, agency=agency, kind="referral", date=D(2021, 10, 1),
            categories=1, consent=consents[i // 2] if i % 2 else None,
            override_reason="" if i % 2 else "緊急", staff=counsellor,
            support_action=action,
        )
        for i, action in enumerate(actions)
    )  # fmt: skip
    FollowUp.objects.bulk_create(
        FollowUp(
            client=person if i % 2 else others[i // 2], kind="call_back",
            due_date=timezone.localdate() - dt.timedelta(days=i % 3), owner=counsellor,
            created_by=counsellor,
        )
        for i in range(2 * n)
    )  # fmt: skip
    for i in range(n):
        LineMessageFactory(line_user=LineUserFactory(client=others[i]))
        quoted = LineMessageFactory(line_user=world["line_user"])
        # Content to show (a failed download), quoting a message.
        LineMedia.objects.create(
            message=LineMessageFactory(
                line_user=world["line_user"],
                kind="image",
                text="",
                quoted_message_id=quoted.line_message_id,
            ),
            provider="line",
            status="failed",
            attempts=1,
        )
    LineMessage.objects.bulk_create(
        LineMessage(
            line_user=world["line_user"], direction="out", kind="text", text="返信",
            sent_at=timezone.now(), sent_by=counsellor, status="sent",
        )
        for _ in range(n)
    )  # fmt: skip
    # Stays: one day each, in turn in each room, so none overlap.
    stays = []
    for i in range(2 * n):
        k = world["stays"] = world["stays"] + 1
        day = D(2021, 10, 1) + dt.timedelta(days=k // 5)
        rest = i % 2 == 0
        stays.append(
            Stay(
                room=world["rooms"][k % 5],
                client=person if i % 2 else others[i // 2],
                kind=Stay.Kind.DAY_REST if rest else Stay.Kind.OVERNIGHT,
                start_date=day,
                end_date=day if rest else day + dt.timedelta(days=1),
                children=1,
            )
        )
    Stay.objects.bulk_create(stays)
    UnmetRequest.objects.bulk_create(
        UnmetRequest(
            date=D(2021, 10, 1 + i % 28), reason="childcare",
            client=person if i % 2 else others[i],
        )
        for i in range(n)
    )  # fmt: skip
    visits = []
    for _ in range(n):
        k = world["visits"] = world["visits"] + 1
        visits.append(
            SalonVisit(
                facility=world["salon"],
                date=D(2021, 10, 1) + dt.timedelta(days=k),
                visitors=5,
            )
        )
    visits = SalonVisit.objects.bulk_create(visits)
    through = SalonVisit.clients.through
    through.objects.bulk_create(
        [through(salonvisit=v, client=person) for v in visits]
        + [through(salonvisit=world["visit"], client=c) for c in others]
    )
    sessions = Session.objects.bulk_create(
        Session(
            group=world["group"], date=D(2021, 10, 1) + dt.timedelta(days=i),
            series=world["series"] if i % 2 else None, theme="近況", anonymous_count=2,
        )
        for i in range(n)
    )  # fmt: skip
    Attendance.objects.bulk_create(
        [Attendance(session=s, client=person) for s in sessions]
        + [Attendance(session=world["session"], client=c) for c in others]
    )
    events = [
        EventFactory(date=D(2021, 10, 1) + dt.timedelta(days=i)) for i in range(n)
    ]
    Speaker.objects.bulk_create(
        [Speaker(event=e, client=person, consent=True) for e in events]
        + [Speaker(event=world["event"], client=c, consent=True) for c in others]
    )
    SurveyResponse.objects.bulk_create(
        SurveyResponse(event=e, satisfaction=1 + i % 5, comment="よかった")
        for i, e in enumerate([*events, *[world["event"]] * n])
    )
    Target.objects.bulk_create(
        Target(
            programme=world["programme"], kind=Target.Kind.MANUAL,
            label=f"指標{next(_serial)}", unit="%", target_value=20, actual_value=10,
        )
        for _ in range(n)
    )  # fmt: skip
    world["programme"].partner_agencies.add(*PartnerAgency.objects.all()[:n])
    grow_plans(world, person, others, n)
    grow_meetings(world, person, others, n)


def grow_meetings(world, person, others, n: int) -> None:
    """Meetings (the list) each with the world's client's case (her page);
    members, cases and roles of the world's meeting (its page, the case's
    page and the minutes)."""
    counsellor = world["users"][Role.COUNSELLOR]
    agency = PartnerAgency.objects.first()
    meeting = world["meeting"]
    meetings = CoordinationMeeting.objects.bulk_create(
        CoordinationMeeting(
            level=["representatives", "practitioners", "case_review"][i % 3],
            held_on=D(2021, 10, 1 + i % 28), created_by=counsellor,
        )
        for i in range(n)
    )  # fmt: skip
    members = MeetingMember.objects.bulk_create(
        [
            MeetingMember(meeting=meeting, kind="person", name=f"委員{i}",
                          agency=agency if i % 2 else None, attended=bool(i % 3),
                          pledged_on=D(2021, 10, 1), pledge_recorded_by=counsellor,
                          pledge_recorded_on=D(2021, 10, 1))
            for i in range(n)
        ]
        + [MeetingMember(meeting=m, kind="organisation", agency=agency)
           for m in meetings]
    )  # fmt: skip
    cases = MeetingCase.objects.bulk_create(
        [MeetingCase(meeting=m, client=person, situation="状況", created_by=counsellor)
         for m in meetings]
        + [MeetingCase(meeting=meeting, client=c, situation="状況",
                       decisions="決定", created_by=counsellor)
           for c in others]
    )  # fmt: skip
    MeetingRole.objects.bulk_create(
        [MeetingRole(case=world["meeting_case"], member=members[i], task="役割",
                     due_on=D(2021, 10, 20)) for i in range(n)]
        + [MeetingRole(case=c, member=members[0], task="役割", due_on=D(2021, 10, 20))
           for c in cases[n:]]
    )  # fmt: skip


def grow_plans(world, person, others, n: int) -> None:
    """Assessments, plans in effect (due for review, with overdue tasks),
    drafts awaiting approval, superseded versions and closure requests: on
    the world's client and across the other clients (the worklists)."""
    counsellor = world["users"][Role.COUNSELLOR]
    supervisor = world["supervisor"]
    agency = PartnerAgency.objects.first()
    today = timezone.localdate()
    now = timezone.now()
    UrgencyAssessment.objects.bulk_create(
        UrgencyAssessment(
            client=person if i % 2 else others[i // 2], assessed_on=D(2021, 10, 2),
            violence="none", abuser_knows="no", children="no", suicide="none",
            housing="safe", money="enough", health="ok", suggested="low",
            chosen="medium", reason="前回より慎重に", assessed_by=counsellor,
        )
        for i in range(2 * n)
    )  # fmt: skip
    text = {"wishes": "自分で決めたい", "goals": "生活を立て直す"}
    plans = SupportPlan.objects.bulk_create(
        [
            SupportPlan(
                client=c, version=1, status="approved", review_on=today,
                created_by=counsellor, approved_by=supervisor, approved_at=now,
                **text,
            )
            for c in others
        ]
        + [
            SupportPlan(
                client=c, version=2, review_on=today, created_by=counsellor, **text
            )
            for c in others
        ]
        + [
            SupportPlan(
                client=person, version=100 + next(_serial), status="superseded",
                review_on=today, created_by=counsellor, approved_by=supervisor,
                approved_at=now, **text,
            )
            for _ in range(n)
        ]
    )  # fmt: skip
    plans += [world["plan"], world["plan_task"].plan] * n
    PlanTask.objects.bulk_create(
        PlanTask(
            plan=plan, description="申請", due_on=today - dt.timedelta(days=2),
            owner_staff=counsellor if i % 2 else None,
            owner_agency=None if i % 2 else agency,
        )
        for i, plan in enumerate(plans)
    )  # fmt: skip
    ClosureRequest.objects.bulk_create(
        [ClosureRequest(client=c, reason="resolved", requested_by=counsellor)
         for c in others]
        + [
            ClosureRequest(
                client=person, reason="moved_away", requested_by=counsellor,
                status="declined", decided_by=supervisor, decided_at=now,
                decision_note="まだ支援が必要",
            )
            for _ in range(n)
        ]
    )  # fmt: skip


def count(http: HttpClient, url: str) -> list[str]:
    http.get(url)  # warm caches (content types, translations)
    with CaptureQueriesContext(connection) as ctx:
        response = http.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        # The session's idle limit is pushed back at most once a minute
        # (SessionIdleMiddleware), whatever the page: on a loaded machine
        # the minute can pass between the two rounds.
        and not q["sql"].startswith('UPDATE "django_session"')
    ]


def test_every_page_runs_the_same_queries_with_5_and_with_50_rows(make_user):
    funder = Funder.objects.create(name="市")
    users = {
        role: make_user(
            role,
            username=f"qc-{role}",
            # city staff see their funder's programmes (the world's)
            funder=funder if role == Role.CITY_STAFF else None,
        )
        for role in ROLE_ORDER
    }
    http = {}
    for role, user in users.items():
        http[role] = HttpClient()
        http[role].force_login(user)
    world = build_world(users)
    grow(world, 5)
    attribute_all(world["programme"])  # so that its reports count the rows
    urls = []
    for name, role in pages():
        url = url_for(name, world)
        urls += [(name, role, url + suffix) for suffix in ("", *VARIANTS.get(name, ()))]
    # every list of the worklists on its own page (url_for opens one)
    for name, user in (
        ("consultations:worklist_all", users[Role.COUNSELLOR]),
        ("consultations:team_worklist_all", None),
    ):
        role = Role.ADMIN if user is None else Role.COUNSELLOR
        for list_name in casework.worklist_lists(user=user):
            url = reverse(name, args=[list_name])
            urls += [(name, role, url), (name, role, url + "?page=2")]
    few = {url: count(http[role], url) for _name, role, url in urls}
    grow(world, 45)
    attribute_all(world["programme"])
    many = {url: count(http[role], url) for _name, role, url in urls}
    grown = [
        f"{name} ({url}, as {role}): {len(few[url])} queries with 5 rows, "
        f"{len(many[url])} with 50\n  " + "\n  ".join(q[:300] for q in many[url])
        for name, role, url in urls
        if len(many[url]) != len(few[url])
    ]
    assert not grown, "\n\n".join(grown)
    assert len(urls) >= 60  # the role matrix's pages, not a handful


def test_the_pages_include_every_list_and_detail_page():
    names = {name for name, _role in pages()}
    for expected in (
        "consultations:client_list",
        "consultations:client_detail",
        "consultations:consultation_list",
        "consultations:team_worklist",
        "consultations:referral_detail",
        "consultations:referral_create",
        "line:inbox",
        "line:conversation",
        "shelter:calendar",
        "shelter:stay_list",
        "shelter:stay_detail",
        "shelter:client_stays",
        "shelter:unmet_list",
        "shelter:salon_list",
        "peergroups:group_list",
        "peergroups:session_list",
        "peergroups:session_detail",
        "peergroups:series_detail",
        "training:event_list",
        "training:event_detail",
        "reports:index",
        "reports:programme_detail",
        "reports:annual",
        "home",
    ):
        assert expected in names
