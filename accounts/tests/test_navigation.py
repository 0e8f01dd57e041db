"""The layout's menu (accounts.navigation): each user's entries, in her
language, the current page's marked, worked out once per roles and language
rather than on every page (issue 22)."""

from unittest import mock

import pytest
from django.conf import settings

from accounts import navigation
from accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_the_menu_is_worked_out_once_per_roles_and_language(client, make_user):
    reverse = mock.Mock(wraps=navigation.reverse)
    coordinator = make_user(Role.COORDINATOR, username="co")
    counsellor = make_user(Role.COUNSELLOR, username="cs")
    for name in ("_entries", "_rendered"):  # worked out afresh for this test
        cached = getattr(navigation, name, None)
        if cached is not None:
            cached.cache_clear()
    with mock.patch.object(navigation, "reverse", reverse):
        client.force_login(counsellor)
        page = client.get("/clients/").content.decode()
        assert '<a href="/clients/" aria-current="page">相談者</a>' in page
        assert "研修・講演会" not in page
        first = reverse.call_count
        assert first > 0
        page = client.get("/").content.decode()
        assert '<a href="/clients/">相談者</a>' in page
        assert reverse.call_count == first  # the same roles and language

        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        page = client.get("/clients/").content.decode()
        assert '<a href="/clients/" aria-current="page">Clients</a>' in page
        assert reverse.call_count > first  # English: worked out once more
        english = reverse.call_count

        client.force_login(coordinator)
        page = client.get("/").content.decode()
        assert "/clients/" not in page
        assert reverse.call_count > english  # other roles
