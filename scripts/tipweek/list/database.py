"""Which store a database URL names: the one place that picks SQLite or PostgreSQL
(each imports the shared SQL from store; store imports neither)."""

from __future__ import annotations

from .records import StoreError
from .store import SqlStore


def open_store(url: str, base=None) -> SqlStore:
    """``sqlite:///relative.db``, ``sqlite:////absolute.db`` or ``postgresql://...``.
    Relative SQLite paths are taken from ``base`` (the project folder)."""
    if url.startswith("sqlite:///"):
        from pathlib import Path

        from .sqlite import SqliteStore
        path = Path(url[len("sqlite:///"):])
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        return SqliteStore(path)
    if url.startswith(("postgresql://", "postgres://")):
        from .postgres import PostgresStore
        return PostgresStore(url)
    raise StoreError(f"{url}: not a database URL (use sqlite:///path/to/list.sqlite3 or postgresql://...)")
