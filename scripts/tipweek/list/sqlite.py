"""The store on SQLite: one file, WAL, and synchronous=FULL so that a commit
has reached the disk before the service answers (a SIGKILL or a power cut
loses nothing it said yes to)."""

from __future__ import annotations

import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

from .migrations import bring_up_to_date
from .records import StoreError
from .store import SqlStore

ID, REF = "INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER"


class SqliteStore(SqlStore):
    busy_timeout = 10.0  # seconds a write waits for the database before the service answers 503

    def __init__(self, path: Path):
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        # The service's threads queue here for the one write lock SQLite has:
        # woken in turn, where SQLite's own busy handler polls with growing
        # sleeps, so that under load a few writers starve past the timeout.
        self._writer = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():  # the list's addresses: its owner's alone (SQLite's journals follow the file)
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
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
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            yield conn
        except sqlite3.OperationalError as exc:  # locked by another process past the timeout, disk full, ...
            raise StoreError(f"{self.path}: {exc}") from None
        finally:
            conn.close()

    @contextmanager
    def _write(self):
        with self._connection() as conn:
            if not self._writer.acquire(timeout=self.busy_timeout):
                raise StoreError(f"{self.path}: no turn to write within {self.busy_timeout:g} s")
            try:
                # IMMEDIATE: take the write lock now, so read-then-write cannot race another writer.
                conn.execute("BEGIN IMMEDIATE")
                cur = conn.cursor()
                try:
                    yield cur
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                self._writer.release()

    @contextmanager
    def _read(self):
        with self._connection() as conn:
            yield conn.cursor()
