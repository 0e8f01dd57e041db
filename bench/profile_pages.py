"""Where a page's time goes, in-process (no HTTP): the number of SQL queries,
their total time, the whole response time, and the slowest queries.

    .venv/bin/python bench/profile_pages.py [--database-url URL] [PATH_FILTER ...]

Uses the pages of bench/run.py. ``--explain`` prints EXPLAIN ANALYZE of the
slowest query of each page.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import DEFAULT_DB, pick_pages, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("filters", nargs="*")
    args = parser.parse_args()
    setup_django(args.database_url)

    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    import jpdates
    from consultations.models import Consultation

    last = Consultation.objects.order_by("-started_at").first().started_at.date()
    pages = pick_pages(f"{last:%Y-%m}", jpdates.fiscal_year(last) - 1)
    users = {u.username: u for u in get_user_model().objects.all()}
    clients = {}
    for page in pages:
        if args.filters and not any(f in page.path for f in args.filters):
            continue
        c = clients.get(page.role)
        if c is None:
            c = clients[page.role] = Client(HTTP_HOST="127.0.0.1")
            c.force_login(users[page.role])
        c.get(page.path)  # warm
        best = None
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                began = time.perf_counter()
                response = c.get(page.path)
                total = (time.perf_counter() - began) * 1000
            assert response.status_code == 200, (page.path, response.status_code)
            queries = [
                q
                for q in ctx.captured_queries
                if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
            ]
            sql_ms = sum(float(q["time"]) for q in queries) * 1000
            if best is None or total < best[0]:
                best = (total, sql_ms, queries)
        total, sql_ms, queries = best
        print(
            f"{page.name:<55} {len(queries):3d} queries {sql_ms:7.1f} ms SQL "
            f"{total:7.1f} ms total"
        )
        for q in sorted(queries, key=lambda q: -float(q["time"]))[: args.top]:
            print(f"    {float(q['time']) * 1000:7.1f} ms  {q['sql'][:300]}")
        if args.explain and queries:
            slowest = max(queries, key=lambda q: float(q["time"]))["sql"]
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + slowest)
                for (line,) in cursor.fetchall():
                    print("      " + line)
    del dt


if __name__ == "__main__":
    main()
