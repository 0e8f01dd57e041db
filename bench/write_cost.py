"""What the records cache's triggers (accounts.dataversion) cost a write, on
PostgreSQL: the same writing transactions with the triggers firing and with
them off for this session only (``session_replication_role = replica``,
which needs a superuser), in interleaved rounds, committed each time.

    .venv/bin/python bench/write_cost.py --database-url postgres://postgres@127.0.0.1:5432/ibasho_bench

Two writes: a follow-up recorded by its service and deleted again (one
transaction each: the common small write of a counsellor), and 1,000 LINE
messages inserted by ``bulk_create`` in one transaction and deleted again (an
import's shape: the deferred trigger is queued per row and writes the token
once). Prints the median milliseconds of each, with and without.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import DEFAULT_DB, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from consultations import casework, services
    from consultations.models import Client, LineMessage, LineUser

    counsellor = get_user_model().objects.get(username="counsellor")
    client = Client.objects.filter(assigned_counsellor=counsellor).first()
    line_user = LineUser.objects.first()

    def small():
        with transaction.atomic():
            made = services.follow_up_create(
                by=counsellor,
                client=client,
                kind="call_back",
                due_date=casework.local_today(),
                owner=counsellor,
            )
        made.delete()

    def bulk():
        with transaction.atomic():
            made = LineMessage.objects.bulk_create(
                LineMessage(
                    line_user=line_user,
                    direction="in",
                    kind="text",
                    text="bench",
                    webhook_event_id=uuid.uuid4().hex,
                    sent_at=line_user.last_event_at,
                )
                for _ in range(1000)
            )
        LineMessage.objects.filter(pk__in=[m.pk for m in made]).delete()

    def triggers(on: bool) -> None:
        with connection.cursor() as cursor:
            role = "origin" if on else "replica"
            cursor.execute(f"SET session_replication_role = {role}")

    times = {(name, on): [] for name in ("small", "bulk") for on in (True, False)}
    for _ in range(args.rounds):
        for on in (True, False):
            triggers(on)
            for name, write in (("small", small), ("bulk", bulk)):
                began = time.perf_counter()
                write()
                times[name, on].append((time.perf_counter() - began) * 1000)
    triggers(True)
    for name, label in (
        ("small", "a follow-up recorded and deleted (two transactions)"),
        ("bulk", "1,000 LINE messages bulk-created, then deleted"),
    ):
        with_ = statistics.median(times[name, True])
        without = statistics.median(times[name, False])
        print(
            f"{label}: {with_:.2f} ms with the triggers, {without:.2f} ms without"
            f" (×{with_ / without:.2f}; median of {args.rounds})"
        )


if __name__ == "__main__":
    main()
