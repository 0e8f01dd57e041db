import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from accounts.models import AuditEntry
from tests.factories import ClientFactory
from training import selectors, services
from training.models import Event, Speaker, SurveyResponse

from .factories import EventFactory, SpeakerFactory, SurveyResponseFactory
from .querycount import queries_for

pytestmark = pytest.mark.django_db

FY2021 = {"start": dt.date(2021, 4, 1), "end": dt.date(2022, 3, 31)}


def add_responses(event, scores):
    SurveyResponse.objects.bulk_create(
        SurveyResponse(event=event, satisfaction=s) for s in scores
    )


def test_event_without_responses_shows_a_dash_never_zero_percent(
    client_as, facilitator
):
    EventFactory(title="回答のない研修会", date=dt.date(2021, 10, 23))
    page = client_as(facilitator).get("/training/?fy=2021").content.decode()
    row = page[page.index("回答のない研修会") :].split("</tr>")[0]
    assert "–" in row
    assert "0%" not in row
    assert "0.0%" not in row


def test_event_list_shows_satisfaction_with_its_respondents(client_as, facilitator):
    event = EventFactory(date=dt.date(2021, 10, 23))
    add_responses(event, [5, 4, 4, 5, 5, 4, 4, 2])  # 7 of 8
    page = client_as(facilitator).get("/training/?fy=2021").content.decode()
    row = page[page.index(event.title) :].split("</tr>")[0]
    assert "87.5%" in row
    assert '<td class="num">8</td>' in row


def test_event_list_escapes_titles_and_venues_and_links_each_event(
    client_as, facilitator
):
    """The rows are made in Python (training.selectors.event_rows): what
    staff typed is escaped there, as the template did."""
    event = EventFactory(
        title='<b>研修</b> & "話"', venue="<i>会場</i>", date=dt.date(2021, 10, 23)
    )
    page = client_as(facilitator).get("/training/?fy=2021").content.decode()
    assert "<b>研修</b>" not in page and "<i>会場</i>" not in page
    assert "&lt;b&gt;研修&lt;/b&gt; &amp; &quot;話&quot;" in page
    assert "&lt;i&gt;会場&lt;/i&gt;" in page
    assert f'href="/training/{event.pk}/"' in page
    assert f'href="/training/{event.pk}/survey/"' in page


def test_event_detail_shows_satisfaction_and_distribution(client_as, facilitator):
    event = EventFactory()
    add_responses(event, [5, 3, 1])  # 1 of 3
    page = client_as(facilitator).get(f"/training/{event.pk}/").content.decode()
    assert "33.3%" in page
    detail_empty = client_as(facilitator).get(f"/training/{EventFactory().pk}/")
    assert "回答はまだありません" in detail_empty.content.decode()


def test_event_summaries_for_the_report_in_one_query(django_assert_num_queries):
    first = EventFactory(date=dt.date(2021, 10, 23), participant_count=32)
    add_responses(first, [5] * 22 + [2] * 3)
    EventFactory(date=dt.date(2022, 2, 10), participant_count=41)
    EventFactory(date=dt.date(2022, 4, 1))  # next fiscal year
    with django_assert_num_queries(1):
        summaries = selectors.event_summaries(**FY2021)
    assert [(s.date, s.participants, s.respondents) for s in summaries] == [
        (dt.date(2021, 10, 23), 32, 25),
        (dt.date(2022, 2, 10), 41, 0),
    ]
    assert str(summaries[0].satisfaction_pct) == "88.0"
    assert summaries[1].satisfaction_pct is None
    with django_assert_num_queries(1):
        totals = selectors.training_totals(**FY2021)
    assert (totals.events, totals.participants) == (2, 73)


def test_counts_do_not_multiply_with_several_speakers():
    event = EventFactory()
    SpeakerFactory.create_batch(3, event=event)
    add_responses(event, [5, 4, 1, 2])
    listed = selectors.event_list(**FY2021).get()
    assert (listed.speaker_count, listed.respondent_count, listed.satisfied_count) == (
        3,
        4,
        2,
    )


def add_events(count, start=0):
    for i in range(start, start + count):
        event = EventFactory(date=dt.date(2021, 5, 1) + dt.timedelta(days=i))
        SpeakerFactory(event=event)
        SurveyResponseFactory(event=event)


def test_event_list_runs_the_same_queries_for_5_and_50_events(client_as, facilitator):
    web = client_as(facilitator)
    add_events(5)
    with_5 = queries_for(lambda: web.get("/training/?fy=2021"))
    add_events(45, start=5)
    with_50 = queries_for(lambda: web.get("/training/?fy=2021"))
    assert len(with_50) == len(with_5) <= 9, "\n".join(with_50)


def test_event_detail_runs_the_same_queries_for_5_and_50_rows(client_as, facilitator):
    event = EventFactory()
    web = client_as(facilitator)

    def add(count):
        for _ in range(count):
            SpeakerFactory(event=event)
            SurveyResponseFactory(event=event, comment="よかった")

    add(5)
    with_5 = queries_for(lambda: web.get(f"/training/{event.pk}/"))
    add(45)
    with_50 = queries_for(lambda: web.get(f"/training/{event.pk}/"))
    assert len(with_50) == len(with_5) <= 12, "\n".join(with_50)


def test_speaker_is_recorded_only_with_consent(facilitator):
    event = EventFactory()
    client = ClientFactory()
    with pytest.raises(Exception) as exc:
        services.speaker_add(by=facilitator, event=event, client=client, consent=False)
    assert "consent" in exc.value.message_dict
    assert not Speaker.objects.exists()
    speaker = services.speaker_add(
        by=facilitator, event=event, client=client, consent=True
    )
    assert AuditEntry.objects.filter(
        object_type="training.speaker", client_code=client.code
    ).exists()
    assert speaker.consent


def test_database_refuses_a_speaker_without_consent():
    event = EventFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Speaker.objects.create(event=event, client=ClientFactory(), consent=False)


def test_speaker_form_without_the_box_ticked_says_why(client_as, facilitator):
    event = EventFactory()
    client = ClientFactory()
    response = client_as(facilitator).post(
        f"/training/{event.pk}/speakers/new/",
        {"client_code": client.code, "talk_title": "わたしの経験", "consent": ""},
    )
    assert response.status_code == 200
    assert "本人の同意がある場合だけ" in response.content.decode()
    assert not Speaker.objects.exists()


def test_speaker_form_with_consent_records_the_speaker(client_as, facilitator):
    event = EventFactory()
    client = ClientFactory()
    response = client_as(facilitator).post(
        f"/training/{event.pk}/speakers/new/",
        {"client_code": client.code.lower(), "consent": "on"},
        follow=True,
    )
    assert Speaker.objects.get().client == client
    assert client.code in response.content.decode()


def test_database_refuses_a_satisfaction_outside_1_to_5():
    event = EventFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(event=event, satisfaction=6)


def test_two_events_with_one_date_and_title_are_refused(facilitator):
    EventFactory(date=dt.date(2021, 10, 23), title="研修会")
    with pytest.raises(Exception) as exc:
        services.event_create(
            by=facilitator,
            kind=Event.Kind.LECTURE,
            date=dt.date(2021, 10, 23),
            title="研修会",
        )
    assert "title" in exc.value.message_dict
    assert Event.objects.count() == 1
