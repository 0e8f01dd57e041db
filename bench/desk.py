"""The LINE desk's benchmark (issue 17): what open consoles cost when nothing
happens, and the webhook under a steady stream of events.

1. **Idle consoles.** 20 signed-in counsellors keep a LINE page open (10 the
   inbox, 10 a conversation). Each polls its live-update URL exactly as
   static/js/line_live.js does in a visible tab: every 1.2 s, with the page's
   token and If-None-Match. For one minute nothing arrives. Measured: the CPU
   seconds the gunicorn workers used (from /proc), and the SQL statements the
   database ran for this database (PostgreSQL's log with log_statement=all,
   set on the scratch database only), apart from transaction control
   (BEGIN/COMMIT) and Django's connection health check (SELECT 1). Target: at
   most one query per second per console on average.
2. **Webhook at 50 events per second.** For one minute, signed webhook
   deliveries of one text event each are posted at 50 per second (open loop:
   a delivery's start does not wait for the previous answer) from 20 people.
   Measured: the latency of each answer, p50/p95/max; then every event must
   be stored exactly once (counted by webhookEventId). Target: p95 < 100 ms,
   none lost, none stored twice.

Runs against gunicorn (3 sync workers, as in the README) on a scratch
PostgreSQL database filled by seed_demo, and prints Markdown for
docs/benchmarks.md:

    .venv/bin/python bench/desk.py [--seconds 60] [--consoles 20] [--rate 50]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import html
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (  # noqa: E402
    ROOT,
    Gunicorn,
    Http,
    django_env,
    load,
    machine,
    percentile,
)

DB = "ibasho_bench_desk"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
PG = ["-h", "127.0.0.1", "-U", "postgres"]
PG_LOG = Path("/var/log/postgresql/postgresql-15-main.log")
PORT = 8765
# config.settings.local points LINE's API at the stand-in on DEMO_ADDRESS: here
# that is the gunicorn under test (the inbox asks it for the month's quota).
os.environ["DEMO_ADDRESS"] = f"127.0.0.1:{PORT}"
POLL_S = 1.2  # static/js/line_live.js, POLL_MS
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CONTROL = re.compile(r"statement: (BEGIN|COMMIT|ROLLBACK|SELECT 1|SET |SHOW )", re.I)


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", *PG, "-d", db, "-Atc", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def prepare() -> None:
    subprocess.run(["dropdb", *PG, "--if-exists", DB], check=True)
    subprocess.run(["createdb", *PG, DB], check=True)
    env = django_env(DATABASE_URL)
    for args in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip


def worker_cpu(server: Gunicorn) -> float:
    """CPU seconds (user + system) used so far by the gunicorn workers."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in server.workers():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def page_poll(http: Http, cookie: str, path: str) -> str:
    """The live URL of a page, with its token, as the script builds it."""
    status, _headers, body = http.request("GET", path, headers={"Cookie": cookie})
    if status != 200:
        raise SystemExit(f"{path} answered {status}")
    text = body.decode()
    match = re.search(
        r'data-line-live="(\w+)" data-live-url="([^"]+)" data-live-token="([^"]+)"'
        r'(?: data-after="(\d+)")?',
        text,
    )
    if not match:
        raise SystemExit(f"{path} has no live-update element")
    kind, url, token, after = match.groups()
    url = html.unescape(url) + ("&" if "?" in url else "?") + f"t={token}"
    if kind == "conversation":
        url += f"&after={after or 0}&seen=1"
    return url


def statements_since(offset: int) -> tuple[int, int]:
    """(queries, control statements) the server logged for DB after offset."""
    queries = control = 0
    with PG_LOG.open(errors="replace") as log:
        log.seek(offset)
        for line in log:
            if f"@{DB} " not in line or "statement: " not in line:
                continue
            if CONTROL.search(line):
                control += 1
            else:
                queries += 1
    return queries, control


def idle_consoles(args, server: Gunicorn) -> dict:
    http = Http(PORT)
    env = django_env(DATABASE_URL)
    people = subprocess.run(
        [PYTHON, "manage.py", "shell", "--no-imports", "-c",
         "from consultations.models import LineUser;"
         "print(*LineUser.objects.order_by('pk').values_list('pk', flat=True)[:10])"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    people = [p for p in people if p.isdigit()]
    consoles = []
    for i in range(args.consoles):
        cookie = http.login("counsellor")
        path = (
            "/line/inbox/" if i % 2 == 0 else f"/line/inbox/{people[i % len(people)]}/"
        )
        consoles.append((cookie, page_poll(http, cookie, path)))

    stop = threading.Event()
    answers: dict[int, int] = {}
    lock = threading.Lock()

    def console(cookie: str, url: str) -> None:
        etag = None
        next_at = time.monotonic()
        while not stop.is_set():
            headers = {"Cookie": cookie, "Accept": "text/html"}
            if etag:
                headers["If-None-Match"] = etag
            status, response_headers, _body = http.request("GET", url, headers=headers)
            etag = {k.lower(): v for k, v in response_headers}.get("etag", etag)
            with lock:
                answers[status] = answers.get(status, 0) + 1
            next_at += POLL_S
            stop.wait(max(0.0, next_at - time.monotonic()))

    # Warm up: one round of polls, so that each worker has its connection.
    threads = [threading.Thread(target=console, args=c) for c in consoles]
    psql(f"ALTER DATABASE {DB} SET log_statement = 'all'")
    # Existing connections keep their settings: start from new ones.
    psql(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{DB}'"
    )
    for t in threads:
        t.start()
    time.sleep(3)
    answers.clear()
    offset = PG_LOG.stat().st_size
    cpu_before = worker_cpu(server)
    began = time.monotonic()
    time.sleep(args.seconds)
    cpu = worker_cpu(server) - cpu_before
    elapsed = time.monotonic() - began
    queries, control = statements_since(offset)
    stop.set()
    for t in threads:
        t.join()
    psql(f"ALTER DATABASE {DB} RESET log_statement")
    polls = sum(answers.values())
    return {
        "consoles": args.consoles,
        "seconds": round(elapsed, 1),
        "polls": polls,
        "answers": {str(k): v for k, v in sorted(answers.items())},
        "cpu_s": round(cpu, 2),
        "cpu_pct_of_one_core": round(100 * cpu / elapsed, 1),
        "queries": queries,
        "control_statements": control,
        "queries_per_console_per_s": round(queries / args.consoles / elapsed, 3),
        "queries_per_poll": round(queries / polls, 2) if polls else None,
    }


def webhook_load(args) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ.update(django_env(DATABASE_URL))
    import django

    django.setup()
    # The simulator's signing (devtools is on in config.settings.local).
    from devtools.simulator import signature

    http = Http(PORT)
    people = [f"U{uuid.UUID(int=i + 1).hex}" for i in range(20)]
    total = args.rate * args.seconds
    run = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def deliver(n: int) -> None:
        now_ms = int(time.time() * 1000)
        body = json.dumps(
            {
                "destination": "Ubench",
                "events": [
                    {
                        "type": "message",
                        "mode": "active",
                        "timestamp": now_ms,
                        "source": {"type": "user", "userId": people[n % len(people)]},
                        "webhookEventId": f"BENCH{run}{n:010d}",
                        "deliveryContext": {"isRedelivery": False},
                        "replyToken": uuid.uuid4().hex,
                        "message": {
                            "id": f"{now_ms}{n:06d}",
                            "type": "text",
                            "text": f"ベンチマーク {n}",
                            "quoteToken": uuid.uuid4().hex,
                        },
                    }
                ],
            },
            ensure_ascii=False,
        ).encode()
        began = time.perf_counter()
        status, _h, _b = http.request(
            "POST",
            "/line/webhook/",
            headers={
                "Content-Type": "application/json",
                "X-Line-Signature": signature(body),
            },
            body=body,
        )
        with lock:
            latencies.append((time.perf_counter() - began) * 1000)
            statuses[status] = statuses.get(status, 0) + 1

    with concurrent.futures.ThreadPoolExecutor(max_workers=64) as pool:
        start = time.monotonic()
        futures = []
        for n in range(total):
            delay = start + n / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(deliver, n))
        sent_s = time.monotonic() - start
        for f in futures:
            f.result()
    stored = int(
        psql(
            "SELECT count(*), count(DISTINCT webhook_event_id) FROM "
            f"consultations_linemessage WHERE webhook_event_id LIKE 'BENCH{run}%'",
            DB,
        ).split("|")[0]
    )
    distinct = int(
        psql(
            "SELECT count(DISTINCT webhook_event_id) FROM consultations_linemessage "
            f"WHERE webhook_event_id LIKE 'BENCH{run}%'",
            DB,
        )
    )
    return {
        "events": total,
        "rate": args.rate,
        "sent_in_s": round(sent_s, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "max_ms": round(max(latencies), 1),
        "stored": stored,
        "stored_distinct": distinct,
    }


def markdown(results: dict) -> str:
    idle, hook = results["idle"], results["webhook"]
    ok_idle = idle["queries_per_console_per_s"] <= 1
    ok_hook = (
        hook["p95_ms"] < 100
        and hook["stored"] == hook["events"] == hook["stored_distinct"]
    )
    mark = {True: "**met**", False: "**missed**"}
    return "\n".join(
        [
            "## LINE desk (issue 17)",
            "",
            f"Run {results['when']} on {results['machine']}, PostgreSQL, gunicorn "
            "3 sync workers, data from `seed_demo`; command: "
            f"`.venv/bin/python bench/desk.py --seconds {results['seconds']}` "
            "(bench/desk.py says how each figure is taken).",
            "",
            "| measure | figure | target | |",
            "|---|---|---|---|",
            f"| {idle['consoles']} open consoles, no traffic, {idle['seconds']} s: "
            "SQL queries per console per second | "
            f"{idle['queries_per_console_per_s']} ({idle['queries']} queries for "
            f"{idle['polls']} polls, {idle['queries_per_poll']} a poll; answers "
            f"{idle['answers']}) | ≤ 1 | {mark[ok_idle]} |",
            f"| the same: CPU of the gunicorn workers | {idle['cpu_s']} s in "
            f"{idle['seconds']} s ({idle['cpu_pct_of_one_core']} % of one core) | "
            "(for information) | |",
            f"| the same: transaction control and health checks (BEGIN, COMMIT, "
            f"SELECT 1) | {idle['control_statements']} | (for information) | |",
            f"| webhook, {hook['rate']} signed deliveries a second for "
            f"{hook['events'] // hook['rate']} s: latency p50 / p95 / max | "
            f"{hook['p50_ms']} / {hook['p95_ms']} / {hook['max_ms']} ms "
            f"(answers {hook['statuses']}) | p95 < 100 ms | "
            f"{mark[hook['p95_ms'] < 100]} |",
            f"| the same: events stored | {hook['stored']} of {hook['events']} sent, "
            f"{hook['stored_distinct']} distinct | all, once | "
            f"{mark[hook['stored'] == hook['events'] == hook['stored_distinct']]} |",
            "",
        ]
    ) + ("" if ok_idle and ok_hook else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--consoles", type=int, default=20)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "desk.json")
    args = parser.parse_args()
    if not PG_LOG.exists():
        raise SystemExit(f"{PG_LOG} not found: the query count reads the server log.")
    prepare()
    server = Gunicorn(DATABASE_URL, PORT, workers=3)
    try:
        results = {
            "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": "{cores} cores, load {load}".format(**machine(), load=load()),
            "seconds": args.seconds,
            "idle": idle_consoles(args, server),
            "webhook": webhook_load(args),
        }
    finally:
        server.stop()
        subprocess.run(["dropdb", *PG, "--if-exists", "--force", DB], check=False)
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    section = markdown(results)
    # bench/run.py puts bench/desk.md into docs/benchmarks.md when it writes
    # that file; until then the section is replaced there in place.
    (ROOT / "bench" / "desk.md").write_text(section, encoding="utf-8")
    put_section(ROOT / "docs" / "benchmarks.md", section)
    print(section)


def put_section(path: Path, section: str) -> None:
    """Replace the LINE desk's section of docs/benchmarks.md, or put it before
    the notes at the end."""
    text = path.read_text(encoding="utf-8")
    heading = section.splitlines()[0]
    if heading in text:
        before, rest = text.split(heading, 1)
        after = rest.split("\n## ", 1)
        text = (
            before
            + section.rstrip()
            + ("\n\n## " + after[1] if len(after) > 1 else "\n")
        )
    else:
        notes = "\n## What was changed"
        before, after = text.split(notes, 1) if notes in text else (text, None)
        text = before.rstrip() + "\n\n" + section.rstrip() + "\n"
        if after is not None:
            text += notes + after
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
