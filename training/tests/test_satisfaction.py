"""Satisfaction % = responses of 4 or 5 / all responses, one decimal rounded
half up in Decimal; no responses gives "–", never 0%."""

from decimal import Decimal

import pytest

from training.satisfaction import Satisfaction, satisfaction_percent


@pytest.mark.parametrize(
    ("satisfied", "respondents", "expected"),
    [
        (7, 8, "87.5"),
        (2, 3, "66.7"),
        (5, 9, "55.6"),
        (1, 16, "6.3"),  # 6.25: half up, not half to even (6.2)
        (1, 8, "12.5"),
        (3, 16, "18.8"),  # 18.75
        (1, 3, "33.3"),
        (22, 25, "88.0"),
        (14, 25, "56.0"),
        (0, 4, "0.0"),
        (4, 4, "100.0"),
        (1, 2000, "0.1"),  # 0.05: half up
    ],
)
def test_percent_has_one_decimal_rounded_half_up(satisfied, respondents, expected):
    percent = satisfaction_percent(satisfied, respondents)
    assert isinstance(percent, Decimal)
    assert str(percent) == expected
    assert str(Satisfaction(satisfied, respondents)) == f"{expected}%"


def test_no_responses_has_no_percentage_and_shows_a_dash():
    assert satisfaction_percent(0, 0) is None
    assert Satisfaction(0, 0).percent is None
    assert str(Satisfaction(0, 0)) == "–"


def test_more_satisfied_than_respondents_is_an_error():
    with pytest.raises(ValueError):
        satisfaction_percent(3, 2)
