"""Each role signs in through the real login form and sees only its menu."""

import pytest

from accounts.roles import Role

from .helpers import browser_db, log_in, menu_paths, open_path, url_of

pytestmark = [pytest.mark.browser, browser_db]

# The menu of each role, by URL name, in the order shown. Entries whose app is
# not on this branch yet (the annual report) are left out by url_of.
MENUS = {
    Role.COUNSELLOR: [
        "consultations:client_list",
        "consultations:consultation_list",
        "consultations:meeting_list",
        "line:inbox",
        "reports:import",
        "line_simulator:index",  # development tool: on in the tests and the demo
    ],
    Role.COORDINATOR: [
        "shelter:calendar",
        "shelter:stay_list",
        "shelter:salon_list",
        "shelter:opening_days",
        "reports:import",
    ],
    Role.FACILITATOR: [
        "peergroups:session_list",
        "training:event_list",
        "reports:import",
    ],
    Role.CITY_STAFF: ["reports:annual", "reports:index"],
}
ADMIN_ONLY = [
    "admin:accounts_auditentry_changelist",
    "admin:index",
    "line:status",
    "reports:data_quality",
]


def expected_menu(role: str) -> list[str]:
    if role == Role.ADMIN:
        names = {name for menu in MENUS.values() for name in menu} | set(ADMIN_ONLY)
        paths = {url_of(name) for name in names}
        return sorted(p for p in paths if p)
    return [p for p in (url_of(name) for name in MENUS[role]) if p]


@pytest.mark.parametrize(
    "role",
    [Role.ADMIN, Role.COUNSELLOR, Role.COORDINATOR, Role.FACILITATOR, Role.CITY_STAFF],
)
def test_each_role_logs_in_through_the_form_and_sees_only_its_menu(page, users, role):
    user = users[role]
    log_in(page, user)

    shown = menu_paths(page)
    if role == Role.ADMIN:
        assert sorted(shown) == expected_menu(role)
    else:
        assert shown == expected_menu(role)
    # The account area names the user and the role, in Japanese.
    assert user.username in page.locator(".account .who").inner_text()

    # Every entry opens for this role (no 403 behind a menu link).
    for path in shown:
        response = open_path(page, path)
        assert response.status == 200, (
            f"{role}: menu link {path} answered {response.status}"
        )


def test_a_wrong_password_is_refused_with_a_japanese_message(page, users):
    open_path(page, url_of("accounts:login"))
    page.get_by_label("ユーザー名").fill(users[Role.COUNSELLOR].username)
    page.get_by_label("パスワード").fill("not-the-password")
    page.locator("button[type=submit].primary").click()

    error = page.get_by_role("alert")
    assert "正しいユーザー名とパスワードを入力してください" in error.inner_text()
    assert page.locator("nav .menu").count() == 0
