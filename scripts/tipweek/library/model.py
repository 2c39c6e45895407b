"""The tip library's records: a Tip, a Principle, the Library that holds them
sorted with lookups by slug, principle and week, and TipError, a problem with
the place to fix it. Reading and validating them is ``loader`` and ``rules``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable


# --------------------------------------------------------------------------- records

@dataclass(frozen=True, slots=True)
class TipError:
    """A problem in the content, with the place to fix it."""

    path: str
    line: int
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message, "hint": self.hint}


class LibraryError(Exception):
    """Raised when the library has problems; ``errors`` lists them all."""

    def __init__(self, errors: Iterable[TipError]):
        self.errors = list(errors)  # in the order found (loader puts principles.yml's first)
        super().__init__("\n".join(str(e) for e in self.errors))


@dataclass(frozen=True, slots=True)
class Principle:
    slug: str
    name: str
    definition: str
    description: str


# Not slots=True: a slotted frozen dataclass is unpickled through a Python
# __setstate__, which made reading 5,000 tips from the cache twice as slow.
@dataclass(frozen=True)
class Tip:
    slug: str
    title: str
    date: dt.date
    tags: tuple[str, ...]
    summary: str
    body: str
    path: str
    author: str | None = None
    draft: bool = False
    evergreen: bool = False  # preferred when a week without a tip re-runs an old one (see reruns)
    source: str | None = None  # where an imported tip was first published
    discuss: str | None = None  # a question for the team huddle, from front matter `discuss:`
    try_this: str | None = None  # a small thing to try this week, from front matter `try:`

    # The ISO (year, week) the tip is published in: worked out once, when the
    # tip is read, and kept with it in the tip cache (every load asks for it).
    week: tuple[int, int] = field(init=False, repr=False, compare=False)
    # Whether the body may hold a link or image MkDocs resolves (local_links.may_link): worked
    # out when the tip is read and kept in the tip cache, so check renders only those tips.
    local_links: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        year, week, _ = self.date.isocalendar()
        object.__setattr__(self, "week", (year, week))



@dataclass(frozen=True)
class Library:
    """Every tip (sorted by date, oldest first) and the principle vocabulary.
    Its lookups are made the first time they are asked for: a weekly command
    at 5,000 tips asks for none of them."""

    tips: tuple[Tip, ...]
    principles: dict[str, Principle]

    @cached_property
    def _by_slug(self) -> dict[str, Tip]:
        return {t.slug: t for t in self.tips}

    @cached_property
    def _by_principle(self) -> dict[str, tuple[Tip, ...]]:
        found: dict[str, list[Tip]] = defaultdict(list)
        for tip in self.tips:
            for tag in tip.tags:
                found[tag].append(tip)
        return {k: tuple(v) for k, v in found.items()}

    @cached_property
    def _by_week(self) -> dict[tuple[int, int], tuple[Tip, ...]]:
        found: dict[tuple[int, int], list[Tip]] = defaultdict(list)
        for tip in self.tips:
            found[tip.week].append(tip)
        return {k: tuple(v) for k, v in found.items()}

    def __len__(self) -> int:
        return len(self.tips)

    def tip(self, slug: str) -> Tip | None:
        return self._by_slug.get(slug)

    def with_principle(self, slug: str) -> tuple[Tip, ...]:
        """Tips tagged with a principle, oldest first."""
        return self._by_principle.get(slug, ())

    def in_week(self, year: int, week: int) -> tuple[Tip, ...]:
        return self._by_week.get((year, week), ())
