"""Which store a database URL names: the one place that picks SQLite or PostgreSQL
(each imports the shared SQL from store; store imports neither)."""

from __future__ import annotations

from .records import StoreError
from .store import SqlStore


def open_store(url: str, base=None, *, create: bool = True) -> SqlStore:
    """``sqlite:///relative.db``, ``sqlite:////absolute.db`` or ``postgresql://...``.
    Relative SQLite paths are taken from ``base`` (the project folder). Without ``create``
    (a command that only reads the list, or sends to it) a SQLite file that is not there is
    an error: a mistyped path would otherwise make an empty list and report it as the list."""
    if url.startswith("sqlite:///"):
        from pathlib import Path

        from .sqlite import SqliteStore
        path = Path(url[len("sqlite:///"):])
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        if not create and not path.exists():
            raise StoreError(f"{path}: there is no list database here (check --db; the list service makes it when "
                             "it first starts, and tipweek list import does too)")
        return SqliteStore(path)
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore
        return PostgresStore(url)
    raise StoreError(f"{url}: not a database URL (use sqlite:///path/to/list.sqlite3 or postgresql://...)")
