"""A local HTTP server that stands in for the LINE Messaging API: the real
line-bot-sdk client builds and sends each request to it (LINE_API_BASE_URL
points at it), and nothing in the SDK is mocked.

Like LINE, it remembers each accepted X-Line-Retry-Key and answers 409 to a
second push with it, so ``delivered`` is what the person would have got."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MONTHLY_LIMIT = {"message": "You have reached your monthly limit."}
RATE_LIMIT = {"message": "The API rate limit has been exceeded. Try again later."}
SENT = {"sentMessages": [{"id": "461230966842064897", "quoteToken": "q"}]}
SENDING_PATHS = ("/v2/bot/message/push", "/v2/bot/message/reply")


class StubLineApi:
    """Answers like the Messaging API and remembers each request.

    - ``status`` / ``answer``: the default answer of every endpoint (for a
      status other than 200, ``{"message": "stub error"}``);
    - ``outcomes``: answers for the next sending requests (push, reply), in
      turn, before the default: (status, body) or ``"timeout"``, which
      delivers the message and then answers after ``delay`` seconds;
    - ``profile``: the profile answered (None: 404, not a friend);
    - ``quota`` and ``consumption``: the quota endpoints' answers."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.answer = None
        self.outcomes: list = []
        self.delay = 1.5
        self.profile = {
            "displayName": "はなこ",
            "userId": "U0",
            "language": "ja",
            "pictureUrl": "https://profile.line-scdn.net/stub",
        }
        self.quota = {"type": "limited", "value": 200}
        self.consumption = {"totalUsage": 200}
        self.delivered: list[str] = []
        self.accepted_keys: set[str] = set()
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "json": json.loads(body) if body else None,
                }
                with stub.lock:
                    stub.requests.append(request)
                    status, payload, wait = stub._respond(request)
                if wait:
                    time.sleep(wait)
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout)

            do_POST = _answer
            do_GET = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _deliver(self, request) -> None:
        for message in request["json"]["messages"]:
            self.delivered.append(message["text"])

    def _respond(self, request):
        path = request["path"]
        if path in SENDING_PATHS:
            key = request["headers"].get("X-Line-Retry-Key")
            if key and key in self.accepted_keys:
                return 409, {"message": "The retry key is already accepted"}, 0
            outcome = self.outcomes.pop(0) if self.outcomes else None
            if outcome == "timeout":
                self._accept(request, key)
                return 200, SENT, self.delay
            status, body = outcome or (self.status, None)
            if status == 200:
                self._accept(request, key)
                return 200, body or self.answer or SENT, 0
            return status, body or {"message": "stub error"}, 0
        if self.status != 200:
            return self.status, {"message": "stub error"}, 0
        if self.answer is not None:
            return 200, self.answer, 0
        if path.startswith("/v2/bot/profile/"):
            if self.profile is None:
                return 404, {"message": "Not found"}, 0
            return 200, self.profile, 0
        if path == "/v2/bot/message/quota":
            return 200, self.quota, 0
        if path == "/v2/bot/message/quota/consumption":
            return 200, self.consumption, 0
        return 200, {}, 0

    def _accept(self, request, key) -> None:
        if key:
            self.accepted_keys.add(key)
        self._deliver(request)

    def sent(self, path: str) -> list[dict]:
        return [r for r in self.requests if r["path"] == path]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
