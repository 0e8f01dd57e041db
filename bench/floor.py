"""The benchmark floor, every page as a ratio to it, and a day's mixed load
(issue 22), on the data set of ``manage.py seed_scale`` (a copy of it: the
pages write audit entries and sessions).

    .venv/bin/python bench/floor.py --database-url postgres://postgres@127.0.0.1:5432/ibasho_perf_copy

Part "floor": two gunicorns (one sync worker each, DEBUG off, like
bench/run.py), the app with bench/floor_settings.py (the app's settings and
URLs plus the floor pages, bench/floor_urls.py) and the plain Django project
of bench/plain/ (its own small database, made here if missing). Every round
asks, in a new random order, every page of bench/run.py's list, the floor, the
floor inside the app's base.html, the plain project's floor and the Django
admin changelist of consultations (50 rows), one request at a time. For each
request: the wall time seen by the client, and the CPU time the gunicorn worker
and the PostgreSQL backend(s) of its database spent on it (on-CPU nanoseconds
from /proc/<pid>/schedstat, read before the request and after both processes
are idle again).

Part "mix": the counsellors' day under load: locust (bench/mix_locustfile.py)
runs 20 people headless against gunicorn (bench/run.py's number of workers),
each pausing 1–3 s between pages, and each page's p50 and p95 are read from
locust's stats.

Writes bench/floor.json and bench/floor.md (a section for docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402
from bench.run import PASSWORD, Http, load, machine, percentile  # noqa: E402

PYTHON = sys.executable
FLOOR_RATIO_TARGET = 5.0
FIXED_COST_TARGET = 1.5
MIX_P95_TARGET_MS = 150
PLAIN_USER = "counsellor"  # the same name as the app's floor shows: same bytes
FLOOR = "Floor (bare, signed in)"
FLOOR_BASE = "Floor in base.html (signed-in fixed cost)"
PLAIN = "Plain Django project's floor"
ADMIN = "Admin changelist of consultations (50 rows)"
APP_ADMIN = "The app's admin changelist of consultations"


# PROCESSES AND THEIR CPU TIME
# ------------------------------------------------------------------------------


def cpu_ns(pid: int) -> int | None:
    """Nanoseconds the process has spent on a CPU (all its threads)."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _state(pid: int) -> str:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "X"
    return text[text.rindex(")") + 2]


def settle(pids: list[int], limit: float = 0.05) -> None:
    """Wait (at most ``limit`` s) until none of the processes is running: the
    worker may still be closing the connection when the client has read the
    response."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if all(_state(pid) != "R" for pid in pids):
            return
        time.sleep(0.0005)


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # without guest time, already counted in user
    return total - idle, total


class Watch:
    """How busy the machine was while a part ran, and how much of it was not
    the benchmark's own processes (given at the end)."""

    def __init__(self, pids=()):
        self.began = time.perf_counter()
        self.load = load()
        self.ticks = machine_ticks()
        self.start = {pid: cpu_ns(pid) or 0 for pid in pids}

    def stop(self, pids, extra_ns: int = 0) -> dict:
        busy0, total0 = self.ticks
        busy1, total1 = machine_ticks()
        cores = os.cpu_count() or 1
        busy = (busy1 - busy0) / max(1, total1 - total0)  # share of all cores
        ours_ns = extra_ns
        for pid in set(pids):
            now = cpu_ns(pid)
            if now is not None:
                ours_ns += now - self.start.get(pid, 0)
        wall = time.perf_counter() - self.began
        ours = ours_ns / 1e9 / (wall * cores)
        return {
            "seconds": round(wall, 1),
            "load_before": self.load,
            "load_after": load(),
            "machine_busy_pct": round(100 * busy, 1),
            "benchmark_pct": round(100 * min(ours, busy), 1),
            "others_pct": round(100 * max(0.0, busy - ours), 1),
        }


def idle_share(seconds: float = 3.0) -> float:
    """Percentage of the machine's CPUs busy over a few seconds, before the
    benchmark starts anything: how busy the machine was with other work."""
    busy0, total0 = machine_ticks()
    time.sleep(seconds)
    busy1, total1 = machine_ticks()
    return round(100 * (busy1 - busy0) / max(1, total1 - total0), 1)


class Backends:
    """The PostgreSQL server processes serving a database's clients, asked of
    pg_stat_activity through a connection to another database."""

    def __init__(self, database_url: str):
        import psycopg

        parsed = urllib.parse.urlparse(database_url)
        self.conn = psycopg.connect(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 5432,
            user=parsed.username or "postgres",
            password=parsed.password or None,
            dbname="postgres",
            autocommit=True,
        )

    def pids(self, dbname: str) -> list[int]:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s"
            " AND backend_type = 'client backend'",
            [dbname],
        ).fetchall()
        return [pid for (pid,) in rows]

    def close(self) -> None:
        self.conn.close()


# SERVERS
# ------------------------------------------------------------------------------


def dbname(database_url: str) -> str:
    return urllib.parse.urlparse(database_url).path.lstrip("/")


def app_env(database_url: str, settings: str) -> dict:
    env = run.django_env(database_url)
    env["DJANGO_SETTINGS_MODULE"] = settings
    return env


class Server:
    """gunicorn as bench/run.py starts it (sync workers), for a given
    settings module and WSGI application."""

    def __init__(self, database_url, port, workers, settings, wsgi):
        self.port = port
        self.proc = subprocess.Popen(
            [
                str(Path(PYTHON).with_name("gunicorn")),
                wsgi,
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=app_env(database_url, settings),
            stdout=subprocess.DEVNULL,
        )
        http = Http(port)
        for _ in range(150):
            try:
                if http.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise SystemExit(f"gunicorn ({settings}) did not start.")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in children.read_text().split()]

    def pids(self) -> list[int]:
        return [self.proc.pid, *self.workers()]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a request still running: end it
            self.proc.kill()
            self.proc.wait(timeout=30)


def ensure_plain_database(plain_url: str) -> None:
    """The plain project's database: Django's own tables and one user."""
    pg = run._pg(plain_url)
    name = dbname(plain_url)
    exists = subprocess.run(
        [
            "psql",
            *pg,
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
            "postgres",
        ],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run(["createdb", *pg, name], check=True)
    env = app_env(plain_url, "bench.plain.settings")
    subprocess.run([PYTHON, "-m", "django", "migrate", "-v0"], env=env, check=True)
    subprocess.run(
        [
            PYTHON,
            "-m",
            "django",
            "shell",
            "--verbosity",
            "0",
            "-c",
            "from django.contrib.auth.models import User\n"
            f"u, _ = User.objects.get_or_create(username={PLAIN_USER!r})\n"
            f"u.set_password({PASSWORD!r}); u.save()",
        ],
        env=env,
        check=True,
    )


# THE PAGES
# ------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    path: str
    role: str
    kind: str  # list, detail, report, floor, admin
    server: str = "app"  # or "plain"
    wall_ms: list[float] = field(default_factory=list)
    django_ms: list[float] = field(default_factory=list)
    pg_ms: list[float] = field(default_factory=list)
    errors: int = 0


def setup_django(database_url: str) -> None:
    os.environ.update(app_env(database_url, "bench.floor_settings"))
    import django

    django.setup()


def latest(database_url: str) -> tuple[str, int, str]:
    """The data set's last month (YYYY-MM), the fiscal year before its last
    (bench/run.py's report year) and the first day of the last fiscal year
    (the one the consultation list opens on: its start, with its offset)."""
    from django.utils import timezone

    import jpdates
    from consultations.models import Consultation

    last = timezone.localtime(
        Consultation.objects.order_by("-started_at").first().started_at
    ).date()
    fy = jpdates.fiscal_year(last)
    start = timezone.make_aware(dt.datetime(fy, 4, 1))
    return f"{last:%Y-%m}", fy - 1, start.isoformat()


def floor_targets(database_url: str) -> list[Target]:
    from django.contrib import admin

    from consultations.models import Consultation

    month, report_fy, fy_start = latest(database_url)
    targets = [
        Target(p.name, p.path, p.role, p.kind) for p in run.pick_pages(month, report_fy)
    ]
    admin_query = "?" + urllib.parse.urlencode({"started_at__gte": fy_start})
    targets += [
        Target(FLOOR, "/_bench/floor/", "counsellor", "floor"),
        Target(FLOOR_BASE, "/_bench/floor-base/", "counsellor", "floor"),
        Target(PLAIN, "/_bench/floor/", PLAIN_USER, "floor", server="plain"),
        Target(
            ADMIN,
            "/_bench/admin/consultations/consultation/" + admin_query,
            "admin",
            "admin",
        ),
    ]
    if admin.site.is_registered(Consultation):  # should the app's admin get it
        targets.append(
            Target(
                APP_ADMIN,
                "/admin/consultations/consultation/" + admin_query,
                "admin",
                "admin",
            )
        )
    return targets


def measure_floor(args) -> dict:
    setup_django(args.database_url)
    targets = floor_targets(args.database_url)
    from django.db import connections

    connections.close_all()
    plain_url = args.plain_database_url or run._db_url(
        args.database_url, dbname(args.database_url) + "_plain"
    )
    ensure_plain_database(plain_url)
    quiet = idle_share()
    servers = {
        "app": Server(
            args.database_url, args.port, 1, "bench.floor_settings", "config.wsgi"
        ),
        "plain": Server(
            plain_url, args.port + 1, 1, "bench.plain.settings", "bench.plain.wsgi"
        ),
    }
    databases = {"app": dbname(args.database_url), "plain": dbname(plain_url)}
    backends = Backends(args.database_url)
    ours = [os.getpid(), *(pid for s in servers.values() for pid in s.pids())]
    watch = Watch(ours)
    try:
        http = {k: Http(s.port) for k, s in servers.items()}
        cookies = {}
        for t in targets:
            key = (t.server, t.role)
            if key not in cookies:
                cookies[key] = http[t.server].login(t.role)
        for t in targets:
            for _ in range(1 + args.warmup):
                status, _ms = http[t.server].timed_get(
                    t.path, cookies[(t.server, t.role)]
                )
                if status != 200:
                    raise SystemExit(f"{t.path} answered {status} for {t.role}.")
        worker = {k: s.workers()[0] for k, s in servers.items()}
        rng = random.Random(args.seed)
        for round_ in range(args.rounds):
            order = targets[:]
            rng.shuffle(order)
            for t in order:
                pg = backends.pids(databases[t.server])
                w = worker[t.server]
                before = [cpu_ns(w), *(cpu_ns(p) for p in pg)]
                status, ms = http[t.server].timed_get(
                    t.path, cookies[(t.server, t.role)]
                )
                settle([w, *pg])
                after = [cpu_ns(w), *(cpu_ns(p) for p in pg)]
                t.errors += status != 200
                t.wall_ms.append(ms)
                if None not in before and None not in after:
                    t.django_ms.append((after[0] - before[0]) / 1e6)
                    t.pg_ms.append(
                        sum(a - b for a, b in zip(after[1:], before[1:], strict=True))
                        / 1e6
                    )
            print(f"  round {round_ + 1}/{args.rounds}, load {load()}", flush=True)
        pg_all = backends.pids(databases["app"]) + backends.pids(databases["plain"])
        machine_use = watch.stop(ours + pg_all)
    finally:
        backends.close()
        for server in servers.values():
            server.stop()
    return summarise_floor(targets, args, quiet, machine_use)


def summarise_floor(targets, args, quiet, machine_use) -> dict:
    floor = next(t for t in targets if t.name == FLOOR)
    floor_p50 = percentile(floor.wall_ms, 50)
    floor_cpu = percentile(floor.django_ms, 50) + percentile(floor.pg_ms, 50)
    rows = []
    for t in targets:
        row = {
            "name": t.name,
            "path": t.path,
            "role": t.role,
            "kind": t.kind,
            "server": t.server,
            "n": len(t.wall_ms),
            "errors": t.errors,
            "p50_ms": percentile(t.wall_ms, 50),
            "p95_ms": percentile(t.wall_ms, 95),
        }
        row["ratio"] = row["p50_ms"] / floor_p50
        if t.django_ms:
            row["django_cpu_ms"] = percentile(t.django_ms, 50)
            row["pg_cpu_ms"] = percentile(t.pg_ms, 50)
            row["cpu_ratio"] = (row["django_cpu_ms"] + row["pg_cpu_ms"]) / floor_cpu
        rows.append(row)
    by_name = {r["name"]: r for r in rows}

    def versus(a: str, b: str, key: str = "p50_ms") -> float:
        return by_name[a][key] / by_name[b][key]

    def cpu(name: str) -> float:
        r = by_name[name]
        return r["django_cpu_ms"] + r["pg_cpu_ms"]

    def check(what: str, a: str, b: str, limit: float, strict: bool = False):
        value = versus(a, b)
        checks.append(
            {
                "what": what,
                "value": value,
                "cpu_value": cpu(a) / cpu(b),
                "met": value < limit if strict else value <= limit,
            }
        )

    checks: list[dict] = []
    for r in rows:
        if r["kind"] == "list":
            check(
                f"{r['name']} within {FLOOR_RATIO_TARGET:g}× of the floor",
                r["name"],
                FLOOR,
                FLOOR_RATIO_TARGET,
            )
    check(
        "signed-in fixed cost (floor in base.html) within "
        f"{FIXED_COST_TARGET:g}× of the plain Django project's floor",
        FLOOR_BASE,
        PLAIN,
        FIXED_COST_TARGET,
    )
    for page in ("Team worklist", "Consultations"):
        if page in by_name:
            check(
                f"{page} faster than the admin changelist (50 rows)",
                page,
                ADMIN,
                1,
                strict=True,
            )
    return {
        "rounds": args.rounds,
        "warmup": args.warmup,
        "busy_before_pct": quiet,
        "machine": machine_use,
        "floor_p50_ms": floor_p50,
        "bare_floor_vs_plain": versus(FLOOR, PLAIN),
        "pages": rows,
        "checks": checks,
    }


# THE MIX (locust)
# ------------------------------------------------------------------------------


def mix_targets(database_url: str) -> dict:
    """Who works and on what: the counsellors seed_scale made, the admin (the
    team worklist), the coordinator (calendar, stays), and ids sampled from
    the data set (seeded, so each run opens the same records)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from accounts.roles import Role
    from consultations.demo import FAMILY
    from consultations.models import Client, Consultation, LineUser

    month, _fy, _start = latest(database_url)
    rng = random.Random(22)
    counsellors = list(
        get_user_model()
        .objects.filter(groups__name=Role.COUNSELLOR, is_active=True)
        .order_by("pk")
        .values_list("username", flat=True)
    )
    clients = list(Client.objects.order_by("pk").values_list("pk", flat=True))
    last = Consultation.objects.order_by("-started_at").first().started_at
    recent = list(
        Consultation.objects.filter(started_at__gte=last - dt.timedelta(days=90))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    line_users = list(
        LineUser.objects.annotate(n=Count("messages"))
        .filter(n__gt=0)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return {
        "counsellors": counsellors,
        "supervisor": "admin",
        "coordinator": "coordinator",
        "clients": rng.sample(clients, min(200, len(clients))),
        "consultations": rng.sample(recent, min(200, len(recent))),
        "line_users": rng.sample(line_users, min(100, len(line_users))),
        "search": list(FAMILY),
        "month": month,
    }


def warm_up(http: Http, plan: dict, workers: int) -> None:
    """Each page of the mix as many times at once as there are workers, twice,
    so that every worker has served each page once before the clock starts
    (the first LINE page of a worker imports LINE's SDK: seconds)."""
    from concurrent.futures import ThreadPoolExecutor

    counsellor = plan["sessions"]["counsellor"][0]
    pages = [
        (path, counsellor)
        for path in (
            "/",
            "/consultations/",
            f"/consultations/{plan['consultations'][0]}/",
            "/clients/",
            "/clients/?q=" + urllib.parse.quote(plan["search"][0]),
            f"/clients/{plan['clients'][0]}/",
            "/line/inbox/",
            f"/line/inbox/{plan['line_users'][0]}/",
        )
    ]
    pages.append(("/team/", plan["sessions"]["supervisor"][0]))
    coordinator = plan["sessions"]["coordinator"][0]
    pages.append((f"/shelter/calendar/?month={plan['month']}", coordinator))
    pages.append(("/shelter/stays/", coordinator))
    with ThreadPoolExecutor(workers) as pool:
        for path, cookie in pages:
            for _ in range(2):
                answers = list(
                    pool.map(http.timed_get, [path] * workers, [cookie] * workers)
                )
                if any(status != 200 for status, _ms in answers):
                    raise SystemExit(f"{path} did not answer 200 while warming up.")


def read_locust_stats(path: Path) -> list[dict]:
    rows = []
    with path.open(newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            rows.append(
                {
                    "name": r["Name"],
                    "n": int(r["Request Count"]),
                    "failures": int(r["Failure Count"]),
                    "p50_ms": float(r["50%"]),
                    "p95_ms": float(r["95%"]),
                    "max_ms": float(r["Max Response Time"]),
                    "rps": float(r["Requests/s"]),
                }
            )
    return rows


def measure_mix(args) -> dict:
    setup_django(args.database_url)
    plan = mix_targets(args.database_url)
    from django.db import connections

    connections.close_all()
    plan_path = Path(f"/tmp/ibasho-floor-mix-{args.port}.json")
    prefix = Path(f"/tmp/ibasho-floor-mix-{args.port}")
    quiet = idle_share()
    server = Server(
        args.database_url,
        args.port,
        args.mix_workers,
        "bench.floor_settings",
        "config.wsgi",
    )
    backends = None
    try:
        # Everyone signs in first (a password check is ~0.5 s of CPU), so
        # that the statistics are of the pages only.
        http = Http(args.port)
        people = max(1, args.mix_users - 4)  # the locustfile's 2 + 2 others
        users = plan.pop("counsellors")
        plan["sessions"] = {
            "counsellor": [http.login(users[i % len(users)]) for i in range(people)],
            "supervisor": [http.login(plan["supervisor"]) for _ in range(2)],
            "coordinator": [http.login(plan["coordinator"]) for _ in range(2)],
        }
        plan_path.write_text(json.dumps(plan))
        warm_up(http, plan, args.mix_workers)
        backends = Backends(args.database_url)
        watch = Watch(server.pids())
        command = [
            str(Path(PYTHON).with_name("locust")),
            "-f",
            str(ROOT / "bench" / "mix_locustfile.py"),
            "--headless",
            "--users",
            str(args.mix_users),
            "--spawn-rate",
            str(args.mix_spawn_rate),
            "--run-time",
            args.mix_time,
            "--host",
            f"http://127.0.0.1:{args.port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        env = dict(os.environ, IBASHO_MIX_PLAN=str(plan_path))
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(proc.pid, 0)
        locust_ns = int((usage.ru_utime + usage.ru_stime) * 1e9)
        code = os.waitstatus_to_exitcode(status)
        machine_use = watch.stop(
            server.pids() + backends.pids(dbname(args.database_url)),
            extra_ns=locust_ns,
        )
    finally:
        if backends:
            backends.close()
        server.stop()
        plan_path.unlink(missing_ok=True)  # it holds session cookies
    rows = read_locust_stats(Path(f"{prefix}_stats.csv"))
    pages = [r for r in rows if r["name"] != "Aggregated"]
    return {
        "tool": "locust " + _locust_version(),
        "command": " ".join(shlex.quote(c) for c in command),
        "users": args.mix_users,
        "spawn_rate": args.mix_spawn_rate,
        "run_time": args.mix_time,
        "workers": args.mix_workers,
        "locust_exit_code": code,
        "counsellor_users": users,
        "counsellor_sessions": people,
        "busy_before_pct": quiet,
        "machine": machine_use,
        "pages": pages,
        "all": next((r for r in rows if r["name"] == "Aggregated"), None),
        "met": all(
            r["p95_ms"] < MIX_P95_TARGET_MS and not r["failures"] for r in pages
        ),
    }


def _locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


# MARKDOWN
# ------------------------------------------------------------------------------


def mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def busy_sentence(part: dict) -> str:
    m = part["machine"]
    cores = os.cpu_count()
    verdict = (
        "busy with other work"
        if max(part["busy_before_pct"], m["others_pct"]) > 10
        else "quiet apart from the benchmark"
    )
    return (
        f"Load average (1/5/15 min) {m['load_before']} before, {m['load_after']} "
        f"after; the {cores} cores were {part['busy_before_pct']:.0f} % busy in "
        f"the 3 s before it started, and {m['machine_busy_pct']:.0f} % busy during "
        f"its {m['seconds']:.0f} s, of which {m['others_pct']:.0f} points were "
        f"processes other than the benchmark's: the machine was {verdict}."
    )


def write_markdown(path: Path, results: dict) -> None:
    mach = results["machine"]
    lines = [
        "## The floor, ratios to it, and a day's mixed load (issue 22)",
        "",
        f"Generated by `bench/floor.py {results['args']}` on "
        f"{results['started']} (UTC); {mach['cores']} cores, {mach['cpu']}, "
        f"PostgreSQL {mach['postgresql']} on the same machine; the data set of "
        "`seed_scale` (a copy of it).",
    ]
    floor = results.get("floor")
    if floor:
        lines += [
            "",
            "### Every page against the floor",
            "",
            "Two gunicorns with one sync worker each (DEBUG off): the app with "
            "`bench/floor_settings.py` (its settings and URLs plus the floor "
            "pages, which config.urls never has) and a plain Django project "
            "(`bench/plain/`: startproject's apps and middleware, database "
            "sessions, persistent connections like the app's). The **floor** is "
            "a signed-in view rendering a bare ~1 kB template that extends "
            "nothing (`/_bench/floor/`): the app's middleware, session and user. "
            "The **floor in base.html** is the same text inside the app's "
            "`base.html`, rendered with its context processors and menu: the "
            "signed-in fixed cost of a page. The **admin changelist** is Django's "
            "admin with a plain ModelAdmin of consultations (the app's admin has "
            "none): the columns of the consultation list, 50 rows, the same "
            "fiscal year. "
            f"Each of {floor['rounds']} rounds (after {floor['warmup']} warm-up "
            "requests per page) asks every page once, in a new random order, "
            "one request at a time, each as the role bench/run.py uses. Wall "
            "time is what the client saw; CPU is the on-CPU time "
            "(/proc/<pid>/schedstat) of the gunicorn worker and of the "
            "PostgreSQL backend of its connection during the request (medians); "
            "“× floor (CPU)” compares their sum to the floor's, a figure that "
            "waiting for a busy CPU does not inflate.",
            "",
            busy_sentence(floor),
            "",
            "| page | p50 | p95 | × floor (p50) | CPU Django | CPU PostgreSQL "
            "| × floor (CPU) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in floor["pages"]:
            flag = ""
            if r["kind"] == "list":
                flag = " ✓" if r["ratio"] <= FLOOR_RATIO_TARGET else " ✗"
            errors = f" ({r['errors']} errors)" if r["errors"] else ""
            cpu = (
                f"{r['django_cpu_ms']:.1f} ms | {r['pg_cpu_ms']:.1f} ms "
                f"| ×{r['cpu_ratio']:.2f}"
                if "django_cpu_ms" in r
                else "– | – | –"
            )
            lines.append(
                f"| {r['name']}{errors} | {r['p50_ms']:.1f} ms | "
                f"{r['p95_ms']:.1f} ms | ×{r['ratio']:.2f}{flag} | {cpu} |"
            )
        lines += [
            "",
            f"The bare floor is ×{floor['bare_floor_vs_plain']:.2f} the plain "
            "project's floor.",
            "",
            "| target | measured (p50) | status | by CPU time |",
            "|---|---:|---|---:|",
        ]
        lines += [
            f"| {c['what']} | ×{c['value']:.2f} | {mark(c['met'])} "
            f"| ×{c['cpu_value']:.2f} |"
            for c in floor["checks"]
        ]
    mix = results.get("mix")
    if mix:
        lines += [
            "",
            "### A day's mixed load",
            "",
            f"{mix['tool']} (headless, `bench/mix_locustfile.py`) against gunicorn "
            f"with {mix['workers']} sync workers: {mix['users']} people (started "
            f"{mix['spawn_rate']} a second) for {mix['run_time']}, each waiting "
            "1–3 s between pages. Counsellors open their worklist, the "
            "consultation list, a consultation's form, the client list and a "
            "search, a client's page, the LINE inbox and a conversation "
            "(records sampled from the data set); two supervisors (the "
            "`admin` user) the team worklist; two coordinators the shelter "
            "calendar and the stays. The counsellors sign in as the "
            f"{len(mix['counsellor_users'])} counsellor users of the data set "
            "(more people than users: some share a user, each with a session "
            "of her own). Everyone is signed in, and every worker has served "
            "every page, before locust starts. Latencies from locust's "
            "statistics (which rounds them: to 10 ms over 100 ms, to 100 ms "
            "over 1 s).",
            "",
            busy_sentence(mix),
            "",
            "| page | requests | failures | p50 | p95 | max | status |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for r in mix["pages"]:
            lines.append(
                f"| {r['name']} | {r['n']} | {r['failures']} | {r['p50_ms']:.0f} ms "
                f"| {r['p95_ms']:.0f} ms | {r['max_ms']:.0f} ms | "
                f"{mark(r['p95_ms'] < MIX_P95_TARGET_MS and not r['failures'])} |"
            )
        if mix["all"]:
            a = mix["all"]
            lines.append(
                f"| all pages | {a['n']} | {a['failures']} | {a['p50_ms']:.0f} ms "
                f"| {a['p95_ms']:.0f} ms | {a['max_ms']:.0f} ms | "
                f"{a['rps']:.1f} req/s |"
            )
        lines += [
            "",
            f"Every page's p95 under {MIX_P95_TARGET_MS} ms: {mark(mix['met'])}.",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# MAIN
# ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=run.DEFAULT_DB)
    parser.add_argument(
        "--plain-database-url",
        help="The plain project's database (default: the data set's name + _plain).",
    )
    parser.add_argument("--port", type=int, default=8016)
    parser.add_argument("--parts", default="floor,mix", help="floor, mix or both.")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--mix-users", type=int, default=20)
    parser.add_argument("--mix-spawn-rate", type=float, default=5)
    parser.add_argument("--mix-time", default="120s")
    parser.add_argument(
        "--mix-workers", type=int, default=2 * (os.cpu_count() or 1) + 1
    )
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "floor.json")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "floor.md")
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    results = {
        "started": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "args": " ".join(shlex.quote(a) for a in sys.argv[1:]),
        "machine": machine(),
        "load_before": load(),
    }
    if args.json.exists():  # parts not run this time keep their last figures
        previous = json.loads(args.json.read_text())
        for key in ("floor", "mix"):
            if key in previous and key not in parts:
                results[key] = previous[key]
    print(f"Machine: {results['machine']}; load {results['load_before']}", flush=True)
    if "floor" in parts:
        print("Floor and ratios:", flush=True)
        results["floor"] = measure_floor(args)
        for r in results["floor"]["pages"]:
            print(
                f"  {r['name']:<58} p50 {r['p50_ms']:6.1f} ms ×{r['ratio']:5.2f}"
                f"  CPU {r.get('django_cpu_ms', 0):5.1f} + {r.get('pg_cpu_ms', 0):5.1f}"
                " ms",
                flush=True,
            )
        for c in results["floor"]["checks"]:
            print(f"  {mark(c['met']):>10}  ×{c['value']:.2f}  {c['what']}", flush=True)
    if "mix" in parts:
        print("Mixed load (locust):", flush=True)
        results["mix"] = measure_mix(args)
        for r in results["mix"]["pages"]:
            print(
                f"  {r['name']:<30} n {r['n']:4d} fail {r['failures']:3d}"
                f" p50 {r['p50_ms']:5.0f} p95 {r['p95_ms']:5.0f} ms",
                flush=True,
            )
    results["load_after"] = load()
    args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    write_markdown(args.output, results)
    print(f"Wrote {args.json} and {args.output}", flush=True)


if __name__ == "__main__":
    main()
