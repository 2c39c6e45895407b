"""A real HTTP server on 127.0.0.1 standing in for Slack's and Teams' webhooks.

Each path is one channel and has a script of answers, used in order (then
"ok" for ever):

- ``ok``: the post is shown in the channel; Slack answers 200 ``ok``, a
  Teams Workflows webhook (a path starting /teams) 202;
- ``500`` (or any number): that status, nothing shown (a 3xx points to /elsewhere);
- ``429:N``: 429 with ``Retry-After: N``, nothing shown;
- ``drop``: the whole body is read and shown (the service took it), then
  the connection is closed with no answer: the sender's answer is lost.
- ``hang``: the body is read and shown, and no answer comes until the
  server stops.

Each request is handled on its own thread (a test makes a handful); a
connection that goes quiet is closed after a few seconds.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"


class _Handler(BaseHTTPRequestHandler):
    timeout = 5  # a stalled client cannot keep a thread
    server: "WebhookServer._Server"

    def log_message(self, *args):
        pass

    def do_POST(self) -> None:
        hub = self.server.hub
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        answer = hub.next_answer(self.path)
        hub.record(self.path, answer, body, self.headers.get("Content-Type", ""))
        if answer == "hang":
            hub.released.wait(5)  # until the test ends: the sender's wait for an answer times out
            return
        if answer == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if answer == "ok":
            teams = self.path.startswith("/teams")
            self._answer(202 if teams else 200, b"" if teams else b"ok")
        elif answer.startswith("429:"):
            self._answer(429, b"rate_limited", {"Retry-After": answer.split(":", 1)[1]})
        elif answer.startswith("3"):
            self._answer(int(answer), b"", {"Location": "/elsewhere"})
        else:
            self._answer(int(answer), b"no_service" if answer == "404" else b"server_error")

    def _answer(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in {**(headers or {}), "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class WebhookServer:
    """Start with ``start()``; ``url(path)`` is a webhook's address; ``plan``
    sets a channel's answers; ``shown(path)`` is what its channel shows."""

    class _Server(ThreadingHTTPServer):
        daemon_threads = True

    def __init__(self, port: int = 0):
        self.port = port
        self._plans: dict[str, deque] = defaultdict(deque)
        self.requests: list[tuple[str, str, bytes, str]] = []  # (path, answer, body, content type)
        self._lock = threading.Lock()
        self._server = None
        self.released = threading.Event()
        self.recorded = threading.Event()  # set at each request recorded: wait on it, never sleep

    def start(self) -> "WebhookServer":
        self._server = self._Server((HOST, self.port), _Handler)
        self._server.hub = self
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.released.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def plan(self, path: str, *answers: str) -> None:
        with self._lock:
            self._plans[path].extend(answers)

    def next_answer(self, path: str) -> str:
        with self._lock:
            plan = self._plans[path]
            return plan.popleft() if plan else "ok"

    def record(self, path: str, answer: str, body: bytes, content_type: str) -> None:
        with self._lock:
            self.requests.append((path, answer, body, content_type))
        self.recorded.set()

    def shown(self, path: str) -> list[dict]:
        """The messages the channel at ``path`` shows, in order."""
        with self._lock:
            return [json.loads(body) for p, answer, body, _ in self.requests
                    if p == path and answer in ("ok", "drop", "hang")]

    def answers(self, path: str) -> list[str]:
        with self._lock:
            return [answer for p, answer, _, _ in self.requests if p == path]
