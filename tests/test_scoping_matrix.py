"""The scoping matrix (issue 18): every URL in the resolver, opened by a user
of organisation A, against the records of organisation B.

Both organisations hold one record of each kind (tests/urlworld.py); B's carry
the marker ``ORGB`` in every name, code and text. A URL naming one of B's
records answers 404 — to a GET and to a POST, never 403, 200 or 302: nobody
learns that the record exists. A list, search, export, worklist, calendar or
form page answers as usual, without a trace of B (no marker in the body, the
choices of its forms included). A URL with no entry in SCOPE fails the test,
so a new URL cannot ship without someone deciding how it is scoped; a new
model holding personal data fails test_every_personal_model_is_scoped.
"""

import pytest
from django.urls import reverse

from accounts import scoping
from accounts.models import Organisation
from accounts.roles import Role
from tests.test_role_matrix import MATRIX
from tests.urlworld import build_world, url_for, url_names

pytestmark = pytest.mark.django_db
MARK = "ORGB"

# How each URL is scoped.
RECORD = "record"  # names one of B's records: 404 to GET (405 if POST-only) and POST
LIST = "list"  # lists, searches, exports, worklists, forms: 200, nothing of B
REPORTS = "reports"  # programmes and reports: the reports' own rules (funders)
NONE = "none"  # no organisation's records (login, health, the webhook, ...)
DEV = "dev"  # the LINE simulator and its stand-in API: tests and demo only
LIVE = "live"  # live updates: a signed token; test_live_updates_* below

SCOPE = {
    "home": LIST,  # the worklists
    "healthz": NONE,
    "accounts:login": NONE,
    "accounts:logout": NONE,
    "accounts:password_change": NONE,
    "accounts:preferences": NONE,
    "accounts:otp": NONE,
    "set_language": NONE,
    "admin-login": NONE,
    "admin:index": LIST,  # every model's page: test_admin_* below
    "consultations:client_list": LIST,
    "consultations:client_create": LIST,
    "consultations:client_lookup": LIST,
    "consultations:client_detail": RECORD,
    "consultations:client_update": RECORD,
    "consultations:client_close": RECORD,
    "consultations:client_reopen": RECORD,
    "consultations:client_urgency": RECORD,
    "consultations:client_reassign": RECORD,
    "consultations:follow_up_create": RECORD,
    "consultations:follow_up_done": RECORD,
    "consultations:client_anonymise": RECORD,
    "consultations:team_worklist": LIST,
    "consultations:team_worklist_all": LIST,
    "consultations:worklist_all": LIST,
    "consultations:support_action_create": RECORD,
    "consultations:support_action_update": RECORD,
    "consultations:consultation_list": LIST,
    "consultations:consultation_create": LIST,
    "consultations:consultation_export": LIST,
    "consultations:consultation_update": RECORD,
    "consultations:consultation_delete": RECORD,
    "consultations:consent_create": RECORD,
    "consultations:consent_withdraw": RECORD,
    "consultations:referral_create": RECORD,
    "consultations:referral_detail": RECORD,
    "consultations:referral_answer": RECORD,
    "consultations:referral_outcome": RECORD,
    "consultations:referral_letter": RECORD,
    "consultations:assessment_create": RECORD,
    "consultations:plan_detail": RECORD,
    "consultations:plan_create": RECORD,
    "consultations:plan_update": RECORD,
    "consultations:task_create": RECORD,
    "consultations:task_status": RECORD,
    "consultations:plan_approve": RECORD,
    "consultations:closure_approve": RECORD,
    "consultations:closure_decline": RECORD,
    "consultations:meeting_list": LIST,
    "consultations:meeting_create": LIST,
    "consultations:meeting_detail": RECORD,
    "consultations:meeting_update": RECORD,
    "consultations:meeting_member_add": RECORD,
    "consultations:meeting_member_pledge": RECORD,
    "consultations:meeting_member_attendance": RECORD,
    "consultations:meeting_case_add": RECORD,
    "consultations:meeting_case": RECORD,
    "consultations:meeting_case_update": RECORD,
    "consultations:meeting_role_add": RECORD,
    "consultations:meeting_minutes": RECORD,
    # LINE: the webhook is the LINE accounts' part (one per organisation)
    "line:webhook": NONE,
    "line:webhook_no_slash": NONE,
    "line:channel_webhook": NONE,
    "line:channel_webhook_no_slash": NONE,
    "line:inbox": LIST,
    "line:status": LIST,
    "line:conversation": RECORD,
    "line:link_client": RECORD,
    "line:create_client": RECORD,
    "line:record": RECORD,
    "line:reply": RECORD,
    "line:refresh_profile": RECORD,
    "line:resend": RECORD,
    "line:discard": RECORD,
    "line:media": RECORD,
    "line:media_thumbnail": RECORD,
    "line:media_retry": RECORD,
    "line:inbox_updates": LIVE,
    "line:worklist_updates": LIVE,
    "line:conversation_updates": LIVE,
    "line:chat_claim": RECORD,
    "line:chat_transfer": RECORD,
    "line:chat_end": RECORD,
    "line:chat_take_over": RECORD,
    "line:supervision": LIST,
    "shelter:calendar": LIST,
    "shelter:stay_list": LIST,
    "shelter:stay_create": LIST,
    "shelter:stay_detail": RECORD,
    "shelter:stay_update": RECORD,
    "shelter:stay_protection": RECORD,
    "shelter:stay_action": RECORD,
    "shelter:client_stays": RECORD,
    "shelter:client_lookup": LIST,
    "shelter:unmet_list": LIST,
    "shelter:unmet_create": LIST,
    "shelter:unmet_delete": RECORD,
    "shelter:salon_list": LIST,
    "shelter:salon_create": LIST,
    "shelter:salon_update": RECORD,
    "shelter:opening_days": LIST,
    "shelter:opening_calendar": LIST,
    "peergroups:group_list": LIST,
    "peergroups:group_create": LIST,
    "peergroups:group_update": RECORD,
    "peergroups:session_list": LIST,
    "peergroups:session_create": LIST,
    "peergroups:session_detail": RECORD,
    "peergroups:session_update": RECORD,
    "peergroups:session_delete": RECORD,
    "peergroups:series_create": LIST,
    "peergroups:series_detail": RECORD,
    "training:event_list": LIST,
    "training:event_create": LIST,
    "training:event_detail": RECORD,
    "training:event_update": RECORD,
    "training:event_delete": RECORD,
    "training:survey": RECORD,
    "training:speaker_create": RECORD,
    "training:speaker_delete": RECORD,
    "training:response_delete": RECORD,
    # imports are records of an organisation; programmes follow the reports'
    # rules (a funder's programmes across the organisations that run them)
    "reports:import": LIST,
    "reports:import_job": RECORD,
    "reports:data_quality": LIST,
    "reports:index": REPORTS,
    "reports:programme_create": REPORTS,
    "reports:programme_detail": REPORTS,
    "reports:programme_update": REPORTS,
    "reports:programme_delete": REPORTS,
    "reports:target_create": REPORTS,
    "reports:target_update": REPORTS,
    "reports:target_delete": REPORTS,
    "reports:annual": REPORTS,
    "reports:annual_pdf": REPORTS,
    "reports:annual_xlsx": REPORTS,
    "reports:annual_csv": REPORTS,
    "reports:annual_json": REPORTS,
    "reports:funder_summary": REPORTS,
    "reports:funder_summary_csv": REPORTS,
    "line_api:push": DEV,
    "line_api:reply": DEV,
    "line_api:quota": DEV,
    "line_api:quota_consumption": DEV,
    "line_api:content": DEV,
    "line_api:profile": DEV,
    "line_simulator:index": DEV,
    "line_simulator:create_person": DEV,
    "line_simulator:phone": DEV,
    "line_simulator:feed": DEV,
    "line_simulator:send": DEV,
    "line_simulator:follow": DEV,
    "line_simulator:unfollow": DEV,
    "line_simulator:unsend": DEV,
    "line_simulator:quick_reply": DEV,
}

# Searches that would find B's records (not by the marker: the page shows
# what was searched for).
QUERIES = {
    "consultations:client_list": {"q": "花子"},
    "consultations:client_lookup": {"q": "花子"},
    "shelter:client_lookup": {"q": "花子"},
    "line:inbox": {"q": "ライン"},
    # the month and fiscal year of the worlds' records (2021-10)
    "shelter:calendar": {"month": "2021-10"},
    "shelter:opening_calendar": {"month": "2021-10"},
    "shelter:opening_days": {"fy": "2021"},
    "peergroups:session_list": {"fy": "2021"},
    "training:event_list": {"fy": "2021"},
    "consultations:consultation_list": {"q": "花子", "fiscal_year": "2021"},
}


def test_every_url_has_an_entry_and_every_entry_a_url():
    names = url_names()
    assert names - set(SCOPE) == set(), "URLs without an entry in SCOPE"
    assert set(SCOPE) - names == set(), "entries for URLs that no longer exist"


def mark_records(world):
    """Puts the marker in every name, code and text of B's records."""
    from consultations.models import (
        CannedReply,
        Client,
        ClosureRequest,
        Consultation,
        CoordinationMeeting,
        FollowUp,
        LineMessage,
        LineUser,
        MeetingCase,
        MeetingMember,
        MeetingRole,
        PlanTask,
        Referral,
        SupportAction,
        SupportPlan,
    )
    from consultations.search import normalise
    from peergroups.models import Group, Session
    from reports.models import Programme
    from shelter.models import Facility, Room
    from training.models import Event, Speaker

    client = world["client"]
    code, name = f"{MARK}-0001", f"{MARK}花子"
    Client.objects.filter(pk=client.pk).update(
        code=code,
        display_name=name,
        kana=f"{MARK}かな",
        notes=MARK,
        search_text=normalise(code + name),
    )
    Consultation.objects.filter(client=client).update(summary=f"{MARK}要旨")
    SupportAction.objects.filter(client=client).update(note=f"{MARK}支援")
    FollowUp.objects.filter(client=client).update(note=f"{MARK}予定")
    Referral.objects.filter(client=client).update(
        override_reason=f"{MARK}緊急", consent=None
    )
    SupportPlan.objects.filter(client=client).update(
        wishes=f"{MARK}希望", goals=f"{MARK}目標"
    )
    PlanTask.objects.filter(plan__client=client).update(description=f"{MARK}課題")
    ClosureRequest.objects.filter(client=client).update(note=f"{MARK}終結")
    CoordinationMeeting.objects.filter(pk=world["meeting"].pk).update(
        title=f"{MARK}会議", place=MARK, agenda=MARK
    )
    MeetingMember.objects.filter(meeting=world["meeting"], user=None).update(
        name=f"{MARK}委員", affiliation=MARK
    )
    MeetingCase.objects.filter(client=client).update(
        situation=f"{MARK}状況", decisions=f"{MARK}決定"
    )
    MeetingRole.objects.filter(case__client=client).update(task=f"{MARK}役割")
    LineUser.objects.filter(pk=world["line_user"].pk).update(
        display_name=f"{MARK}ライン"
    )
    LineMessage.objects.filter(line_user=world["line_user"]).update(
        text=f"{MARK}メッセージ"
    )
    for facility in Facility.objects.filter(organisation=world["org"]):
        facility.name = f"{MARK}施設{facility.pk}"
        facility.save(update_fields=["name"])
    for room in Room.objects.filter(facility__organisation=world["org"]):
        room.name = f"{MARK}室{room.pk}"
        room.save(update_fields=["name"])
    Group.objects.filter(pk=world["group"].pk).update(
        name=f"{MARK}グループ", description=MARK
    )
    Session.objects.filter(group=world["group"]).update(theme=f"{MARK}テーマ")
    Event.objects.filter(pk=world["event"].pk).update(
        title=f"{MARK}研修", venue=MARK, notes=MARK
    )
    Speaker.objects.filter(event=world["event"]).update(talk_title=f"{MARK}講話")
    Programme.objects.filter(pk=world["programme"].pk).update(name=f"{MARK}事業")
    CannedReply.objects.create(
        organisation=world["org"], title=f"{MARK}定型文", text=f"{MARK}定型文"
    )


@pytest.fixture
def two_worlds(make_user):
    """A's records, made by A's counsellor; B's, made in B's scope by B's
    counsellor and marked; an admin and a member of A holding the
    counsellor's, coordinator's and facilitator's roles."""
    org_a = Organisation.objects.create(name="A")
    org_b = Organisation.objects.create(name="B")
    a_counsellor = make_user(
        Role.COUNSELLOR, username="a-counsellor", organisations=[org_a]
    )
    b_counsellor = make_user(
        Role.COUNSELLOR, username=f"{MARK}-counsellor", organisations=[org_b]
    )
    with scoping.organisations([org_a.pk]):
        a = build_world(a_counsellor)
    with scoping.organisations([org_b.pk]):
        b = build_world(b_counsellor, programme_name=f"{MARK}事業")
    b["org"] = org_b
    b["counsellor"] = b_counsellor
    mark_records(b)
    return {
        "a": a,
        "b": b,
        "admin": make_user(Role.ADMIN, username="a-admin", organisations=[org_a]),
        "staff": make_user(
            Role.COUNSELLOR,
            Role.COORDINATOR,
            Role.FACILITATOR,
            username="a-staff",
            organisations=[org_a],
        ),
    }


def may_open(name, who):
    """Whether the role matrix lets this user's roles past the role check."""
    if who == "admin":
        return True
    return any(
        MATRIX[name][role] not in (403, "login")
        for role in (Role.COUNSELLOR, Role.COORDINATOR, Role.FACILITATOR)
    )


def body_of(response):
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content[:2] == b"PK":  # an XLSX: its shared strings
        import io
        import zipfile

        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return "".join(
                z.read(n).decode() for n in z.namelist() if n.endswith(".xml")
            )
    return content.decode("utf-8-sig", errors="replace")


@pytest.mark.parametrize("who", ["admin", "staff"])
def test_another_organisations_records_are_not_found_and_never_listed(
    client, two_worlds, who
):
    client.force_login(two_worlds[who])
    world = two_worlds["b"]
    wrong = []
    for name, kind in sorted(SCOPE.items()):
        if kind not in (RECORD, LIST) or name == "admin:index":
            continue
        if not may_open(name, who):
            continue
        url = url_for(name, world)
        if kind == RECORD:
            post_only = MATRIX[name][Role.ADMIN] == 405
            got = client.get(url).status_code
            if got != (405 if post_only else 404):
                wrong.append(f"{name} GET {url}: {got}")
            got = client.post(url, {}).status_code
            # a page that takes no POST says so for any record
            own = url_for(name, two_worlds["a"])
            if got != 404 and not (got == 405 and client.post(own).status_code == 405):
                wrong.append(f"{name} POST {url}: {got}")
            continue
        response = client.get(url, QUERIES.get(name, {}))
        if response.status_code not in (200, 302):
            wrong.append(f"{name} GET {url}: {response.status_code}")
        elif MARK in body_of(response):
            wrong.append(f"{name} GET {url}: shows B's records")
    assert not wrong, "\n".join(wrong)


def test_exports_hold_nothing_of_another_organisation(client, two_worlds):
    client.force_login(two_worlds["admin"])
    for fmt in ("csv", "xlsx"):
        url = reverse("consultations:consultation_export", args=[fmt])
        response = client.get(url, {"date_from": "2000-01-01"})
        assert response.status_code == 200
        body = body_of(response)
        assert two_worlds["a"]["client"].code in body  # the export has rows
        assert MARK not in body


def normalised(body: str) -> str:
    """A page without what changes from one request to the next (tokens)."""
    import re

    body = re.sub(r'(csrfmiddlewaretoken" value=")[^"]*', r"\1", body)
    body = re.sub(r'(nonce=")[^"]*', r"\1", body)
    body = re.sub(r'(data-live-token=")[^"]*', r"\1", body)
    # the entry form starts at the current minute
    body = re.sub(r'value="\d{4}-\d\d-\d\dT\d\d:\d\d"', 'value=""', body)
    return body


def test_lists_are_the_same_with_or_without_another_organisation(client, make_user):
    """Counts, sums and calendars too: what A's users see does not change
    when B's records are added (B's own marker aside, no number moves)."""
    org_a = Organisation.objects.create(name="A")
    org_b = Organisation.objects.create(name="B")
    a_counsellor = make_user(
        Role.COUNSELLOR, username="a-counsellor", organisations=[org_a]
    )
    b_counsellor = make_user(Role.COUNSELLOR, username="b-c", organisations=[org_b])
    with scoping.organisations([org_a.pk]):
        a = build_world(a_counsellor)
    client.force_login(make_user(Role.ADMIN, username="a-admin", organisations=[org_a]))
    lists = [
        n for n, kind in sorted(SCOPE.items()) if kind == LIST and n != "admin:index"
    ]

    def pages():
        out = {}
        for name in lists:
            response = client.get(url_for(name, a), QUERIES.get(name, {}))
            out[name] = normalised(body_of(response))
        return out

    before = pages()
    with scoping.organisations([org_b.pk]):
        build_world(b_counsellor, programme_name="B")
    after = pages()
    import difflib

    wrong = []
    for name in lists:
        if before[name] != after[name]:
            diff = difflib.unified_diff(
                before[name].splitlines(), after[name].splitlines(), lineterm="", n=0
            )
            wrong.append(name + "\n" + "\n".join(list(diff)[:12]))
    assert not wrong, "\n".join(wrong)


def test_live_updates_of_another_organisation_are_not_found_nor_counted(
    client, two_worlds
):
    """The polls run in the scope of the token's user: B's conversation is
    not found, and the inbox and worklist parts show nothing of B."""
    import re

    a, b = two_worlds["a"], two_worlds["b"]
    client.force_login(two_worlds["admin"])
    page = client.get(reverse("line:conversation", args=[a["line_user"].pk]))
    token = re.search(r'data-live-token="([^"]+)"', page.content.decode())[1]
    own = reverse("line:conversation_updates", args=[a["line_user"].pk])
    assert client.get(own, {"t": token, "after": 0}).status_code == 200
    url = reverse("line:conversation_updates", args=[b["line_user"].pk])
    assert client.get(url, {"t": token, "after": 0}).status_code == 404
    inbox = client.get(reverse("line:inbox_updates"), {"t": token})
    assert a["line_user"].display_name in body_of(inbox)  # A's own are there
    for name in ("line:inbox_updates", "line:worklist_updates"):
        response = client.get(reverse(name), {"t": token})
        assert response.status_code == 200, name
        assert MARK not in body_of(response), name


def test_admin_lists_and_opens_only_the_users_organisations(client, two_worlds):
    """The Django admin reads through the scoped managers: no row of B in a
    change list, and B's record answers as an id that does not exist."""
    from django.contrib import admin

    client.force_login(two_worlds["admin"])
    scoped = set(scoping.scoped_models())
    wrong = []
    checked = 0
    for model in admin.site._registry:
        if model not in scoped:
            continue
        info = model._meta.app_label, model._meta.model_name
        response = client.get(reverse("admin:{}_{}_changelist".format(*info)))
        if response.status_code != 200 or MARK in body_of(response):
            wrong.append(f"{model.__name__} list: {response.status_code}")
        with scoping.organisations([two_worlds["b"]["org"].pk]):
            obj = model.objects.order_by("pk").first()
        if obj is None:
            continue
        checked += 1
        change = "admin:{}_{}_change".format(*info)
        theirs = client.get(reverse(change, args=[obj.pk]))
        missing = client.get(reverse(change, args=[10**9]))
        if (theirs.status_code, theirs.get("Location")) != (
            missing.status_code,
            missing.get("Location"),
        ):
            wrong.append(f"{model.__name__} {obj.pk}: {theirs.status_code}")
    assert checked >= 8
    assert not wrong, "\n".join(wrong)


def test_admin_users_and_audit_trail_are_the_organisations_own(client, two_worlds):
    """Another organisation's staff and its audit trail (its client codes)
    are neither listed nor opened in the Django admin; a user added by an
    admin of one organisation joins it."""
    from accounts.audit import Action, audit
    from accounts.models import AuditEntry, User

    b = two_worlds["b"]
    audit(user=b["counsellor"], action=Action.VIEW, obj=b["client"])
    entry = AuditEntry.objects.latest("pk")
    client.force_login(two_worlds["admin"])
    for name, obj in (("user", b["counsellor"]), ("auditentry", entry)):
        listed = client.get(reverse(f"admin:accounts_{name}_changelist"))
        assert listed.status_code == 200
        assert MARK not in body_of(listed), name
        opened = client.get(reverse(f"admin:accounts_{name}_change", args=[obj.pk]))
        assert opened.status_code == 302, name  # as for an id that does not exist
    client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "new-one",
            "password1": "x-Secret-4821",
            "password2": "x-Secret-4821",
            "usable_password": "true",
        },
    )
    added = User.objects.get(username="new-one")
    assert list(added.organisations.all()) == list(
        two_worlds["admin"].organisations.all()
    )


# Models linked to a client or to a scoped record that are not scoped
# themselves, each with the reason.
NOT_SCOPED = {
    # The many-to-many tables of a scoped record and master data: read and
    # written only through their scoped record (consultation.other_problems,
    # visit.clients).
    "consultations.Consultation_other_problems": "through its consultation",
    "shelter.SalonVisit_clients": "through its salon visit",
    # Which automatic reply a LINE user was sent in a period: written and
    # read by the webhook's services for that one LINE user, never listed.
    "consultations.LineAutoReplyClaim": "the webhook's, per LINE user",
    # Which channel, facility, group or LINE account counts for which
    # programme: configuration without personal data, kept with its
    # programme (the programme rules' own pages and admin).
    "reports.ProgrammeRule": "configuration of a programme",
    # The LINE simulator's made-up people and their events (devtools, on in
    # the tests and the demo only; production refuses to start with it).
    "devtools.SimulatedPerson": "development tool, never in production",
    "devtools.SimulatedEvent": "development tool, never in production",
}


def test_every_personal_model_is_scoped():
    """A model with a foreign key path to a client or to a scoped record is
    scoped (accounts.scoping) or listed in NOT_SCOPED with its reason: a new
    model of personal records cannot ship unscoped."""
    from django.apps import apps

    from consultations.models import Client

    scoped = set(scoping.scoped_models())
    personal = {Client} | scoped
    unscoped = set()
    grew = True
    while grew:
        grew = False
        for model in apps.get_models(include_auto_created=True):
            if model in personal:
                continue
            if any(
                f.is_relation and f.concrete and f.related_model in personal
                for f in model._meta.get_fields()
            ):
                personal.add(model)
                unscoped.add(model._meta.label)
                grew = True
    assert unscoped - set(NOT_SCOPED) == set(), "personal models not scoped"
    assert set(NOT_SCOPED) - unscoped == set(), "NOT_SCOPED lists a scoped model"
    assert Client in scoped
