"""The SQL every part of the store shares: statements written once with ``?``
placeholders, one row as a :class:`Subscriber`, an event appended to the consent
record, a row locked for the rest of the transaction. Each database's subclass
(sqlite, postgres) gives the transactions."""

from __future__ import annotations

from .records import COLUMNS, CONFIRMED, Subscriber, key

# Writes of many rows take turns (``_serialise``): each locks its rows in its own order, so two at
# once (an import and the bounce webhook's batch, on PostgreSQL) could otherwise deadlock.
BULK = "bulk writes"


class SqlBase:
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
        return self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE email_key = ? {self.lock_rows}",
                         key(email))

    def _erased(self, cur, erased_key: str) -> Subscriber | None:
        """The erased subscriber whose address has this keyed hash, locked; None if none."""
        return self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE email_key = ? {self.lock_rows}",
                         erased_key)

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
        """``changes`` written to the row, with the time of the change. A move out of confirmed
        (leaving, a bounce, a sign-up again) ends a pause: it was for the subscription that ended."""
        if changes.get("state", CONFIRMED) != CONFIRMED:
            changes.setdefault("paused_until", None)
        columns = ", ".join(f"{c} = ?" for c in changes)
        cur.execute(self._sql(f"UPDATE subscribers SET {columns}, updated_at = ? WHERE id = ?"),
                    (*changes.values(), at, sub.id))
        return self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE id = ?", sub.id)

    def _ids_given(self, cur) -> None:
        """After rows were inserted with their own ids (SQLite's AUTOINCREMENT follows by itself)."""

    def close(self) -> None:
        pass
