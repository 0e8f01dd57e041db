"""seed_demo reproduces Ueda's 令和3年度: 18 peer-support sessions with 179
participants on the report's dates, and 2 training events at 88% and 56%."""

import datetime as dt

import pytest
from django.core.management import call_command

from accounts import scoping
from accounts.models import Organisation
from peergroups import selectors
from training import selectors as training_selectors

pytestmark = pytest.mark.django_db

D = dt.date
UEDA_DATES = [
    (D(2021, 10, 15), D(2021, 10, 15)),
    (D(2021, 11, 9), D(2021, 11, 9)),
    (D(2021, 11, 10), D(2021, 11, 10)),
    (D(2021, 11, 18), D(2021, 11, 18)),
    (D(2021, 12, 7), D(2021, 12, 7)),
    (D(2021, 12, 17), D(2021, 12, 17)),
    (D(2021, 12, 28), D(2021, 12, 28)),
    (D(2022, 1, 1), D(2022, 1, 3)),
    (D(2022, 1, 18), D(2022, 1, 18)),
    (D(2022, 1, 25), D(2022, 1, 25)),
    (D(2022, 2, 1), D(2022, 2, 1)),
    (D(2022, 2, 8), D(2022, 2, 8)),
    (D(2022, 2, 15), D(2022, 2, 15)),
    (D(2022, 2, 23), D(2022, 2, 23)),
    (D(2022, 2, 24), D(2022, 2, 24)),
    (D(2022, 3, 4), D(2022, 3, 4)),
    (D(2022, 3, 6), D(2022, 3, 6)),
    (D(2022, 3, 8), D(2022, 3, 8)),
]
FY2021 = {"start": D(2021, 4, 1), "end": D(2022, 3, 31)}


def test_seed_demo_reproduces_uedas_year(django_assert_num_queries):
    call_command("seed_demo", verbosity=0)
    # The NPO's year (the municipal desk has sessions and an event of its own).
    npo = Organisation.objects.get(name="NPO法人いばしょネット")
    with scoping.organisations([npo.pk]):
        with django_assert_num_queries(1):
            dates = selectors.session_dates(**FY2021)
        assert dates == UEDA_DATES
        with django_assert_num_queries(2):
            totals = selectors.session_totals(**FY2021)
        assert (totals.sessions, totals.participants) == (18, 179)
        assert totals.named > 0 and totals.anonymous > 0
        events = training_selectors.event_summaries(**FY2021)
        assert [(e.date, str(e.satisfaction_pct)) for e in events] == [
            (D(2021, 10, 23), "88.0"),
            (D(2022, 2, 10), "56.0"),
        ]
        assert all(e.respondents == 25 for e in events)
