"""The LINE desk: chats that messages open and join, claiming (atomic, also
under a race on PostgreSQL and SQLite), transfer, a supervisor's take-over,
ending a chat as one consultation, the queue and supervision pages, and what
counsellors do not see (the LINE user id, the profile picture)."""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import AuditEntry
from accounts.roles import Role
from consultations.line import chats
from consultations.models import (
    Consultation,
    LineChat,
    LineChatTransfer,
    LineMessage,
    LineUser,
)
from consultations.tests.line_factories import (
    LineMessageFactory,
    LineUserFactory,
    newest_id,
)
from tests.factories import ClientFactory

from .line_stub import StubLineApi
from .test_line_webhook import HANAKO, YUKI, event, payload, post, sign, text_event

pytestmark = pytest.mark.django_db


def webhook(client, *events):
    body = payload(*events)
    assert post(client, body, sign(body)).status_code == 200


def millis(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def ago(minutes: int) -> dt.datetime:
    return timezone.now().replace(microsecond=0) - dt.timedelta(minutes=minutes)


def waiting_chat(line_user=None, minutes_ago=10, **fields) -> LineChat:
    """A waiting chat with one message from the person."""
    line_user = line_user or LineUserFactory(client=ClientFactory())
    chat = LineChat.objects.create(
        line_user=line_user, started_at=ago(minutes_ago), **fields
    )
    LineMessageFactory(line_user=line_user, chat=chat, sent_at=chat.started_at)
    return chat


def in_english():
    return translation.override("en")


@pytest.fixture
def other(make_user):
    return make_user(Role.COUNSELLOR, username="counsellor2", last_name="二宮")


@pytest.fixture
def supervisor(make_user):
    return make_user(
        Role.COUNSELLOR, username="supervisor1", last_name="監督", is_supervisor=True
    )


@pytest.fixture
def line_api():
    with StubLineApi() as stub, override_settings(LINE_API_BASE_URL=stub.url):
        yield stub


# OPENING CHATS
# ------------------------------------------------------------------------------


def test_messages_join_the_open_chat_and_after_it_ends_a_new_one_opens(
    client, counsellor
):
    first, second = ago(5), ago(4)
    webhook(
        client,
        text_event(
            "01CHATEVENT00000000000000A1",
            HANAKO,
            "こんばんは",
            "1",
            timestamp=millis(first),
        ),
        text_event(
            "01CHATEVENT00000000000000A2",
            HANAKO,
            "相談です",
            "2",
            timestamp=millis(second),
        ),
    )
    chat = LineChat.objects.get()
    assert chat.status == "waiting" and chat.started_at == first
    assert set(chat.messages.values_list("text", flat=True)) == {
        "こんばんは",
        "相談です",
    }

    webhook(client, text_event("01CHATEVENT00000000000000A3", HANAKO, "まだ", "3"))
    assert LineChat.objects.count() == 1 and chat.messages.count() == 3

    chats.chat_claim(chat=chat, by=counsellor)
    chats.chat_end(
        chat=chat, outcome="established", by=counsellor, summary="", anonymous=True
    )
    webhook(client, text_event("01CHATEVENT00000000000000A4", HANAKO, "また", "4"))
    newer = LineChat.objects.exclude(pk=chat.pk).get()
    assert newer.status == "waiting"
    assert list(newer.messages.values_list("text", flat=True)) == ["また"]


class Closed:
    """The LINE desk closed since an hour ago (a desk_hours provider)."""

    def closed_since(self, at):
        return at - dt.timedelta(hours=1)

    def hours_text(self):
        return ""


class Open(Closed):
    def closed_since(self, at):
        return None


def test_a_chat_that_begins_outside_the_desk_hours_is_marked_so(client):
    from consultations.line import desk_hours

    for provider, event_id, person, text, message_id in (
        (Open(), "01CHATEVENT00000000000000C1", HANAKO, "昼", "11"),
        (Closed(), "01CHATEVENT00000000000000C2", YUKI, "夜", "12"),
    ):
        desk_hours.register(provider)
        try:
            webhook(client, text_event(event_id, person, text, message_id))
        finally:
            desk_hours.unregister(provider)
    marks = dict(
        LineChat.objects.values_list("line_user__line_user_id", "outside_hours")
    )
    assert marks == {HANAKO: False, YUKI: True}


def test_a_follow_opens_no_chat_and_two_people_get_one_chat_each(client):
    webhook(
        client,
        event("01CHATEVENT00000000000000B1", HANAKO, "follow", replyToken="r"),
        text_event("01CHATEVENT00000000000000B2", YUKI, "はじめまして", "5"),
    )
    assert list(LineChat.objects.values_list("line_user__line_user_id", flat=True)) == [
        YUKI
    ]
    assert LineMessage.objects.get(kind="follow").chat is None


def test_the_webhook_runs_the_same_queries_opening_chats_for_3_or_30_people(
    client, django_assert_num_queries
):
    def body(start, n):
        return payload(
            *(
                text_event(
                    f"01CHATBULK{start + i:016d}", f"U{start + i:032x}", "m", "1"
                )
                for i in range(n)
            )
        )

    # Known people (someone new also gets a profile fetch queued, one each).
    for i in [*range(100, 103), *range(200, 230)]:
        LineUserFactory(line_user_id=f"U{i:032x}")
    warm = body(0, 1)
    post(client, warm, sign(warm))
    few, many = body(100, 3), body(200, 30)
    # 12, and 3 to ask the LINE desk's opening calendar once for the delivery,
    # 1 for the organisation of the account and 1 for that of the new chats'
    # people (one query for all of them), 1 for the programme rules of LINE
    # chats (reports.attribution: one query for all the new chats)
    with django_assert_num_queries(18) as counted:
        post(client, few, sign(few))
    with django_assert_num_queries(len(counted.captured_queries)):
        post(client, many, sign(many))
    assert LineChat.objects.filter(status="waiting").count() == 34
    assert not LineMessage.objects.filter(chat__isnull=True).exists()


# CLAIMING
# ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_counsellors_claiming_one_chat_at_once_exactly_one_wins():
    """Two threads, each on its own database connection (PostgreSQL, or the
    SQLite file of the test settings), claim one waiting chat at the same
    moment: one holds it, the other is told who started first."""
    from tests.factories import UserFactory

    chat = waiting_chat()
    users = [
        UserFactory(roles=[Role.COUNSELLOR], username=f"racer{i}", last_name=name)
        for i, name in enumerate(["青木", "井上"])
    ]
    barrier = threading.Barrier(2)
    outcomes: list = [None, None]
    seen = set()

    def claim(i: int) -> None:
        try:
            connections["default"].ensure_connection()
            seen.add(id(connections["default"].connection))
            barrier.wait(timeout=30)
            with in_english():
                chats.chat_claim(chat=chat, by=users[i])
            outcomes[i] = "won"
        except ValidationError as exc:
            with in_english():
                outcomes[i] = ("refused", exc.code, " ".join(exc.messages))
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            outcomes[i] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert len(seen) == 2, "each thread had its own connection"
    assert sorted(map(str, outcomes)).count("won") == 1, outcomes
    winner = users[outcomes.index("won")]
    refused = next(o for o in outcomes if o != "won")
    assert refused[:2] == ("refused", "claimed"), outcomes
    assert refused[2] == f"{winner.display_name} started handling this chat first."
    chat.refresh_from_db()
    assert chat.status == "active" and chat.claimed_by == winner
    assert (
        AuditEntry.objects.filter(object_id=str(chat.pk), detail="claimed").count() == 1
    )


def test_an_ended_chat_cannot_be_claimed_and_claiming_ones_own_changes_nothing(
    counsellor, other
):
    chat = waiting_chat()
    chats.chat_claim(chat=chat, by=counsellor)
    held = chats.chat_claim(chat=chat, by=counsellor)
    assert held.claimed_by == counsellor
    with in_english(), pytest.raises(chats.ChatError) as refused:
        chats.chat_claim(chat=chat, by=other)
    with in_english():
        assert refused.value.messages == [
            f"{counsellor.display_name} started handling this chat first."
        ]
    chats.chat_end(chat=chat, outcome="not_established", by=counsellor, summary="")
    with in_english(), pytest.raises(chats.ChatError) as ended:
        chats.chat_claim(chat=chat, by=other)
    with in_english():
        assert ended.value.messages == ["This chat has ended."]


def test_the_claim_button_on_the_queue_shows_who_was_first(
    client_as, counsellor, other
):
    chat = waiting_chat()
    chats.chat_claim(chat=chat, by=other)
    web = client_as(counsellor)
    web.cookies["django_language"] = "en"
    response = web.post(
        reverse("line:chat_claim", args=[chat.pk]), {"from": "inbox"}, follow=True
    )
    assert f"{other.display_name} started handling this chat first." in (
        response.content.decode()
    )
    assert response.redirect_chain[-1][0] == reverse("line:inbox")


def test_a_waiting_chat_cannot_be_ended_or_transferred_before_it_is_claimed(
    counsellor, other
):
    chat = waiting_chat()
    with in_english():
        for attempt in (
            lambda: chats.chat_end(
                chat=chat, outcome="established", by=counsellor, summary=""
            ),
            lambda: chats.chat_transfer(chat=chat, to=other, note="", by=counsellor),
        ):
            with pytest.raises(chats.ChatError) as refused:
                attempt()
            assert refused.value.messages == ["Claim this chat first."]
    assert not Consultation.objects.exists()


def test_only_the_holder_or_a_supervisor_may_end_or_transfer(
    counsellor, other, supervisor
):
    chat = waiting_chat()
    chats.chat_claim(chat=chat, by=counsellor)
    with in_english(), pytest.raises(chats.ChatError) as refused:
        chats.chat_end(chat=chat, outcome="established", by=other, summary="")
    with in_english():
        assert refused.value.messages == [
            f"{counsellor.display_name} is handling this chat."
        ]
    chats.chat_transfer(chat=chat, to=other, note="夜勤に引き継ぎ", by=supervisor)
    chat.refresh_from_db()
    assert chat.claimed_by == other


# TRANSFER AND TAKE-OVER
# ------------------------------------------------------------------------------


def test_a_transfer_hands_the_chat_over_with_its_note_shown_and_audited(
    client_as, counsellor, other
):
    chat = waiting_chat()
    chats.chat_claim(chat=chat, by=counsellor)
    web = client_as(counsellor)
    web.cookies["django_language"] = "en"
    response = web.post(
        reverse("line:chat_transfer", args=[chat.pk]),
        {"to": other.pk, "note": "住まいの話の途中です"},
        follow=True,
    )
    assert f"The chat was handed to {other.display_name}." in response.content.decode()
    chat.refresh_from_db()
    assert chat.claimed_by == other and chat.status == "active"
    transfer = LineChatTransfer.objects.get()
    assert (transfer.from_user, transfer.to_user, transfer.by) == (
        counsellor,
        other,
        counsellor,
    )
    entry = AuditEntry.objects.get(object_id=str(chat.pk), detail__startswith="trans")
    assert entry.detail == f"transferred from user #{counsellor.pk} to user #{other.pk}"
    assert "住まい" not in entry.detail
    # The new holder sees the note in the conversation.
    page = client_as(other).get(reverse("line:conversation", args=[chat.line_user_id]))
    assert "住まいの話の途中です" in page.content.decode()
    assert page.context["may_act"] is True


def test_a_chat_is_not_handed_to_someone_who_is_not_a_counsellor(counsellor, make_user):
    chat = waiting_chat()
    chats.chat_claim(chat=chat, by=counsellor)
    coordinator = make_user(Role.COORDINATOR, username="coord")
    with in_english(), pytest.raises(chats.ChatError) as refused:
        chats.chat_transfer(chat=chat, to=coordinator, note="", by=counsellor)
    with in_english():
        assert refused.value.messages == [
            "A chat can only be handed to an active counsellor."
        ]


def test_a_supervisor_takes_over_a_chat_and_a_plain_counsellor_cannot(
    client_as, counsellor, other, supervisor
):
    chat = waiting_chat()
    chats.chat_claim(chat=chat, by=counsellor)
    refused = client_as(other).post(reverse("line:chat_take_over", args=[chat.pk]))
    assert refused.status_code == 403
    response = client_as(supervisor).post(
        reverse("line:chat_take_over", args=[chat.pk])
    )
    assert response.status_code == 302
    chat.refresh_from_db()
    assert chat.claimed_by == supervisor
    transfer = LineChatTransfer.objects.get()
    assert transfer.take_over and transfer.from_user == counsellor
    assert AuditEntry.objects.filter(
        object_id=str(chat.pk), detail=f"taken over from user #{counsellor.pk}"
    ).exists()


def test_one_counsellor_holds_several_chats(client_as, counsellor):
    held = [waiting_chat(minutes_ago=m) for m in (30, 20, 10)]
    for chat in held:
        chats.chat_claim(chat=chat, by=counsellor)
    response = client_as(counsellor).get(reverse("line:inbox"))
    assert [c["pk"] for c in response.context["mine"]] == [c.pk for c in held]
    assert response.context["queue"] == []


# ENDING
# ------------------------------------------------------------------------------


def test_ending_a_chat_makes_one_consultation_on_the_clients_timeline(
    client_as, counsellor, line_api
):
    person = LineUserFactory(
        client=ClientFactory(), is_following=True, line_user_id=HANAKO
    )
    started = ago(42)
    chat = LineChat.objects.create(line_user=person, started_at=started)
    LineMessageFactory(line_user=person, chat=chat, sent_at=started, text="眠れない")
    web = client_as(counsellor)
    web.cookies["django_language"] = "en"
    # The reply claims the waiting chat and is its first response.
    web.post(
        reverse("line:reply", args=[person.pk]),
        {
            "text": "お話を聞かせてください",
            "retry_key": str(uuid.uuid4()),
            "seen_message_id": newest_id(person),
        },
    )
    chat.refresh_from_db()
    assert chat.status == "active" and chat.claimed_by == counsellor
    assert chat.first_response_at is not None
    assert chat.messages.filter(direction="out").count() == 1
    form = web.get(reverse("line:conversation", args=[person.pk])).context["end_form"]
    assert "眠れない" in form.initial["summary"]
    assert "お話を聞かせてください" in form.initial["summary"]

    response = web.post(
        reverse("line:chat_end", args=[chat.pk]),
        {
            "outcome": "established",
            "main_complaint": "other",
            "summary": form.initial["summary"],
        },
        follow=True,
    )
    assert (
        f"recorded as a LINE consultation for client {person.client.code}"
        in response.content.decode()
    )
    consultation = Consultation.objects.get()
    chat.refresh_from_db()
    assert chat.status == "ended" and chat.outcome == "established"
    assert chat.consultation == consultation and chat.ended_by == counsellor
    assert consultation.channel == "line" and consultation.client == person.client
    assert consultation.started_at == started
    assert consultation.counsellor == counsellor
    expected = chats.duration_minutes(started, chat.ended_at)
    assert consultation.duration_minutes == expected >= 42
    assert chat.time_to_first_response == chat.first_response_at - started
    assert not chat.messages.filter(consultation__isnull=True).exists()
    timeline = web.get(person.client.get_absolute_url()).content.decode()
    assert "眠れない" in timeline
    # Ended twice (a form sent again): still one consultation.
    again = web.post(
        reverse("line:chat_end", args=[chat.pk]),
        {"outcome": "established", "main_complaint": "other", "summary": "x"},
        follow=True,
    )
    assert "This chat has ended." in again.content.decode()
    assert Consultation.objects.count() == 1


def test_an_unlinked_chat_ends_as_anonymous_or_for_a_client_given_by_code(
    client_as, counsellor
):
    web = client_as(counsellor)
    web.cookies["django_language"] = "en"
    chat = waiting_chat(line_user=LineUserFactory())
    chats.chat_claim(chat=chat, by=counsellor)
    url = reverse("line:chat_end", args=[chat.pk])
    refused = web.post(
        url, {"outcome": "established", "main_complaint": "other", "summary": "s"}
    )
    assert refused.context["end_form"].non_field_errors() == [
        "Give the client's code, or end the chat as anonymous."
    ]
    web.post(url, {"outcome": "not_established", "summary": "s", "anonymous": "on"})
    consultation = Consultation.objects.get()
    assert consultation.client is None and consultation.duration_minutes >= 10
    assert LineChat.objects.get().outcome == "not_established"

    known = ClientFactory()
    later = waiting_chat(line_user=LineUserFactory())
    chats.chat_claim(chat=later, by=counsellor)
    web.post(
        reverse("line:chat_end", args=[later.pk]),
        {
            "outcome": "established",
            "main_complaint": "other",
            "summary": "s",
            "code": known.code,
        },
    )
    later.refresh_from_db()
    assert later.consultation.client == known
    assert LineUser.objects.get(pk=later.line_user_id).client == known


def test_a_reply_to_a_chat_someone_else_holds_is_refused_and_not_sent(
    client_as, counsellor, other, line_api
):
    person = LineUserFactory(client=ClientFactory(), is_following=True)
    chat = waiting_chat(line_user=person)
    chats.chat_claim(chat=chat, by=other)
    web = client_as(counsellor)
    web.cookies["django_language"] = "en"
    response = web.post(
        reverse("line:reply", args=[person.pk]),
        {
            "text": "横から失礼します",
            "retry_key": str(uuid.uuid4()),
            "seen_message_id": newest_id(person),
        },
    )
    assert f"{other.display_name} is handling this chat" in response.content.decode()
    assert line_api.requests == []
    assert not LineMessage.objects.filter(direction="out").exists()


# PAGES
# ------------------------------------------------------------------------------


def test_the_queue_lists_waiting_chats_oldest_first_with_their_wait(
    client_as, counsellor, django_assert_num_queries
):
    web = client_as(counsellor)
    web.get(reverse("line:inbox"))
    for minutes in (5, 25, 15):
        waiting_chat(minutes_ago=minutes)
    # 8, and 1 for the LINE accounts whose quotas are shown (issue 18); the
    # user's roles come with her (issue 22: no query of their own); the
    # queue, my chats and the rows' open chats are one query (issue 22)
    with django_assert_num_queries(9) as few:
        response = web.get(reverse("line:inbox"))
    assert [c["waited_minutes"] for c in response.context["queue"]] == [25, 15, 5]
    # The waits as the queue shows them, in its order (elsewhere on the page a
    # CSP nonce or a clock time may hold "15" before "25").
    page = response.content.decode()
    queue = page[page.index('id="queue"') :]
    queue = queue[: queue.index("</section>")]
    waits = re.findall(r'<span class="wait">([^<]*)</span>', queue)
    assert [re.search(r"\d+", w).group() for w in waits] == ["25", "15", "5"]
    for minutes in range(30):
        waiting_chat(minutes_ago=minutes + 40)
    with django_assert_num_queries(len(few.captured_queries)):
        response = web.get(reverse("line:inbox"))
    assert len(response.context["queue"]) == 33


def test_supervision_shows_every_live_chat_with_holder_and_times(
    client_as, counsellor, supervisor, django_assert_num_queries
):
    waiting = waiting_chat(minutes_ago=12)
    held = waiting_chat(minutes_ago=30)
    chats.chat_claim(chat=held, by=counsellor)
    LineMessageFactory(
        line_user=held.line_user,
        chat=held,
        direction="out",
        sent_by=counsellor,
        webhook_event_id=None,
        status="sent",
        sent_at=ago(8),
    )
    LineMessageFactory(line_user=held.line_user, chat=held, sent_at=ago(3))
    ended = waiting_chat(minutes_ago=50)
    chats.chat_claim(chat=ended, by=counsellor)
    chats.chat_end(chat=ended, outcome="established", by=counsellor, summary="")

    assert client_as(counsellor).get(reverse("line:supervision")).status_code == 403
    web = client_as(supervisor)
    web.get(reverse("line:supervision"))
    # 7: the user's roles come with her (issue 22: no query of their own)
    with django_assert_num_queries(7) as few:
        response = web.get(reverse("line:supervision"))
    rows = {c.pk: c for c in response.context["chats"]}
    assert set(rows) == {waiting.pk, held.pk}
    assert list(rows) == [waiting.pk, held.pk]  # waiting first
    assert rows[waiting.pk].waited_minutes == 12
    assert rows[held.pk].waited_minutes == 3  # her last message is unanswered
    assert rows[held.pk].idle_minutes == 3
    assert counsellor.display_name in response.content.decode()
    assert AuditEntry.objects.filter(detail="supervision list").exists()
    for _ in range(10):
        chats.chat_claim(chat=waiting_chat(), by=counsellor)
    with django_assert_num_queries(len(few.captured_queries)):
        response = web.get(reverse("line:supervision"))
    assert len(response.context["chats"]) == 12


def test_a_supervisor_reassigns_from_the_supervision_page(
    client_as, counsellor, other, supervisor
):
    chat = waiting_chat()
    chats.chat_claim(chat=chat, by=counsellor)
    response = client_as(supervisor).post(
        reverse("line:chat_transfer", args=[chat.pk]),
        {"to": other.pk, "note": "交代してください", "from": "supervision"},
    )
    assert response["Location"] == reverse("line:supervision")
    chat.refresh_from_db()
    assert chat.claimed_by == other
    assert LineChatTransfer.objects.get().by == supervisor


# PRIVACY
# ------------------------------------------------------------------------------


def test_counsellors_see_neither_the_line_user_id_nor_the_picture(
    client_as, counsellor, admin_user
):
    person = LineUserFactory(picture_url="https://profile.line-scdn.net/abc")
    waiting_chat(line_user=person)
    for url in (reverse("line:inbox"), reverse("line:conversation", args=[person.pk])):
        page = client_as(counsellor).get(url).content.decode()
        assert person.line_user_id not in page, url
        assert person.picture_url not in page, url
    admin_page = (
        client_as(admin_user)
        .get(reverse("line:conversation", args=[person.pk]))
        .content.decode()
    )
    assert person.line_user_id in admin_page and person.picture_url in admin_page
    admin_list = client_as(admin_user).get(
        reverse("admin:consultations_lineuser_changelist")
    )
    assert person.line_user_id in admin_list.content.decode()


@override_settings(LINE_SHOW_PROFILE_PICTURE=True)
def test_the_picture_is_shown_to_counsellors_when_the_setting_says_so(
    client_as, counsellor
):
    person = LineUserFactory(picture_url="https://profile.line-scdn.net/abc")
    page = (
        client_as(counsellor)
        .get(reverse("line:conversation", args=[person.pk]))
        .content.decode()
    )
    assert person.picture_url in page and person.line_user_id not in page
