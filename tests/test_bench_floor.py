"""The benchmark's floor pages (bench/floor_urls.py) exist only in the
benchmark's settings: never among the app's URLs."""

import importlib

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from accounts.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BENCH_PATHS = ("/_bench/floor/", "/_bench/floor-base/", "/_bench/admin/")


def _views(patterns):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _views(p.url_patterns)
        elif isinstance(p, URLPattern):
            yield p.callback


def test_the_floor_pages_are_not_among_the_apps_urls():
    for path in BENCH_PATHS:
        with pytest.raises(Resolver404):
            resolve(path, urlconf="config.urls")
    modules = {v.__module__ for v in _views(get_resolver("config.urls").url_patterns)}
    assert not [m for m in modules if m.startswith("bench")]


def test_the_bench_settings_add_the_floor_to_the_apps_urls():
    bench = importlib.import_module("bench.floor_settings")
    assert bench.ROOT_URLCONF == "bench.floor_urls"
    assert settings.ROOT_URLCONF == "config.urls"
    assert resolve("/_bench/floor/", urlconf="bench.floor_urls").url_name == (
        "bench_floor"
    )
    assert resolve("/", urlconf="bench.floor_urls").url_name == "home"


def test_the_floor_needs_a_signed_in_user_and_renders_about_one_kilobyte(client):
    bench = importlib.import_module("bench.floor_settings")
    with override_settings(
        ROOT_URLCONF="bench.floor_urls",
        TEMPLATES=[
            {
                **settings.TEMPLATES[0],
                "DIRS": [*settings.TEMPLATES[0]["DIRS"], *bench.TEMPLATES[0]["DIRS"]],
            }
        ],
    ):
        response = client.get("/_bench/floor/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        user = UserFactory(roles=[Role.COUNSELLOR])
        client.force_login(user)
        bare = client.get("/_bench/floor/")
        assert bare.status_code == 200
        assert 800 < len(bare.content) < 1400
        assert b"<nav" not in bare.content
        in_base = client.get("/_bench/floor-base/")
        assert in_base.status_code == 200
        assert b'class="menu"' in in_base.content
