"""The store on SQLite: one file, WAL, and synchronous=FULL so that a commit
has reached the disk before the service answers (a SIGKILL or a power cut
loses nothing it said yes to)."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path

from .migrations import bring_up_to_date
from .store import SqlStore, StoreError

ID, REF = "INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER"


class SqliteStore(SqlStore):
    def __init__(self, path: Path):
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connection() as conn:
                conn.execute("PRAGMA journal_mode=WAL")
                # Off for the upgrade alone: rebuilding a table must not check (or cascade) the
                # events' links half-way; the last step checks them all.
                conn.execute("PRAGMA foreign_keys=OFF")
                conn.execute("BEGIN IMMEDIATE")
                try:
                    self.upgraded_from = bring_up_to_date(conn.cursor(), "sqlite", id=ID, ref=REF)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the list database ({exc})") from None

    @contextmanager
    def _connection(self):
        # One connection per transaction: the service calls from several threads.
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _write(self):
        with self._connection() as conn:
            # IMMEDIATE: take the write lock now, so read-then-write cannot race another writer.
            conn.execute("BEGIN IMMEDIATE")
            cur = conn.cursor()
            try:
                yield cur
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _read(self):
        with self._connection() as conn:
            yield conn.cursor()
