"""Scale-out benchmark (issue 23): the list pages at 20 concurrent users,
(a) one gunicorn alone on the primary, next to (b) nginx in front of two
gunicorns that read on a streaming replica, in the same run, interleaved
(a, b, a, b, ...), on the same data set. Reports requests per second of each
and their ratio, as bench/scaleout.md and bench/scaleout.json.

    sudo .venv/bin/python bench/scaleout.py \\
        --database-url postgres://postgres@127.0.0.1:5432/ibasho_perf_replica

The database must be a migrated copy of a seed_scale data set (createdb -T
ibasho_perf_scale ..., then manage.py migrate); it is only read (and the
sign-ins write sessions). The replica is built with
deploy/postgresql/replica-setup.sh, the gunicorns start as
deploy/systemd/ibasho-web.service starts them and nginx runs
deploy/nginx/ibasho.conf (tests/deploy/scaleout.py), on 127.0.0.1; all are
removed at the end. Needs root (a PostgreSQL cluster, nginx)."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.deploy import scaleout  # noqa: E402

PASSWORD = "ibasho-demo-2021"  # the demo password seed_scale gives its users
# The list pages, by the user who opens them (seed_scale's usernames).
PAGES = {
    "counsellor": ["/clients/", "/consultations/"],
    "admin": ["/team/"],
    "coordinator": ["/shelter/stays/", "/shelter/unmet/", "/shelter/salon/"],
    "facilitator": ["/groups/sessions/", "/training/"],
}
CLUSTER = "ibasho_replica_bench"
REPLICA_PORT = 5498
ALONE_PORT = 18321
PAIR_PORTS = (18322, 18323)
HTTPS_PORT, HTTP_PORT = 18463, 18090


def sign_in(port: int, *, https: bool, users: int) -> list:
    """``users`` people, each signed in as one of the roles in turn."""
    roles = list(PAGES)
    browsers = []
    for n in range(users):
        browser = scaleout.Browser(port, https=https)
        browser.sign_in(roles[n % len(roles)], PASSWORD)
        browsers.append((roles[n % len(roles)], browser))
    return browsers


def load(browsers: list, *, seconds: float) -> dict:
    """The people at once, each opening her list pages one after another for
    ``seconds``: requests per second answered 200, and the errors."""
    ok = errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def person(role, browser, seed):
        nonlocal ok, errors
        rng = random.Random(seed)
        pages = PAGES[role][:]
        rng.shuffle(pages)
        i = 0
        while time.monotonic() < stop:
            try:
                status = browser.get(pages[i % len(pages)]).status
            except OSError:
                status = 0
            i += 1
            with lock:
                if status == 200:
                    ok += 1
                else:
                    errors += 1

    began = time.monotonic()
    threads = [
        threading.Thread(target=person, args=(role, browser, n))
        for n, (role, browser) in enumerate(browsers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    return {"rps": ok / elapsed, "requests": ok, "errors": errors, "seconds": elapsed}


def replica_transactions(replica, database: str) -> int:
    return int(
        replica.psql(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database"
            f" WHERE datname = '{database}'"
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=3, help="per gunicorn")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "scaleout")
    args = parser.parse_args()
    why = scaleout.missing_tools()
    if why:
        raise SystemExit(f"scaleout: {why}")
    url = urlsplit(args.database_url)
    database = url.path.lstrip("/")
    replica_url = (
        f"postgres://{url.username or 'postgres'}@127.0.0.1:{REPLICA_PORT}/{database}"
    )
    logs = Path("/tmp/ibasho-bench-scaleout")
    logs.mkdir(exist_ok=True)
    rounds = []
    servers, proxy = [], None
    with (
        scaleout.replication_allowed(),
        scaleout.streaming_replica(
            cluster=CLUSTER, port=REPLICA_PORT, primary_port=url.port or 5432
        ) as replica,
    ):
        try:
            alone = scaleout.Gunicorn(
                ALONE_PORT,
                scaleout.app_environment(args.database_url, None),
                workers=args.workers,
                log=logs / "alone.log",
            )
            servers.append(alone)
            pair_env = scaleout.app_environment(args.database_url, replica_url)
            for port in PAIR_PORTS:
                servers.append(
                    scaleout.Gunicorn(
                        port, pair_env, workers=args.workers, log=logs / f"{port}.log"
                    )
                )
            proxy = scaleout.Nginx(
                app_ports=PAIR_PORTS, https_port=HTTPS_PORT, http_port=HTTP_PORT
            )
            health = scaleout.Browser(HTTPS_PORT).get("/healthz").text.strip()
            if health != "ok":
                raise SystemExit(f"scaleout: the pair's /healthz says {health!r}")
            for n in range(args.rounds):
                for setup, port, https in (
                    ("alone", ALONE_PORT, False),
                    ("pair", HTTPS_PORT, True),
                ):
                    browsers = sign_in(port, https=https, users=args.users)
                    # A sign-in pins reads to the primary for REPLICA_PIN_SECONDS.
                    time.sleep(16)
                    before = replica_transactions(replica, database)
                    result = load(browsers, seconds=args.seconds)
                    # Shows that the pair's pages read on the replica.
                    result["replica_transactions"] = (
                        replica_transactions(replica, database) - before
                    )
                    result.update(round=n + 1, setup=setup, load=os.getloadavg())
                    rounds.append(result)
                    print(json.dumps(result), flush=True)
        finally:
            if proxy:
                proxy.stop()
            for server in servers:
                server.stop()
    report(rounds, args)


def report(rounds: list[dict], args) -> None:
    def mean(setup):
        values = [r["rps"] for r in rounds if r["setup"] == setup]
        return sum(values) / len(values)

    alone, pair = mean("alone"), mean("pair")
    summary = {
        "users": args.users,
        "seconds_per_round": args.seconds,
        "rounds": rounds,
        "workers_per_gunicorn": args.workers,
        "cores": os.cpu_count(),
        "rps_alone": alone,
        "rps_pair_with_replica": pair,
        "ratio": pair / alone,
    }
    args.output.with_suffix(".json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = [
        "# Scale-out: list pages at "
        f"{args.users} concurrent users ({time.strftime('%Y-%m-%d')})",
        "",
        "| round | setup | requests/s | requests | errors "
        "| transactions on the replica | load (1/5/15 min) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rounds:
        lines.append(
            f"| {r['round']} | {r['setup']} | {r['rps']:.1f} | {r['requests']} "
            f"| {r['errors']} | {r.get('replica_transactions', '-')} "
            f"| {' / '.join(f'{x:.2f}' for x in r['load'])} |"
        )
    lines += [
        "",
        f"- **alone**: one gunicorn ({args.workers} workers) on the primary, "
        "requested directly.",
        f"- **pair**: nginx (TLS) in front of two gunicorns ({args.workers} "
        "workers each) reading the list pages on a streaming replica.",
        f"- **ratio pair / alone: {pair / alone:.2f}** (mean requests/s "
        f"{pair:.1f} vs {alone:.1f}), measured in one run, interleaved; per "
        "round: "
        + ", ".join(
            f"{p['rps'] / a['rps']:.2f}"
            for a, p in zip(rounds[0::2], rounds[1::2], strict=True)
        )
        + " (the spread is the shared machine's noise).",
        f"- This machine has {os.cpu_count()} cores shared by the primary, the "
        "replica, nginx, every gunicorn and the load generator itself: two app "
        "servers cannot double the throughput here. On separate machines each "
        "app server and the replica bring their own cores.",
    ]
    args.output.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
