"""The pieces of a scaled-out deployment, on this machine, built from the
files in deploy/: a streaming replica made by deploy/postgresql/replica-setup.sh,
gunicorns started with the ExecStart of deploy/systemd/ibasho-web.service, and
nginx with deploy/nginx/ibasho.conf. Used by tests/deploy/test_scaleout.py and
bench/scaleout.py. Needs root, Debian's postgresql-common, nginx and openssl."""

from __future__ import annotations

import configparser
import contextlib
import http.client
import os
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INSTALLED_ROOT = "/srv/ibasho"  # where the units expect the project
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def missing_tools() -> str | None:
    """Why the scale-out cannot be built here, or None."""
    if os.geteuid() != 0:
        return "needs root (it creates a PostgreSQL cluster and runs nginx)"
    for tool in ("pg_createcluster", "pg_basebackup", "nginx", "openssl"):
        if not shutil.which(tool) and not Path("/usr/sbin", tool).exists():
            return f"{tool} is not installed (bin/ensure-test-packages installs nginx)"
    if not Path("/etc/postgresql").is_dir():
        return "no Debian PostgreSQL cluster (/etc/postgresql)"
    return None


def pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"), key=int)[-1]


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys keep their case
    parser.read(DEPLOY / "systemd" / name)
    return parser


def exec_start(name: str) -> list[str]:
    """The unit's ExecStart, with the project where this checkout is."""
    command = unit(name)["Service"]["ExecStart"]
    return [part.replace(INSTALLED_ROOT, str(ROOT)) for part in shlex.split(command)]


def unit_environment(name: str) -> dict[str, str]:
    env = {}
    for line in unit(name)["Service"].get("Environment", "").splitlines():
        key, _, value = line.strip().partition("=")
        if key:
            env[key] = value
    return env


# -- PostgreSQL ---------------------------------------------------------------


@contextlib.contextmanager
def replication_allowed():
    """The primary (main cluster) lets 127.0.0.1 connect for replication
    (trust, as its other lines); the line is removed afterwards."""
    hba = Path("/etc/postgresql") / pg_version() / "main" / "pg_hba.conf"
    before = hba.read_text()
    line = "host replication all 127.0.0.1/32 trust  # ibasho scale-out test\n"
    needed = not any(
        ln.split()[:2] == ["host", "replication"]
        for ln in before.splitlines()
        if ln.strip() and not ln.lstrip().startswith("#")
    )
    if needed:
        hba.write_text(before + line)
        _reload_primary()
    try:
        yield
    finally:
        if needed:
            hba.write_text(before)
            _reload_primary()


def _reload_primary() -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "reload"],
        check=True,
        capture_output=True,
    )


@contextlib.contextmanager
def streaming_replica(*, cluster: str, port: int, primary_port: int = 5432):
    """A new cluster on ``port``, a streaming replica of the primary, built by
    deploy/postgresql/replica-setup.sh; dropped afterwards."""
    version = pg_version()
    env = {
        **os.environ,
        "PG_VERSION": version,
        "CLUSTER": cluster,
        "REPLICATION_USER": "postgres",
    }
    try:
        done = subprocess.run(
            [
                str(DEPLOY / "postgresql" / "replica-setup.sh"),
                "127.0.0.1",
                str(primary_port),
                str(port),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(f"replica-setup.sh failed: {done.stderr[-3000:]}")
        # The app servers connect as on the primary (trust on 127.0.0.1 here):
        # the replica's pg_hba.conf is its own (deploy/README.md).
        etc = Path("/etc/postgresql") / version
        shutil.copy(etc / "main" / "pg_hba.conf", etc / cluster / "pg_hba.conf")
        replica = Replica(version, cluster, port)
        replica.ctl("reload")
        yield replica
    finally:
        subprocess.run(
            ["pg_dropcluster", "--stop", version, cluster], capture_output=True
        )


class Replica:
    def __init__(self, version: str, cluster: str, port: int):
        self.version, self.cluster, self.port = version, cluster, port

    def ctl(self, action: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version]
            + [self.cluster, action]
            + (["-m", "fast"] if action == "stop" else []),
            check=True,
            capture_output=True,
        )

    def psql(self, sql: str, database: str = "postgres") -> str:
        return subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
            + ["-d", database, "-Atc", sql],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    def wait_for(self, sql: str, expected: str, database: str, seconds=30) -> str:
        """Runs ``sql`` until it gives ``expected`` (replication catching up)."""
        got = ""
        for _ in range(seconds * 5):
            got = self.psql(sql, database)
            if got == expected:
                break
            time.sleep(0.2)
        return got


# -- the app servers -----------------------------------------------------------


def app_environment(database_url: str, replica_url: str | None) -> dict[str, str]:
    """The environment of the test's app servers: the demo's settings with
    DEBUG off (production's would need two-factor sign-in)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "PYTEST", "REPLICA_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DEBUG="false",
        DATABASE_URL=database_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONPATH=str(ROOT),
    )
    if replica_url:
        env["DATABASE_REPLICA_URL"] = replica_url
    return env


def manage(*args: str, env: dict[str, str]) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


class Gunicorn:
    """gunicorn as deploy/systemd/ibasho-web.service starts it, on ``port``."""

    def __init__(self, port: int, env: dict[str, str], workers: int, log: Path):
        command = exec_start("ibasho-web.service")
        command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
        command[command.index("--workers") + 1] = str(workers)
        self.port = port
        self.log = log
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        wait_http(port, "/healthz", https=False)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def wait_http(port: int, path: str, *, https: bool, seconds: int = 60) -> None:
    for _ in range(seconds * 5):
        try:
            status = Browser(port, https=https).get(path).status
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answers on port {port}")


# -- nginx ----------------------------------------------------------------------


def render_nginx(
    *, app_ports, https_port: int, http_port: int, certificate: Path, key: Path
) -> str:
    """deploy/nginx/ibasho.conf with its placeholders filled in."""
    text = (DEPLOY / "nginx" / "ibasho.conf").read_text()
    values = {
        "@APP_SERVERS@": "\n".join(
            f"    server 127.0.0.1:{port};" for port in app_ports
        ),
        "@HTTP_PORT@": f"127.0.0.1:{http_port}",
        "@HTTPS_PORT@": str(https_port),
        "@SERVER_NAME@": "127.0.0.1",
        "@TLS_CERTIFICATE@": str(certificate),
        "@TLS_CERTIFICATE_KEY@": str(key),
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    # The test's nginx listens on 127.0.0.1 only.
    text = text.replace(
        f"listen {https_port} ssl", f"listen 127.0.0.1:{https_port} ssl"
    )
    left = re.findall(r"@[A-Z_]+@", text)
    assert not left, f"placeholders left: {left}"
    return text


class Nginx:
    """nginx in the foreground with deploy/nginx/ibasho.conf, everything it
    writes in a directory of its own, a self-signed certificate."""

    def __init__(self, *, app_ports, https_port: int, http_port: int):
        self.dir = Path(tempfile.mkdtemp(prefix="ibasho-nginx-"))
        self.dir.chmod(0o755)
        cert, key = self.dir / "cert.pem", self.dir / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes"]
            + ["-keyout", str(key), "-out", str(cert), "-days", "1"]
            + ["-subj", "/CN=127.0.0.1"],
            check=True,
            capture_output=True,
        )
        site = render_nginx(
            app_ports=app_ports,
            https_port=https_port,
            http_port=http_port,
            certificate=cert,
            key=key,
        )
        (self.dir / "ibasho.conf").write_text(site)
        temp = self.dir / "temp"
        temp.mkdir(mode=0o777)
        temp.chmod(0o777)
        conf = self.dir / "nginx.conf"
        conf.write_text(
            f"""worker_processes 2;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {self.dir}/access.log;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {self.dir}/ibasho.conf;
}}
"""
        )
        subprocess.run(
            ["nginx", "-t", "-c", str(conf)], check=True, capture_output=True
        )
        self.https_port = https_port
        self.proc = subprocess.Popen(
            ["nginx", "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=(self.dir / "stderr.log").open("w"),
        )
        wait_http(https_port, "/healthz", https=True)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


# -- a browser over HTTP(S) -----------------------------------------------------


class Response:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


class Browser:
    """Cookies, CSRF and one keep-alive connection; self-signed TLS accepted."""

    def __init__(self, port: int, *, https: bool = True):
        self.port, self.https = port, https
        self.cookies: dict[str, str] = {}
        self.conn = None

    def _connection(self):
        if self.conn is None:
            if self.https:
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                self.conn = http.client.HTTPSConnection(
                    "127.0.0.1", self.port, context=context, timeout=60
                )
            else:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=60
                )
        return self.conn

    def request(self, method: str, path: str, body: str | None = None) -> Response:
        scheme = "https" if self.https else "http"
        headers = {
            "Host": f"127.0.0.1:{self.port}",
            "Referer": f"{scheme}://127.0.0.1:{self.port}/",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                raw = conn.getresponse()
                response = Response(raw.status, raw.getheaders(), raw.read())
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn = None
                if attempt == 2:
                    raise
        for key, value in response.headers:
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if "max-age=0" in value.lower() or not cookie_value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = cookie_value
        return response

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, str]) -> Response:
        from urllib.parse import urlencode

        data = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
        return self.request("POST", path, urlencode(data))

    def sign_in(self, username: str, password: str) -> None:
        self.get("/accounts/login/")
        response = self.post(
            "/accounts/login/", {"username": username, "password": password}
        )
        location = response.header("Location") or ""
        if response.status != 302 or "login" in urlsplit(location).path:
            raise RuntimeError(f"sign-in refused ({response.status})")
