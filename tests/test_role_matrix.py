"""The role matrix: every URL in the resolver × every role → the expected
answer to a GET. A URL with no row here fails the test, so a new page cannot
ship without someone deciding who may open it.

LOGIN = redirected to the login page; 200 = the page; 302 = a redirect that is
not the login page; 403 = refused; 405 = the URL only takes POST (the role
check still comes first: a refused role gets 403, not 405).
"""

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.roles import Role

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
    "consultations:support_action_create": COUNSELLOR,
    "consultations:support_action_update": COUNSELLOR,
    "consultations:consultation_list": COUNSELLOR,
    "consultations:consultation_create": COUNSELLOR,
    "consultations:consultation_export": COUNSELLOR,
    "consultations:consultation_update": COUNSELLOR,
    "consultations:consultation_delete": COUNSELLOR,
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
    "shelter:stay_action": COORDINATOR_POST,
    "shelter:client_stays": COORDINATOR,
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


def url_names():
    """Every named URL in the resolver; the admin site counts as one row."""
    names = set()

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace == "admin":
                    names.add("admin:index")
                    continue
                inner = ":".join(filter(None, [namespace, p.namespace or ""]))
                walk(p.url_patterns, inner)
            elif isinstance(p, URLPattern):
                if str(p.pattern) == "admin/login/":
                    names.add("admin-login")
                else:
                    names.add(":".join(filter(None, [namespace, p.name or "?"])))

    walk(get_resolver().url_patterns)
    return names


def test_every_url_has_a_row_and_every_row_a_url():
    names = url_names()
    assert names - set(MATRIX) == set(), "URLs without a row in MATRIX"
    assert set(MATRIX) - names == set(), "rows for URLs that no longer exist"


def line_media_downloaded(line_user):
    """An image message whose content was downloaded (a real file in the
    private LINE media storage, the test settings' temporary folder)."""
    import io

    from PIL import Image

    from consultations.line import media
    from consultations.models import LineMedia
    from consultations.tests.line_factories import LineMessageFactory

    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG")
    message = LineMessageFactory(line_user=line_user, kind="image", text="")
    name, thumbnail = media.store(io.BytesIO(out.getvalue()), thumbnail=True)
    LineMedia.objects.create(
        message=message,
        provider="line",
        status="downloaded",
        stored_name=name,
        thumbnail_name=thumbnail,
        size=len(out.getvalue()),
        content_type="image/png",
        sha256="0" * 64,
    )
    return message


@pytest.fixture
def world(counsellor):
    """One record of each kind, so that every URL has something to show."""
    from consultations import services
    from consultations.models import LineChat
    from consultations.tests.factories import ConsultationFactory
    from consultations.tests.line_factories import LineUserFactory
    from devtools.models import SimulatedPerson
    from peergroups.services import series_create
    from peergroups.tests.factories import GroupFactory, SessionFactory
    from reports.models import ImportJob, Programme, Target
    from shelter.tests.factories import (
        SalonVisitFactory,
        StayFactory,
        UnmetRequestFactory,
    )
    from tests.factories import ClientFactory
    from training.tests.factories import (
        EventFactory,
        SpeakerFactory,
        SurveyResponseFactory,
    )

    person = ClientFactory()
    line_user = LineUserFactory(client=person)
    action = services.support_action_create(
        by=counsellor,
        client=person,
        kind="interview",
        date=dt.date(2021, 10, 1),
        staff=counsellor,
    )
    step = services.follow_up_create(
        by=counsellor,
        client=person,
        kind="call_back",
        due_date=dt.date(2021, 10, 2),
        owner=counsellor,
    )
    group = GroupFactory()
    session = SessionFactory(group=group)
    series = series_create(
        by=counsellor,
        group=group,
        frequency="weekly",
        weekday=1,
        week_of_month=None,
        first_date=dt.date(2021, 10, 5),
        last_date=dt.date(2021, 10, 26),
        holiday_policy="skip",
    )
    event = EventFactory()
    programme = Programme.objects.create(
        fiscal_year=2021, name="事業", municipality="市"
    )
    return {
        "programme": programme,
        "target": Target.objects.create(
            programme=programme, metric_key="peer_sessions", target_value=5
        ),
        "client": person,
        "consultation": ConsultationFactory(client=person),
        "action": action,
        "step": step,
        "line_user": line_user,
        "line_media": line_media_downloaded(line_user),
        "line_chat": LineChat.objects.create(
            line_user=line_user, started_at=line_user.first_contact_at
        ),
        "stay": StayFactory(client=person),
        "unmet": UnmetRequestFactory(client=person),
        "visit": SalonVisitFactory(),
        "group": group,
        "session": session,
        "series": series,
        "event": event,
        "speaker": SpeakerFactory(event=event),
        "response": SurveyResponseFactory(event=event),
        "import_job": ImportJob.objects.create(
            kind="consultations", user=counsellor, token="0" * 32, file_format="csv"
        ),
        "simulated_person": SimulatedPerson.objects.create(display_name="模擬"),
    }


def url_for(name, world):
    pk_of = {
        "consultations:client_detail": "client",
        "consultations:client_update": "client",
        "consultations:client_close": "client",
        "consultations:client_reopen": "client",
        "consultations:client_urgency": "client",
        "consultations:client_reassign": "client",
        "consultations:follow_up_create": "client",
        "consultations:client_anonymise": "client",
        "consultations:follow_up_done": "step",
        "consultations:support_action_update": "action",
        "consultations:consultation_update": "consultation",
        "consultations:consultation_delete": "consultation",
        "shelter:stay_detail": "stay",
        "shelter:stay_update": "stay",
        "shelter:client_stays": "client",
        "shelter:unmet_delete": "unmet",
        "shelter:salon_update": "visit",
        "peergroups:group_update": "group",
        "peergroups:session_detail": "session",
        "peergroups:session_update": "session",
        "peergroups:session_delete": "session",
        "peergroups:series_detail": "series",
        "training:event_detail": "event",
        "training:event_update": "event",
        "training:event_delete": "event",
        "training:survey": "event",
        "training:speaker_create": "event",
        "training:speaker_delete": "speaker",
        "training:response_delete": "response",
        "reports:programme_detail": "programme",
        "reports:programme_update": "programme",
        "reports:programme_delete": "programme",
        "reports:target_create": "programme",
        "reports:import_job": "import_job",
    }
    if name == "admin-login":
        return "/admin/login/"
    if name == "consultations:support_action_create":
        return reverse(name, kwargs={"client_pk": world["client"].pk})
    if name == "consultations:consultation_export":
        return reverse(name, args=["csv"])
    if name in ("line:resend", "line:discard"):
        # The role is checked before the method and before the message.
        return reverse(name, args=[world["line_user"].pk, 1])
    if name == "line_api:content":
        return reverse(name, args=["100000000000000001"])
    if name == "line_api:profile":
        return reverse(name, args=[world["simulated_person"].line_user_id])
    if name.startswith("line_simulator:") and name not in (
        "line_simulator:index",
        "line_simulator:create_person",
    ):
        return reverse(name, args=[world["simulated_person"].pk])
    if name.startswith("line:channel_webhook"):
        return reverse(name, args=["1234567890"])
    if name.startswith("line:chat_"):
        return reverse(name, args=[world["line_chat"].pk])
    if name.startswith("line:media"):
        return reverse(name, args=[world["line_user"].pk, world["line_media"].pk])
    if name.startswith("line:") and name not in (
        "line:webhook",
        "line:webhook_no_slash",
        "line:inbox",
        "line:status",
        "line:inbox_updates",
        "line:worklist_updates",
        "line:supervision",
    ):
        return reverse(name, args=[world["line_user"].pk])
    if name == "shelter:stay_action":
        return reverse(name, args=[world["stay"].pk, "cancel"])
    if name == "shelter:opening_calendar":
        return reverse(name, args=["salon"])
    if name in ("reports:target_update", "reports:target_delete"):
        return reverse(name, args=[world["programme"].pk, world["target"].pk])
    if name in pk_of:
        return reverse(name, args=[world[pk_of[name]].pk])
    return reverse(name)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_declared_answer_everywhere(client, make_user, world, role):
    if role != "anonymous":
        client.force_login(make_user(role, username=f"matrix-{role}"))
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
