"""Dates on screen follow one rule (jpdates.screen_date, the |jdate and
|jdatetime filters): 「12月1日(月)」 within the current year,
「2022年3月26日」 otherwise, times as 14:05, never wrapped inside."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import timezone, translation

import jpdates

D = dt.date


@pytest.mark.parametrize(
    ("day", "today", "ja", "en"),
    [
        (D(2026, 12, 1), D(2026, 12, 1), "12月1日(火)", "Tue 1 Dec"),
        (D(2026, 1, 5), D(2026, 12, 31), "1月5日(月)", "Mon 5 Jan"),
        (D(2022, 3, 26), D(2026, 12, 1), "2022年3月26日", "26 Mar 2022"),
        (D(2027, 1, 4), D(2026, 12, 1), "2027年1月4日", "4 Jan 2027"),
    ],
)
def test_the_rule(day, today, ja, en):
    assert jpdates.screen_date(day, today) == ja
    assert jpdates.screen_date(day, today, japanese=False) == en


def test_the_filters_in_a_template_local_time_and_no_wrap(settings):
    today = timezone.localdate()
    moment = timezone.make_aware(dt.datetime(today.year, 3, 9, 14, 5))
    old = dt.date(2021, 10, 15)
    template = Template(
        "{{ moment|jdatetime }}|{{ old|jdate }}|{{ old|jdate:'plain' }}"
        "|{{ none|jdate }}"
    )
    with translation.override("ja"):
        out = template.render(Context({"moment": moment, "old": old, "none": ""}))
    weekday = jpdates.WEEKDAYS_JA[moment.weekday()]
    assert out == (
        f'<span class="date" data-iso="{today.year}-03-09T14:05+09:00">'
        f"3月9日({weekday}) 14:05</span>|"
        '<span class="date" data-iso="2021-10-15">2021年10月15日</span>|'
        "2021年10月15日|"
    )
    # UTC midnight is 09:00 in Tokyo, the same day; 15:00 UTC is the next day.
    late = dt.datetime(2021, 10, 15, 15, 0, tzinfo=dt.UTC)
    with translation.override("ja"):
        assert Template("{{ t|jdate:'plain' }}").render(Context({"t": late})) == (
            "2021年10月16日"
        )
    css = (Path(settings.BASE_DIR) / "static" / "css" / "ibasho.css").read_text()
    assert ".date { white-space: nowrap; }" in css


def test_no_template_prints_an_iso_date_for_people_to_read():
    """ISO dates are for attributes, comparisons and exports; what people
    read goes through |jdate or |jdatetime."""
    import re

    found = []
    base = Path(settings.BASE_DIR)
    paths = [*(base / "templates").rglob("*.html"), *base.glob("*/templates/**/*.html")]
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            # any format that shows a day of the month: ISO, 11/29, 11月29日 …
            for match in re.finditer(r'\|date:["\']([^"\']*[dj][^"\']*)["\']', line):
                before = line[: match.start()]
                after = line[match.end() :]
                compared = "==" in line[max(0, match.start() - 40) : match.end() + 5]
                in_attribute = before.rstrip().endswith(('="{{', "='{{")) or re.search(
                    r'[a-z-]+=["\'][^"\']*\{\{[^}]*$', before
                )
                seconds = match.group(1) == "Y-m-d H:i:s"
                if not (compared or in_attribute or seconds or after.startswith(" ==")):
                    found.append(f"{path.name}:{number}: {match.group(0)}")
    assert not found, "\n".join(found)
