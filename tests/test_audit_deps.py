"""bin/audit-deps against a local stand-in for the OSV vulnerability service:
it audits the lock file only when vulnerability data is reachable (the canary
is flagged), fails on a finding, and says plainly when it could not audit."""

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def osv_entry(name: str, fixed: str) -> dict:
    return {
        "id": f"GHSA-test-{name}",
        "summary": "a published advisory",
        "affected": [
            {
                "package": {"name": name, "ecosystem": "PyPI"},
                "ranges": [
                    {
                        "type": "ECOSYSTEM",
                        "events": [{"introduced": "0"}, {"fixed": fixed}],
                    }
                ],
            }
        ],
    }


def osv_stub(flagged: dict[tuple[str, str | None], dict]):
    """An OSV /v1/query endpoint: (name, version) -> advisory; a version of
    None flags every version of the package."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            name, version = query["package"]["name"], query["version"]
            vuln = flagged.get((name, version)) or flagged.get((name, None))
            body = json.dumps({"vulns": [vuln]} if vuln else {}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_audit(osv_url: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bin/audit-deps"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "AUDIT_OSV_URL": osv_url, "HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
    )


CANARY = {("django", "3.2.0"): osv_entry("django", "3.2.1")}


@pytest.fixture
def stub():
    servers = []

    def start(flagged):
        server = osv_stub(flagged)
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/v1/query"

    yield start
    for server in servers:
        server.shutdown()


def test_with_no_vulnerability_data_the_audit_says_it_was_not_performed(stub, tmp_path):
    result = run_audit(stub({}), tmp_path)  # answers, but knows no advisory at all
    assert result.returncode == 0
    assert "dependency audit NOT performed" in result.stdout
    assert "canary django==3.2.0 reported clean" in result.stdout
    assert "no known vulnerabilities" not in result.stdout


def test_with_data_a_clean_lock_file_passes(stub, tmp_path):
    result = run_audit(stub(CANARY), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "canary django==3.2.0 flagged" in result.stdout
    assert "dependency audit passed" in result.stdout


def test_with_data_a_vulnerable_locked_package_fails_the_audit(stub, tmp_path):
    flagged = {**CANARY, ("sqlparse", None): osv_entry("sqlparse", "99")}
    result = run_audit(stub(flagged), tmp_path)
    assert result.returncode == 1
    assert "VULNERABLE sqlparse" in result.stdout
    assert "dependency audit FAILED" in result.stdout
