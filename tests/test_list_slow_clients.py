"""Clients that open a connection and never finish their request: they are
cut off after the request deadline, logged once, and however many there are,
a real sign-up still gets in. Sockets are opened from the test; the service
runs under uvicorn with `list serve`'s own settings."""

from __future__ import annotations

import logging
import resource
import shutil
import socket
import time

from conftest import FIXTURES
from list_support import HOST, SECRET, WAIT, ServiceThread, request, serve, wait_for
from tipweek.project import Project
from tipweek.cli.list_serve import server_options
from tipweek.list.confirmation import confirmation_sender, transport_factory
from tipweek.list.look import look_of
from tipweek.list.service import Settings, create_app
from tipweek.list.database import open_store
from tipweek.list.tokens import Tokens

PARTIAL = b"POST /subscribe HTTP/1.1\r\nHost: list.example.org\r\n"  # the headers never end


def stalled(url: str, sending: bytes) -> socket.socket:
    port = int(url.rsplit(":", 1)[1])
    sock = socket.create_connection((HOST, port), timeout=WAIT)
    if sending:
        sock.sendall(sending)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """True once the service has closed this connection (waits up to WAIT)."""
    sock.settimeout(WAIT)
    try:
        while sock.recv(4096):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_a_client_that_never_finishes_is_cut_off_and_logged_once(tmp_path, recording_smtp, caplog):
    shutil.copytree(FIXTURES / "library", tmp_path / "proj")
    project = Project.load(tmp_path / "proj" / "mkdocs.yml")
    look = look_of(project)
    store = open_store(f"sqlite:///{tmp_path}/list.sqlite3")
    settings = Settings(store, Tokens(SECRET), look, "", confirmation_sender(
        look, project.options.email_from, transport_factory(tmp_path, None, recording_smtp.address, False, None)))
    caplog.set_level(logging.WARNING)
    # The deadline is 10 s in service; the test gives its clients 2 s (the legitimate request
    # below must get its whole request in within it, on a loaded machine too).
    with ServiceThread(create_app(settings), **server_options(["127.0.0.1"], request_timeout=2)) as svc:
        settings.list_url = svc.url
        silent = stalled(svc.url, b"")
        headers = stalled(svc.url, PARTIAL)
        body = stalled(svc.url, b"POST /subscribe HTTP/1.1\r\nHost: list.example.org\r\nContent-Type: "
                                b"application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\nemail=slow")
        assert [closed_by_server(s) for s in (silent, headers, body)] == [True, True, True]
        # A client that sends its request in time is answered as ever.
        assert request("POST", f"{svc.url}/subscribe", form={"email": "quick@example.org"})[0] == 200
    for sock in (silent, headers, body):
        sock.close()
    assert [s.email for s in store.everyone()] == ["quick@example.org"]
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert said == ["closed a connection from 127.0.0.1 that had not sent a whole request within 2 s (further "
                    "ones from that address are not logged for 10 minutes)"]


def lowered_file_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


def test_stalled_clients_past_the_file_limit_leave_room_for_a_real_sign_up(project):
    """More stalled connections than the service has file descriptors (256
    here, for the test; 1,024 is the usual default). `list serve` with its own
    deadline of 10 s: the room must come from the cap, not from the deadline."""
    db = f"sqlite:///{project}/list.sqlite3"
    log = project / "serve.log"
    with open(log, "wb") as err:
        proc, url = serve(project, db, "--ip-limit", "1000", stderr=err, preexec_fn=lowered_file_limit)
    sockets = []
    try:
        for _ in range(300):
            sockets.append(stalled(url, PARTIAL))
        started = time.monotonic()
        status, body, _ = request("POST", f"{url}/subscribe", form={"email": "real@example.org"})
        answered_in = time.monotonic() - started
        assert status == 200 and "Check your inbox" in body
        assert answered_in < WAIT / 2  # a generous bound: the bench script measures it
        assert open_store(db).find("real@example.org").state == "pending"
        wait_for(lambda: b"at the cap of" in log.read_bytes(), "the cap to be logged")
    finally:
        for sock in sockets:
            sock.close()
        proc.kill()
        proc.wait(20)
    text = log.read_text()
    assert text.count("at the cap of 128 connections: closed the one from 127.0.0.1") == 1  # once, not 172 times
    assert "Exception" not in text and "out of system resource" not in text
    assert len(text) < 10_000
