"""Re-runs: a week without a tip of its own features an earlier tip again,
so the home page and the weekly email never go silent.

The rule, in one place (the home page, ``tipweek email``, ``tipweek send``
and ``tipweek schedule`` all ask here):

- A week is an ISO week (Monday to Sunday), as for the one-tip-a-week rule,
  the email archive and the send ledger. A week is *empty* when no tip that
  is not a draft is dated in it; only empty weeks after the library's first
  tip get a re-run.
- A re-run goes out on the week's publishing weekday, like a tip: on the
  days before it, last week's tip (or re-run) stays featured.
- A tip may be re-run in week W when its own week is at least
  :data:`MIN_AGE_WEEKS` weeks before W.
- Among those, a tip re-run within the last :data:`MIN_AGE_WEEKS` weeks is
  taken only when every eligible tip was; then ``evergreen: true`` tips come
  first, then the least recently re-run (never re-run first), then the
  oldest: the archive comes back in the order it was written.

Each choice depends on the earlier ones, so the plan is walked week by week
from the week after the first tip: the same library and date always give
the same re-runs, and rebuilds stay byte-identical.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass

from ..library.model import Library, Tip
from ..library.dates import monday_of, publish_day, week_label

MIN_AGE_WEEKS = 26
WEEK = dt.timedelta(weeks=1)
NEVER = dt.date.min


@dataclass(frozen=True, slots=True)
class Featured:
    """What the home page and the weekly email feature in a week: the week's
    own tip, or a re-run of an earlier one."""

    tip: Tip
    day: dt.date  # the tip's date, or the publishing day of the re-run's week
    rerun: bool

    @property
    def week(self) -> str:
        """The week's label (2027-W06): the email's web version and the send ledger are keyed by it."""
        return week_label(self.day)

    @property
    def rerun_on(self) -> dt.date | None:
        """The day of the re-run, None for the week's own tip (as the email functions take it)."""
        return self.day if self.rerun else None

    def describe(self) -> str:
        """One line for ``tipweek schedule``."""
        tip = self.tip
        if self.rerun:
            return f"{self.day}  From the archive: {tip.title}  [{tip.slug}]  (first published {tip.date})"
        return f"{tip.date}  {tip.title}  [{tip.slug}]"

    def as_dict(self) -> dict:
        return {"date": self.day.isoformat(), "week": self.week, "rerun": self.rerun, "slug": self.tip.slug,
                "title": self.tip.title, "original_date": self.tip.date.isoformat()}


def ahead_row(day: dt.date, tip: Tip | None) -> dict:
    """A row of ``tipweek schedule --json``'s re-runs; slug null when nothing is old enough."""
    if tip is None:
        return {"date": day.isoformat(), "week": week_label(day), "rerun": True, "slug": None,
                "title": None, "original_date": None}
    return Featured(tip, day, rerun=True).as_dict()


def plan(library: Library, until: dt.date) -> dict[dt.date, Tip]:
    """The re-run of every empty week from the first tip's week to the week
    of ``until``: the week's Monday -> the tip re-run (weeks where no tip is
    old enough are left out).

    One pass over the weeks, O(weeks x log tips): the tips that may be taken
    wait in a heap ordered by the rule; the few re-run in the last
    :data:`MIN_AGE_WEEKS` weeks (at most one a week) wait aside, in the order
    they ran, until they may be taken again."""
    tips = [t for t in library.tips if not t.draft]  # oldest first
    if not tips:
        return {}
    own_weeks = {monday_of(t.date) for t in tips}
    ready: list[tuple] = []  # (not evergreen, last re-run, date, slug, tip): the smallest is taken
    lately: list[tuple[Tip, dt.date]] = []  # re-run within MIN_AGE_WEEKS, oldest re-run first
    chosen: dict[dt.date, Tip] = {}
    old_enough = 0  # tips are sorted, so the eligible ones are a prefix
    monday, end = monday_of(tips[0].date) + WEEK, monday_of(until)
    while monday <= end:
        if monday not in own_weeks:
            cutoff = monday - MIN_AGE_WEEKS * WEEK
            before = cutoff + WEEK  # a tip dated before this is in the cutoff's week or earlier
            while old_enough < len(tips) and tips[old_enough].date < before:
                _wait(ready, tips[old_enough], NEVER)
                old_enough += 1
            while lately and lately[0][1] <= cutoff:
                _wait(ready, *lately.pop(0))
            if ready:
                pick = heapq.heappop(ready)[-1]
            elif lately:  # every eligible tip ran lately: evergreen first, then the least recent
                pick, _ = lately.pop(min(range(len(lately)), key=lambda i: (not lately[i][0].evergreen,
                                                                          lately[i][1])))
            else:
                pick = None
            if pick is not None:
                chosen[monday] = pick
                lately.append((pick, monday))
        monday += WEEK
    return chosen


def _wait(ready: list, tip: Tip, last: dt.date) -> None:
    heapq.heappush(ready, (not tip.evergreen, last, tip.date, tip.slug, tip))


def current_week(today: dt.date, weekday: str) -> dt.date:
    """The Monday of the week whose edition is out on ``today``: this week
    from its publishing day on, else the week before."""
    monday = monday_of(today)
    return monday if publish_day(monday, weekday) <= today else monday - WEEK


def featured(library: Library, today: dt.date, weekday: str, newest: Tip | None,
             reruns: dict[dt.date, Tip] | None = None) -> Featured | None:
    """The tip of the week (``newest``, the newest published tip) when its
    week is the current one, else the current week's re-run if it has one,
    else ``newest`` (nothing is old enough yet, or the week's tip is later
    in the week)."""
    week = current_week(today, weekday)
    if newest is not None and monday_of(newest.date) >= week:
        return Featured(newest, newest.date, rerun=False)
    rerun = (plan(library, week) if reruns is None else reruns).get(week)
    if rerun is not None:
        return Featured(rerun, publish_day(week, weekday), rerun=True)
    return Featured(newest, newest.date, rerun=False) if newest else None


def since(reruns: dict[dt.date, Tip], first: dt.date, today: dt.date, weekday: str) -> list[Featured]:
    """The re-runs out by ``today`` in the weeks from the week of ``first`` on, oldest first."""
    start = monday_of(first)
    return [Featured(tip, publish_day(monday, weekday), rerun=True) for monday, tip in sorted(reruns.items())
            if monday >= start and publish_day(monday, weekday) <= today]


def ahead(library: Library, today: dt.date, weeks: int, weekday: str) -> list[tuple[dt.date, Tip | None]]:
    """The publishing day of each week of the next ``weeks`` (this one
    included when its publishing day is not past) that has no tip to send
    (a week held only by a draft counts: the draft never goes out), with the
    tip it will re-run, None when no tip is old enough."""
    first = monday_of(today)
    if publish_day(first, weekday) < today:
        first += WEEK
    mondays = [first + i * WEEK for i in range(weeks)]
    own = {monday_of(t.date) for t in library.tips if not t.draft}
    reruns = plan(library, mondays[-1]) if mondays else {}
    return [(publish_day(m, weekday), reruns.get(m)) for m in mondays if m not in own]
