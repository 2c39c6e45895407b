"""Reading a CSV of people for ``tipweek list import``: every bad row is
named by its line, so the operator fixes the file and imports it whole."""

from __future__ import annotations

import csv
from pathlib import Path

from .service import BadInput, clean_email, clean_name


def read_people(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """([(email, name)], [problem lines]); duplicates are kept once."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        return [], [f"{path}: cannot read it ({exc.strerror})"]
    people: list[tuple[str, str]] = []
    problems: list[str] = []
    seen: set[str] = set()
    with handle:
        try:
            reader = csv.DictReader(handle)
            columns = {c.strip().lower() for c in reader.fieldnames or []}
            if "email" not in columns:
                return [], [f"{path}:1: the header row must name an 'email' column (and may name 'name')"]
            for row in reader:
                row = {(k or "").strip().lower(): (v or "") for k, v in row.items() if isinstance(v, str)}
                try:
                    email, name = clean_email(row.get("email", "")), clean_name(row.get("name", ""))
                except BadInput as exc:
                    problems.append(f"{path}:{reader.line_num}: {exc}")
                    continue
                if email.lower() not in seen:
                    seen.add(email.lower())
                    people.append((email, name))
        except (csv.Error, UnicodeDecodeError) as exc:
            problems.append(f"{path}: not a readable CSV file ({exc})")
    return people, problems
