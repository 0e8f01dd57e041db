"""The counsellors' LINE inbox: conversations, linking to clients, recording
a day's messages as a consultation, privacy and the audit trail."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEntry
from accounts.roles import Role, has_role
from consultations.models import (
    Channel,
    Client,
    Complaint,
    Consultation,
    LineMessage,
    LineUser,
)
from consultations.tests.line_factories import LineMessageFactory, LineUserFactory
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

TOKYO = timezone.get_fixed_timezone(9 * 60)


def at(day: int, hhmm: str, month=10) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime(2021, month, day, hour, minute, tzinfo=TOKYO)


def conversation_with(person: LineUser, *lines):
    """lines: (when, direction, text) -> the stored messages."""
    made = []
    for when, direction, text in lines:
        if direction == "out":
            made.append(
                LineMessageFactory(
                    line_user=person,
                    direction="out",
                    status="sent",
                    webhook_event_id=None,
                    line_message_id="",
                    sent_by=person._sender,
                    text=text,
                    sent_at=when,
                )
            )
        else:
            made.append(LineMessageFactory(line_user=person, text=text, sent_at=when))
    LineUser.objects.filter(pk=person.pk).update(last_event_at=made[-1].sent_at)
    return made


@pytest.fixture
def person(counsellor):
    p = LineUserFactory(display_name="ひまわり", line_user_id="U" + "a" * 32)
    p._sender = counsellor
    return p


# INBOX
# ------------------------------------------------------------------------------


def test_the_inbox_lists_conversations_newest_first_with_unread_counts(
    client_as, counsellor
):
    old = LineUserFactory(display_name="さくら")
    LineMessageFactory(line_user=old, sent_at=at(1, "10:00"), read_at=at(1, "11:00"))
    new = LineUserFactory(display_name="もみじ")
    for minute in ("09:00", "09:01", "09:02"):
        LineMessageFactory(line_user=new, sent_at=at(2, minute), text=f"質問{minute}")
    LineMessageFactory(line_user=new, kind="follow", text="", sent_at=at(2, "08:59"))
    LineUser.objects.filter(pk=old.pk).update(last_event_at=at(1, "10:00"))
    LineUser.objects.filter(pk=new.pk).update(last_event_at=at(2, "09:02"))

    response = client_as(counsellor).get(reverse("line:inbox"))

    assert response.status_code == 200
    rows = list(response.context["page"])
    assert [r["display_name"] for r in rows] == ["もみじ", "さくら"]
    # A follow is not a message to read.
    assert [r["unread_count"] for r in rows] == [3, 0]
    assert [r["unrecorded_count"] for r in rows] == [3, 1]
    page = response.content.decode()
    assert "質問09:02" in page  # the last message as preview
    assert page.index("もみじ") < page.index("さくら")


def test_a_preview_read_as_values_is_the_message_s_display_text():
    """The inbox's previews are made from values (issue 22): the same text
    as LineMessage.display_text, for every kind of message."""
    person = LineUserFactory()
    messages = [
        LineMessageFactory(line_user=person, text="こんにちは"),
        LineMessageFactory(
            line_user=person, kind="sticker", text="", sticker_text="たすけて"
        ),
        LineMessageFactory(
            line_user=person,
            kind="location",
            text="",
            location_title="駅",
            location_address="東京都",
        ),
        LineMessageFactory(line_user=person, kind="file", text="", file_name="a.pdf"),
        LineMessageFactory(line_user=person, kind="image", text=""),
        LineMessageFactory(line_user=person, unsent=True, text=""),
    ]
    rows = LineMessage.objects.filter(line_user=person).values(
        "pk", *LineMessage.DISPLAY_TEXT_FIELDS
    )
    texts = {row["pk"]: LineMessage.display_text_of(row) for row in rows}
    assert texts == {m.pk: m.display_text for m in messages}
    assert len(set(texts.values())) == len(messages)


def test_the_inbox_can_show_only_conversations_with_unread_messages(
    client_as, counsellor
):
    LineMessageFactory(
        line_user=LineUserFactory(display_name="既読の人"), read_at=at(1, "9:00")
    )
    LineMessageFactory(line_user=LineUserFactory(display_name="未読の人"))
    page = client_as(counsellor).get(reverse("line:inbox"), {"unread": "on"})
    names = [r["display_name"] for r in page.context["page"]]
    assert names == ["未読の人"]


def _fill_inbox(n):
    for i in range(n):
        person = LineUserFactory(client=ClientFactory() if i % 2 else None)
        LineMessageFactory(line_user=person)
        LineMessageFactory(line_user=person, read_at=timezone.now())


def test_the_inbox_runs_the_same_queries_for_5_or_50_conversations(
    client_as, counsellor, django_assert_num_queries
):
    c = client_as(counsellor)
    c.get(reverse("line:inbox"))  # session and roles warmed up
    _fill_inbox(5)
    # 7 (the user's roles come with her: issue 22), and 1 for the desk: the
    # live chats, read once for the queue, my chats and the open chats of
    # the page (issue 22: were 3 queries), and 1 for the organisations' LINE
    # accounts whose quotas are shown (issue 18: each account has its own
    # month's messages)
    with django_assert_num_queries(9) as few:
        c.get(reverse("line:inbox"))
    _fill_inbox(45)
    with django_assert_num_queries(len(few.captured_queries)):
        response = c.get(reverse("line:inbox"))
    assert len(response.context["page"]) == 50


def test_the_inbox_says_so_when_empty(client_as, counsellor):
    response = client_as(counsellor).get(reverse("line:inbox"))
    assert "LINEのメッセージはまだありません" in response.content.decode()


# CONVERSATION
# ------------------------------------------------------------------------------


def test_the_conversation_shows_the_messages_and_marks_them_read(
    client_as, counsellor, person
):
    conversation_with(
        person,
        (at(4, "21:15"), "in", "給料日まで生活費が足りません"),
        (at(4, "21:40"), "out", "フードバンクをご案内できます"),
    )
    LineMessageFactory(
        line_user=person,
        kind="image",
        text="",
        line_message_id="99",
        sent_at=at(4, "21:50"),
    )
    response = client_as(counsellor).get(reverse("line:conversation", args=[person.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "給料日まで生活費が足りません" in page
    assert "フードバンクをご案内できます" in page
    assert "「画像」" in page and "99" in page
    # Counsellors see the display name, never the LINE user id.
    assert person.line_user_id not in page and "ひまわり" in page
    assert not LineMessage.objects.filter(direction="in", read_at__isnull=True).exists()


def test_the_conversation_runs_the_same_queries_for_5_or_50_messages(
    client_as, counsellor, person, django_assert_num_queries
):
    person.client = ClientFactory()
    person.save()
    c = client_as(counsellor)
    url = reverse("line:conversation", args=[person.pk])
    c.get(url)

    def add(n, day):
        for i in range(n):
            direction = "out" if i % 3 == 2 else "in"
            conversation_with(person, (at(day, f"10:{i:02d}"), direction, f"m{i}"))

    add(5, 5)
    # 12 (the record form's main complaint and other problems: 2; the user's
    # roles come with her: issue 22), 2 for the canned replies and the LINE
    # desk's hours, and 3 for the chat panel: the open chat, the chats, the
    # handovers
    with django_assert_num_queries(17) as few:
        c.get(url)
    add(45, 6)
    with django_assert_num_queries(len(few.captured_queries)):
        response = c.get(url)
    assert len(response.context["conversation"]) == 50


def test_opening_a_conversation_is_audited_with_the_linked_clients_code(
    client_as, counsellor, person
):
    person.client = ClientFactory(display_name="渡辺 友美")
    person.save()
    LineMessageFactory(line_user=person)
    client_as(counsellor).get(reverse("line:conversation", args=[person.pk]))
    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.VIEW
    assert entry.object_type == "consultations.lineuser"
    assert entry.object_id == str(person.pk)
    assert entry.client_code == person.client.code
    # Codes and ids only: no display name, no LINE user id.
    text = str(entry.__dict__)
    for secret in ("ひまわり", person.line_user_id, "渡辺"):
        assert secret not in text


def test_opening_an_unlinked_conversation_is_audited_without_a_code(
    client_as, counsellor, person
):
    client_as(counsellor).get(reverse("line:conversation", args=[person.pk]))
    entry = AuditEntry.objects.get()
    assert (entry.object_id, entry.client_code) == (str(person.pk), "")


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.FACILITATOR, Role.CITY_STAFF])
def test_other_roles_see_no_line_names_or_ids(client_as, make_user, person, role):
    LineMessageFactory(line_user=person, text="秘密の相談")
    c = client_as(make_user(role))
    for url in (
        reverse("line:inbox"),
        reverse("line:conversation", args=[person.pk]),
    ):
        response = c.get(url)
        assert response.status_code == 403, url
        body = response.content.decode()
        assert "ひまわり" not in body and person.line_user_id not in body
    for name in ("link_client", "create_client", "record", "reply", "refresh_profile"):
        assert c.post(reverse(f"line:{name}", args=[person.pk])).status_code == 403
    home = c.get("/").content.decode()
    assert reverse("line:inbox") not in home
    assert not AuditEntry.objects.exists()


def test_an_admin_may_open_the_inbox(client_as, admin_user, person):
    LineMessageFactory(line_user=person)
    c = client_as(admin_user)
    assert c.get(reverse("line:inbox")).status_code == 200
    assert c.get(reverse("line:conversation", args=[person.pk])).status_code == 200


def test_counsellors_find_the_inbox_in_the_menu_and_unread_ones_at_home(
    client_as, counsellor, make_user
):
    from tests.factories import ClientFactory

    two = LineUserFactory()
    LineMessageFactory.create_batch(2, line_user=two)
    unlinked = LineUserFactory()
    LineMessageFactory(line_user=unlinked)
    colleague = make_user(Role.COUNSELLOR, username="colleague")
    theirs = LineUserFactory(client=ClientFactory(assigned_counsellor=colleague))
    LineMessageFactory(line_user=theirs)
    response = client_as(counsellor).get("/")
    page = response.content.decode()
    assert reverse("line:inbox") in page
    assert "LINE相談窓口" in page and "未読のLINEの会話" in page
    assert reverse("line:conversation", args=[two.pk]) in page
    # Mine: unlinked conversations and my clients', not a colleague's client's.
    work = response.context["sections"][0]["worklist"]
    assert {u["pk"]: u["unread_count"] for u in work.unread_line} == {
        two.pk: 2,
        unlinked.pk: 1,
    }


# LINKING
# ------------------------------------------------------------------------------


def test_a_line_user_is_linked_to_an_existing_client_by_code(
    client_as, counsellor, person
):
    target = ClientFactory(code="C-000123")
    response = client_as(counsellor).post(
        reverse("line:link_client", args=[person.pk]),
        {"code": " c-000123 "},
        follow=True,
    )
    person.refresh_from_db()
    assert person.client == target
    assert "相談者 C-000123 と紐付けました" in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CHANGE)
    assert entry.client_code == "C-000123" and entry.object_id == str(person.pk)


def test_an_unknown_client_code_is_refused_with_a_message(
    client_as, counsellor, person
):
    response = client_as(counsellor).post(
        reverse("line:link_client", args=[person.pk]), {"code": "C-999999"}
    )
    assert response.status_code == 200
    assert "コード C-999999 の相談者はいません" in response.content.decode()
    person.refresh_from_db()
    assert person.client is None


def test_a_new_client_is_created_for_a_line_user_and_linked(
    client_as, counsellor, person
):
    response = client_as(counsellor).post(
        reverse("line:create_client", args=[person.pk]),
        {"display_name": "ひまわりさん"},
        follow=True,
    )
    person.refresh_from_db()
    new = person.client
    assert new.display_name == "ひまわりさん"
    assert new.code.startswith("C-")
    assert new.assigned_counsellor == counsellor
    assert f"相談者 {new.code} を作成し" in response.content.decode()
    assert set(
        AuditEntry.objects.values_list("action", "object_type", "client_code")
    ) >= {
        ("create", "consultations.client", new.code),
        ("change", "consultations.lineuser", new.code),
    }


def test_a_new_client_needs_a_display_name(client_as, counsellor, person):
    response = client_as(counsellor).post(
        reverse("line:create_client", args=[person.pk]), {"display_name": ""}
    )
    assert response.status_code == 200
    assert "このフィールドは必須です" in response.content.decode()
    assert not Client.objects.exists()


# RECORDING AS A CONSULTATION
# ------------------------------------------------------------------------------


@pytest.fixture
def linked(person):
    person.client = ClientFactory(code="C-000777")
    person.save()
    return person


def test_the_record_form_holds_the_days_messages_as_an_editable_summary(
    client_as, counsellor, linked
):
    conversation_with(
        linked,
        (at(4, "21:15"), "in", "生活費が足りません"),
        (at(4, "21:40"), "out", "ご案内します"),
        (at(5, "08:47"), "in", "翌日のメッセージ"),
    )
    response = client_as(counsellor).get(reverse("line:conversation", args=[linked.pk]))
    form = response.context["record_form"]
    assert form.initial["day"] == dt.date(2021, 10, 4)
    assert form.initial["summary"] == (
        "21:15 相談者: 生活費が足りません\n21:40 相談員: ご案内します"
    )
    assert timezone.localtime(form.initial["started_at"]) == at(4, "21:15")
    # The other day can be chosen.
    response = client_as(counsellor).get(
        reverse("line:conversation", args=[linked.pk]), {"day": "2021-10-05"}
    )
    assert "翌日のメッセージ" in response.context["record_form"].initial["summary"]


def test_recording_creates_a_line_consultation_and_marks_the_messages_handled(
    client_as, counsellor, linked
):
    day_messages = conversation_with(
        linked,
        (at(4, "21:15"), "in", "生活費が足りません"),
        (at(4, "21:40"), "out", "ご案内します"),
    )
    later = conversation_with(linked, (at(5, "08:47"), "in", "翌日のメッセージ"))
    economic = Complaint.objects.get(code="economic")
    response = client_as(counsellor).post(
        reverse("line:record", args=[linked.pk]),
        {
            "day": "2021-10-04",
            "up_to": day_messages[-1].pk,
            "started_at": "2021-10-04T21:15",
            "duration_minutes": "25",
            "main_complaint": "economic",
            "summary": "生活費の相談。フードバンクを案内。",
        },
        follow=True,
    )
    consultation = Consultation.objects.get()
    assert consultation.channel == Channel.LINE
    assert consultation.client == linked.client
    assert consultation.counsellor == counsellor
    assert consultation.started_at == at(4, "21:15")
    assert consultation.duration_minutes == 25
    assert consultation.summary == "生活費の相談。フードバンクを案内。"
    assert consultation.main_complaint == economic
    assert consultation.is_new
    assert set(consultation.line_messages.all()) == set(day_messages)
    later[0].refresh_from_db()
    assert later[0].consultation is None
    assert "LINE相談として記録しました" in response.content.decode()
    assert AuditEntry.objects.filter(
        action="create",
        object_type="consultations.consultation",
        client_code="C-000777",
    ).exists()


def test_a_message_that_arrives_while_the_form_is_open_stays_to_be_recorded(
    client_as, counsellor, linked
):
    shown = conversation_with(linked, (at(4, "21:15"), "in", "最初"))
    late = conversation_with(linked, (at(4, "23:00"), "in", "フォームを開いた後"))
    client_as(counsellor).post(
        reverse("line:record", args=[linked.pk]),
        {
            "day": "2021-10-04",
            "up_to": shown[-1].pk,
            "started_at": "2021-10-04T21:15",
            "main_complaint": "other",
            "summary": "最初",
        },
    )
    late[0].refresh_from_db()
    assert late[0].consultation is None


def test_recording_the_same_messages_twice_is_refused(client_as, counsellor, linked):
    shown = conversation_with(linked, (at(4, "21:15"), "in", "一度だけ"))
    data = {
        "day": "2021-10-04",
        "up_to": shown[-1].pk,
        "started_at": "2021-10-04T21:15",
        "main_complaint": "other",
        "summary": "一度だけ",
    }
    c = client_as(counsellor)
    c.post(reverse("line:record", args=[linked.pk]), data)
    response = c.post(reverse("line:record", args=[linked.pk]), data, follow=True)
    assert response.status_code == 200
    assert "これらのメッセージはすでに記録されています" in response.content.decode()
    assert Consultation.objects.count() == 1


def test_recording_needs_a_linked_client(client_as, counsellor, person):
    shown = conversation_with(person, (at(4, "21:15"), "in", "まだ紐付けなし"))
    c = client_as(counsellor)
    page = c.get(reverse("line:conversation", args=[person.pk])).content.decode()
    assert "先にこのLINEユーザーを相談者と紐付けてください" in page
    response = c.post(
        reverse("line:record", args=[person.pk]),
        {
            "day": "2021-10-04",
            "up_to": shown[-1].pk,
            "started_at": "2021-10-04T21:15",
            "main_complaint": "other",
            "summary": "x",
        },
        follow=True,
    )
    assert "先にこのLINEユーザーを相談者と紐付けてください" in response.content.decode()
    assert not Consultation.objects.exists()


def test_a_record_without_summary_is_refused_with_a_message(
    client_as, counsellor, linked
):
    shown = conversation_with(linked, (at(4, "21:15"), "in", "本文"))
    response = client_as(counsellor).post(
        reverse("line:record", args=[linked.pk]),
        {"day": "2021-10-04", "up_to": shown[-1].pk, "started_at": "", "summary": ""},
    )
    assert response.status_code == 200
    assert "このフィールドは必須です" in response.content.decode()
    assert not Consultation.objects.exists()


def test_the_client_timeline_links_to_the_line_conversation(
    counsellor, make_user, linked, django_assert_num_queries
):
    from consultations.line.timeline import line_conversations
    from consultations.timeline import entries_for

    conversation_with(linked, (at(4, "21:15"), "in", "a"), (at(4, "21:20"), "in", "b"))
    assert has_role(counsellor, Role.COUNSELLOR)  # roles are read once per request
    with django_assert_num_queries(1):
        entries = line_conversations(linked.client, counsellor)
    assert entries == [
        e for e in entries_for(linked.client, counsellor) if e.app == "line"
    ]
    assert [e.url for e in entries] == [reverse("line:conversation", args=[linked.pk])]
    assert entries[0].title == "LINEメッセージ 2 件（未記録 2 件）"
    assert entries[0].when == at(4, "21:20")
    assert entries_for(linked.client, make_user(Role.COORDINATOR)) == []
