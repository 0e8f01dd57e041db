"""The audit trail records who opened which client, and cannot be altered."""

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_opening_a_client_writes_an_audit_entry(client_as, counsellor):
    person = ClientFactory()
    response = client_as(counsellor).get(
        reverse("consultations:client_detail", args=[person.pk]), REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 200
    entry = AuditEntry.objects.get()
    assert entry.user == counsellor
    assert entry.action == AuditEntry.Action.VIEW
    assert entry.object_type == "consultations.client"
    assert entry.object_id == str(person.pk)
    assert entry.client_code == person.code
    assert entry.ip_address == "10.1.2.3"
    assert entry.path == f"/clients/{person.pk}/"
    # The entry names the client by code only, never by name.
    assert person.display_name not in str(entry.__dict__)


def test_a_refused_request_writes_no_view_entry(client_as, coordinator):
    person = ClientFactory()
    response = client_as(coordinator).get(
        reverse("consultations:client_detail", args=[person.pk])
    )
    assert response.status_code == 403
    assert not AuditEntry.objects.exists()


def test_creating_and_editing_a_client_are_audited(client_as, counsellor):
    c = client_as(counsellor)
    response = c.post(reverse("consultations:client_create"), {"display_name": "ゆき"})
    assert response.status_code == 302
    person = counsellor.assigned_clients.model.objects.get()
    c.post(
        reverse("consultations:client_update", args=[person.pk]),
        {"display_name": "ゆき", "area": "北部", "version": 1},
    )
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "detail"))
    assert actions == [("create", ""), ("change", "area")]


def test_audit_entries_cannot_be_changed_or_deleted(counsellor):
    from accounts.audit import audit

    entry = audit(
        user=counsellor, action=AuditEntry.Action.EXPORT, object_type="report"
    )
    entry.detail = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(detail="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get().detail == ""


def test_only_admins_read_the_audit_trail(client_as, counsellor, admin_user):
    url = reverse("admin:accounts_auditentry_changelist")
    assert client_as(counsellor).get(url).status_code in (302, 403)
    response = client_as(admin_user).get(url)
    assert response.status_code == 200
    # Read-only: no add button, no delete action.
    assert reverse("admin:accounts_auditentry_add") not in response.content.decode()
