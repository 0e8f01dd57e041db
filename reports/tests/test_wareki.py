"""The list of session dates as the Ueda report writes it (SPEC §3)."""

from datetime import date as D

from reports.wareki import date_lines, date_list

UEDA_SESSIONS = [
    (D(2021, 10, 15), None),
    (D(2021, 11, 9), None),
    (D(2021, 11, 10), None),
    (D(2021, 11, 18), None),
    (D(2021, 12, 7), None),
    (D(2021, 12, 17), None),
    (D(2021, 12, 28), None),
    (D(2022, 1, 1), D(2022, 1, 3)),
    (D(2022, 1, 18), None),
    (D(2022, 1, 25), None),
    (D(2022, 2, 1), None),
    (D(2022, 2, 8), None),
    (D(2022, 2, 15), None),
    (D(2022, 2, 23), None),
    (D(2022, 2, 24), None),
    (D(2022, 3, 4), None),
    (D(2022, 3, 6), None),
    (D(2022, 3, 8), None),
]


def test_uedas_eighteen_sessions_read_as_in_the_report():
    assert date_lines(UEDA_SESSIONS) == [
        "令和3年10月15日",
        "11月9、10、18日",
        "12月7、17、28日",
        "令和4年1月1～3、18、25日",
        "2月1、8、15、23、24日",
        "3月4、6、8日",
    ]


def test_the_lines_are_joined_with_a_newline_and_sorted_by_first_day():
    shuffled = list(reversed(UEDA_SESSIONS))
    assert date_list(shuffled).split("\n")[0] == "令和3年10月15日"
    assert date_list([]) == ""


def test_separate_sessions_on_consecutive_days_are_never_merged():
    assert date_lines([(D(2021, 11, 9), None), (D(2021, 11, 10), None)]) == [
        "令和3年11月9、10日"
    ]
    assert date_lines([(D(2021, 11, 9), D(2021, 11, 10))]) == ["令和3年11月9～10日"]


def test_a_one_day_session_with_an_end_date_on_the_same_day_is_one_day():
    assert date_lines([(D(2021, 11, 9), D(2021, 11, 9))]) == ["令和3年11月9日"]


def test_the_era_and_year_are_written_again_when_they_change():
    assert date_lines(
        [
            (D(2019, 4, 30), None),
            (D(2019, 5, 1), None),
            (D(2019, 6, 1), None),
            (D(2020, 1, 5), None),
        ]
    ) == ["平成31年4月30日", "令和元年5月1日", "6月1日", "令和2年1月5日"]


def test_a_session_running_into_the_next_month_shows_that_month():
    assert date_lines([(D(2022, 1, 31), D(2022, 2, 2)), (D(2022, 2, 8), None)]) == [
        "令和4年1月31～2月2日",
        "2月8日",
    ]


def test_two_sessions_on_the_same_days_are_written_once():
    assert date_lines([(D(2021, 11, 9), None), (D(2021, 11, 9), D(2021, 11, 9))]) == [
        "令和3年11月9日"
    ]
