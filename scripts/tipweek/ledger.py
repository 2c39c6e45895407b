"""The per-week delivery ledger and its lock.

One append-only file per week. Before a message goes out its address is
written as an ``attempt``; after the server (or the outbox) took it, as
``sent``; each line is flushed and fsynced. A lock file keeps two runs for
the same week apart; the ledger is read only once the lock is held.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from pathlib import Path

from .outcomes import SendError


class Ledger:
    """Append-only record of one week's deliveries."""

    def __init__(self, folder: Path, week: str):
        self.folder = folder
        self.path = folder / f"{week}.jsonl"
        self.lock_path = folder / f"{week}.lock"
        self.state: dict[str, str] = {}
        self._lock = None
        self._out = None

    def load(self) -> dict[str, str]:
        """address (lower case) -> its last status; read-only, no lock (a dry run)."""
        state: dict[str, str] = {}
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return state
        for line in text.splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a crash mid-write
            if isinstance(entry, dict) and isinstance(entry.get("email"), str) and "status" in entry:
                state[entry["email"].lower()] = entry["status"]
        return state

    def __enter__(self) -> "Ledger":
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.lock_path, "a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise SendError(f"another 'tipweek send' for this week is running (lock {self.lock_path}); "
                            "wait for it to finish") from None
        # Only now: a run that held the lock until a moment ago has written all it did.
        self.state = self.load()
        cut = self._ends_in_a_cut_line()
        self._out = open(self.path, "a", encoding="utf-8")
        if cut:  # a crash cut the last line: start on a fresh one, or the next entry is lost with it
            self._out.write("\n")
        return self

    def _ends_in_a_cut_line(self) -> bool:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                if handle.tell() == 0:
                    return False
                handle.seek(-1, os.SEEK_END)
                return handle.read(1) != b"\n"
        except FileNotFoundError:
            return False

    def __exit__(self, *exc) -> None:
        if self._out:
            self._out.close()
        if self._lock:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()

    def record(self, email: str, status: str, detail: str = "") -> None:
        entry = {"email": email, "status": status,
                 "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        if detail:
            entry["detail"] = detail
        self._out.write(json.dumps(entry) + "\n")
        self._out.flush()
        os.fsync(self._out.fileno())
        self.state[email.lower()] = status
