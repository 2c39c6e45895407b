"""Reading a CSV for ``tipweek list import``: every bad row is named by its
line, so the operator fixes the file and imports it whole.

Two kinds of file: people who agreed to the list elsewhere (``email`` and
``name``), or a ``tipweek list export`` file (it has a ``state`` column; see
``backup`` for its consent rule). With the plugin's ``allowed_domains``, every
address of a people file must be at one of them; an export file is the list's
own record, brought back as it was (see ``joining.outside``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from collections.abc import Sequence
from pathlib import Path

from ..sending.errors import SendError
from ..sending.csv_list import read_rows
from .backup import BadRow, Restored, plain_cell, restored
from .joining import BadInput, OutsideDomains, check_domain, clean_email, clean_name
from .records import ERASED


@dataclass
class ImportFile:
    people: list[tuple[str, str]] = field(default_factory=list)  # (email, name): agreed elsewhere
    rows: list[Restored] = field(default_factory=list)  # an export file's rows
    problems: list[str] = field(default_factory=list)
    has_state: bool = False


def read_people(path: Path, now: dt.datetime | None = None, allowed_domains: Sequence[str] = ()) -> ImportFile:
    """The file's people or rows, and its problems; duplicates in a people file are kept once."""
    now = now or dt.datetime.now(dt.timezone.utc)
    found = ImportFile()
    seen: dict[str, int] = {}
    ids: dict[int, int] = {}
    try:
        rows = read_rows(path)
        for row in rows:
            line = row.line
            found.has_state = found.has_state or "state" in row.cells
            try:
                erased = found.has_state and row.cells.get("state", "").strip().lower() == ERASED
                # (an erased row's email is the hash its address left: ``backup`` checks its form)
                email = plain_cell(row.email).strip().lower() if erased else clean_email(plain_cell(row.email))
                name = clean_name(plain_cell(row.name))
                entry = restored(line, row.cells, email, name, now) if found.has_state else None
                if entry is None:
                    check_domain(email, allowed_domains)
            except OutsideDomains as exc:
                found.problems.append(f"{path}:{line}: {str(exc).rstrip('.')} (allowed_domains in mkdocs.yml)")
                continue
            except (BadInput, BadRow) as exc:
                found.problems.append(f"{path}:{line}: {exc}")
                continue
            first = seen.setdefault(email.lower(), line)
            if entry is None:
                if first == line:
                    found.people.append((email, name))
                continue
            if first != line:
                found.problems.append(f"{path}:{line}: {email} is also on line {first} (keep one row)")
            elif entry.id is not None and ids.setdefault(entry.id, line) != line:
                found.problems.append(f"{path}:{line}: id {entry.id} is also on line {ids[entry.id]}")
            else:
                found.rows.append(entry)
    except SendError as exc:
        found.problems.append(str(exc))
    return found
