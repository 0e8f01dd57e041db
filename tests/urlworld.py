"""The URL resolver's names, one record of each kind and the URL of each
name for those records: shared by the role matrix (tests/test_role_matrix.py)
and the scoping matrix (tests/test_scoping_matrix.py)."""

import datetime as dt

from django.urls import URLPattern, URLResolver, get_resolver, reverse


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


def consent_and_referral(counsellor, person):
    """A consent of ``person`` and a referral relying on it (issue 19)."""
    from consultations.consent import services as consent_services
    from consultations.models import PartnerAgency

    agency = PartnerAgency.objects.order_by("pk").first()
    consent = consent_services.consent_record(
        by=counsellor,
        client=person,
        agency=agency,
        categories=3,
        valid_from=dt.date(2021, 9, 1),
        valid_to=dt.date(2022, 8, 31),
        method="written",
    )
    referral = consent_services.referral_create(
        by=counsellor,
        client=person,
        agency=agency,
        kind="referral",
        date=dt.date(2021, 10, 1),
        categories=1,
        consent=consent,
    )
    return consent, referral


def plans_world(counsellor, person) -> dict:
    """An assessment, an approved plan (version 1, approved by a supervisor
    of the counsellor's organisations) with a task, a draft version 2, and a
    pending closure request, for ``person``."""
    from accounts.roles import Role
    from consultations.plans import services as plans
    from tests.factories import UserFactory

    supervisor = UserFactory(
        username=f"{counsellor.username}-supervisor",
        roles=(Role.ADMIN,),
        organisations=list(counsellor.organisations.all()),
    )
    day = dt.date(2021, 10, 1)
    assessment = plans.assessment_create(
        by=counsellor, client=person, assessed_on=day, violence="some",
        abuser_knows="no", children="no_children", suicide="none",
        housing="safe", money="short", health="ok",
    )  # fmt: skip
    first = plans.plan_create(
        by=counsellor, client=person, wishes="子どもと暮らしたい",
        goals="住まいを決める", review_on=dt.date(2021, 12, 1),
    )  # fmt: skip
    task = plans.task_create(
        plan=first, by=counsellor, description="住宅の申込み",
        due_on=dt.date(2021, 10, 20), owner_staff=counsellor,
    )  # fmt: skip
    plans.plan_approve(plan=first, by=supervisor)
    draft = plans.plan_create(
        by=counsellor, client=person, wishes="子どもと暮らしたい",
        goals="仕事を探す", review_on=dt.date(2022, 1, 15),
    )  # fmt: skip
    person.refresh_from_db()
    closure = plans.closure_request(
        client=person, by=counsellor, reason="resolved",
        expected_version=person.version,
    )  # fmt: skip
    person.refresh_from_db()
    return {
        "assessment": assessment,
        "plan": draft,
        "plan_task": task,
        "closure": closure,
        "supervisor": supervisor,
    }


def meetings_world(counsellor, person) -> dict:
    """A case review meeting (issue 20) with ``counsellor`` as a pledged
    member and an outside member, ``person``'s case and a role."""
    from consultations.meetings import services as meetings

    meeting = meetings.meeting_create(
        by=counsellor, level="case_review", held_on=dt.date(2021, 10, 5),
        title="個別ケース検討会議", next_review_on=dt.date(2021, 11, 5),
    )  # fmt: skip
    member = meetings.member_add(
        by=counsellor, meeting=meeting, kind="person", user=counsellor,
        pledged_on=dt.date(2021, 10, 5),
    )  # fmt: skip
    outside = meetings.member_add(
        by=counsellor, meeting=meeting, kind="person", name="福祉 一子",
        affiliation="市福祉事務所",
    )  # fmt: skip
    case = meetings.case_add(
        by=counsellor, meeting=meeting, client=person,
        situation="住まいの確保が課題", decisions="生活保護の申請を支援する",
    )  # fmt: skip
    meetings.role_add(
        by=counsellor, case=case, member=outside, task="申請の受付",
        due_on=dt.date(2021, 10, 12),
    )  # fmt: skip
    return {"meeting": meeting, "meeting_member": member, "meeting_case": case}


def build_world(counsellor, programme_name="事業"):
    """One record of each kind, so that every URL has something to show;
    ``counsellor`` is the staff, owner and uploader of those records."""
    from accounts.models import Funder
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
    consent, referral = consent_and_referral(counsellor, person)
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
        fiscal_year=2021,
        name=programme_name,
        municipality="市",
        funder=Funder.objects.get_or_create(name="市")[0],
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
        "consent": consent,
        "referral": referral,
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
            kind="consultations",
            user=counsellor,
            token=f"{counsellor.pk:032d}",
            file_format="csv",
        ),
        "simulated_person": SimulatedPerson.objects.create(display_name="模擬"),
        **plans_world(counsellor, person),
        **meetings_world(counsellor, person),
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
        "consultations:assessment_create": "client",
        "consultations:plan_detail": "client",
        "consultations:plan_create": "client",
        "consultations:plan_update": "plan",
        "consultations:task_create": "plan",
        "consultations:plan_approve": "plan",
        "consultations:task_status": "plan_task",
        "consultations:closure_approve": "closure",
        "consultations:closure_decline": "closure",
        "consultations:support_action_update": "action",
        "consultations:consultation_update": "consultation",
        "consultations:consultation_delete": "consultation",
        "consultations:consent_create": "client",
        "consultations:consent_withdraw": "consent",
        "consultations:referral_create": "client",
        "consultations:referral_detail": "referral",
        "consultations:referral_answer": "referral",
        "consultations:referral_outcome": "referral",
        "consultations:referral_letter": "referral",
        "consultations:meeting_detail": "meeting",
        "consultations:meeting_update": "meeting",
        "consultations:meeting_member_add": "meeting",
        "consultations:meeting_case_add": "meeting",
        "consultations:meeting_minutes": "meeting",
        "consultations:meeting_member_pledge": "meeting_member",
        "consultations:meeting_member_attendance": "meeting_member",
        "consultations:meeting_case": "meeting_case",
        "consultations:meeting_case_update": "meeting_case",
        "consultations:meeting_role_add": "meeting_case",
        "shelter:stay_detail": "stay",
        "shelter:stay_update": "stay",
        "shelter:stay_protection": "stay",
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
    if name.startswith("line:chat_"):
        return reverse(name, args=[world["line_chat"].pk])
    if name.startswith("line:media"):
        return reverse(name, args=[world["line_user"].pk, world["line_media"].pk])
    if name.startswith("line:channel_webhook"):
        return reverse(name, args=["1234567890"])
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
    if name in ("consultations:worklist_all", "consultations:team_worklist_all"):
        return reverse(name, args=["overdue"])  # one list of the worklist, whole
    if name == "shelter:stay_action":
        return reverse(name, args=[world["stay"].pk, "cancel"])
    if name.startswith("reports:funder_summary"):
        return reverse(name, args=[2021])
    if name == "shelter:opening_calendar":
        return reverse(name, args=["salon"])
    if name in ("reports:target_update", "reports:target_delete"):
        return reverse(name, args=[world["programme"].pk, world["target"].pk])
    if name in pk_of:
        return reverse(name, args=[world[pk_of[name]].pk])
    return reverse(name)
