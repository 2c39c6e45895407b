"""The list's one interface for the service, the operator commands and the
sender, whatever the database (what it hands out is in ``records``).

Every method that changes something is one transaction: either all of it is
stored (and durable once the method returns) or none of it. The SQL is shared;
``sqlite`` and ``postgres`` differ only in how they connect, lock and create
the schema.

The consent record is the ``events`` table: every join, confirmation and
departure with its time and how it came (form, import, one-click, page,
operator, send, webhook). It is only ever appended to.
"""

from __future__ import annotations

from typing import Iterator

from .bounces import Bounces
from .operator_writes import OperatorWrites
from .outcomes import Outcomes
from .records import COLUMNS, PENDING, BOUNCED, CONFIRMED, Event, Subscriber, key
from .subscriptions import Subscriptions


class SqlStore(Subscriptions, Bounces, Outcomes, OperatorWrites):
    """The whole store: the service's writes (``subscriptions``), delivery's (``outcomes``), the
    email service's reports (``bounces``), the operator's (``operator_writes``), and the reads here.
    ``sqlite`` and ``postgres`` subclass it."""

    def recipients_after(self, last_id: int, limit: int) -> list[Subscriber]:
        """The next ``limit`` subscribers after id ``last_id`` that a send meets: confirmed ones to
        mail, and those who left or bounced (counted, not mailed); pending ones are not on the list yet.
        Read as the send goes, so someone who leaves during a run is not mailed by it."""
        with self._read() as cur:
            cur.execute(self._sql(f"SELECT {COLUMNS} FROM subscribers WHERE id > ? AND state <> ? "
                                  "ORDER BY id LIMIT ?"), (last_id, PENDING, limit))
            return [Subscriber(*row) for row in cur.fetchall()]

    def bounced(self) -> list[tuple[Subscriber, str]]:
        """The bounced subscribers, each with the time of their last bounce."""
        with self._read() as cur:
            cur.execute(self._sql(f"SELECT {COLUMNS} FROM subscribers WHERE state = ? ORDER BY id"), (BOUNCED,))
            found = [Subscriber(*row) for row in cur.fetchall()]
        return [(sub, sub.updated_at) for sub in found]

    def count(self, state: str) -> int:
        with self._read() as cur:
            cur.execute(self._sql("SELECT COUNT(*) FROM subscribers WHERE state = ?"), (state,))
            return cur.fetchone()[0]

    def history(self, email: str) -> tuple[Subscriber, list[Event]] | None:
        """One address with its whole consent record, oldest first; None when unknown."""
        sub = self.find(email)
        return self.history_of(sub.id) if sub is not None else None

    def history_of(self, subscriber_id: int) -> tuple[Subscriber, list[Event]] | None:
        """One subscriber with their whole consent record, oldest first (what "download my data" gives)."""
        with self._read() as cur:
            sub = self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE id = ?", subscriber_id)
            if sub is None:
                return None
            cur.execute(self._sql("SELECT subscriber_id, at, action, how FROM events WHERE subscriber_id = ? "
                                  "ORDER BY id"), (sub.id,))
            return sub, [Event(*row) for row in cur.fetchall()]

    def erasure_check(self) -> str | None:
        """What the secret of this list's erasures gives as ``Tokens.erasure_check``; None before any."""
        with self._read() as cur:
            cur.execute("SELECT MIN(value) FROM erasure_check")
            return cur.fetchone()[0]

    def get(self, subscriber_id: int) -> Subscriber | None:
        with self._read() as cur:
            return self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE id = ?", subscriber_id)

    def find(self, email: str) -> Subscriber | None:
        with self._read() as cur:
            return self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE email_key = ?", key(email))

    def everyone(self) -> list[Subscriber]:
        with self._read() as cur:
            cur.execute(f"SELECT {COLUMNS} FROM subscribers ORDER BY id")
            return [Subscriber(*row) for row in cur.fetchall()]

    def events(self) -> list[Event]:
        with self._read() as cur:
            cur.execute("SELECT subscriber_id, at, action, how FROM events ORDER BY id")
            return [Event(*row) for row in cur.fetchall()]

    def with_history(self) -> list[tuple[Subscriber, list[Event]]]:
        """Everyone with their events, oldest first, from one statement (so one snapshot: a
        backup never holds a state without the event that led to it)."""
        columns = [f"s.{c}" for c in COLUMNS.split(", ")]
        with self._read() as cur:
            cur.execute(f"SELECT {', '.join(columns)}, e.at, e.action, e.how FROM subscribers s "
                        "LEFT JOIN events e ON e.subscriber_id = s.id ORDER BY s.id, e.id")
            found: dict[int, tuple[Subscriber, list[Event]]] = {}
            for row in cur.fetchall():
                sub, (at, action, how) = Subscriber(*row[:len(columns)]), row[len(columns):]
                _, events = found.setdefault(sub.id, (sub, []))
                if at is not None:
                    events.append(Event(sub.id, at, action, how))
        return list(found.values())

    def deliverable(self) -> Iterator[Subscriber]:
        """Confirmed subscribers (an unsubscribed address is never confirmed), oldest first."""
        with self._read() as cur:
            cur.execute(self._sql(f"SELECT {COLUMNS} FROM subscribers WHERE state = ? ORDER BY id"), (CONFIRMED,))
            rows = cur.fetchall()
        return iter([Subscriber(*row) for row in rows])
