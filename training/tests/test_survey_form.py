"""The fast survey form: a row of 1–5 buttons (and a comment) per respondent,
several respondents per page."""

import pytest

from training.models import SurveyResponse

from .factories import EventFactory
from .querycount import queries_for

pytestmark = pytest.mark.django_db


def rows(*answers, total=None):
    total = total or len(answers)
    data = {
        "r-TOTAL_FORMS": str(total),
        "r-INITIAL_FORMS": "0",
        "r-MIN_NUM_FORMS": "0",
        "r-MAX_NUM_FORMS": "50",
    }
    for i, (score, comment) in enumerate(answers):
        if score is not None:
            data[f"r-{i}-satisfaction"] = str(score)
        data[f"r-{i}-comment"] = comment
    return data


def test_the_form_shows_ten_rows_of_five_buttons(client_as, facilitator):
    event = EventFactory()
    page = client_as(facilitator).get(f"/training/{event.pk}/survey/").content.decode()
    assert page.count('type="radio"') == 50
    assert page.count('class="survey-row') == 10


def test_several_respondents_are_saved_at_once_and_blank_rows_ignored(
    client_as, facilitator
):
    event = EventFactory()
    response = client_as(facilitator).post(
        f"/training/{event.pk}/survey/",
        rows((5, "よかった"), (None, ""), (4, ""), (2, "寒かった"), total=10),
        follow=True,
    )
    assert sorted(
        SurveyResponse.objects.filter(event=event).values_list(
            "satisfaction", "comment"
        )
    ) == [(2, "寒かった"), (4, ""), (5, "よかった")]
    page = response.content.decode()
    assert "3件の回答を保存しました" in page
    assert "66.7%" in page


def test_a_comment_without_a_score_saves_nothing_and_says_which_row(
    client_as, facilitator
):
    event = EventFactory()
    response = client_as(facilitator).post(
        f"/training/{event.pk}/survey/", rows((5, ""), (None, "感想だけ"))
    )
    assert response.status_code == 200
    page = response.content.decode()
    rows_html = page.split('<tr class="survey-row')[1:]
    assert "満足度を1〜5から選ぶか、感想を消してください" not in rows_html[0]
    assert "満足度を1〜5から選ぶか、感想を消してください" in rows_html[1]
    assert "感想だけ" in rows_html[1], "what was typed is kept"
    assert not SurveyResponse.objects.exists()


def test_a_score_outside_1_to_5_is_refused(client_as, facilitator):
    event = EventFactory()
    response = client_as(facilitator).post(
        f"/training/{event.pk}/survey/", rows((6, ""))
    )
    assert response.status_code == 200
    assert not SurveyResponse.objects.exists()


def test_an_empty_page_saves_nothing_and_says_so(client_as, facilitator):
    event = EventFactory()
    response = client_as(facilitator).post(
        f"/training/{event.pk}/survey/", rows((None, ""), (None, "")), follow=True
    )
    assert "少なくとも1人" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_survey_form_runs_the_same_queries_for_5_and_50_responses(
    client_as, facilitator
):
    event = EventFactory()
    web = client_as(facilitator)

    def add(count):
        SurveyResponse.objects.bulk_create(
            SurveyResponse(event=event, satisfaction=4) for _ in range(count)
        )

    add(5)
    with_5 = queries_for(lambda: web.get(f"/training/{event.pk}/survey/?rows=5"))
    add(45)
    with_50 = queries_for(lambda: web.get(f"/training/{event.pk}/survey/?rows=50"))
    assert len(with_50) == len(with_5) <= 8, "\n".join(with_50)


def test_a_tampered_or_missing_row_count_is_a_message_not_a_500(client_as, facilitator):
    event = EventFactory()
    web = client_as(facilitator)
    missing = web.post(f"/training/{event.pk}/survey/", {"r-0-satisfaction": "5"})
    assert missing.status_code == 200
    too_many = rows((5, ""))
    too_many["r-TOTAL_FORMS"] = "5000"
    assert web.post(f"/training/{event.pk}/survey/", too_many).status_code == 200
    assert not SurveyResponse.objects.exists()
