"""Real parts for the list tests, started by the tests themselves: the service
under uvicorn on 127.0.0.1 in a thread, a throw-away PostgreSQL cluster, and
a plain HTTP client (what a mail provider's one-click POST is).

No sleeps: every wait polls with a time limit.
"""

from __future__ import annotations

import glob
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

HOST = "127.0.0.1"
SECRET = "test-secret-for-the-list-0123456789"
WAIT = 20.0


def wait_for(condition, what: str, limit: float = WAIT):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)  # polling a bounded wait, not a fixed sleep
    raise AssertionError(f"gave up after {limit:g} s waiting for {what}")


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    return sock


class ServiceThread:
    """An ASGI app under uvicorn on 127.0.0.1, on a port the system picks
    (``options``: more of uvicorn's Config, e.g. ``list serve``'s own)."""

    def __init__(self, app, **options):
        import uvicorn

        self.sock = free_socket()
        self.port = self.sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", **options))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> "ServiceThread":
        self.thread.start()
        wait_for(lambda: self.server.started, "uvicorn to start")
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(WAIT)
        self.sock.close()


def request(method: str, url: str, form: dict | None = None, body: bytes | None = None,
            headers: dict | None = None, source: str | None = None) -> tuple[int, str, dict]:
    """(status, body text, headers) of one HTTP request; no cookies, no redirects.
    ``source``: the address to send from (any 127.x.y.z is this machine too)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WAIT,
                                      source_address=(source, 0) if source else None)
    headers = dict(headers or {})
    if form is not None:
        body = urlencode(form).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
    try:
        conn.request(method, parts.path or "/", body=body, headers=headers,
                     encode_chunked=headers.get("Transfer-Encoding") == "chunked")
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace"), dict(response.getheaders())
    finally:
        conn.close()


def serve(project: Path, db: str, *options: str, **popen) -> tuple[subprocess.Popen, str]:
    """``tipweek list serve`` in a subprocess on a free port, with its outbox in
    the project; (the process, its URL) once it answers."""
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "TIPWEEK_LIST_SECRET": SECRET}
    popen.setdefault("stdout", subprocess.DEVNULL)
    popen.setdefault("stderr", subprocess.DEVNULL)
    proc = subprocess.Popen([str(Path(sys.executable).parent / "tipweek"), "list", "serve", "--db", db,
                             "--port", str(port), "--outbox", str(project / "outbox"), *options,
                             "-f", str(project / "mkdocs.yml")], env=env, **popen)
    url = f"http://{HOST}:{port}"

    def up() -> bool:
        try:
            return request("GET", f"{url}/subscribe")[0] == 200
        except OSError:
            assert proc.poll() is None, "the service exited"
            return False

    wait_for(up, "the service to answer")
    return proc, url


def snapshot(store) -> tuple:
    """Everything the store holds that a request could change."""
    with store._read() as cur:
        cur.execute("SELECT ip, at FROM signups ORDER BY at")
        signups = cur.fetchall()
    return store.everyone(), store.events(), signups


# ------------------------------------------------------------------ PostgreSQL

def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def postgres_or_skip() -> Path:
    """The server's bin folder; locally a skip with the reason, under CI a failure."""
    folder = _postgres_bin()
    problem = None
    if folder is None:
        problem = "PostgreSQL is not installed (apt-get install postgresql)"
    elif os.geteuid() == 0 and shutil.which("runuser") is None:
        problem = "runuser is missing: initdb refuses root and needs it to run as postgres"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{problem}; CI must run the PostgreSQL store tests (.ci/run installs it)", pytrace=False)
        pytest.skip(problem)
    return folder


class PostgresCluster:
    """initdb + pg_ctl in a temporary folder on a free port, as the postgres
    user when we are root (initdb refuses root)."""

    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="tipweek-pg-"))
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        sock = free_socket()
        self.port = sock.getsockname()[1]
        sock.close()
        self.user = "postgres" if self.as_postgres else os.environ.get("USER", "postgres")
        self._databases = 0

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self.as_postgres, *args], capture_output=True, text=True, timeout=120)
        if result.returncode:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}{result.stderr}")

    def start(self) -> "PostgresCluster":
        data = self.root / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", self.user, "--no-sync",
                  "-E", "UTF8")
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.root / "log"), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.root} -c listen_addresses={HOST}", "start")
        return self

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        self._databases += 1
        name = f"list_{self._databases}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@{HOST}:{self.port}/{database}"

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


# ------------------------------------------------------------------ the service with its welcome email

class LiveList:
    """The list service of a project under uvicorn, on a store (``db_url``), sending its
    confirmation and welcome emails to a real SMTP server (``welcome_smtp``: elsewhere, e.g. a
    port nobody listens on), on a clock the test sets."""

    def __init__(self, project: Path, db_url: str, smtp: str, welcome_smtp: str | None = None, now=None):
        import datetime as dt

        from tipweek.list.confirmation import confirmation_sender, transport_factory
        from tipweek.list.database import open_store
        from tipweek.list.look import look_of
        from tipweek.list.service import Settings, create_app
        from tipweek.list.tokens import Tokens
        from tipweek.list.welcome import welcome_sender
        from tipweek.project import Project

        self.project = Project.load(project / "mkdocs.yml")
        self.store = open_store(db_url)
        self.tokens = Tokens(SECRET)
        self.now = now or dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
        look = look_of(self.project)
        sender = self.project.options.email_from
        mail = transport_factory(project, None, smtp, False, None)
        welcome = transport_factory(project, None, welcome_smtp or smtp, False, None)
        self.settings = Settings(self.store, self.tokens, look, "", confirmation_sender(look, sender, mail),
                                 send_welcome=welcome_sender(self.project, welcome), clock=lambda: self.now)
        self.thread = ServiceThread(create_app(self.settings))
        self.settings.list_url = self.url = self.thread.url

    def __enter__(self) -> "LiveList":
        self.thread.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.thread.__exit__(*exc)

    def sign_up(self, email: str, name: str = "") -> tuple[int, str]:
        status, body, _ = request("POST", f"{self.url}/subscribe", form={"email": email, "name": name})
        return status, body

    def manage_url(self, subscriber_id: int) -> str:
        from tipweek.list.recipients import manage_url

        return manage_url(self.url, self.tokens, subscriber_id)
