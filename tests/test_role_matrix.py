"""The role matrix: every URL in the resolver × every role → the expected
answer to a GET. A URL with no row here fails the test, so a new page cannot
ship without someone deciding who may open it.

LOGIN = redirected to the login page; 200 = the page; 302 = a redirect that is
not the login page; 403 = refused; 405 = the URL only takes POST (the role
check still comes first: a refused role gets 403, not 405).
"""

import pytest

from accounts.roles import Role
from tests.urlworld import build_world, url_for, url_names

pytestmark = pytest.mark.django_db
LOGIN = "login"
ROLES = (
    "anonymous",
    Role.COUNSELLOR,
    Role.COORDINATOR,
    Role.FACILITATOR,
    Role.CITY_STAFF,
    Role.ADMIN,
)


def row(anonymous, counsellor, coordinator, facilitator, city_staff, admin):
    return dict(
        zip(
            ROLES,
            (anonymous, counsellor, coordinator, facilitator, city_staff, admin),
            strict=True,
        )
    )


# Profiles: who may open what.
EVERYONE = row(LOGIN, 200, 200, 200, 200, 200)
COUNSELLOR = row(LOGIN, 200, 403, 403, 403, 200)
COUNSELLOR_POST = row(LOGIN, 405, 403, 403, 403, 405)
COORDINATOR = row(LOGIN, 403, 200, 403, 403, 200)
COORDINATOR_POST = row(LOGIN, 403, 405, 403, 403, 405)
FACILITATOR = row(LOGIN, 403, 403, 200, 403, 200)
FACILITATOR_POST = row(LOGIN, 403, 403, 405, 403, 405)
CITY = row(LOGIN, 403, 403, 403, 200, 200)
CITY_POST = row(LOGIN, 403, 403, 403, 405, 405)
ADMIN = row(LOGIN, 403, 403, 403, 403, 200)
ADMIN_POST = row(LOGIN, 403, 403, 403, 403, 405)
STAFF_WITH_IMPORTS = row(LOGIN, 200, 200, 200, 403, 200)

MATRIX = {
    "home": EVERYONE,
    "healthz": row(200, 200, 200, 200, 200, 200),  # public: load balancers
    "accounts:login": row(200, 302, 302, 302, 302, 302),  # signed in: sent home
    "accounts:logout": row(LOGIN, 405, 405, 405, 405, 405),  # POST only
    "accounts:password_change": EVERYONE,
    "accounts:preferences": EVERYONE,
    "accounts:otp": EVERYONE,
    "set_language": row(LOGIN, 302, 302, 302, 302, 302),  # acts on POST
    "admin-login": row(LOGIN, 403, 403, 403, 403, 403),  # one login page
    "admin:index": row(LOGIN, 403, 403, 403, 403, 200),  # the whole admin site
    # consultations
    "consultations:client_list": COUNSELLOR,
    "consultations:client_create": COUNSELLOR,
    "consultations:client_lookup": COUNSELLOR,
    "consultations:client_detail": COUNSELLOR,
    "consultations:client_update": COUNSELLOR,
    "consultations:client_close": COUNSELLOR_POST,
    "consultations:client_reopen": COUNSELLOR_POST,
    "consultations:client_urgency": COUNSELLOR_POST,
    "consultations:client_reassign": ADMIN_POST,
    "consultations:follow_up_create": COUNSELLOR_POST,
    "consultations:follow_up_done": COUNSELLOR_POST,
    "consultations:client_anonymise": ADMIN,
    "consultations:team_worklist": ADMIN,
    "consultations:team_worklist_all": ADMIN,
    "consultations:worklist_all": COUNSELLOR,
    "consultations:support_action_create": COUNSELLOR,
    "consultations:support_action_update": COUNSELLOR,
    "consultations:consultation_list": COUNSELLOR,
    "consultations:consultation_create": COUNSELLOR,
    "consultations:consultation_export": COUNSELLOR,
    "consultations:consultation_update": COUNSELLOR,
    "consultations:consultation_delete": COUNSELLOR,
    # consent and referrals (issue 19): counsellors and admins only
    "consultations:consent_create": COUNSELLOR,
    "consultations:consent_withdraw": COUNSELLOR_POST,
    "consultations:referral_create": COUNSELLOR,
    "consultations:referral_detail": COUNSELLOR,
    "consultations:referral_answer": COUNSELLOR_POST,
    "consultations:referral_outcome": COUNSELLOR_POST,
    "consultations:referral_letter": COUNSELLOR,  # a PDF, audited per download
    # support coordination meetings (issue 20): counsellors and admins; a
    # case's content only for the meeting's pledged members, the client's
    # counsellor and admins (this counsellor is none of them: 403); the
    # minutes hold only the cases the reader may open
    "consultations:meeting_list": COUNSELLOR,
    "consultations:meeting_create": COUNSELLOR,
    "consultations:meeting_detail": COUNSELLOR,
    "consultations:meeting_update": COUNSELLOR,
    "consultations:meeting_member_add": COUNSELLOR,
    "consultations:meeting_member_pledge": COUNSELLOR_POST,
    "consultations:meeting_member_attendance": COUNSELLOR_POST,
    "consultations:meeting_case_add": COUNSELLOR,
    "consultations:meeting_case": row(LOGIN, 403, 403, 403, 403, 200),
    "consultations:meeting_case_update": row(LOGIN, 403, 403, 403, 403, 200),
    "consultations:meeting_role_add": COUNSELLOR_POST,
    "consultations:meeting_minutes": COUNSELLOR,  # a PDF, audited per download
    # assessments, support plans, closures (issue 19): approving a plan and
    # deciding a closure are for supervisors (admins, and counsellors marked
    # as supervisors: consultations/plans/tests cover those)
    "consultations:assessment_create": COUNSELLOR,
    "consultations:plan_detail": COUNSELLOR,
    "consultations:plan_create": COUNSELLOR,
    "consultations:plan_update": COUNSELLOR_POST,
    "consultations:task_create": COUNSELLOR_POST,
    "consultations:task_status": COUNSELLOR_POST,
    "consultations:plan_approve": ADMIN_POST,
    "consultations:closure_approve": ADMIN_POST,
    "consultations:closure_decline": ADMIN_POST,
    # LINE
    "line:webhook": row(405, 405, 405, 405, 405, 405),  # public, POST only
    "line:webhook_no_slash": row(405, 405, 405, 405, 405, 405),  # LINE's Verify
    # each organisation's official account: public, POST only, its own secret
    "line:channel_webhook": row(405, 405, 405, 405, 405, 405),
    "line:channel_webhook_no_slash": row(405, 405, 405, 405, 405, 405),
    "line:inbox": COUNSELLOR,
    "line:status": ADMIN,  # configuration and webhook failures, no personal data
    "line:conversation": COUNSELLOR,
    "line:link_client": COUNSELLOR_POST,
    "line:create_client": COUNSELLOR_POST,
    "line:record": COUNSELLOR_POST,
    "line:reply": COUNSELLOR_POST,
    "line:refresh_profile": COUNSELLOR_POST,
    "line:resend": COUNSELLOR_POST,
    "line:discard": COUNSELLOR_POST,
    "line:media": COUNSELLOR,  # a downloaded image, audited per view
    "line:media_thumbnail": COUNSELLOR,
    "line:media_retry": COUNSELLOR_POST,
    # Live updates: the page's token (counsellors' pages only) is the
    # credential, checked with the session and the role; without it, refused.
    "line:inbox_updates": row(403, 403, 403, 403, 403, 403),
    "line:worklist_updates": row(403, 403, 403, 403, 403, 403),
    "line:conversation_updates": row(403, 403, 403, 403, 403, 403),
    # the desk: counsellors hold chats; city staff, coordinators and
    # facilitators never reach one
    "line:chat_claim": COUNSELLOR_POST,
    "line:chat_transfer": COUNSELLOR_POST,
    "line:chat_end": COUNSELLOR_POST,
    # supervisors: admins, and counsellors marked as supervisors
    # (test_line_chats covers those)
    "line:chat_take_over": ADMIN_POST,
    "line:supervision": ADMIN,
    # shelter: coordinators; counsellors read a stay (linked from the timeline)
    "shelter:calendar": COORDINATOR,
    "shelter:stay_list": COORDINATOR,
    "shelter:stay_create": COORDINATOR,
    "shelter:stay_detail": row(LOGIN, 200, 200, 403, 403, 200),
    "shelter:stay_update": COORDINATOR,
    "shelter:stay_protection": COORDINATOR,
    "shelter:stay_action": COORDINATOR_POST,
    "shelter:client_stays": COORDINATOR,
    "shelter:client_lookup": COORDINATOR,  # the booking forms' client picker
    "shelter:unmet_list": COORDINATOR,
    "shelter:unmet_create": COORDINATOR,
    "shelter:unmet_delete": COORDINATOR_POST,
    "shelter:salon_list": COORDINATOR,
    "shelter:salon_create": COORDINATOR,
    "shelter:salon_update": COORDINATOR,
    "shelter:opening_days": COORDINATOR,
    "shelter:opening_calendar": COORDINATOR,
    # peer support and training: facilitators
    "peergroups:group_list": FACILITATOR,
    "peergroups:group_create": FACILITATOR,
    "peergroups:group_update": FACILITATOR,
    "peergroups:session_list": FACILITATOR,
    "peergroups:session_create": FACILITATOR,
    "peergroups:session_detail": FACILITATOR,
    "peergroups:session_update": FACILITATOR,
    "peergroups:session_delete": FACILITATOR,
    "peergroups:series_create": FACILITATOR,
    "peergroups:series_detail": FACILITATOR,
    "training:event_list": FACILITATOR,
    "training:event_create": FACILITATOR,
    "training:event_detail": FACILITATOR,
    "training:event_update": FACILITATOR,
    "training:event_delete": FACILITATOR,
    "training:survey": FACILITATOR,
    "training:speaker_create": FACILITATOR,
    "training:speaker_delete": FACILITATOR_POST,
    "training:response_delete": FACILITATOR_POST,
    # imports: each kind for the role that owns its records; none for the city
    "reports:import": STAFF_WITH_IMPORTS,
    # one upload's page: its uploader (here the counsellor of the fixture, not
    # the role's user) and admins; another user's id is not found
    "reports:import_job": row(LOGIN, 404, 404, 404, 403, 200),
    # programmes, targets and the annual report: city staff
    "reports:index": CITY,
    "reports:data_quality": ADMIN,
    "reports:programme_create": CITY,
    "reports:programme_detail": CITY,
    "reports:programme_update": CITY,
    "reports:programme_delete": CITY,
    "reports:target_create": CITY,
    "reports:target_update": CITY,
    "reports:target_delete": CITY_POST,
    "reports:annual": CITY,
    "reports:annual_pdf": CITY,
    "reports:annual_xlsx": CITY,
    "reports:annual_csv": CITY,
    "reports:annual_json": CITY,
    # the summed report of a funder's programmes: city staff of a funder only
    "reports:funder_summary": row(LOGIN, 403, 403, 403, 200, 403),
    "reports:funder_summary_csv": row(LOGIN, 403, 403, 403, 200, 403),
    # development tool (LINE_SIMULATOR, on in the tests and the demo only): the
    # stand-in Messaging API is public like LINE's and wants the channel's
    # token (none here: 401); the simulator is for those who answer LINE
    "line_api:push": row(401, 401, 401, 401, 401, 401),
    "line_api:reply": row(401, 401, 401, 401, 401, 401),
    "line_api:quota": row(401, 401, 401, 401, 401, 401),
    "line_api:quota_consumption": row(401, 401, 401, 401, 401, 401),
    "line_api:content": row(401, 401, 401, 401, 401, 401),
    "line_api:profile": row(401, 401, 401, 401, 401, 401),
    "line_simulator:index": COUNSELLOR,
    "line_simulator:create_person": COUNSELLOR_POST,
    "line_simulator:phone": COUNSELLOR,
    "line_simulator:feed": COUNSELLOR,
    "line_simulator:send": COUNSELLOR_POST,
    "line_simulator:follow": COUNSELLOR_POST,
    "line_simulator:unfollow": COUNSELLOR_POST,
    "line_simulator:unsend": COUNSELLOR_POST,
    "line_simulator:quick_reply": COUNSELLOR_POST,
}


def test_every_url_has_a_row_and_every_row_a_url():
    names = url_names()
    assert names - set(MATRIX) == set(), "URLs without a row in MATRIX"
    assert set(MATRIX) - names == set(), "rows for URLs that no longer exist"


@pytest.fixture
def world(counsellor):
    """One record of each kind, so that every URL has something to show."""
    return build_world(counsellor)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_declared_answer_everywhere(client, make_user, world, role):
    if role != "anonymous":
        # City staff belong to the funder of the world's programme.
        funder = world["programme"].funder if role == Role.CITY_STAFF else None
        client.force_login(make_user(role, username=f"matrix-{role}", funder=funder))
    wrong = []
    for name, expected_by_role in sorted(MATRIX.items()):
        expected = expected_by_role[role]
        url = url_for(name, world)
        response = client.get(url, follow=name == "admin:index")
        got = response.status_code
        chain = getattr(response, "redirect_chain", [])
        if (
            got == 302
            and response["Location"].startswith("/accounts/login/")
            or chain
            and chain[-1][0].startswith("/accounts/login/")
        ):
            got = LOGIN
        if got != expected:
            wrong.append(f"{name} ({url}): expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)
