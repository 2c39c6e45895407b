"""Which files in the tips folder are tips (``*.md``, in path order, found in one
pass that keeps each directory entry for the scan to reuse), which look like a
tip but would never be read, and each tip file by the date in its name."""

from __future__ import annotations

import datetime as dt
import os
import re
from operator import itemgetter
from pathlib import Path


class TipsFolder:
    """One pass over the tips folder: the ``*.md`` files, with the directory
    entries whose file type (and, once asked, ``stat``) the scan reuses, and
    the other files. Like ``Path.rglob``, it does not follow a symbolic link
    to a folder, and it lists hidden files too."""

    def __init__(self, tips_dir: Path):
        # Each entry with its place in path order (its folder's parts, then its
        # name), as sorted(Path) gives, without making a Path of each.
        tips: list[tuple[tuple[str, ...], os.DirEntry]] = []
        others: list[tuple[tuple[str, ...], os.DirEntry]] = []
        folders = [(str(tips_dir), ())]
        while folders:
            folder, parts = folders.pop()
            try:
                listing = os.scandir(folder)
            except OSError:
                continue
            with listing:
                for entry in listing:
                    name = entry.name
                    if entry.is_dir(follow_symlinks=False):
                        folders.append((entry.path, (*parts, name)))
                    # (what os.path.splitext calls a .md suffix: ".md" itself is a name, not a suffix)
                    elif name.endswith(".md") and name.lstrip(".") != "md":
                        tips.append(((*parts, name), entry))
                    else:
                        others.append(((*parts, name), entry))
        tips.sort(key=itemgetter(0))
        others.sort(key=itemgetter(0))
        self.tips = [entry for _, entry in tips]
        self.others = [entry for _, entry in others]

    def misnamed(self, principles_file: Path) -> list[Path]:
        found = []
        skip = Path(principles_file).resolve()
        for entry in self.others:
            path = Path(entry.path)
            if entry.name.startswith(".") or not entry.is_file() or path.resolve() == skip:
                continue
            if DATED.match(entry.name):
                found.append(path)
            elif path.suffix.lower() not in (".yml", ".yaml"):
                try:
                    with open(path, "rb") as head:
                        if head.read(3) == b"---":
                            found.append(path)
                except OSError:
                    pass
        return found


def tip_files(tips_dir: Path) -> list[Path]:
    return [Path(entry.path) for entry in TipsFolder(tips_dir).tips]


DATED = re.compile(r"^(\d{4}-\d{2}-\d{2})-")


def dated_files(tips_dir: Path) -> dict[dt.date, list[Path]]:
    """Every tip file by the date in its name, finished or not: a week whose
    tip does not pass the checker yet is still taken."""
    found: dict[dt.date, list[Path]] = {}
    for path in tip_files(tips_dir) if tips_dir.is_dir() else ():
        match = DATED.match(path.name)
        try:
            day = dt.date.fromisoformat(match.group(1)) if match else None
        except ValueError:
            continue
        if day:
            found.setdefault(day, []).append(path)
    return found
