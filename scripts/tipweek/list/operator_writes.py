"""The operator's writes: an unsubscribe by hand, an import of people who opted in
elsewhere, and the restore of an export file; each one transaction, all or nothing."""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterable

from .records import (BOUNCED, COLUMNS, CONFIRMED, ERASED, PENDING, STATES, UNSUBSCRIBED, IdTaken, ImportReport,
                      RestoreReport, Subscriber, key, stamp)
from .sql import BULK, SqlBase

# The events that end in each state that keeps mail away (what a restore carries over).
_ENDINGS = {UNSUBSCRIBED: ("left", "complained"), BOUNCED: ("bounced",)}


class OperatorWrites(SqlBase):
    """The operator commands' writes (``tipweek list unsubscribe``, ``import``)."""

    def unsubscribe_address(self, email: str, now: dt.datetime,
                            erased_key: Callable[[str], str] | None = None) -> tuple[Subscriber, bool]:
        """An operator's unsubscribe. An unknown address is recorded as
        unsubscribed, so no later import adds it; an erased one stays erased (no import adds
        it either). Returns (subscriber, changed). ``erased_key``: ``Tokens.erased_key``, needed
        when the store holds erased addresses."""
        at = stamp(now)
        with self._write() as cur:
            sub = self._locked(cur, email)
            if sub is None and erased_key is not None and (gone := self._erased(cur, erased_key(email))):
                return gone, False
            added = sub is None and (sub := self._add(cur, email, "", UNSUBSCRIBED, at)) is not None
            sub = sub or self._locked(cur, email)  # (a sign-up added the address just now)
            if not added:
                if sub.state == UNSUBSCRIBED:
                    return sub, False
                sub = self._set(cur, sub, at, state=UNSUBSCRIBED)
            self._event(cur, sub.id, at, "left", "operator")
            return sub, True

    def import_confirmed(self, people: Iterable[tuple[str, str]], now: dt.datetime,
                         erased_key: Callable[[str], str] | None = None) -> ImportReport:
        """People who opted in elsewhere, all in one transaction. Someone who erased their
        data is left out (``erased_key`` finds them): their consent elsewhere predates their
        erasure here, and only their own sign-up brings them back."""
        at = stamp(now)
        added = confirmed = unchanged = suppressed = erased = 0
        with self._write() as cur:
            self._serialise(cur, BULK)  # (see BULK)
            for email, name in people:
                sub = self._locked(cur, email)
                if sub is None and erased_key is not None and self._erased(cur, erased_key(email)):
                    erased += 1
                elif sub is None:
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
        return ImportReport(added, confirmed, unchanged, suppressed, erased)

    def restore(self, rows: Iterable, erased_key: Callable[[str], str] | None = None) -> RestoreReport:
        """The rows of an export file (``backup.Restored``), all in one transaction: a new
        address with its own id (when free), times and history; one the store has already
        keeps its record, unless the file has them leaving after its last change. An erased
        row's ``email`` is its keyed hash; an address the store holds erased stays erased."""
        added = {state: 0 for state in STATES}
        unconfirmed = left = kept = 0
        taken: list[tuple[int, str]] = []
        with self._write() as cur:
            self._serialise(cur, BULK)  # (see BULK)
            for row in rows:
                sub = self._locked(cur, row.email)  # (an erased row's hash is its own key)
                if sub is None and row.state != ERASED and erased_key is not None:
                    sub = self._erased(cur, erased_key(row.email))
                if sub is None:
                    if row.id is not None:
                        holder = self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE id = ?", row.id)
                        if holder is not None:
                            taken.append((row.line, f"id {row.id} belongs to {holder.email} in this database "
                                                    "(restore a backup into an empty database, or leave the "
                                                    "id empty for a new one)"))
                            continue
                    columns = "email, email_key, name, state, created_at, updated_at, paused_until"
                    values = [row.email, key(row.email), row.name, row.state, row.joined, row.updated,
                              row.paused_until]
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
