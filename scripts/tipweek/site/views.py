"""What the site shows on a given day, derived from the Library: the tips that
are visible, their neighbours and related tips, the archive and the handbook.

Pure Python and no MkDocs, so it is tested on its own; the plugin only hands
these objects to the templates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from ..edition import urls
from ..edition.edition import Edition
from ..library.model import Principle, Tip
from ..edition.related import Related

@dataclass(frozen=True, slots=True)
class PrincipleCount:
    principle: Principle
    tips: tuple[Tip, ...]  # newest first

    @property
    def count(self) -> int:
        return len(self.tips)


@dataclass(frozen=True, slots=True)
class Month:
    label: str  # "November 2026"
    tips: tuple[Tip, ...]  # newest first


@dataclass(frozen=True, slots=True)
class Year:
    year: int
    months: tuple[Month, ...]

    @property
    def count(self) -> int:
        return sum(len(m.tips) for m in self.months)


class SiteView:
    """The site of an edition. In a preview (``tipweek serve``) it also shows
    scheduled tips and drafts, which :meth:`status` labels."""

    urls = urls  # the URL scheme, for the templates

    def __init__(self, edition: Edition):
        self.edition = edition
        self.library = edition.library
        self.today = edition.today
        self.preview = edition.preview
        self.recent_count = edition.options.recent
        self.published = edition.published  # newest first
        self.visible = tuple(reversed(self.library.tips)) if self.preview else self.published
        self._position = {tip.slug: i for i, tip in enumerate(self.visible)}
        self.tip_of_the_week = edition.tip_of_the_week
        self.featured = edition.featured  # the week's tip, or a re-run ("From the archive")

    # ------------------------------------------------------------------ tips
    def status(self, tip: Tip) -> str | None:
        """'draft', 'scheduled' or None for a published tip."""
        return self.edition.status(tip)

    def author_of(self, tip: Tip) -> str:
        return self.edition.site.author_of(tip)

    def recent(self) -> tuple[Tip, ...]:
        """The few newest published tips, the featured one left out."""
        shown = self.featured.tip.slug if self.featured else None
        return tuple(t for t in self.published[:1 + self.recent_count] if t.slug != shown)[:self.recent_count]

    def newer(self, tip: Tip) -> Tip | None:
        i = self._position[tip.slug]
        return self.visible[i - 1] if i > 0 else None

    def older(self, tip: Tip) -> Tip | None:
        i = self._position[tip.slug]
        return self.visible[i + 1] if i + 1 < len(self.visible) else None

    @cached_property
    def _related(self) -> Related:
        return Related(self.visible)

    def related(self, tip: Tip) -> tuple[Tip, ...]:
        """Related tips among those the site shows (see :mod:`related`)."""
        return self._related.to(tip)

    # ------------------------------------------------------------ principles
    @cached_property
    def principles(self) -> tuple[PrincipleCount, ...]:
        visible = set(self._position)
        return tuple(
            PrincipleCount(p, tuple(t for t in reversed(self.library.with_principle(p.slug)) if t.slug in visible))
            for p in self.library.principles.values()
        )

    @property
    def most_tips(self) -> int:
        return max((pc.count for pc in self.principles), default=0) or 1

    # --------------------------------------------------------------- archive
    @cached_property
    def archive(self) -> tuple[Year, ...]:
        years: dict[int, dict[tuple[int, int], list[Tip]]] = defaultdict(lambda: defaultdict(list))
        for tip in self.visible:
            years[tip.date.year][(tip.date.year, tip.date.month)].append(tip)
        return tuple(
            Year(year, tuple(Month(f"{dt.date(y, m, 1):%B %Y}", tuple(tips))
                             for (y, m), tips in months.items()))
            for year, months in years.items()
        )

    # -------------------------------------------------------------- handbook
    @cached_property
    def handbook(self) -> tuple[tuple[PrincipleCount, tuple[Tip, ...], tuple[Tip, ...]], ...]:
        """Per principle: the tips printed there (those whose first principle
        it is, oldest first, as a course reads) and the ones printed elsewhere
        that also teach it. Every tip is printed once."""
        sections = []
        for pc in self.principles:
            own = tuple(t for t in reversed(pc.tips) if t.tags[0] == pc.principle.slug)
            also = tuple(t for t in reversed(pc.tips) if t.tags[0] != pc.principle.slug)
            if own or also:
                sections.append((pc, own, also))
        return tuple(sections)
