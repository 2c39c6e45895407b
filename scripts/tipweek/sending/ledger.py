"""The per-week delivery ledger and its lock.

One append-only file per week. Before a message goes out its address is
written as an ``attempt`` (with the message's Message-ID); after the server
(or the outbox) answered, as ``sent``, ``failed``, ``uncertain`` or
``bounced``; each line is flushed and fsynced. Several connections' workers
write to it, one whole line at a time under a lock. A lock file keeps two
runs for the same week apart; the ledger is read only once that lock is held.

``tipweek post`` keeps one too, in a folder of its own, with a chat channel
(named by a hash of its webhook's URL) where an address would be.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .address_set import AddressSet
from .errors import SendError


@dataclass(frozen=True, slots=True)
class Entry:
    """What the ledger last says about one address."""
    email: str
    status: str  # attempt, sent, failed, uncertain, bounced
    detail: str = ""
    message_id: str = ""  # of the first attempt, kept across later lines
    at: str = ""


def ledger_lines(path: Path, having: str = "") -> Iterator[dict]:
    """Each line of a ledger as written (email, status, and detail, message_id, at when given),
    a line at a time; a line cut by a crash mid-write is skipped, and with ``having`` so is every
    line without that text (cheaper than parsing it). No file: no lines."""
    try:
        handle = open(path, encoding="utf-8")
    except FileNotFoundError:
        return
    with handle:
        for line in handle:
            if having not in line:
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(raw, dict) and isinstance(raw.get("email"), str) and "status" in raw:
                yield raw


def read_entries(path: Path) -> dict[str, Entry]:
    """address (lower case) -> its last entry; a line cut by a crash is skipped."""
    entries: dict[str, Entry] = {}
    for raw in ledger_lines(path):
        key = raw["email"].lower()
        before = entries.get(key)
        first_id = before.message_id if before and before.message_id else str(raw.get("message_id", ""))
        entries[key] = Entry(raw["email"], str(raw["status"]), str(raw.get("detail", "")), first_id,
                             str(raw.get("at", "")))
    return entries


_SENT = "sent"


def utc_now() -> dt.datetime:
    """The time every ledger line is stamped with (``at``), and the daily quota's clock
    (``limits``): one place for a test to set it."""
    return dt.datetime.now(dt.timezone.utc)


class LedgerIndex:
    """What a held ledger says about each address, kept small for a list of millions: the
    delivered addresses as an ``AddressSet`` (16 bytes or so each), the few others (an attempt
    in flight, a failure, an uncertain or bounced one) as their last ``Entry``. ``get`` answers
    as ``read_entries``'s dict would, but for a delivered address's Message-ID, which no run needs."""

    def __init__(self) -> None:
        self._sent = AddressSet()
        self._others: dict[str, Entry] = {}

    def note(self, key: str, entry: Entry) -> None:
        if entry.status == _SENT:
            self._sent.add(key)
            self._others.pop(key, None)
            return
        before = self._others.get(key)
        if before and before.message_id and before.message_id != entry.message_id:
            entry = Entry(entry.email, entry.status, entry.detail, before.message_id, entry.at)
        self._others[key] = entry

    def get(self, key: str) -> Entry | None:
        found = self._others.get(key)
        if found is None and key in self._sent:
            return Entry(key, _SENT)
        return found


def read_index(path: Path) -> LedgerIndex:
    """``read_entries`` as a ``LedgerIndex``, a line at a time (a ledger of a million lines is
    never held whole)."""
    index = LedgerIndex()
    for raw in ledger_lines(path):
        index.note(raw["email"].lower(), Entry(raw["email"], str(raw["status"]), str(raw.get("detail", "")),
                                               str(raw.get("message_id", "")), str(raw.get("at", ""))))
    return index


def private(path, flags: int) -> int:
    """``open``'s opener for a file of addresses: readable by its owner alone when it is made."""
    return os.open(path, flags, 0o600)


class Ledger:
    """Append-only record of one week's deliveries."""

    def __init__(self, folder: Path, week: str, command: str = "tipweek send"):
        self.folder = folder
        self.command = command  # who keeps this ledger, for the message when its lock is held
        self.week = week
        self.path = folder / f"{week}.jsonl"
        self.lock_path = folder / f"{week}.lock"
        self.entries = LedgerIndex()  # read when the lock is held
        self._lock = None
        self._out = None
        self._writing = threading.Lock()

    def load(self) -> dict[str, Entry]:
        """Read-only, no lock (a dry run, the status)."""
        return read_entries(self.path)

    def __enter__(self) -> "Ledger":
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # (it holds the addresses mailed)
        self._lock = open(self.lock_path, "a")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise SendError(f"another '{self.command}' for this week is running (lock {self.lock_path}); "
                            "wait for it to finish") from None
        # Only now: a run that held the lock until a moment ago has written all it did.
        self.entries = read_index(self.path)
        cut = self._ends_in_a_cut_line()
        self._out = open(self.path, "a", encoding="utf-8", opener=private)
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

    def record(self, email: str, status: str, detail: str = "", message_id: str = "") -> None:
        """Append one line and fsync it before returning (safe from any thread)."""
        entry = {"email": email, "status": status,
                 "at": utc_now().isoformat(timespec="seconds")}
        if detail:
            entry["detail"] = detail
        if message_id:
            entry["message_id"] = message_id
        line = json.dumps(entry) + "\n"
        with self._writing:
            self._out.write(line)
            self._out.flush()
            os.fsync(self._out.fileno())
            self.entries.note(email.lower(), Entry(email, status, detail, message_id, entry["at"]))
