"""List and detail pages run the same number of queries with 5 rows and 200."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consultations import services
from consultations.models import Complaint
from consultations.tests.factories import ConsultationFactory
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def count_queries(c, url):
    with CaptureQueriesContext(connection) as ctx:
        response = c.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), ctx


def make_client_with_history(counsellor, rows):
    person = ClientFactory()
    others = list(Complaint.objects.all()[:2])
    for _ in range(rows):
        consultation = ConsultationFactory(client=person, counsellor=counsellor)
        consultation.other_problems.set(others)
        services.support_action_create(
            by=counsellor,
            client=person,
            kind="referral",
            date=consultation.started_at.date(),
            staff=counsellor,
        )
    return person


def make_rows(counsellor, n):
    others = list(Complaint.objects.all()[:2])
    for _ in range(n):
        consultation = ConsultationFactory(
            counsellor=counsellor, client__assigned_counsellor=counsellor
        )
        consultation.other_problems.set(others)


@pytest.mark.parametrize(
    "url",
    [
        reverse("consultations:client_list"),
        reverse("consultations:consultation_list"),
        reverse("consultations:consultation_list") + "?fiscal_year=2021&channel=phone",
    ],
)
def test_list_pages_query_count_does_not_grow(client_as, counsellor, url):
    c = client_as(counsellor)
    make_rows(counsellor, 5)
    small, _ = count_queries(c, url)
    make_rows(counsellor, 195)
    large, ctx = count_queries(c, url)
    assert large == small, "\n".join(q["sql"] for q in ctx.captured_queries)


def test_client_detail_query_count_does_not_grow_with_history(client_as, counsellor):
    c = client_as(counsellor)
    few = make_client_with_history(counsellor, 5)
    many = make_client_with_history(counsellor, 200)
    small, _ = count_queries(c, reverse("consultations:client_detail", args=[few.pk]))
    large, ctx = count_queries(
        c, reverse("consultations:client_detail", args=[many.pk])
    )
    assert large == small, "\n".join(q["sql"] for q in ctx.captured_queries)
    url = reverse("consultations:client_detail", args=[many.pk])
    # The page shows the newest 100 entries and offers the whole history.
    response = c.get(url)
    entries = response.context["timeline"]
    assert len(entries) == 100
    assert entries == sorted(entries, key=lambda e: e.sort_key, reverse=True)
    assert 'href="?history=all"' in response.content.decode()
    whole, ctx = count_queries(c, url + "?history=all")
    assert whole == small, "\n".join(q["sql"] for q in ctx.captured_queries)
    response = c.get(url + "?history=all")
    assert len(response.context["timeline"]) == 400
    assert response.context["timeline"][:100] == entries
    assert 'href="?history=all"' not in response.content.decode()
