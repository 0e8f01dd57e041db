"""Browser tests: Playwright drives Debian's Chromium against Django's live
server (pytest-django's ``live_server``, a thread of this process).

Chromium comes from Debian's packages (``bin/test`` installs it when it is
missing and it can); Playwright never downloads a browser here. Where
``/usr/bin/chromium`` is missing every browser test skips, saying so.

One browser serves the whole session; each test gets a fresh context (its
own cookies), Japanese locale and Tokyo time, as the staff's browsers have.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from accounts.roles import Role
from tests.factories import UserFactory

from .helpers import DESKTOP, PASSWORD

CHROMIUM = Path(os.environ.get("IBASHO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# Anything slower than this is a bug in the page or the test, not a slow machine.
TIMEOUT_MS = 10_000


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Run the browser tests last: the Playwright driver keeps an event loop
    in this thread from the first browser test to the end of the session, so
    nothing else should run after it."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


# Browser ------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(
            f"browser tests skipped: Chromium is not installed at {CHROMIUM} and "
            "could not be installed here (bin/test installs Debian's 'chromium' "
            "package with apt-get when run as root)"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def _django_allows_sync_calls_under_playwright() -> Iterator[None]:
    """Playwright's sync API runs an asyncio event loop in this thread, and
    Django then refuses ORM calls from the test ("async unsafe"). The
    Playwright and Django docs recommend this switch for such tests."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def playwright(chromium_path, _django_allows_sync_calls_under_playwright):
    """pytest-playwright's driver, started only when Chromium is there."""
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(chromium_path) -> dict:
    return {
        "executable_path": str(chromium_path),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url() -> None:
    """Pages go to ``page.base`` (the live server) + a path."""
    return None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args) -> dict:
    return {
        **browser_context_args,
        "locale": "ja-JP",
        "timezone_id": "Asia/Tokyo",
        "viewport": DESKTOP,
        "accept_downloads": True,
    }


@pytest.fixture
def page(page, live_server):
    """A page of a fresh context, its paths relative to the live server."""
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    page.base = live_server.url
    return page


# Data ---------------------------------------------------------------------


@pytest.fixture(autouse=True)
def reference_data(transactional_db) -> None:
    """What the data migrations made (role groups with their permissions,
    complaints, partner agencies): gone after any transactional test's flush, so
    made again, idempotently, by the migrations' own code."""
    from django.apps import apps

    from accounts.roles import sync_role_permissions

    sync_role_permissions()
    seed = importlib.import_module(
        "consultations.migrations.0003_seed_topics_and_agencies"
    ).seed
    seed(apps, None)
    importlib.import_module("consultations.migrations.0022_complaints").seed(apps, None)


@pytest.fixture
def users(reference_data) -> dict:
    """One user per role, password ``PASSWORD``, with a display name."""
    names = {
        Role.ADMIN: ("b_admin", "管理", "花子"),
        Role.COUNSELLOR: ("b_counsellor", "相談", "由美"),
        Role.COORDINATOR: ("b_coordinator", "調整", "恵"),
        Role.FACILITATOR: ("b_facilitator", "進行", "真理"),
        Role.CITY_STAFF: ("b_city", "市役", "直子"),
    }
    made = {}
    for role, (username, last, first) in names.items():
        user = UserFactory(
            username=username,
            password=PASSWORD,
            roles=(role,),
            last_name=last,
            first_name=first,
        )
        made[role] = user
    return made
