"""Every URL in the resolver needs a login, except the few listed here."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

# Public on purpose, each with its reason.
PUBLIC = {
    "/accounts/login/": "the login page itself",
    "/healthz": "load balancers check the database without a session",
    "/line/webhook/": "LINE calls it; it checks X-Line-Signature instead",
    "/line/webhook": "the same, without the slash (LINE's Verify follows no redirect)",
    # each organisation's official account (issue 18), verified with its secret
    "/line/webhook/x/": "an account's own webhook; it checks X-Line-Signature",
    "/line/webhook/x": "the same, without the slash",
}
# The stand-in for LINE's Messaging API (devtools, development only, on in the
# tests): what LINE's servers would answer, so it checks the channel's bearer
# token instead of a session (401 without it).
STAND_IN = "/dev/line-api/"
# The live updates of the LINE pages: a poll checks a signed token bound to the
# session (consultations/line/live.py) in one query instead of loading the
# user, so without one it answers 403 rather than redirecting.
LIVE = "/line/live/"
SAMPLE_ARGS = {
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def concrete(route: str) -> str:
    """Turn a route (or a regex from the admin) into a URL to request."""
    # Regex routes (the admin): ^(?P<app_label>auth|...)/$ takes "auth".
    url = re.sub(r"\(\?P<\w+>([^)]*)\)", lambda m: m[1].split("|")[0] or "x", route)
    url = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_ARGS[m[1] or "str"], url)
    url = url.replace("^", "").replace("$", "").replace("\\Z", "")
    url = url.replace(".*", "x").replace(".+", "x").replace("\\.", ".")
    return "/" + url


def all_urls():
    return sorted({concrete(route) for route in walk(get_resolver().url_patterns)})


def test_the_walk_finds_the_app_and_the_admin():
    urls = all_urls()
    assert "/" in urls
    assert "/clients/1/" in urls
    assert any(u.startswith("/admin/") for u in urls)


@pytest.mark.parametrize("url", all_urls())
def test_anonymous_request_is_sent_to_login(client, url):
    """An anonymous GET of any URL not listed in PUBLIC ends on the login page
    (the admin's own redirect passes through /admin/login/ to it)."""
    response = client.get(url, follow=True)
    chain = [location for location, _status in response.redirect_chain]
    if url in PUBLIC:
        assert not any(loc.startswith("/accounts/login/") for loc in chain), url
        return
    if url.startswith(STAND_IN):
        assert (chain, response.status_code) == ([], 401), url
        return
    if url.startswith(LIVE):
        assert (chain, response.status_code) == ([], 403), url
        return
    assert chain, (url, response.status_code)
    assert chain[-1].startswith("/accounts/login/"), (url, chain)
    assert response.status_code == 200
