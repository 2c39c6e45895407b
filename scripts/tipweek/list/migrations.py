"""The store's schema versions: the version a database holds is recorded in it
(``schema_version``), and opening an older store upgrades it in place, one
ordered step at a time, inside the transaction that opens it (so a step that
fails leaves the store as it was).

Version 1 is the store as the release before versions made it (no
``schema_version`` table). Each step turns version N-1 into N; a fresh
database gets the newest schema at once. A new table or index needs no step:
every opening makes the newest schema's missing ones.

- 2: the ``bounced`` state (a hard bounce during ``tipweek send --list``).
  SQLite cannot change a CHECK constraint, so ``subscribers`` is rebuilt (the
  procedure of SQLite's "Making Other Kinds Of Table Schema Changes", with
  foreign keys off on that connection); PostgreSQL swaps the constraint.
- 3: the ``erased`` state (a subscriber's own erasure: a keyed hash and the
  consent record stay) and ``paused_until`` (sends skip a paused reader);
  the same rebuild on SQLite, the constraint and a new column on PostgreSQL.
  And one key for every spelling of an address (``records.key``: the domain in
  its ASCII form), so an address with an accented domain is found however it
  was typed: the keys of such rows are made again.
"""

from __future__ import annotations

from .records import StoreError, key, schema

LATEST = 3

# The state column's rule at each version (what a rebuild must copy into).
_STATES_V2 = "('pending', 'confirmed', 'unsubscribed', 'bounced')"
_STATES_V3 = "('pending', 'confirmed', 'unsubscribed', 'bounced', 'erased')"

_VERSION_TABLE = "CREATE TABLE schema_version (version INTEGER NOT NULL)"


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _tables(cur, dialect: str) -> set[str]:
    if dialect == "sqlite":
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
    return {row[0] for row in cur.fetchall()}


def version_of(cur, dialect: str) -> int | None:
    """The store's version; None for an empty database."""
    tables = _tables(cur, dialect)
    if "subscribers" not in tables:
        return None
    if "schema_version" not in tables:
        return 1
    cur.execute("SELECT MAX(version) FROM schema_version")
    return cur.fetchone()[0] or 1


def bring_up_to_date(cur, dialect: str, *, id: str, ref: str) -> int:
    """Create the newest schema in an empty database, or upgrade an older one;
    the version it was at (0 for a new one). ``cur`` is inside the opening's
    write transaction, which serialises instances that open it together."""
    found = version_of(cur, dialect)
    if found is None:
        for statement in _statements(schema(id=id, ref=ref)):
            cur.execute(statement)
        cur.execute(_VERSION_TABLE)
        cur.execute(f"INSERT INTO schema_version (version) VALUES ({LATEST})")
        return 0
    if found > LATEST:
        raise StoreError(f"the list database is at schema version {found}, made by a newer tipweek than this "
                         f"one (which knows up to {LATEST}): upgrade tipweek")
    for version in range(found + 1, LATEST + 1):
        STEPS[version](cur, dialect, id=id, ref=ref)
        if version == 2:
            cur.execute(_VERSION_TABLE)
            cur.execute("INSERT INTO schema_version (version) VALUES (2)")
        else:
            cur.execute(f"UPDATE schema_version SET version = {version}")
    # A table or an index the newest schema adds is made where it is missing (each is
    # "IF NOT EXISTS"); a change to what exists (a column, a constraint) is a step above.
    for statement in _statements(schema(id=id, ref=ref)):
        if statement.startswith(("CREATE TABLE IF NOT EXISTS", "CREATE INDEX IF NOT EXISTS")):
            cur.execute(statement)
    return found


def _to_2(cur, dialect: str, *, id: str, ref: str) -> None:
    """The state CHECK allows 'bounced'."""
    _rebuild(cur, dialect, id=id, states=_STATES_V2, version=2)


def _to_3(cur, dialect: str, *, id: str, ref: str) -> None:
    """The state CHECK allows 'erased'; a paused_until column."""
    if dialect == "postgres":
        cur.execute("ALTER TABLE subscribers ADD COLUMN IF NOT EXISTS paused_until TEXT")
    _rebuild(cur, dialect, id=id, states=_STATES_V3, version=3, paused=True)
    mark = "?" if dialect == "sqlite" else "%s"
    cur.execute("SELECT id, email, email_key FROM subscribers")
    for row_id, email, old in cur.fetchall():
        if not old.isascii() and old != key(email):  # (only a non-ASCII key can change)
            cur.execute(f"SELECT email FROM subscribers WHERE email_key = {mark}", (key(email),))
            twin = cur.fetchone()
            if twin is not None:
                raise StoreError(f"the upgrade to schema version 3 found {email} twice, also as {twin[0]}: keep "
                                 "one (tipweek list export, remove a row, import into an empty database); "
                                 "nothing was changed")
            cur.execute(f"UPDATE subscribers SET email_key = {mark} WHERE id = {mark}", (key(email), row_id))


def _rebuild(cur, dialect: str, *, id: str, states: str, version: int, paused: bool = False) -> None:
    """``subscribers`` with a new state rule (and, on SQLite, the paused_until column when
    ``paused``): PostgreSQL swaps the constraint; SQLite, which cannot change one, copies the
    table into a new one."""
    check = f"CHECK (state IN {states})"
    if dialect == "postgres":
        cur.execute("ALTER TABLE subscribers DROP CONSTRAINT IF EXISTS subscribers_state_check")
        cur.execute(f"ALTER TABLE subscribers ADD CONSTRAINT subscribers_state_check {check}")
        return
    cur.execute("PRAGMA table_info(subscribers)")
    columns = ", ".join(row[1] for row in cur.fetchall())  # what the old table has, copied as it is
    cur.execute("SELECT seq FROM sqlite_sequence WHERE name = 'subscribers'")
    row = cur.fetchone()
    pause = ",\n    paused_until TEXT" if paused else ""
    cur.execute(f"""CREATE TABLE subscribers_new (
    id {id},
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL {check},
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    confirmation_sent_at TEXT{pause}
)""")
    cur.execute(f"INSERT INTO subscribers_new ({columns}) SELECT {columns} FROM subscribers")
    cur.execute("DROP TABLE subscribers")
    cur.execute("ALTER TABLE subscribers_new RENAME TO subscribers")
    if row is not None:  # AUTOINCREMENT never gives an id again, even one whose row is gone
        cur.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'subscribers'", (row[0],))
    cur.execute("PRAGMA foreign_key_check")
    if cur.fetchall():
        raise StoreError(f"the upgrade to schema version {version} would break the events' links to subscribers; "
                         "nothing was changed")


STEPS = {2: _to_2, 3: _to_3}
