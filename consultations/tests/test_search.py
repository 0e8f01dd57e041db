"""Client search ignores case, and width of kana and digits."""

import pytest

from consultations.search import normalise
from consultations.selectors import client_list
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ｻﾄｳ", "サトウ"),  # half-width katakana
        ("さとう", "サトウ"),  # hiragana against katakana
        ("０９０１２３４", "090-1234"),  # full-width digits, hyphens ignored
        ("c-000123", "C-000123"),  # case
        ("ＡＢＣ", "abc"),  # full-width latin
    ],
)
def test_normalise_makes_both_spellings_equal(typed, stored):
    assert normalise(stored).find(normalise(typed)) >= 0


def _make(code, name, kana="", phone=""):
    person = ClientFactory.build(code=code, display_name=name, kana=kana, phone=phone)
    person.save()  # save() stores the normalised search text
    return person


@pytest.mark.parametrize(
    "query", ["ｻﾄｳ", "さとう", "サトウ", "０７０－００００", "c-000007", "花子"]
)
def test_client_search_finds_by_code_name_kana_or_phone(counsellor, query):
    wanted = _make("C-000007", "佐藤 花子", kana="サトウ ハナコ", phone="070-0000-1111")
    _make("C-000008", "鈴木 陽子", kana="すずき ようこ", phone="070-1111-0000")
    found = list(client_list(fetched_by=counsellor, filters={"q": query}))
    assert found == [wanted]


def test_client_list_filters_by_status_counsellor_and_household(
    client_as, counsellor, make_user
):
    other = make_user("counsellor", username="other")
    mine = ClientFactory(assigned_counsellor=counsellor, household_type="single_mother")
    ClientFactory(assigned_counsellor=other, household_type="single_mother")
    ClientFactory(
        assigned_counsellor=counsellor,
        household_type="single",
        status="closed",
        closure_reason="resolved",
    )
    response = client_as(counsellor).get(
        "/clients/",
        {
            "counsellor": counsellor.pk,
            "household_type": "single_mother",
            "status": "open",
        },
    )
    # The page's rows are values (selectors.client_rows), one per client.
    assert [row["href"] for row in response.context["page"]] == [
        mine.get_absolute_url()
    ]


def test_the_client_picker_returns_code_name_and_whether_they_consulted(
    client_as, counsellor
):
    from consultations.tests.factories import ConsultationFactory

    before = _make("C-000101", "山田 綾", kana="やまだ あや")
    _make("C-000102", "山田 千尋", kana="ヤマダ チヒロ")
    ConsultationFactory(client=before)
    response = client_as(counsellor).get("/clients/lookup/", {"q": "ﾔﾏﾀﾞ"})
    results = response.json()["results"]
    assert [(r["code"], r["has_consultations"]) for r in results] == [
        ("C-000102", False),
        ("C-000101", True),
    ]
    assert set(results[0]) == {
        "code",
        "display_name",
        "kana",
        "age_band",
        "date",
        "date_text",
        "has_consultations",
    }
