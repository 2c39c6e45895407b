"""The rules across tip files: a slug names one tip, and a week has one
published tip. Each file's own rules are in ``rules``; these are asked of
the whole library on every load, from the tip cache too."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from .model import Library, Tip, TipError
from .dates import OFF_WEEKDAY, long_date, next_free_day


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
        # On each tip of the week: a pull request that adds one shows the problem on the file it changed.
        for t in same if len(same) > 1 else ():
            for other in same:
                if other is not t:
                    problems.append(TipError(t.path, 1, f"the week of {long_date(same[0].date)} already has a tip: "
                                             f"{other.path}", "move one to a free week (tipweek schedule shows "
                                             "them) or mark it draft: true"))
    return problems


def free_week_hints(errors: list[TipError], dated: dict[str, dt.date], weekday: str) -> list[TipError]:
    """A tip dated off the publishing weekday is told the day to use (that
    week's publishing day): when another tip file holds that week already,
    name the next week that none holds instead. ``dated`` is every tip file
    (shown path) by the date in its name, drafts and unfinished ones included,
    as ``tipweek new`` counts them."""
    fixed = []
    for error in errors:
        found = OFF_WEEKDAY.match(error.message)
        if found:
            use = dt.date.fromisoformat(found["use"])
            others = {path: day for path, day in dated.items() if path != error.path}
            free = next_free_day(Library((), {}), use, weekday, also=others.values())
            if free != use:
                week = use.isocalendar()[:2]
                holder = min(path for path, day in others.items() if day.isocalendar()[:2] == week)
                error = TipError(error.path, error.line, error.message[:found.start("use")] + free.isoformat(),
                                 f"the week of {long_date(use)} has {holder}; change the date and the file name")
        fixed.append(error)
    return fixed


def _one_a_week(tips: list[Tip]) -> bool:
    weeks = [t.week for t in tips if not t.draft]
    return len(set(weeks)) == len(weeks)
