"""The worklists against the floor and the admin changelist, before and after,
over HTTP: two gunicorns (one worker each) on one database, the code of
BEFORE_DIR (e.g. ``git archive <commit> | tar -x -C /tmp/before``) and of this
checkout, requests interleaved (floor, home, team, admin changelist).

    .venv/bin/python bench/worklists/ab.py DATABASE_URL ROUNDS BEFORE_DIR

The floor is a bare login-required view rendering a 1 kB template; the admin
changelist is a plain ModelAdmin of consultations (50 rows) on a site of its
own (floor_urls.py): the app registers no Consultation admin."""

import http.client
import os
import statistics
import subprocess
import sys
import time

DB = sys.argv[1]
N = int(sys.argv[2])
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ROOTS = {"before": os.path.abspath(sys.argv[3]), "after": ROOT}
PY = os.path.join(ROOT, ".venv/bin/")
base_env = dict(
    os.environ,
    DATABASE_URL=DB,
    DJANGO_SETTINGS_MODULE="bench_settings",
    DEBUG="False",
    OTP_REQUIRED="False",
)
# sessions (made once, by the after code; same DB and SECRET_KEY for both)
out = subprocess.run(
    [
        PY + "python",
        "-c",
        """
import django; django.setup()
from django.test import Client
from django.contrib.auth import get_user_model
U = get_user_model()
for name in ("counsellor", "admin"):
    c = Client()
    c.force_login(U.objects.get(username=name))
    print(name, c.cookies["sessionid"].value)
""",
    ],
    env=dict(base_env, PYTHONPATH=f"{ROOT}:{HERE}"),
    cwd=ROOTS["after"],
    capture_output=True,
    text=True,
    check=True,
).stdout
cookies = dict(line.split() for line in out.strip().splitlines())
procs = {}
for i, (name, root) in enumerate(ROOTS.items()):
    procs[name] = subprocess.Popen(
        [
            PY + "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{8710 + i}",
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=root,
        env=dict(base_env, PYTHONPATH=f"{root}:{HERE}"),
        stdout=subprocess.DEVNULL,
    )
ports = {"before": 8710, "after": 8711}


def get(port, path, who):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    b = time.perf_counter()
    c.request(
        "GET",
        path,
        headers={"Cookie": f"sessionid={cookies[who]}", "Host": "127.0.0.1"},
    )
    r = c.getresponse()
    body = r.read()
    ms = (time.perf_counter() - b) * 1000
    c.close()
    assert r.status == 200, (port, path, r.status, body[:300])
    return ms, len(body)


for _ in range(100):
    try:
        [get(p, "/__floor__/", "admin") for p in ports.values()]
        break
    except Exception:
        time.sleep(0.3)
pages = [
    ("floor", "/__floor__/", "admin"),
    ("home", "/", "counsellor"),
    ("team", "/team/", "admin"),
    ("admin", "/__admin__/consultations/consultation/", "admin"),
]
t = {(v, p[0]): [] for v in ports for p in pages}
try:
    for v in ports:
        for _name, path, who in pages:
            get(ports[v], path, who)
            get(ports[v], path, who)
    for i in range(N):
        for name, path, who in pages:
            for v in ("before", "after") if i % 2 else ("after", "before"):
                t[(v, name)].append(get(ports[v], path, who)[0])
finally:
    for p in procs.values():
        p.terminate()
print("load average", os.getloadavg())


def ratios(ms):
    return (
        f"home/floor {ms['home'] / ms['floor']:.2f}x "
        f"team/floor {ms['team'] / ms['floor']:.2f}x "
        f"team/admin {ms['team'] / ms['admin']:.2f}x "
        f"admin/floor {ms['admin'] / ms['floor']:.2f}x"
    )


for v in ports:
    for label, agg in (("median", statistics.median), ("min", min)):
        ms = {n: agg(t[(v, n)]) for n, *_ in pages}
        times = " ".join(f"{n}={ms[n]:.1f}" for n in ms)
        print(f"{v:7s} {label:6s} ms {times} | {ratios(ms)}")
