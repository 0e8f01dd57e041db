"""What every page's markup owes assistive technology (issue 21): each
``aria-describedby`` names ids that are on the page (the help text of a
form field among them), and the page's <title> reads 「… | ibasho」.

Every page of the role matrix that some role may open (with a 200), as
that role, with one record of each kind (the query-count test's world)."""

from __future__ import annotations

import html.parser

import pytest
from django.test import Client as HttpClient

from accounts.models import Funder
from accounts.roles import Role
from tests.test_query_counts import ROLE_ORDER, build_world, pages
from tests.urlworld import url_for

pytestmark = pytest.mark.django_db


class _Markup(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.described_by: list[tuple[str, str]] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for ref in (attrs.get("aria-describedby") or "").split():
            self.described_by.append((attrs.get("name") or tag, ref))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def test_help_texts_carry_the_ids_fields_point_to_and_titles_are_separated(
    make_user,
):
    funder = Funder.objects.create(name="市")
    users = {
        role: make_user(
            role,
            username=f"markup-{role}",
            funder=funder if role == Role.CITY_STAFF else None,
        )
        for role in ROLE_ORDER
    }
    http = {}
    for role, user in users.items():
        http[role] = HttpClient()
        http[role].force_login(user)
    world = build_world(users)
    dangling, titles, checked, described = [], [], 0, 0
    for name, role in pages():
        response = http[role].get(url_for(name, world))
        if response.status_code != 200 or "html" not in response.get(
            "Content-Type", ""
        ):
            continue
        markup = _Markup()
        markup.feed(response.content.decode())
        checked += 1
        described += len(markup.described_by)
        dangling += [
            f"{name}: {field} → #{ref}"
            for field, ref in markup.described_by
            if ref not in markup.ids
        ]
        title = markup.title.strip()
        if name.startswith("admin") or not title:
            continue
        if title != "ibasho" and not (
            title.endswith(" | ibasho") and len(title) > len(" | ibasho")
        ):
            titles.append(f"{name}: {title!r}")
    assert not dangling, "aria-describedby without its id:\n" + "\n".join(dangling)
    assert not titles, "titles not 「… | ibasho」:\n" + "\n".join(titles)
    assert checked >= 50 and described >= 10  # the pages, not a handful
