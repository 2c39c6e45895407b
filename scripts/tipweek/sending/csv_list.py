"""The subscriber list as a CSV file, and the addresses never to mail."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import SendError

ADDRESS = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


@dataclass(frozen=True, slots=True)
class Subscriber:
    email: str
    name: str

    @property
    def key(self) -> str:
        return self.email.lower()


@dataclass
class SubscriberList:
    subscribers: list[Subscriber]
    invalid: list[tuple[int, str]]  # (line, address)
    duplicates: int


def read_subscribers(path: Path) -> SubscriberList:
    """A CSV with a header row and at least the columns ``email`` and ``name``."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise SendError(f"{path}: cannot read the subscriber list ({exc.strerror})") from None
    with handle:
        reader = csv.DictReader(handle)
        columns = {c.strip().lower() for c in reader.fieldnames or []}
        if not {"email", "name"} <= columns:
            raise SendError(f"{path}:1: the header row must name the columns 'email' and 'name' "
                            f"(found: {', '.join(sorted(columns)) or 'nothing'})")
        seen: set[str] = set()
        subscribers, invalid, duplicates = [], [], 0
        for row in reader:
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            email, name = row.get("email", ""), row.get("name", "")
            if not ADDRESS.match(email):
                invalid.append((reader.line_num, email))
                continue
            sub = Subscriber(email, name)
            if sub.key in seen:
                duplicates += 1
                continue
            seen.add(sub.key)
            subscribers.append(sub)
    return SubscriberList(subscribers, invalid, duplicates)


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
