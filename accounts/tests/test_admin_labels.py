"""The Django admin speaks Japanese for the third-party apps too (issue 21):
django-axes and django-otp ship no Japanese catalogue."""

import pytest
from django.urls import reverse

from accounts.roles import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url, expected, untranslated",
    [
        (
            "admin:index",
            ["ログイン試行の記録", "ログイン試行", "TOTP認証デバイス"],
            ["Access attempts", "TOTP devices", ">Axes<"],
        ),
        ("admin:otp_totp_totpdevice_add", ["確認済み", "鍵"], ["Confirmed:"]),
        (
            "admin:axes_accessattempt_changelist",
            ["ユーザーエージェント", "IPアドレス"],
            ["User Agent", "IP Address"],
        ),
    ],
)
def test_third_party_admin_labels_are_japanese(
    client_as, make_user, url, expected, untranslated
):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        user_agent="test",
        ip_address="192.0.2.1",
        username="someone",
        http_accept="*/*",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=1,
    )
    admin = make_user(Role.ADMIN, is_staff=True, is_superuser=True)
    page = client_as(admin).get(reverse(url), HTTP_ACCEPT_LANGUAGE="ja")
    assert page.status_code == 200
    text = page.content.decode()
    for label in expected:
        assert label in text
    for label in untranslated:
        assert label not in text
