"""Two limits that stop a run before the relay does: a breaker for failures in
a row (``send --max-errors``) and a daily quota (``send --max-per-day``).

The breaker. N deliveries in a row that did not go through (a 4xx once its
retries are used up, a 5xx, a hard bounce, a lost answer; a success in between
starts the count again; a 4xx that a later round tries again is no failure yet)
say more about the relay than about N addresses: a suspended account, a wrong
login, a blocked sender. The run stops (the messages already under way on other
connections finish, so up to N + connections - 1 fail), and no one is marked
for the stop itself: those not yet tried have no ledger line and the next run
sends to them; the failures are ``failed`` in the ledger as ever, which the
next run tries again. Only a hard bounce (a 5xx to the recipient itself) is
kept from later runs, and a relay that refuses everything answers every RCPT
with one, so a hard bounce is suppressed only once the relay has been seen to
take a later message in the same run, or the run got to the end of its list
after the relay took at least one message; a run that stops first, or that the
relay took nothing of (a short list, a re-run with a few left), leaves it to be
tried again (listmonk, likewise, pauses a campaign at its error threshold and
blocklists only on bounce reports, never on an error at sending). An uncertain
delivery (its answer was lost) counts too, and stays uncertain: it may have
arrived.

The quota. Relays count the messages they took in the last 24 hours, across
everything you send, so the quota counts the ``sent`` lines of every week's
ledger in the ledger folder by their time (``at``, in every line the ledger
writes), and this run's as they go. A connection reserves a slot before its
message goes out and gives it back if the message did not go through, so
several connections never pass the limit together. A line without a time
(one written by hand) is not counted.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from pathlib import Path
from typing import Callable, Iterable

from . import ledger as ledgers

WINDOW = dt.timedelta(hours=24)


class ErrorBreaker:
    """Failures in a row, and the hard bounces among them not yet suppressed; called under
    the run's lock. ``limit`` 0: it never trips."""

    def __init__(self, limit: int):
        self.limit = limit
        self.streak = 0
        self.bounces: list = []  # (subscriber, the server's answer), waiting for a success

    def failure(self) -> bool:
        """One more delivery that did not go through; True once that makes ``limit`` in a row."""
        self.streak += 1
        return bool(self.limit) and self.streak >= self.limit

    def success(self) -> list:
        """A delivery went through: the count starts again, and the hard bounces held until now
        are the addresses' own (returned, to be suppressed)."""
        self.streak = 0
        held, self.bounces = self.bounces, []
        return held


def _time(value) -> dt.datetime | None:
    try:
        at = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)


def sent_since(folder: Path, since: dt.datetime) -> list[dt.datetime]:
    """When each message that every ledger in ``folder`` records as sent after ``since`` went,
    oldest first. A ledger not written since then is not read: it only ever grows, so its
    newest line is no newer than the file."""
    times = []
    for path in sorted(folder.glob("*.jsonl")):
        try:
            if dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc) < since:
                continue
        except FileNotFoundError:
            continue
        for raw in ledgers.ledger_lines(path, having='"sent"'):  # (most lines are not: not parsed)
            at = _time(raw.get("at")) if raw["status"] == "sent" else None
            if at is not None and at > since:
                times.append(at)
    return sorted(times)


TAKEN, BUSY, FULL = "taken", "busy", "full"


class DailyQuota:
    """At most ``limit`` messages in any 24 hours: the sends in the window, oldest first, and
    the slots reserved by messages in flight. Safe from any thread."""

    def __init__(self, limit: int, sent: Iterable[dt.datetime],
                 clock: Callable[[], dt.datetime] = lambda: ledgers.utc_now()):
        self.limit, self.clock = limit, clock
        self.times = deque(sent)
        self.reserved = 0
        self._lock = threading.Lock()

    @classmethod
    def of(cls, folder: Path, limit: int, **clock) -> "DailyQuota":
        """The quota with what the ledgers in ``folder`` sent in the last 24 hours."""
        quota = cls(limit, (), **clock)
        quota.times.extend(sent_since(folder, quota.clock() - WINDOW))
        return quota

    def _slide(self) -> None:
        start = self.clock() - WINDOW
        while self.times and self.times[0] <= start:
            self.times.popleft()

    def reserve(self) -> str:
        """A slot for one message (TAKEN); none free, but a message in flight may give its slot
        back (BUSY); none free at all (FULL)."""
        with self._lock:
            self._slide()
            if len(self.times) + self.reserved < self.limit:
                self.reserved += 1
                return TAKEN
            return BUSY if self.reserved else FULL

    def release(self, sent: bool) -> None:
        """The reserved message went out (``sent``: it counts from now) or did not (the slot is free)."""
        with self._lock:
            self.reserved -= 1
            if sent:
                self.times.append(self.clock())

    def used(self) -> int:
        """Messages sent in the last 24 hours."""
        with self._lock:
            self._slide()
            return len(self.times)

    def free_again_at(self) -> dt.datetime:
        """When the oldest message counted now leaves the window, freeing a slot (now, if none is counted)."""
        with self._lock:
            self._slide()
            return (self.times[0] if self.times else self.clock()) + WINDOW
