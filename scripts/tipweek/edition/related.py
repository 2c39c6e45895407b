"""Related tips: the tips that share the most principles with a tip, newest
first among equals, and only tips that share at least one (a tip that shares
nothing is not related). The site's tip pages and the weekly email use this
one rule, each over the tips its readers can open: the site through the
index of :class:`Related` (a lookup per tip page), the email through
:func:`related_to` (one pass, for a single lookup)."""

from __future__ import annotations

import heapq
from collections import defaultdict
from itertools import combinations
from typing import Iterable

from ..library.model import Tip

COUNT = 3


class Related:
    """An index of ``tips`` (newest first) by every subset of their principles,
    so a lookup reads a handful of entries, never the whole library, and a
    build stays linear."""

    def __init__(self, tips_newest_first: Iterable[Tip]):
        index: dict[frozenset[str], list[Tip]] = defaultdict(list)
        for tip in tips_newest_first:
            for size in range(1, len(tip.tags) + 1):
                for subset in combinations(sorted(tip.tags), size):
                    index[frozenset(subset)].append(tip)
        self._index = index

    def to(self, tip: Tip, count: int = COUNT) -> tuple[Tip, ...]:
        """Up to ``count`` other tips sharing the most principles with ``tip``."""
        chosen: list[Tip] = []
        taken = {tip.slug}
        for size in range(len(tip.tags), 0, -1):
            lists = [self._index.get(frozenset(s), []) for s in combinations(sorted(tip.tags), size)]
            for other in heapq.merge(*lists, key=lambda t: (t.date, t.slug), reverse=True):
                if other.slug not in taken:
                    taken.add(other.slug)
                    chosen.append(other)
                    if len(chosen) == count:
                        return tuple(chosen)
        return tuple(chosen)


def related_to(tips: Iterable[Tip], tip: Tip, count: int = COUNT) -> tuple[Tip, ...]:
    """What ``Related(tips).to(tip, count)`` answers, in one pass over
    ``tips`` and without the index: for a caller that asks once (building
    the index costs as much as a dozen passes)."""
    mine = frozenset(tip.tags)
    sharing = ((len(mine.intersection(other.tags)), other.date, other.slug, other)
               for other in tips if other.slug != tip.slug and not mine.isdisjoint(other.tags))
    return tuple(found[3] for found in heapq.nlargest(count, sharing, key=lambda found: found[:3]))
