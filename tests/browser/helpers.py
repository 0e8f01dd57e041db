"""Helpers for the browser tests: sign in, open a path, read the menu."""

from __future__ import annotations

import re

import pytest
from django.urls import NoReverseMatch, reverse

PASSWORD = "browser-test-pw-2021"  # test users only
TABLET = {"width": 768, "height": 1024}
DESKTOP = {"width": 1280, "height": 900}

# The live server sees only committed rows, so these tests use a transactional
# database (emptied after each test; conftest's reference_data puts back what
# the data migrations made).
browser_db = pytest.mark.django_db(transaction=True)


def url_of(name: str, *args) -> str | None:
    """The path of a URL name, or None while the app that serves it is not
    on this branch yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def log_in(page, user, password: str = PASSWORD) -> None:
    """Sign in through the real login form and land on the home page."""
    page.goto(page.base + reverse("accounts:login"))
    page.get_by_label(re.compile("ユーザー名")).fill(user.username)
    page.get_by_label(re.compile("パスワード")).fill(password)
    page.locator("button[type=submit].primary").click()
    page.wait_for_url(page.base + reverse("home"))


def open_path(page, path: str):
    """Go to a path of the live server; returns the response."""
    response = page.goto(page.base + path)
    page.wait_for_load_state("load")
    return response


def menu_paths(page) -> list[str]:
    return page.locator("nav .menu a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
