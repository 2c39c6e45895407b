"""The one reader of a CSV of people (a send's list, an import), the record of
whom a send mails, and the addresses never to mail."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..addresses import BadAddress, checked_address
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


# The email column's names: ours, and the one newsletter tools (Mailchimp among them) export.
EMAIL_COLUMNS = ("email", "email address")
HEADER_RULE = "the header row must name an 'email' (or 'email address') column (and may name 'name')"


def read_rows(path: Path) -> Iterator[Row]:
    """The rows of a CSV of people, one at a time (a file of any size in little memory): a
    header row with an ``email`` (or ``Email Address``) column, any case; ``name`` and any others
    optional. SendError for a file that cannot be read or has no such header, naming the file
    and line."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise SendError(f"{path}: cannot read it ({exc.strerror})") from None
    with handle:
        try:
            reader = csv.DictReader(handle)
            columns = [c.strip().lower() for c in reader.fieldnames or []]
            email = next((c for c in EMAIL_COLUMNS if c in columns), None)
            if email is None:
                raise SendError(f"{path}:1: {HEADER_RULE} (found: {', '.join(sorted(columns)) or 'nothing'})")
            for row in reader:
                # Every header column (empty in a short row); a long row's extra cells are dropped.
                cells = {k.strip().lower(): v or "" for k, v in row.items() if isinstance(k, str)}
                yield Row(reader.line_num, cells.get(email, "").strip(), cells.get("name", "").strip(), cells)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SendError(f"{path}: not a readable CSV file ({exc})") from None


def read_suppressions(path: Path | None) -> set[str]:
    """Addresses not to mail (in lower case) from one of two kinds of file: a CSV whose header
    row names an email column, read by :func:`read_rows` (so quoted cells with commas are
    whole), or a plain list of one address per line. A first line without an "@" is a header.
    SendError, naming the file and line, for a file that cannot be read or an entry that is
    not an address (a line is never skipped: it could be someone who asked to leave)."""
    if path is None:
        return set()
    try:
        lines = path.read_text("utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise SendError(f"{path}: cannot read the unsubscribed list ({why})") from None
    first = next((line for line in lines if line.strip()), "")
    if first and "@" not in first:
        entries = ((row.line, row.email) for row in read_rows(path))
    else:
        entries = enumerate(lines, start=1)
    found = set()
    for line, text in entries:
        if not text.strip():
            continue
        try:
            found.add(checked_address(text).lower())
        except BadAddress as exc:
            raise SendError(f"{path}:{line}: {text.strip()!r} is not an address ({exc}): the unsubscribed list "
                            "takes one address per line, or a CSV whose header row names an 'email' column") from None
    return found
