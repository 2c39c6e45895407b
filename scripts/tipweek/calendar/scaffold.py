"""``tipweek new``: the file a new tip starts as, on the next free week."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

from ..library.starter import SCAFFOLD_BODY



class ScaffoldError(ValueError):
    """The tip cannot be created; ``param`` names the option at fault (or None)."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


def slugify(title: str, words: int | None = 8) -> str:
    """The words of ``title`` (its first ``words``; None: all) as a slug."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    found = re.findall(r"[a-z0-9]+", ascii_title.lower())
    return "-".join(found[:words])


def scaffold_text(title: str, day: dt.date, tags: tuple[str, ...]) -> str:
    return (
        "---\n"
        f"title: {json.dumps(title.strip(), ensure_ascii=False)}\n"
        f"date: {day.isoformat()}\n"
        f"tags: [{', '.join(tags)}]\n"
        'summary: ""\n'
        # The huddle card's question and action: optional, so left empty rather than filled with
        # example text an editor might publish (the editors' guide says what to write).
        'discuss: ""\n'
        'try: ""\n'
        "---\n"
    ) + SCAFFOLD_BODY


def pick_day(library, files: dict[dt.date, list[Path]], today: dt.date, weekday: str,
             requested: dt.date | None = None) -> dt.date:
    """The day a new tip goes on: ``requested`` if its week is free, not past
    and it is the publishing weekday, else :class:`ScaffoldError` naming the
    day to use; without ``requested``, the next free week's publishing day.
    ``files`` are the tip files by date: a week with any tip is taken, a
    draft or one that does not pass the checker yet included."""
    from ..library.dates import Publishing, long_date, next_free_day, publishing_day

    def free_from(day: dt.date) -> dt.date:
        return next_free_day(library, day, weekday, also=files)

    if requested is None:
        return free_from(today)
    if requested < today:
        free = free_from(today)
        raise ScaffoldError(f"{requested.isoformat()} is in the past; the next free week is the one of "
                            f"{long_date(free)}: use --date {free.isoformat()}", "--date")
    right = publishing_day(requested, Publishing(weekday, today))
    if right is not None:
        raise ScaffoldError(f"{requested.isoformat()} is a {requested:%A}; tips go out on {weekday.capitalize()}s: "
                            f"use --date {free_from(right).isoformat()}", "--date")
    week = tuple(requested.isocalendar())[:2]
    holders = [path for day, paths in files.items() if tuple(day.isocalendar())[:2] == week for path in paths]
    if holders:
        free = free_from(requested)
        raise ScaffoldError(f"the week of {long_date(requested)} already has a tip ({_shown(holders[0])}); "
                            f"the next free week: use --date {free.isoformat()}", "--date")
    return requested


def new_tip(library, tips_dir: Path, title: str, tags: tuple[str, ...], day: dt.date) -> Path:
    """Write the scaffold of a tip dated ``day``; return its path.
    Never overwrites a file; raises :class:`ScaffoldError`."""
    from ..library.rules import did_you_mean

    for tag in tags:
        if library.principles and tag not in library.principles:
            hint = did_you_mean(tag, library.principles) or "known: " + ", ".join(library.principles)
            raise ScaffoldError(f"unknown principle '{tag}' ({hint})", "--tag")
    if "\n" in title or not title.strip():
        raise ScaffoldError("the title must be one non-empty line", "TITLE")
    slug = slugify(title)
    if not slug:
        raise ScaffoldError("the title needs at least one letter or digit", "TITLE")
    path = tips_dir / str(day.year) / f"{day.isoformat()}-{slug}.md"
    if path.exists():
        raise ScaffoldError(f"{_shown(path)} already exists; not overwriting it")
    if library.tip(slug):
        raise ScaffoldError(f"slug '{slug}' is already used by {library.tip(slug).path}; choose another title")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as out:
        out.write(scaffold_text(title, day, tags))
    return path


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
