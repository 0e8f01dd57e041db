"""Follow-ups, urgency, safety flags, closure and the counsellor's worklist."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from accounts.roles import Role
from consultations import casework, services
from consultations.models import Client, FollowUp
from consultations.tests.factories import ConsultationFactory
from consultations.tests.line_factories import LineMessageFactory, LineUserFactory
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


# Tokyo is UTC+9: 2021-10-06 14:59:59 UTC is 23:59:59 on 6 Oct in Tokyo,
# and 15:00:00 UTC is already 00:00 on 7 Oct.
LAST_SECOND_OF_OCT_6 = utc(2021, 10, 6, 14, 59, 59)
FIRST_SECOND_OF_OCT_7 = utc(2021, 10, 6, 15, 0, 0)


def pks(rows):
    """The ids of a worklist's rows (values, not model objects)."""
    return [row["pk"] for row in rows]


def follow_up(owner, due, client=None):
    return services.follow_up_create(
        by=owner,
        client=client or ClientFactory(),
        kind="call_back",
        due_date=due,
        owner=owner,
    )


def test_due_and_overdue_follow_ups_turn_over_at_midnight_in_tokyo(counsellor):
    due_7th = follow_up(counsellor, dt.date(2021, 10, 7))
    due_6th = follow_up(counsellor, dt.date(2021, 10, 6))
    follow_up(counsellor, dt.date(2021, 10, 8))  # not due yet either way

    before = casework.worklist(user=counsellor, now=LAST_SECOND_OF_OCT_6)
    assert before.today == dt.date(2021, 10, 6)
    assert pks(before.due_today) == [due_6th.pk] and before.overdue == []

    after = casework.worklist(user=counsellor, now=FIRST_SECOND_OF_OCT_7)
    assert after.today == dt.date(2021, 10, 7)
    assert pks(after.due_today) == [due_7th.pk] and pks(after.overdue) == [due_6th.pk]


def test_a_done_follow_up_leaves_the_list_and_keeps_what_happened(counsellor):
    item = follow_up(counsellor, dt.date(2021, 10, 1))
    with pytest.raises(ValidationError):
        services.follow_up_complete(follow_up=item, by=counsellor, outcome="  ")
    services.follow_up_complete(follow_up=item, by=counsellor, outcome="折り返し済み")
    item.refresh_from_db()
    assert item.done_at and item.outcome == "折り返し済み"
    assert casework.worklist(user=counsellor, now=FIRST_SECOND_OF_OCT_7).overdue == []


def test_the_database_refuses_a_done_follow_up_without_an_outcome(counsellor):
    item = follow_up(counsellor, dt.date(2021, 10, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.filter(pk=item.pk).update(done_at=timezone.now())


def _case(counsellor, last_contact_at=None, urgency="medium", registered=None):
    person = ClientFactory(assigned_counsellor=counsellor, urgency=urgency)
    Client.objects.filter(pk=person.pk).update(created_at=registered or utc(2021, 1, 1))
    if last_contact_at:
        ConsultationFactory(
            client=person, counsellor=counsellor, started_at=last_contact_at
        )
    return person


def test_no_contact_rules_count_tokyo_days_with_today_included(counsellor):
    # now: 2021-10-07 00:00 in Tokyo. "No contact in 7 days" = nothing on
    # 1-7 Oct (Tokyo); "in 30 days" = nothing on 8 Sep - 7 Oct.
    now = FIRST_SECOND_OF_OCT_7
    on_oct_1_tokyo = _case(counsellor, utc(2021, 9, 30, 15, 0), "high")  # 1 Oct 00:00
    on_sep_30_tokyo = _case(
        counsellor, utc(2021, 9, 30, 14, 59), "high"
    )  # 30 Sep 23:59
    quiet_low = _case(counsellor, utc(2021, 9, 7, 14, 59), "low")  # 7 Sep 23:59 Tokyo
    recent_low = _case(counsellor, utc(2021, 9, 7, 15, 0), "low")  # 8 Sep 00:00 Tokyo
    never = _case(counsellor, None, "medium")
    new_case = _case(counsellor, None, "high", registered=utc(2021, 10, 5))
    support_only = _case(counsellor, utc(2021, 8, 1), "high")
    services.support_action_create(
        by=counsellor,
        client=support_only,
        kind="interview",
        date=dt.date(2021, 10, 1),
        staff=counsellor,
    )

    work = casework.worklist(user=counsellor, now=now)
    high_quiet, quiet = pks(work.high_quiet), pks(work.quiet)
    assert high_quiet == [on_sep_30_tokyo.pk]
    assert on_oct_1_tokyo.pk not in high_quiet and new_case.pk not in high_quiet
    assert support_only.pk not in high_quiet  # a support action is contact
    assert set(quiet) == {never.pk, quiet_low.pk}
    assert recent_low.pk not in quiet
    assert quiet[0] == never.pk  # never contacted comes first
    assert {c["last_contact_on"] for c in work.quiet} == {None, dt.date(2021, 9, 7)}


def test_closed_cases_are_not_on_the_worklist(counsellor):
    person = _case(counsellor, None, "high")
    services.client_close(
        client=person, by=counsellor, reason="resolved", expected_version=person.version
    )
    assert casework.worklist(user=counsellor, now=FIRST_SECOND_OF_OCT_7).quiet == []


def test_urgency_changes_keep_their_history_and_need_a_reason(counsellor, make_user):
    other = make_user(Role.COUNSELLOR, username="other")
    person = ClientFactory()
    with pytest.raises(ValidationError):
        services.client_set_urgency(
            client=person, by=counsellor, urgency="high", reason=""
        )
    services.client_set_urgency(
        client=person,
        by=counsellor,
        urgency="high",
        reason="パートナーが居場所を探している",
    )
    services.client_set_urgency(
        client=person, by=other, urgency="low", reason="転居して落ち着いた"
    )
    with pytest.raises(ValidationError):
        services.client_set_urgency(client=person, by=other, urgency="low", reason="x")
    person.refresh_from_db()
    assert person.urgency == "low"
    history = list(
        person.urgency_changes.order_by("id").values_list(
            "old", "new", "reason", "changed_by__username"
        )
    )
    assert history == [
        ("medium", "high", "パートナーが居場所を探している", "counsellor1"),
        ("high", "low", "転居して落ち着いた", "other"),
    ]


def test_urgency_history_is_shown_on_the_case(client_as, counsellor):
    person = ClientFactory()
    c = client_as(counsellor)
    response = c.post(
        reverse("consultations:client_urgency", args=[person.pk]),
        {"urgency": "high", "reason": "危険が迫っている"},
        follow=True,
    )
    body = response.content.decode()
    assert "緊急度を変更しました" in body
    assert "危険が迫っている" in body and "中 → <strong>高</strong>" in body


def test_a_flagged_clients_contact_details_are_hidden_from_other_counsellors(
    client_as, counsellor, make_user, admin_user
):
    person = ClientFactory(
        assigned_counsellor=counsellor,
        phone="070-0000-4321",
        email="hidden@example.jp",
        area="北部",
        address_confidential=True,
    )
    url = reverse("consultations:client_detail", args=[person.pk])
    other = make_user(Role.COUNSELLOR, username="other")
    page = client_as(other).get(url).content.decode()
    assert "070-0000-4321" not in page and "hidden@example.jp" not in page
    assert "担当相談員と管理者にのみ表示" in page
    assert "住所等を知らせてはいけません" in page  # the warning is shown
    edit = client_as(other).get(
        reverse("consultations:client_update", args=[person.pk])
    )
    assert "070-0000-4321" not in edit.content.decode()
    assert "phone" not in edit.context["form"].fields
    for user in (counsellor, admin_user):
        page = client_as(user).get(url).content.decode()
        assert "070-0000-4321" in page and "hidden@example.jp" in page


def test_an_unflagged_clients_contact_details_are_shown_to_every_counsellor(
    client_as, make_user
):
    person = ClientFactory(phone="070-0000-1234")
    page = (
        client_as(make_user(Role.COUNSELLOR))
        .get(reverse("consultations:client_detail", args=[person.pk]))
        .content.decode()
    )
    assert "070-0000-1234" in page


def test_closing_asks_for_a_reason(client_as, counsellor, make_user):
    from consultations.models import ClosureRequest

    person = ClientFactory()
    c = client_as(counsellor)
    url = reverse("consultations:client_close", args=[person.pk])
    response = c.post(url, {"version": person.version}, follow=True)
    assert "終結の理由を選んでください" in response.content.decode()
    assert Client.objects.get(pk=person.pk).status == "open"
    c.post(url, {"version": person.version, "reason": "moved_away"})
    # The closure waits for a supervisor (issue 19).
    request = ClosureRequest.objects.get(client=person, status="pending")
    client_as(make_user(Role.ADMIN, username="supervisor")).post(
        reverse("consultations:closure_approve", args=[request.pk]),
        {"version": person.version},
    )
    person.refresh_from_db()
    assert (person.status, person.closure_reason) == ("closed", "moved_away")
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=person.pk).update(closure_reason="")


def test_only_a_supervisor_reassigns_and_it_is_audited(
    client_as, counsellor, make_user
):
    other = make_user(Role.COUNSELLOR, username="other")
    supervisor = make_user(Role.COUNSELLOR, Role.ADMIN, username="boss")
    person = ClientFactory(assigned_counsellor=counsellor)
    url = reverse("consultations:client_reassign", args=[person.pk])
    data = {"version": person.version, "counsellor": other.pk}
    assert client_as(counsellor).post(url, data).status_code == 403
    client_as(supervisor).post(url, data)
    person.refresh_from_db()
    assert person.assigned_counsellor == other
    entry = AuditEntry.objects.get(detail__startswith="reassigned")
    assert entry.user == supervisor and entry.client_code == person.code
    assert entry.detail == f"reassigned user#{counsellor.pk} -> user#{other.pk}"


def test_a_consultation_can_set_the_next_step(client_as, counsellor):
    person = ClientFactory()
    client_as(counsellor).post(
        reverse("consultations:consultation_create"),
        {
            "channel": "phone",
            "started_at": "2021-10-05T10:00",
            "main_complaint": "other",
            "counsellor": counsellor.pk,
            "client_code": person.code,
            "next-kind": "call_back",
            "next-due_date": "2021-10-08",
            "next-owner": counsellor.pk,
            "next-note": "夕方に",
        },
    )
    step = FollowUp.objects.get()
    assert (step.client, step.kind, step.due_date) == (
        person,
        "call_back",
        dt.date(2021, 10, 8),
    )
    assert step.consultation.client == person


def test_a_next_step_needs_a_client_and_a_due_date(client_as, counsellor):
    from consultations.models import Consultation

    url = reverse("consultations:consultation_create")
    base = {
        "channel": "phone",
        "started_at": "2021-10-05T10:00",
        "main_complaint": "other",
        "counsellor": counsellor.pk,
        "next-kind": "call_back",
        "next-owner": counsellor.pk,
    }
    c = client_as(counsellor)
    no_date = c.post(url, {**base, "client_code": ClientFactory().code})
    assert "次の対応を入れるには必要です" in no_date.content.decode()
    anonymous = c.post(url, {**base, "next-due_date": "2021-10-08"})
    assert "次の対応には相談者が必要です" in anonymous.content.decode()
    assert not Consultation.objects.exists() and not FollowUp.objects.exists()


def _fill(counsellor, n):
    for i in range(n):
        person = _case(
            counsellor,
            utc(2021, 8, 1) if i % 2 else None,
            "high" if i % 3 == 0 else "medium",
        )
        follow_up(counsellor, timezone.localdate() - dt.timedelta(days=i % 3), person)


@pytest.mark.parametrize("url", ["/", "/team/"])
def test_the_worklist_pages_query_count_does_not_grow(client_as, make_user, url):
    supervisor = make_user(Role.COUNSELLOR, Role.ADMIN, username="boss")
    c = client_as(supervisor)
    _fill(supervisor, 5)
    with CaptureQueriesContext(connection) as small:
        assert c.get(url).status_code == 200
    _fill(supervisor, 95)
    with CaptureQueriesContext(connection) as large:
        response = c.get(url)
    assert len(large) == len(small), "\n".join(q["sql"] for q in large.captured_queries)
    work = (
        response.context["worklist"]
        if url == "/team/"
        else (response.context["sections"][0]["worklist"])
    )
    assert int(work.counts["overdue"]) + int(work.counts["due_today"]) == 100
    assert len(work.overdue) == len(work.due_today) == casework.WORKLIST_SHOWN


@pytest.mark.parametrize(
    "name", ["consultations:worklist_all", "consultations:team_worklist_all"]
)
def test_a_whole_list_pages_query_count_does_not_grow(client_as, make_user, name):
    supervisor = make_user(Role.COUNSELLOR, Role.ADMIN, username="boss")
    c = client_as(supervisor)
    url = reverse(name, args=["due_today"])
    _fill(supervisor, 5)
    with CaptureQueriesContext(connection) as small:
        assert c.get(url).status_code == 200
    _fill(supervisor, 298)
    with CaptureQueriesContext(connection) as large:
        response = c.get(url + "?page=2")
    assert len(large) == len(small), "\n".join(q["sql"] for q in large.captured_queries)
    page = response.context["page"]
    assert page.paginator.count == 102 and len(page.object_list) == 50
    # each row opens the client's page, where a supervisor reassigns the case
    body = response.content.decode()
    for f in page.object_list:
        url = reverse("consultations:client_detail", args=[f["client_id"]])
        assert f'href="{url}#follow-ups"' in body


def test_a_whole_list_is_the_users_own_and_its_name_known(
    client_as, counsellor, make_user
):
    other = make_user(Role.COUNSELLOR, username="other")
    today = timezone.localdate()
    mine, theirs = follow_up(counsellor, today), follow_up(other, today)
    c = client_as(counsellor)
    page = c.get(reverse("consultations:worklist_all", args=["due_today"]))
    assert pks(page.context["page"].object_list) == [mine.pk]
    assert theirs.client.code not in page.content.decode()
    # the supervisors' lists are not a counsellor's; an unknown list is none
    for name in ("plans_awaiting", "nothing"):
        assert (
            c.get(reverse("consultations:worklist_all", args=[name])).status_code == 404
        )
    team = c.get(reverse("consultations:team_worklist_all", args=["due_today"]))
    assert team.status_code == 403


def test_a_line_reply_to_a_flagged_client_asks_for_a_safety_check_first(
    client_as, counsellor
):
    from consultations.line.models import LineMessage
    from consultations.tests.line_factories import LineUserFactory

    person = ClientFactory(assigned_counsellor=counsellor, line_only=True)
    line_user = LineUserFactory(client=person)
    c = client_as(counsellor)
    page = c.get(reverse("line:conversation", args=[line_user.pk])).content.decode()
    assert "返信はLINEだけにしてください" in page
    assert 'name="safety_checked"' in page
    response = c.post(
        reverse("line:reply", args=[line_user.pk]),
        {"text": "こんにちは", "retry_key": "8d0f4d3e-6a1b-4c55-9a37-0c7e4c1f2a10"},
    )
    assert "送信する前にチェックを入れて確認してください" in response.content.decode()
    assert not LineMessage.objects.filter(direction="out").exists()


def test_an_unflagged_clients_reply_box_has_no_safety_check(client_as, counsellor):
    from consultations.tests.line_factories import LineUserFactory

    line_user = LineUserFactory(client=ClientFactory())
    page = (
        client_as(counsellor)
        .get(reverse("line:conversation", args=[line_user.pk]))
        .content.decode()
    )
    assert 'name="safety_checked"' not in page


def test_a_long_overdue_list_does_not_hide_what_is_due_today(client_as, counsellor):
    # 101 overdue follow-ups and 2 due today: both lists are there, the
    # overdue count says there are more than the 100 counted, the first 20
    # are shown and the whole list is on its own page.
    today = timezone.localdate()
    FollowUp.objects.bulk_create(
        FollowUp(
            client=ClientFactory(),
            kind="call_back",
            due_date=today - dt.timedelta(days=1 + i % 5),
            owner=counsellor,
            created_by=counsellor,
        )
        for i in range(101)
    )
    for _ in range(2):
        follow_up(counsellor, today)
    work = casework.worklist(user=counsellor)
    assert len(work.overdue) == casework.WORKLIST_SHOWN and len(work.due_today) == 2
    assert work.counts["overdue"] == f"{casework.LIST_LIMIT}+"
    assert work.more == {"overdue"}
    all_url = reverse("consultations:worklist_all", args=["overdue"])
    assert work.links == {**dict.fromkeys(work.links, ""), "overdue": all_url}
    c = client_as(counsellor)
    page = c.get("/").content.decode()
    assert '<span class="count-badge">100+</span>' in page
    assert '<span class="count-badge">2</span>' in page
    assert f'<a href="{all_url}">' in page
    assert page.count("#follow-ups") == casework.WORKLIST_SHOWN + 2
    # the whole list: 101 rows, 50 a page, in the worklist's order
    shown = []
    for number in (1, 2, 3):
        response = c.get(all_url, {"page": number})
        shown += response.context["page"].object_list
        assert response.content.decode().count("#follow-ups") == len(
            response.context["page"].object_list
        )
    assert len(shown) == 101 and pks(shown) == pks(
        casework.follow_ups_due(owner=counsellor).filter(due_date__lt=today)
    )
    assert [f["due_date"] for f in shown] == sorted(f["due_date"] for f in shown)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the worklists' NULLS FIRST indexes are PostgreSQL's (migration 0024)",
)
@pytest.mark.parametrize(
    "name, mine",
    [
        ("overdue", False),
        ("high_quiet", False),
        ("quiet", False),
        ("high_quiet", True),
        ("quiet", True),
    ],
)
def test_worklist_list_is_read_in_order_from_an_index(name, mine, counsellor):
    """Each long list is read in its order from an index, stopping at its
    LIST_LIMIT + 1st row, rather than sorted after reading every match: with
    sorting disabled, the plan has no Sort."""
    lists = casework.worklist_lists(user=counsellor if mine else None)
    queryset = lists[name][: casework.LIST_LIMIT + 1]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    plan = queryset.explain()
    assert "Sort" not in plan, plan


def test_the_worklists_rows_escape_what_people_typed(client_as, make_user):
    """The worklists' rows are made in Python (casework.for_display): names,
    notes and LINE names are escaped there, on my worklist and the team's."""
    name, escaped = '<b>"花子"</b>', "&lt;b&gt;&quot;花子&quot;&lt;/b&gt;"
    boss = make_user(
        Role.COUNSELLOR, Role.ADMIN, username="boss", last_name="<u>佐藤</u>"
    )
    today = timezone.localdate()
    person = ClientFactory(display_name=name, assigned_counsellor=boss)
    Client.objects.filter(pk=person.pk).update(created_at=utc(2021, 1, 1))
    services.follow_up_create(
        by=boss,
        client=person,
        kind="call_back",
        due_date=today,
        owner=boss,
        note="<i>折り返し</i>",
    )
    unlinked = LineUserFactory(display_name="<s>ライン</s>")
    LineMessageFactory(line_user=unlinked)
    LineMessageFactory(line_user=LineUserFactory(client=person))
    web = client_as(boss)
    for url in ("/", "/team/"):
        page = web.get(url).content.decode()
        for raw in (name, "<i>折り返し</i>", "<s>ライン</s>", "<u>佐藤</u>"):
            assert raw not in page, (url, raw)
        # the follow-up, the quiet case and the linked conversation
        assert page.count(f"{person.code} {escaped}") == 3, url
        assert "&lt;i&gt;折り返し&lt;/i&gt;" in page
        assert "&lt;s&gt;ライン&lt;/s&gt;" in page
    # the team's rows say whose they are
    assert "（&lt;u&gt;佐藤&lt;/u&gt;）" in page
