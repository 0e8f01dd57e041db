"""Hostile input: random and malicious data sent to the import formats and to
the LINE webhook. Nothing gives a 500, and nothing leaves a partial write."""

import json

import pytest
import tablib
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consultations.line.models import LineMedia, LineMessage, LineUser
from consultations.models import Client, Consultation
from consultations.tests.test_line_webhook import URL, sign
from peergroups.models import Session
from reports.imports import KINDS, ImportFileError, read_dataset, run_import
from shelter.models import SalonVisit, Stay
from training.models import Event, SurveyResponse

pytestmark = pytest.mark.django_db
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
NASTY = st.sampled_from(
    [
        "",
        " ",
        "=1+1",
        '=HYPERLINK("http://x")',
        "@SUM(A1)",
        "+1",
        "-1",
        "0",
        "1",
        "5",
        "6",
        "-0",
        "1e9",
        "99999999999999999999",
        "NaN",
        "None",
        "null",
        "令和3年10月15日",
        "平成31年5月1日",
        "2021-02-30",
        "2021-10-15",
        "2021/4/1",
        "25:00",
        "10:00",
        "LINE",
        "電話",
        "対面",
        "宿泊",
        "一時利用",
        "研修会",
        "C-000001",
        "counsellor1",
        "DV、就労",
        "'; DROP TABLE consultations_client; --",
        "<script>alert(1)</script>",
        "\x00",
        "\u202e",
        "🌸" * 30,
        "x" * 5000,
        "ｶﾅ",
        "１２３",
    ]
)
CELL = st.one_of(NASTY, st.text(max_size=40), st.integers(-(10**6), 10**6))
COUNTED = (Client, Consultation, Stay, SalonVisit, Session, Event, SurveyResponse)


def counts():
    return [model.objects.count() for model in COUNTED]


@pytest.mark.parametrize("kind", sorted(KINDS))
@EXAMPLES
@given(data=st.data())
def test_random_rows_are_imported_whole_or_not_at_all(kind, counsellor, data):
    """Each example: real headers of the kind (sometimes shuffled or missing),
    random cells. The import either writes every row or none, and never
    raises anything but a file error with a message."""
    resource = KINDS[kind].resource_class()(by=counsellor)
    headers = list(resource.required_columns) + data.draw(
        st.lists(
            st.sampled_from(list(getattr(resource, "column_fields", {})) or ["x"]),
            max_size=4,
            unique=True,
        )
    )
    headers = list(dict.fromkeys(data.draw(st.permutations(headers))))
    if data.draw(st.booleans()) and headers:
        headers.pop()  # sometimes a required column goes missing
    rows = data.draw(
        st.lists(
            st.lists(CELL, min_size=len(headers), max_size=len(headers)), max_size=6
        )
    )
    dataset = tablib.Dataset(*rows, headers=headers)
    with transaction.atomic():
        before = counts()
        try:
            outcome = run_import(kind, dataset, by=counsellor, dry_run=False)
        except ImportFileError as error:
            assert str(error)
            assert counts() == before
        else:
            if outcome.errors:
                assert counts() == before, "a refused file left rows behind"
                assert all(e.row >= 2 and e.message for e in outcome.errors)
        transaction.set_rollback(True)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_nul_character_is_reported_by_row_and_column(kind, counsellor):
    # PostgreSQL cannot store NUL; SQLite can: both refuse it the same way.
    resource = KINDS[kind].resource_class()(by=counsellor)
    headers = list(resource.required_columns)
    rows = [["x"] * len(headers), ["x"] * (len(headers) - 1) + ["a\x00b"]]
    before = counts()
    outcome = run_import(
        kind, tablib.Dataset(*rows, headers=headers), by=counsellor, dry_run=False
    )
    assert [(e.row, e.message) for e in outcome.errors] == [
        (3, f"{headers[-1]}: NUL文字が含まれているため保存できません")
    ]
    assert counts() == before and outcome.written == 0


@EXAMPLES
@given(
    content=st.binary(max_size=2000), suffix=st.sampled_from([".csv", ".xlsx", ".txt"])
)
def test_random_files_are_refused_with_a_message_or_read(content, suffix):
    try:
        dataset = read_dataset("upload" + suffix, content)
    except ImportFileError as error:
        assert str(error)
    else:
        assert isinstance(dataset, tablib.Dataset)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
URLISH = st.sampled_from(
    ["https://example.com/a.jpg", "http://example.com/a", "javascript:alert(1)", ""]
) | st.text(max_size=30)
NUMBER = (
    st.floats(-200, 200)
    | st.integers(0, 10**9)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(-(10**20), 10**20)
    | st.text(max_size=5)
    | st.none()
    | st.booleans()
)
# The fields of LINE's message kinds (media, place, sticker, quote), with the
# right shapes and with random ones.
MESSAGE = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["text", "image", "video", "audio", "file", "location", "sticker", "x"]
        ),
        "id": st.text(max_size=80) | st.integers() | st.just("468789577898262531"),
    },
    optional={
        "text": st.text(max_size=6000) | st.integers(),
        "quoteToken": st.text(max_size=300) | st.integers(),
        "quotedMessageId": st.text(max_size=80) | st.integers() | st.none(),
        "contentProvider": st.fixed_dictionaries(
            {"type": st.sampled_from(["line", "external", "x"]) | JSON},
            optional={"originalContentUrl": URLISH | JSON, "previewImageUrl": URLISH},
        )
        | JSON,
        "fileName": st.text(max_size=300) | JSON,
        "fileSize": NUMBER,
        "duration": NUMBER,
        "title": st.text(max_size=300) | JSON,
        "address": st.text(max_size=300) | JSON,
        "latitude": NUMBER,
        "longitude": NUMBER,
        "packageId": st.text(max_size=10),
        "stickerId": st.text(max_size=10),
        "keywords": st.lists(st.text(max_size=120) | JSON, max_size=30) | JSON,
    },
)
# Messages of each kind shaped as LINE sends them (their texts random).
QUOTE = st.fixed_dictionaries(
    {"quoteToken": st.text(max_size=20)},
    optional={"quotedMessageId": st.sampled_from(["1", "468789577898262531"])},
)
WELL_FORMED_MESSAGE = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["image", "video", "audio", "file"]),
            "id": st.sampled_from(["1", "2", "468789577898262531"]),
            "contentProvider": st.fixed_dictionaries(
                {"type": st.sampled_from(["line", "external"])},
                optional={"originalContentUrl": URLISH, "previewImageUrl": URLISH},
            ),
            "fileName": st.text(max_size=300),
            "fileSize": st.integers(0, 10**10),
            "duration": st.integers(0, 10**7),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("location"),
            "id": st.just("3"),
            "title": st.text(max_size=300),
            "address": st.text(max_size=300),
            "latitude": st.floats(-90, 90),
            "longitude": st.floats(-180, 180),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("sticker"),
            "id": st.just("4"),
            "packageId": st.just("446"),
            "stickerId": st.just("1988"),
            "stickerResourceType": st.sampled_from(["STATIC", "MESSAGE"]),
            "keywords": st.lists(st.text(max_size=120), max_size=30),
            "text": st.text(max_size=2000),
        }
    ),
    st.fixed_dictionaries(
        {"type": st.just("text"), "id": st.just("5"), "text": st.text(max_size=50)}
    ),
).flatmap(lambda message: QUOTE.map(lambda quote: {**message, **quote}))
EVENT = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["message", "follow", "unfollow", "postback", "x"]),
        "webhookEventId": st.text(max_size=40) | st.integers() | st.none(),
    },
    optional={
        "source": st.fixed_dictionaries(
            {
                "type": st.sampled_from(["user", "group"]),
                "userId": st.text(max_size=80) | st.none(),
            }
        ),
        "timestamp": st.integers(-(10**15), 10**15) | st.text(max_size=5),
        "message": MESSAGE,
        "postback": st.fixed_dictionaries(
            {"data": st.text(max_size=300) | JSON}, optional={"params": JSON}
        )
        | JSON,
        "replyToken": st.text(max_size=40) | JSON,
        "deliveryContext": JSON,
    },
)
# Well-formed events of every kind (ids, user and time right), so that the
# random message fields reach the database rather than stop at the checks.
STORABLE_EVENT = st.builds(
    lambda n, kind, message, postback: {
        "type": kind,
        "webhookEventId": f"01H8X0A1HYPOKIND{n:010d}",
        "timestamp": 1625665242211 + n,
        "source": {"type": "user", "userId": "Uhypokinds"},
        "replyToken": "b60d432864f44d079f6d8efe86cf404b",
        "message": message,
        "postback": postback,
    },
    st.integers(0, 10**9),
    st.sampled_from(["message", "message", "message", "postback", "follow"]),
    WELL_FORMED_MESSAGE | MESSAGE,
    st.fixed_dictionaries({"data": st.text(max_size=300)}, optional={"params": JSON}),
)
BODY = st.one_of(
    st.binary(max_size=500),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.lists(EVENT | STORABLE_EVENT, max_size=5).map(
        lambda events: json.dumps({"destination": "U1", "events": events}).encode()
    ),
)
KINDS_BODY = st.lists(STORABLE_EVENT, min_size=1, max_size=6).map(
    lambda events: json.dumps({"destination": "U1", "events": events}).encode()
)


@EXAMPLES
@given(body=BODY | KINDS_BODY)
def test_signed_hostile_webhook_bodies_never_give_a_500_or_half_a_write(
    client, django_capture_on_commit_callbacks, body
):
    """Random bodies, and events of every kind (text, image, video, voice,
    file with and without contentProvider, location, sticker, quotes,
    postbacks) with random fields. Content to download is queued once the
    delivery commits (run here: the queueing must not fail either)."""
    with transaction.atomic():
        before = (LineUser.objects.count(), LineMessage.objects.count())
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                URL,
                data=body,
                content_type="application/json",
                HTTP_X_LINE_SIGNATURE=sign(body),
            )
        assert response.status_code in (200, 400), response.status_code
        if response.status_code == 400:
            assert (LineUser.objects.count(), LineMessage.objects.count()) == before
        else:
            # Each stored content message has its content row, and only
            # LINE's content is queued for download.
            content = LineMessage.objects.filter(
                kind__in=["image", "video", "audio", "file"]
            )
            assert LineMedia.objects.count() == content.count()
            queued = DBTaskResult.objects.filter(
                task_path__endswith=".download_line_content"
            ).count()
            assert queued == LineMedia.objects.filter(status="pending").count()
        transaction.set_rollback(True)


# NUL, LONE SURROGATES AND DEEP NESTING (issue 15, F7 and F8)
# ------------------------------------------------------------------------------

GOOD_EVENT_ID = "01H8X0A1HYPOGOOD00000000AA"
HOSTILE_TEXT = st.lists(
    st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff", "\ud83c\udf38"])
    | st.characters(),
    max_size=20,
).map("".join)
HOSTILE_EVENT = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["message", "follow", "unsend"]) | HOSTILE_TEXT,
        "webhookEventId": st.just("01H8X0A1HYPOBAD") | HOSTILE_TEXT,
        "timestamp": st.just(1625665242211),
        "source": st.fixed_dictionaries(
            {"type": st.just("user"), "userId": st.just("Uhypo") | HOSTILE_TEXT}
        ),
        "message": st.fixed_dictionaries(
            {
                "type": st.sampled_from(["text", "image"]) | HOSTILE_TEXT,
                "id": st.just("900") | HOSTILE_TEXT,
                "text": HOSTILE_TEXT,
            }
        ),
        "unsend": st.fixed_dictionaries({"messageId": HOSTILE_TEXT}),
    }
)
NESTING = st.sampled_from([0, 1, 50, 900, 5_000, 100_000])


def good_event():
    return {
        "type": "message",
        "webhookEventId": GOOD_EVENT_ID,
        "timestamp": 1625665242211,
        "source": {"type": "user", "userId": "Ugood"},
        "message": {"type": "text", "id": "1", "text": "ふつう"},
    }


def clean(text: str) -> bool:
    return "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


@EXAMPLES
@given(
    hostile=st.lists(HOSTILE_EVENT, min_size=1, max_size=3),
    depth=NESTING,
    good_first=st.booleans(),
)
def test_signed_bodies_with_nul_surrogates_and_nesting_never_lose_the_good_event(
    client, hostile, depth, good_first
):
    """Events whose strings hold NUL and lone surrogates (as JSON escapes),
    beside a normal event, some nested ``depth`` deep. Either 200 with the
    normal event stored and nothing unclean stored, or (only for nesting
    too deep to parse) 400 with nothing stored."""
    events = [good_event(), *hostile] if good_first else [*hostile, good_event()]
    events[-1]["deep"] = "DEEP"
    body = json.dumps({"destination": "U1", "events": events}).encode()
    body = body.replace(b'"DEEP"', b"[" * depth + b"0" + b"]" * depth)
    with transaction.atomic():
        response = client.post(
            URL,
            data=body,
            content_type="application/json",
            HTTP_X_LINE_SIGNATURE=sign(body),
        )
        if response.status_code == 400:
            assert depth > 900, "only nesting too deep to read is refused"
            assert not LineMessage.objects.exists()
        else:
            assert response.status_code == 200
            assert LineMessage.objects.filter(webhook_event_id=GOOD_EVENT_ID).exists()
            stored = LineMessage.objects.values_list(
                "text", "webhook_event_id", "line_message_id", "line_user__line_user_id"
            )
            assert all(clean(value) for row in stored for value in row if value)
        transaction.set_rollback(True)


NUL_URLS = [
    "/clients/",
    "/clients/lookup/",
    "/clients/new/",
    "/consultations/new/",
    "/shelter/calendar/",
    "/shelter/stays/",
    "/shelter/stays/new/",
    "/shelter/clients/lookup/",
    "/shelter/unmet/",
    "/shelter/salon/new/",
    "/reports/",
    "/line/",
]
WITH_NUL = st.tuples(st.text(max_size=10), st.text(max_size=10)).map(
    lambda parts: parts[0] + "\x00" + parts[1]
)


@pytest.fixture
def every_role(make_user):
    """A user who may open every page, so that each request reaches a view."""
    from accounts.roles import Role

    return make_user(*Role.values, username="every-role")


@EXAMPLES
@given(
    path=st.sampled_from(NUL_URLS),
    name=st.sampled_from(["q", "client", "page", "fy", "month", "unread"]) | WITH_NUL,
    value=WITH_NUL | st.text(max_size=10),
    method=st.sampled_from(["get", "post"]),
)
def test_query_parameters_and_fields_with_nul_are_refused_with_a_400(
    client, every_role, path, name, value, method
):
    """On PostgreSQL several of these gave a 500 (F8); on both databases they
    now get the 400 page before any view runs, and nothing is written."""
    client.force_login(every_role)
    if "\x00" not in name + value:
        value += "\x00"
    before = counts()
    response = getattr(client, method)(path, {name: value})
    assert response.status_code == 400, (path, response.status_code)
    assert counts() == before
