"""The rules across tip files: a slug names one tip, and a week has one
published tip. Each file's own rules are in ``rules``; these are asked of
the whole library on every load, from the tip cache too."""

from __future__ import annotations

from collections import defaultdict

from .model import Tip, TipError
from .schedule import long_date


def library_problems(tips: list[Tip]) -> list[TipError]:
    """Rules across files: one slug, one published tip per week."""
    problems: list[TipError] = []
    if len({t.slug for t in tips}) == len(tips) and _one_a_week(tips):
        return problems  # (the usual answer, found without the lists below)
    by_slug: dict[str, list[Tip]] = defaultdict(list)
    by_week: dict[tuple[int, int], list[Tip]] = defaultdict(list)
    for t in tips:
        by_slug[t.slug].append(t)
        if not t.draft:
            by_week[t.week].append(t)
    for slug, same in by_slug.items():
        for t in same[1:]:
            problems.append(TipError(t.path, 1, f"slug '{slug}' is already used by {same[0].path}",
                                     "give the tip another name; the slug is its URL"))
    for same in by_week.values():
        for t in same[1:]:
            problems.append(TipError(t.path, 1, f"the week of {long_date(same[0].date)} already has a tip: {same[0].path}",
                                     "move one to a free week (tipweek schedule shows them) or mark it draft: true"))
    return problems


def _one_a_week(tips: list[Tip]) -> bool:
    weeks = [t.week for t in tips if not t.draft]
    return len(set(weeks)) == len(weeks)
