"""A closure waits for approval: the counsellor's closure is a request; a
supervisor other than the requester approves (the case closes through
client_close, with its version check) or declines with a note."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from accounts.locking import EditConflict
from accounts.models import AuditEntry
from accounts.roles import Role
from consultations.models import Client, ClosureRequest
from consultations.plans import services
from tests.factories import ClientFactory

from .helpers import ja

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.COUNSELLOR, username="supervisor", is_supervisor=True)


def request_closure(person, by):
    return services.closure_request(
        client=person, by=by, reason="resolved", expected_version=person.version
    )


def test_a_closure_waits_for_approval(client_as, counsellor):
    person = ClientFactory()
    c = client_as(counsellor)
    c.post(
        reverse("consultations:client_close", args=[person.pk]),
        {"version": person.version, "reason": "referred"},
    )
    person.refresh_from_db()
    assert person.status == "open"
    request = ClosureRequest.objects.get(client=person)
    assert (request.status, request.reason, request.requested_by) == (
        "pending",
        "referred",
        counsellor,
    )
    page = c.get(person.get_absolute_url()).content.decode()
    assert ja("Closure awaiting approval") in page
    # The requester is not offered the decision (a plain counsellor at all).
    assert reverse("consultations:closure_approve", args=[request.pk]) not in page
    entry = AuditEntry.objects.get(object_type="consultations.closurerequest")
    assert (entry.action, entry.client_code) == ("create", person.code)


def test_the_requester_cannot_approve_even_as_a_supervisor(supervisor):
    person = ClientFactory()
    request = request_closure(person, supervisor)
    person.refresh_from_db()
    with pytest.raises(ValidationError, match="another supervisor"):
        services.closure_approve(
            request=request, by=supervisor, expected_version=person.version
        )
    assert Client.objects.get(pk=person.pk).status == "open"
    with pytest.raises(IntegrityError), transaction.atomic():
        ClosureRequest.objects.filter(pk=request.pk).update(
            status="approved", decided_by=supervisor, decided_at=timezone.now()
        )


def test_another_supervisor_approves_and_the_case_closes(
    client_as, counsellor, supervisor
):
    person = ClientFactory()
    request = request_closure(person, counsellor)
    person.refresh_from_db()
    c = client_as(supervisor)
    page = c.get(person.get_absolute_url()).content.decode()
    approve = reverse("consultations:closure_approve", args=[request.pk])
    assert approve in page
    c.post(approve, {"version": person.version})
    person.refresh_from_db()
    request.refresh_from_db()
    assert (person.status, person.closure_reason) == ("closed", "resolved")
    assert (request.status, request.decided_by) == ("approved", supervisor)
    assert request.decided_at is not None


def test_an_approval_over_a_newer_save_is_a_conflict(counsellor, supervisor):
    person = ClientFactory()
    request = request_closure(person, counsellor)
    with pytest.raises(EditConflict):
        services.closure_approve(
            request=request, by=supervisor, expected_version=person.version - 1
        )
    request.refresh_from_db()
    assert request.status == "pending"
    assert Client.objects.get(pk=person.pk).status == "open"


def test_a_decline_needs_a_note_and_leaves_the_case_open(
    client_as, counsellor, supervisor
):
    person = ClientFactory()
    request = request_closure(person, counsellor)
    url = reverse("consultations:closure_decline", args=[request.pk])
    c = client_as(supervisor)
    c.post(url, {"decision_note": ""})
    request.refresh_from_db()
    assert request.status == "pending"
    with pytest.raises(IntegrityError), transaction.atomic():
        ClosureRequest.objects.filter(pk=request.pk).update(
            status="declined", decided_by=supervisor, decided_at=timezone.now()
        )
    c.post(url, {"decision_note": "住まいが決まるまで支援を続ける"})
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("declined", supervisor)
    assert Client.objects.get(pk=person.pk).status == "open"
    # A new request may follow; only one waits at a time.
    person.refresh_from_db()
    again = request_closure(person, counsellor)
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match="already waiting"),
    ):
        request_closure(person, counsellor)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClosureRequest.objects.create(
            client=person, reason="other", requested_by=counsellor
        )
    assert again.status == "pending"


def test_a_plain_counsellor_cannot_decide(client_as, counsellor, make_user):
    person = ClientFactory()
    request = request_closure(person, counsellor)
    colleague = make_user(Role.COUNSELLOR, username="colleague")
    c = client_as(colleague)
    for name in ("consultations:closure_approve", "consultations:closure_decline"):
        url = reverse(name, args=[request.pk])
        assert c.post(url, {"version": 1, "decision_note": "x"}).status_code == 403
    request.refresh_from_db()
    assert request.status == "pending"
