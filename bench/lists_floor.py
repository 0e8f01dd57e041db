"""The list pages of bench/run.py against a floor, in-process: a bare
signed-in view rendering a 1 kB template, timed in the same run, interleaved.

    .venv/bin/python bench/lists_floor.py [--database-url URL] [--rounds N] [FILTER ...]

Prints per page the median time, the floor's median and their ratio (the
issue's target: every list page within 5x of the floor).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import DEFAULT_DB, pick_pages, setup_django  # noqa: E402

FLOOR_PATH = "/__bench_floor__/"
# Not worklists: those pages belong to another part of the issue.
SKIP = ("/", "/team/")


def add_floor_view() -> None:
    from django.http import HttpResponse
    from django.template import engines
    from django.urls import clear_url_caches, path

    from config import urls

    template = engines["django"].from_string(
        "<!doctype html><html><head><title>{{ title }}</title></head><body>"
        + "<p>{{ user.username }}: a kilobyte of text to render.</p>" * 16
        + "</body></html>"
    )

    def floor(request):
        return HttpResponse(template.render({"title": "floor"}, request))

    urls.urlpatterns.append(path(FLOOR_PATH.strip("/") + "/", floor))
    clear_url_caches()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("filters", nargs="*")
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.contrib.auth import get_user_model
    from django.test import Client

    import jpdates
    from consultations.models import Consultation

    add_floor_view()
    last = Consultation.objects.order_by("-started_at").first().started_at.date()
    pages = [
        p
        for p in pick_pages(f"{last:%Y-%m}", jpdates.fiscal_year(last) - 1)
        if p.kind == "list"
        and p.path not in SKIP
        and (not args.filters or any(f in p.path for f in args.filters))
    ]
    users = {u.username: u for u in get_user_model().objects.all()}
    clients = {}
    for page in pages:
        if page.role not in clients:
            c = clients[page.role] = Client(HTTP_HOST="127.0.0.1")
            c.force_login(users[page.role])
        c = clients[page.role]
        for path in (FLOOR_PATH, page.path, FLOOR_PATH, page.path):  # warm
            response = c.get(path)
            assert response.status_code == 200, (path, response.status_code)

    def timed(c, path):
        began = time.perf_counter()
        c.get(path)
        return (time.perf_counter() - began) * 1000

    times = {p.path: [] for p in pages}
    floors = {p.path: [] for p in pages}
    for _ in range(args.rounds):
        for page in pages:
            c = clients[page.role]
            floors[page.path].append(timed(c, FLOOR_PATH))
            times[page.path].append(timed(c, page.path))
    print(f"{'page':<45} {'ms':>7} {'floor':>6} {'ratio':>6}")
    figures = {}
    for page in pages:
        ms = statistics.median(times[page.path])
        fl = statistics.median(floors[page.path])
        figures[page.name] = {"ms": ms, "floor_ms": fl, "ratio": ms / fl}
        print(f"{page.name:<45} {ms:7.1f} {fl:6.2f} {ms / fl:6.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
