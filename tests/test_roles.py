"""Roles: the groups exist with their permissions, the menu follows them, and
views refuse the roles they are not for."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import Role, has_role, user_roles
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_the_data_migration_creates_one_group_per_role_with_permissions():
    groups = {g.name: g for g in Group.objects.prefetch_related("permissions")}
    assert set(groups) >= set(Role.values)
    counsellor_perms = {p.codename for p in groups["counsellor"].permissions.all()}
    assert {"view_client", "change_client", "add_client"} <= counsellor_perms
    assert "view_auditentry" not in counsellor_perms
    assert not any(
        p.content_type.app_label == "consultations"
        for p in groups["city_staff"].permissions.all()
    )
    assert "view_auditentry" in {p.codename for p in groups["admin"].permissions.all()}


def test_a_user_may_hold_several_roles_and_admin_holds_all(make_user):
    both = make_user(Role.COUNSELLOR, Role.COORDINATOR)
    assert user_roles(both) == {"counsellor", "coordinator"}
    assert has_role(both, Role.COORDINATOR)
    assert not has_role(both, Role.CITY_STAFF)
    admin = make_user(Role.ADMIN)
    assert has_role(admin, Role.CITY_STAFF)
    superuser = make_user(is_superuser=True)
    assert has_role(superuser, Role.COUNSELLOR)


def test_inactive_users_hold_no_role(make_user):
    assert not has_role(make_user(Role.COUNSELLOR, is_active=False), Role.COUNSELLOR)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.FACILITATOR, Role.CITY_STAFF])
def test_client_pages_refuse_other_roles(client_as, make_user, role):
    person = ClientFactory()
    c = client_as(make_user(role))
    for url in (
        reverse("consultations:client_list"),
        reverse("consultations:client_detail", args=[person.pk]),
        reverse("consultations:client_create"),
    ):
        response = c.get(url)
        assert response.status_code == 403, url
        assert person.display_name not in response.content.decode()


def test_menu_shows_only_what_the_roles_allow(
    client_as, counsellor, city_staff, admin_user
):
    clients_url = reverse("consultations:client_list")
    audit_url = reverse("admin:accounts_auditentry_changelist")
    page = client_as(counsellor).get("/").content.decode()
    assert clients_url in page and audit_url not in page
    page = client_as(city_staff).get("/").content.decode()
    assert clients_url not in page and audit_url not in page
    page = client_as(admin_user).get("/").content.decode()
    assert clients_url in page and audit_url in page


def test_a_user_without_a_role_is_told_so(client_as, make_user):
    response = client_as(make_user()).get("/")
    assert "ロールがありません" in response.content.decode()


def test_login_logout_and_password_change(client, make_user):
    make_user(Role.COUNSELLOR, username="yumi")
    response = client.post(
        reverse("accounts:login"), {"username": "yumi", "password": "wrong"}
    )
    assert response.status_code == 200
    assert "正しいユーザー名とパスワードを入力してください" in response.content.decode()
    response = client.post(
        reverse("accounts:login"), {"username": "yumi", "password": "test-password-123"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "test-password-123",
            "new_password1": "a-much-longer-pass-42",
            "new_password2": "a-much-longer-pass-42",
        },
        follow=True,
    )
    assert "パスワードを変更しました" in response.content.decode()
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    response = client.post(
        reverse("accounts:login"),
        {"username": "yumi", "password": "a-much-longer-pass-42"},
    )
    assert response.status_code == 302 and response["Location"] == "/"


def test_non_admin_is_refused_by_the_django_admin_without_a_redirect_loop(
    client_as, counsellor
):
    c = client_as(counsellor)
    response = c.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) == 1
