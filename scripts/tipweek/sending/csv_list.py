"""The one reader of a CSV of people (a send's list, an import), the record of
whom a send mails, and the addresses never to mail."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .errors import SendError


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Whom a send mails: from a CSV file, or from the list's store (with its ``id`` there)."""
    email: str
    name: str
    id: int | None = None

    @property
    def key(self) -> str:
        return self.email.lower()


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    email: str  # as the file has it, not yet checked
    name: str
    cells: dict[str, str]  # every column, by its lower-case name


HEADER_RULE = "the header row must name an 'email' column (and may name 'name')"


def read_rows(path: Path) -> Iterator[Row]:
    """The rows of a CSV of people, one at a time (a file of any size in little memory): a
    header row with an ``email`` column; ``name`` and any others optional. SendError for a
    file that cannot be read or has no such header, naming the file and line."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise SendError(f"{path}: cannot read it ({exc.strerror})") from None
    with handle:
        try:
            reader = csv.DictReader(handle)
            columns = [c.strip().lower() for c in reader.fieldnames or []]
            if "email" not in columns:
                raise SendError(f"{path}:1: {HEADER_RULE} (found: {', '.join(sorted(columns)) or 'nothing'})")
            for row in reader:
                # Every header column (empty in a short row); a long row's extra cells are dropped.
                cells = {k.strip().lower(): v or "" for k, v in row.items() if isinstance(k, str)}
                yield Row(reader.line_num, cells.get("email", "").strip(), cells.get("name", "").strip(), cells)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SendError(f"{path}: not a readable CSV file ({exc})") from None


def read_suppressions(path: Path | None) -> set[str]:
    """Addresses not to mail: one per line, or a CSV with an ``email`` column."""
    if path is None:
        return set()
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise SendError(f"{path}: cannot read the unsubscribed list ({exc.strerror})") from None
    found = set()
    for line in text.splitlines():
        for cell in line.split(","):
            cell = cell.strip().strip('"')
            if "@" in cell:
                found.add(cell.lower())
    return found
