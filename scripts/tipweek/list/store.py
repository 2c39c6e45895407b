"""The list's records and the one interface the service, the operator commands
and the sender use, whatever the database.

Every method that changes something is one transaction: either all of it is
stored (and durable once the method returns) or none of it. The SQL is shared;
``sqlite`` and ``postgres`` differ only in how they connect, lock and create
the schema.

The consent record is the ``events`` table: every join, confirmation and
departure with its time and how it came (form, import, one-click, page,
operator). It is only ever appended to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Iterator

PENDING, CONFIRMED, UNSUBSCRIBED, BOUNCED = "pending", "confirmed", "unsubscribed", "bounced"
STATES = (PENDING, CONFIRMED, UNSUBSCRIBED, BOUNCED)
# How a move came: "send" is a mail server's answer to `tipweek send --list` (a hard bounce).
HOWS = ("form", "import", "one-click", "page", "operator", "send")
CONFIRMATION_INTERVAL = dt.timedelta(hours=24)  # the per-address limit on confirmation emails counts this far back
CONFIRMATIONS_PER_DAY = 3  # enough for a lost email or a second try; too few to flood an inbox
IP_WINDOW = dt.timedelta(hours=1)  # the per-IP sign-up limit counts this far back


# The tables at the newest schema version (``migrations`` upgrades an older store), the same
# on every database but for how an id is made: schema(id=..., ref=...) fills in the dialect's
# column types.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscribers (
    id {id},
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'unsubscribed', 'bounced')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    confirmation_sent_at TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id {id},
    subscriber_id {ref} NOT NULL REFERENCES subscribers (id),
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    how TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS signups (ip TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS signups_ip ON signups (ip, at);
CREATE TABLE IF NOT EXISTS confirmations (subscriber_id {ref} NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS confirmations_subscriber ON confirmations (subscriber_id, at);
"""


def schema(*, id: str, ref: str) -> str:
    return _SCHEMA.format(id=id, ref=ref)


class StoreError(Exception):
    """The database cannot be opened or used (one line for the operator)."""


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    email: str
    name: str
    state: str
    created_at: str  # ISO 8601, UTC
    updated_at: str
    confirmation_sent_at: str | None


@dataclass(frozen=True, slots=True)
class Event:
    subscriber_id: int
    at: str
    action: str  # joined | confirmed | left | bounced | complained
    how: str


@dataclass(frozen=True, slots=True)
class SignUp:
    """What a sign-up did: the subscriber (None when refused) and whether a
    confirmation email is due now (False when the address is confirmed
    already, or held back: CONFIRMATIONS_PER_DAY were sent in the last 24 h)."""
    subscriber: Subscriber | None
    send_confirmation: bool
    refused: str | None = None  # "ip-limit"
    retry_after: dt.timedelta | None = None  # when refused or held back: until the oldest counted one leaves the window
    held_back: bool = False


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    confirmed: int  # pending ones the import confirmed
    unchanged: int  # confirmed already
    suppressed: int  # unsubscribed: an import never overrides someone's leaving


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """What an import of an export file did (``backup`` has its consent rule)."""
    added: dict  # state -> how many new addresses
    unconfirmed: int  # of the pending ones: the file said confirmed, with no confirmation in their history
    left: int  # on the list already; the file has them leaving (or bouncing) after the store's last change
    kept: int  # on the list already, kept as the store has them


class IdTaken(StoreError):
    """Rows whose id belongs to another address here: [(line, message)]."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(f"{len(problems)} id(s) taken")
        self.problems = problems


def stamp(now: dt.datetime) -> str:
    """Fixed-width UTC text, so comparing strings compares times (in both databases)."""
    return now.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unstamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)


def key(email: str) -> str:
    return email.strip().lower()


# The events that end in each state that keeps mail away (what a restore carries over).
_ENDINGS = {UNSUBSCRIBED: ("left", "complained"), BOUNCED: ("bounced",)}

_COLUMNS = "id, email, name, state, created_at, updated_at, confirmation_sent_at"


class SqlStore:
    """The shared SQL. Each database's subclass (sqlite, postgres) gives its
    ``placeholder`` and ``lock_rows``, ``_write`` (a transaction that serialises
    writers, as a context manager yielding a cursor), ``_serialise`` where the
    database does not serialise writers by itself, and ``_ids_given`` (what a
    restore that keeps ids must do to the id counter); it brings the schema up to
    date when it opens (migrations)."""

    placeholder = "?"
    lock_rows = ""  # "FOR UPDATE" where the database has it

    def _serialise(self, cur, what: str) -> None:
        """Hold off, until this transaction ends, every other transaction that
        serialises on ``what`` (a per-IP count has no row to lock). SQLite needs
        nothing: its writers take turns already."""

    # ------------------------------------------------------------ plumbing
    def _sql(self, text: str) -> str:
        return text.replace("?", self.placeholder) if self.placeholder != "?" else text

    def _write(self):
        """A context manager: one write transaction on a fresh connection."""
        raise NotImplementedError

    def _read(self):
        raise NotImplementedError

    def _one(self, cur, sql: str, *args) -> Subscriber | None:
        cur.execute(self._sql(sql), args)
        row = cur.fetchone()
        return Subscriber(*row) if row else None

    def _event(self, cur, subscriber_id: int, at: str, action: str, how: str) -> None:
        cur.execute(self._sql("INSERT INTO events (subscriber_id, at, action, how) VALUES (?, ?, ?, ?)"),
                    (subscriber_id, at, action, how))

    def _locked(self, cur, email: str) -> Subscriber | None:
        return self._one(cur, f"SELECT {_COLUMNS} FROM subscribers WHERE email_key = ? {self.lock_rows}",
                         key(email))

    def _insert(self, cur, email: str, name: str, state: str, at: str) -> Subscriber:
        return self._add(cur, email, name, state, at) or self._locked(cur, email)

    def _add(self, cur, email: str, name: str, state: str, at: str) -> Subscriber | None:
        """The new row; None when another transaction inserted the address
        first (on PostgreSQL, two may both have found it missing: the row count
        says which one added it)."""
        cur.execute(self._sql("INSERT INTO subscribers (email, email_key, name, state, created_at, updated_at) "
                              "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (email_key) DO NOTHING"),
                    (email, key(email), name, state, at, at))
        return self._locked(cur, email) if cur.rowcount == 1 else None

    def _set(self, cur, sub: Subscriber, at: str, **changes) -> Subscriber:
        columns = ", ".join(f"{c} = ?" for c in changes)
        cur.execute(self._sql(f"UPDATE subscribers SET {columns}, updated_at = ? WHERE id = ?"),
                    (*changes.values(), at, sub.id))
        return self._one(cur, f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?", sub.id)

    # ------------------------------------------------------------ the service
    def subscribe(self, email: str, name: str, now: dt.datetime, *, ip: str | None = None,
                  ip_limit: int | None = None) -> SignUp:
        """Record a sign-up from the form: a new address, or one that left,
        becomes pending; a pending one gets its name updated. Claims the
        address's confirmation slot when one is due."""
        at = stamp(now)
        with self._write() as cur:
            if ip is not None:
                self._serialise(cur, f"ip {ip}")  # count and add this address's sign-ups one at a time
            if ip is not None and ip_limit is not None:
                cur.execute(self._sql("DELETE FROM signups WHERE at < ?"), (stamp(now - IP_WINDOW),))
                cur.execute(self._sql("SELECT COUNT(*), MIN(at) FROM signups WHERE ip = ?"), (ip,))
                count, oldest = cur.fetchone()
                if count >= ip_limit:
                    return SignUp(None, False, "ip-limit", unstamp(oldest) + IP_WINDOW - now)
            sub = self._locked(cur, email)
            joined = sub is None and (sub := self._add(cur, email, name, PENDING, at)) is not None
            sub = sub or self._locked(cur, email)  # (another sign-up of the address added it just now)
            if joined:
                self._event(cur, sub.id, at, "joined", "form")
            elif sub.state in (UNSUBSCRIBED, BOUNCED):  # a new confirmation also shows the mailbox works
                sub = self._set(cur, sub, at, state=PENDING, name=name or sub.name)
                self._event(cur, sub.id, at, "joined", "form")
            elif sub.state == PENDING and name and name != sub.name:
                sub = self._set(cur, sub, at, name=name)
            if ip is not None:
                cur.execute(self._sql("INSERT INTO signups (ip, at) VALUES (?, ?)"), (ip, at))
            if sub.state != PENDING:
                return SignUp(sub, False)
            # Every sign-up of a pending address gets an email (the last one may
            # be lost, or never sent: a crash between here and the relay), up to
            # CONFIRMATIONS_PER_DAY a day.
            # (This address's rows only: under its row lock, with no other sign-up waiting on them.)
            since = stamp(now - CONFIRMATION_INTERVAL)
            cur.execute(self._sql("DELETE FROM confirmations WHERE subscriber_id = ? AND at <= ?"), (sub.id, since))
            cur.execute(self._sql("SELECT COUNT(*), MIN(at) FROM confirmations WHERE subscriber_id = ?"), (sub.id,))
            sent, oldest = cur.fetchone()
            if sent >= CONFIRMATIONS_PER_DAY:
                return SignUp(sub, False, retry_after=unstamp(oldest) + CONFIRMATION_INTERVAL - now, held_back=True)
            cur.execute(self._sql("INSERT INTO confirmations (subscriber_id, at) VALUES (?, ?)"), (sub.id, at))
            sub = self._set(cur, sub, at, confirmation_sent_at=at)
            return SignUp(sub, True)

    def release_confirmation(self, subscriber: Subscriber, previous: str | None, now: dt.datetime) -> None:
        """The confirmation email could not be sent: free the slot again."""
        with self._write() as cur:
            cur.execute(self._sql("DELETE FROM confirmations WHERE subscriber_id = ? AND at = ?"),
                        (subscriber.id, subscriber.confirmation_sent_at))
            self._set(cur, subscriber, stamp(now), confirmation_sent_at=previous)

    def confirm(self, subscriber_id: int, now: dt.datetime, how: str = "page") -> Subscriber | None:
        """pending -> confirmed. Confirmed stays confirmed (a second click is
        harmless); one who left stays left (an old link does not undo that)."""
        at = stamp(now)
        with self._write() as cur:
            sub = self._one(cur, f"SELECT {_COLUMNS} FROM subscribers WHERE id = ? {self.lock_rows}", subscriber_id)
            if sub is not None and sub.state == PENDING:
                sub = self._set(cur, sub, at, state=CONFIRMED)
                self._event(cur, sub.id, at, "confirmed", how)
            return sub

    def unsubscribe(self, subscriber_id: int, now: dt.datetime, how: str) -> Subscriber | None:
        at = stamp(now)
        with self._write() as cur:
            sub = self._one(cur, f"SELECT {_COLUMNS} FROM subscribers WHERE id = ? {self.lock_rows}", subscriber_id)
            if sub is not None and sub.state != UNSUBSCRIBED:
                sub = self._set(cur, sub, at, state=UNSUBSCRIBED)
                self._event(cur, sub.id, at, "left", how)
            return sub

    # ------------------------------------------------------------ the sender
    def record_outcome(self, subscriber_id: int, action: str, now: dt.datetime, how: str = "send",
                       ) -> Subscriber | None:
        """What a send learnt about a subscriber, written to where they live: ``bounced`` (a hard
        bounce) makes them bounced, ``complained`` and ``left`` make them unsubscribed; each with
        its event in the consent record. Someone who left already stays as they are."""
        state = {"bounced": BOUNCED, "complained": UNSUBSCRIBED, "left": UNSUBSCRIBED}[action]
        at = stamp(now)
        with self._write() as cur:
            sub = self._one(cur, f"SELECT {_COLUMNS} FROM subscribers WHERE id = ? {self.lock_rows}", subscriber_id)
            if sub is not None and sub.state in (PENDING, CONFIRMED) or \
                    sub is not None and sub.state == BOUNCED and state == UNSUBSCRIBED:
                sub = self._set(cur, sub, at, state=state)
                self._event(cur, sub.id, at, action, how)
            return sub

    def lift_bounce(self, email: str, now: dt.datetime) -> Subscriber | None:
        """The operator's word that a bounced address works again: it is confirmed as before (its
        consent is the confirmation already in its record; the event says who lifted it).
        None when the address is not bounced here."""
        at = stamp(now)
        with self._write() as cur:
            sub = self._locked(cur, email)
            if sub is None or sub.state != BOUNCED:
                return None
            sub = self._set(cur, sub, at, state=CONFIRMED)
            self._event(cur, sub.id, at, "confirmed", "operator")
            return sub

    def recipients_after(self, last_id: int, limit: int) -> list[Subscriber]:
        """The next ``limit`` subscribers after id ``last_id`` that a send meets: confirmed ones to
        mail, and those who left or bounced (counted, not mailed); pending ones are not on the list yet.
        Read as the send goes, so someone who leaves during a run is not mailed by it."""
        with self._read() as cur:
            cur.execute(self._sql(f"SELECT {_COLUMNS} FROM subscribers WHERE id > ? AND state <> ? "
                                  "ORDER BY id LIMIT ?"), (last_id, PENDING, limit))
            return [Subscriber(*row) for row in cur.fetchall()]

    def bounced(self) -> list[tuple[Subscriber, str]]:
        """The bounced subscribers, each with the time of their last bounce."""
        with self._read() as cur:
            cur.execute(self._sql(f"SELECT {_COLUMNS} FROM subscribers WHERE state = ? ORDER BY id"), (BOUNCED,))
            found = [Subscriber(*row) for row in cur.fetchall()]
        return [(sub, sub.updated_at) for sub in found]

    def count(self, state: str) -> int:
        with self._read() as cur:
            cur.execute(self._sql("SELECT COUNT(*) FROM subscribers WHERE state = ?"), (state,))
            return cur.fetchone()[0]

    def history(self, email: str) -> tuple[Subscriber, list[Event]] | None:
        """One address with its whole consent record, oldest first; None when unknown."""
        with self._read() as cur:
            sub = self._one(cur, f"SELECT {_COLUMNS} FROM subscribers WHERE email_key = ?", key(email))
            if sub is None:
                return None
            cur.execute(self._sql("SELECT subscriber_id, at, action, how FROM events WHERE subscriber_id = ? "
                                  "ORDER BY id"), (sub.id,))
            return sub, [Event(*row) for row in cur.fetchall()]

    # ------------------------------------------------------------ the operator
    def unsubscribe_address(self, email: str, now: dt.datetime) -> tuple[Subscriber, bool]:
        """An operator's unsubscribe. An unknown address is recorded as
        unsubscribed, so no later import adds it. Returns (subscriber, changed)."""
        at = stamp(now)
        with self._write() as cur:
            sub = self._locked(cur, email)
            added = sub is None and (sub := self._add(cur, email, "", UNSUBSCRIBED, at)) is not None
            sub = sub or self._locked(cur, email)  # (a sign-up added the address just now)
            if not added:
                if sub.state == UNSUBSCRIBED:
                    return sub, False
                sub = self._set(cur, sub, at, state=UNSUBSCRIBED)
            self._event(cur, sub.id, at, "left", "operator")
            return sub, True

    def import_confirmed(self, people: Iterable[tuple[str, str]], now: dt.datetime) -> ImportReport:
        """People who opted in elsewhere, all in one transaction."""
        at = stamp(now)
        added = confirmed = unchanged = suppressed = 0
        with self._write() as cur:
            for email, name in people:
                sub = self._locked(cur, email)
                if sub is None:
                    sub = self._insert(cur, email, name, CONFIRMED, at)
                    self._event(cur, sub.id, at, "joined", "import")
                    self._event(cur, sub.id, at, "confirmed", "import")
                    added += 1
                elif sub.state == PENDING:
                    self._set(cur, sub, at, state=CONFIRMED, name=name or sub.name)
                    self._event(cur, sub.id, at, "confirmed", "import")
                    confirmed += 1
                elif sub.state == CONFIRMED:
                    unchanged += 1
                else:
                    suppressed += 1
        return ImportReport(added, confirmed, unchanged, suppressed)

    def restore(self, rows: Iterable) -> RestoreReport:
        """The rows of an export file (``backup.Restored``), all in one transaction: a new
        address with its own id (when free), times and history; one the store has already
        keeps its record, unless the file has them leaving after its last change."""
        added = {state: 0 for state in STATES}
        unconfirmed = left = kept = 0
        taken: list[tuple[int, str]] = []
        with self._write() as cur:
            for row in rows:
                sub = self._locked(cur, row.email)
                if sub is None:
                    if row.id is not None:
                        holder = self._one(cur, f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?", row.id)
                        if holder is not None:
                            taken.append((row.line, f"id {row.id} belongs to {holder.email} in this database "
                                                    "(restore a backup into an empty database, or leave the "
                                                    "id empty for a new one)"))
                            continue
                    columns = "email, email_key, name, state, created_at, updated_at"
                    values = [row.email, key(row.email), row.name, row.state, row.joined, row.updated]
                    if row.id is not None:
                        columns, values = "id, " + columns, [row.id, *values]
                    marks = ", ".join("?" * len(values))
                    cur.execute(self._sql(f"INSERT INTO subscribers ({columns}) VALUES ({marks})"), values)
                    sub = self._locked(cur, row.email)
                    for at, action, how in row.events:
                        self._event(cur, sub.id, at, action, how)
                    added[row.state] += 1
                    unconfirmed += row.unconfirmed
                elif row.state in (UNSUBSCRIBED, BOUNCED) and sub.state in (PENDING, CONFIRMED) and \
                        (leaving := [e for e in row.events if e[1] in _ENDINGS[row.state]][-1])[0] > sub.updated_at:
                    at, action, how = leaving
                    self._set(cur, sub, at, state=row.state)
                    self._event(cur, sub.id, at, action, how)
                    left += 1
                else:
                    kept += 1
            if taken:
                raise IdTaken(taken)  # rolls the whole import back
            self._ids_given(cur)
        return RestoreReport(added, unconfirmed, left, kept)

    def _ids_given(self, cur) -> None:
        """After rows were inserted with their own ids (SQLite's AUTOINCREMENT follows by itself)."""

    # ------------------------------------------------------------ reading
    def get(self, subscriber_id: int) -> Subscriber | None:
        with self._read() as cur:
            return self._one(cur, f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?", subscriber_id)

    def find(self, email: str) -> Subscriber | None:
        with self._read() as cur:
            return self._one(cur, f"SELECT {_COLUMNS} FROM subscribers WHERE email_key = ?", key(email))

    def everyone(self) -> list[Subscriber]:
        with self._read() as cur:
            cur.execute(f"SELECT {_COLUMNS} FROM subscribers ORDER BY id")
            return [Subscriber(*row) for row in cur.fetchall()]

    def events(self) -> list[Event]:
        with self._read() as cur:
            cur.execute("SELECT subscriber_id, at, action, how FROM events ORDER BY id")
            return [Event(*row) for row in cur.fetchall()]

    def with_history(self) -> list[tuple[Subscriber, list[Event]]]:
        """Everyone with their events, oldest first, from one statement (so one snapshot: a
        backup never holds a state without the event that led to it)."""
        columns = [f"s.{c}" for c in _COLUMNS.split(", ")]
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
            cur.execute(self._sql(f"SELECT {_COLUMNS} FROM subscribers WHERE state = ? ORDER BY id"), (CONFIRMED,))
            rows = cur.fetchall()
        return iter([Subscriber(*row) for row in rows])

    def close(self) -> None:
        pass
