"""The service killed with SIGKILL in the middle of sign-ups loses nothing it
answered 2xx for: `tipweek list serve` in a subprocess, a stream of sign-ups,
kill -9 while they are arriving, a restart on the same database."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from list_support import HOST, SECRET, free_socket, request, wait_for
from tipweek.list.database import open_store

TIPWEEK = Path(sys.executable).parent / "tipweek"


def start(project: Path, db: str) -> tuple[subprocess.Popen, str]:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "TIPWEEK_LIST_SECRET": SECRET}
    proc = subprocess.Popen([str(TIPWEEK), "list", "serve", "--db", db, "--port", str(port), "--ip-limit", "100000",
                             "--outbox", str(project / "outbox"), "-f", str(project / "mkdocs.yml")],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{HOST}:{port}"

    def up() -> bool:
        try:
            return request("GET", f"{url}/subscribe")[0] == 200
        except OSError:
            assert proc.poll() is None, "the service exited"
            return False

    wait_for(up, "the service to answer")
    return proc, url


def test_sigkill_loses_no_answered_sign_up(project):
    db = f"sqlite:///{project}/list.sqlite3"
    proc, url = start(project, db)
    answered: list[str] = []
    refused: list[str] = []  # no answer: the connection died with the process
    wrong: list[tuple[str, int]] = []  # asserted here, in the test's thread: a worker's assert fails nothing
    stop = threading.Event()

    def sign_ups(writer: int) -> None:
        n = 0
        while not stop.is_set():
            email = f"person{writer}-{n}@example.org"
            n += 1
            try:
                status = request("POST", f"{url}/subscribe", form={"email": email, "name": f"Person {n}"})[0]
            except (OSError, http.client.HTTPException):  # (the kill may also cut an answer half-read)
                refused.append(email)
                return
            if status != 200:
                wrong.append((email, status))
                continue
            answered.append(email)

    # Three at a time, so some are in flight when the signal comes.
    writers = [threading.Thread(target=sign_ups, args=(w,)) for w in range(3)]
    for writer in writers:
        writer.start()
    try:
        wait_for(lambda: len(answered) >= 30, "30 answered sign-ups")
        proc.send_signal(signal.SIGKILL)  # mid-stream: requests are arriving
        proc.wait(20)
    finally:
        stop.set()
        for writer in writers:
            writer.join(20)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert wrong == [], "a sign-up before the kill was answered with something other than 200"

    proc, url = start(project, db)  # the same database, after the crash
    try:
        stored = {s.email for s in open_store(db).everyone()}
        missing = [email for email in answered if email not in stored]
        print(f"\nSIGKILL after {len(answered)} answered sign-ups ({len(refused)} cut off): "
              f"{len(stored)} stored after restart, {len(missing)} answered ones missing")
        assert missing == []
        # And the restarted service works on them: one more sign-up, then the count again.
        assert request("POST", f"{url}/subscribe", form={"email": "after@example.org"})[0] == 200
        assert len(open_store(db).everyone()) == len(stored) + 1
    finally:
        proc.kill()
        proc.wait(20)
