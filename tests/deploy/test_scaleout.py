"""Issue 23, "Done when": on this machine, a second PostgreSQL cluster made a
streaming replica of the first by deploy/postgresql/replica-setup.sh
(pg_createcluster, pg_basebackup -R), two gunicorns started as
deploy/systemd/ibasho-web.service starts them, nginx with
deploy/nginx/ibasho.conf (TLS with a self-signed certificate) in front.

- the annual report page read through nginx is read on the replica (the
  replica's own statement log names the report's tables in the test's
  database);
- a client added through nginx is on the very next page;
- with the replica stopped every page of a short list still answers 200 and
  /healthz says "degraded".

Everything is removed afterwards (the cluster, the database, the pg_hba.conf
line, the processes). PostgreSQL only; skips where it cannot run (not root,
no nginx: bin/ensure-test-packages installs it)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from django.db import connection

from accounts.demo import DEMO_PASSWORD
from tests.deploy import scaleout

pytestmark = [
    pytest.mark.scaleout,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a PostgreSQL streaming replica (SQLite has none)",
    ),
]

CLUSTER = "ibasho_replica_test"
REPLICA_PORT = 5499
APP_PORTS = (18301, 18302)
HTTPS_PORT, HTTP_PORT = 18443, 18080
PAGES = {  # user: pages that must answer 200 with the replica stopped
    "counsellor": ["/", "/clients/", "/consultations/", "/clients/new/"],
    "city": ["/", "/reports/", "/reports/annual/?fiscal_year=2021"],
    "coordinator": ["/shelter/stays/", "/shelter/calendar/"],
    "facilitator": ["/groups/sessions/", "/training/"],
}


@pytest.fixture
def scratch_database():
    """A database of its own on the primary (the test database is not
    replicated in a state the app servers could use: pytest holds it in a
    transaction); dropped afterwards."""
    why = scaleout.missing_tools()
    if why:
        pytest.skip(why)
    s = connection.settings_dict
    name = f"ibasho_replica_scaleout_{os.getpid()}"
    admin = {
        "dbname": "postgres",
        "user": s["USER"] or "postgres",
        "host": s["HOST"] or "127.0.0.1",
        "port": s["PORT"] or 5432,
        "autocommit": True,
    }
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name, admin
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def replica_log(replica) -> Path:
    return Path("/var/log/postgresql") / (
        f"postgresql-{replica.version}-{replica.cluster}.log"
    )


def test_reads_on_the_replica_behind_nginx_and_two_app_servers(
    scratch_database, tmp_path
):
    name, admin = scratch_database
    primary_url = f"postgres://{admin['user']}@{admin['host']}:{admin['port']}/{name}"
    env = scaleout.app_environment(primary_url, None)
    scaleout.manage("migrate", "--noinput", env=env)
    scaleout.manage("seed_demo", env=env)

    servers, proxy = [], None
    with (
        scaleout.replication_allowed(),
        scaleout.streaming_replica(
            cluster=CLUSTER, port=REPLICA_PORT, primary_port=int(admin["port"])
        ) as replica,
    ):
        try:
            assert replica.psql("SELECT pg_is_in_recovery()") == "t"
            # The replica logs every statement: which database, which tables.
            scaleout.subprocess.run(
                ["pg_conftool", replica.version, CLUSTER]
                + ["set", "log_statement", "all"],
                check=True,
                capture_output=True,
            )
            replica.ctl("reload")
            env = scaleout.app_environment(
                primary_url,
                f"postgres://postgres@127.0.0.1:{REPLICA_PORT}/{name}",
            )
            env.update(REPLICA_PIN_SECONDS="2", REPLICA_CHECK_SECONDS="1")
            servers = [
                scaleout.Gunicorn(port, env, workers=2, log=tmp_path / f"{port}.log")
                for port in APP_PORTS
            ]
            proxy = scaleout.Nginx(
                app_ports=APP_PORTS, https_port=HTTPS_PORT, http_port=HTTP_PORT
            )
            check_the_scale_out(replica, name)
        finally:
            if proxy:
                proxy.stop()
            for server in servers:
                server.stop()


def check_the_scale_out(replica, database: str) -> None:
    browsers = {}
    for user in PAGES:
        browsers[user] = scaleout.Browser(HTTPS_PORT)
        browsers[user].sign_in(user, DEMO_PASSWORD)
    # Plain HTTP is sent to HTTPS.
    plain = scaleout.Browser(HTTP_PORT, https=False).get("/healthz")
    assert plain.status == 301
    assert plain.header("Location").startswith(f"https://127.0.0.1:{HTTPS_PORT}/")
    assert scaleout.Browser(HTTPS_PORT).get("/healthz").text == "ok\n"
    time.sleep(2.5)  # the sign-in's pin to the primary (REPLICA_PIN_SECONDS=2)

    # The annual report is read on the replica.
    log = replica_log(replica)
    start = log.stat().st_size
    page = browsers["city"].get("/reports/annual/?fiscal_year=2021")
    assert page.status == 200
    assert "令和3年度" in page.text
    with log.open(encoding="utf-8", errors="replace") as f:
        f.seek(start)
        read_there = [
            line for line in f if f"@{database} " in line and "statement:" in line
        ]
    assert any("consultations_consultation" in line for line in read_there), read_there[
        -5:
    ]

    # A change is on the very next page (her reads stay on the primary).
    counsellor = browsers["counsellor"]
    counsellor.get("/clients/new/")
    added = counsellor.post(
        "/clients/new/", {"display_name": "スケール 花子", "children_count": "0"}
    )
    errors = re.findall(r'class="errorlist[^<]*<li>[^<]*', added.text)
    assert added.status == 302, errors
    listed = counsellor.get("/clients/?" + urlencode({"q": "スケール"}))
    assert listed.status == 200
    assert "スケール 花子" in listed.text
    # ... and reaches the replica (streaming, within a moment).
    assert (
        replica.wait_for(
            "SELECT count(*) FROM consultations_client"
            " WHERE display_name = 'スケール 花子'",
            "1",
            database,
        )
        == "1"
    )

    # The replica stops: every page still answers, /healthz says degraded.
    replica.ctl("stop")
    time.sleep(2.5)  # the change's pin ends: reads would go to the replica
    for user, paths in PAGES.items():
        for path in paths:
            response = browsers[user].get(path)
            assert response.status == 200, (user, path, response.status)
    health = scaleout.Browser(HTTPS_PORT).get("/healthz")
    assert health.status == 200
    assert health.text.startswith("degraded: replica unavailable")
