"""What is out on a given day: the tip of the week, the archive, the queue.

Every function takes ``today`` explicitly so builds and tests are
reproducible; :func:`resolve_today` is the one place that reads the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..library.dates import empty_weeks, next_free_day
from ..library.model import Library, Tip


def is_out(tip: Tip, today: dt.date) -> bool:
    """The one rule for "is this tip published on ``today``?": not a draft,
    and dated today or earlier. Every output asks here."""
    return not tip.draft and tip.date <= today


def status(tip: Tip, today: dt.date) -> str | None:
    """'draft', 'scheduled', or None for a tip that is out."""
    if tip.draft:
        return "draft"
    return None if is_out(tip, today) else "scheduled"


def published_on(library: Library, today: dt.date) -> tuple[Tip, ...]:
    """Tips out on ``today``, oldest first."""
    return tuple(t for t in library.tips if is_out(t, today))


def scheduled_after(library: Library, today: dt.date) -> tuple[Tip, ...]:
    """Tips dated after ``today``, soonest first."""
    return tuple(t for t in library.tips if status(t, today) == "scheduled")


def drafts(library: Library) -> tuple[Tip, ...]:
    return tuple(t for t in library.tips if t.draft)


def tip_of_the_week(library: Library, today: dt.date) -> Tip | None:
    """The newest tip out on ``today``."""
    return next((t for t in reversed(library.tips) if is_out(t, today)), None)


def time_until(day: dt.date, today: dt.date) -> str:
    """'today', 'tomorrow', '6 days away', '3 weeks away'."""
    days = (day - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 14:
        return f"{days} days away"
    return f"{days // 7} weeks away"


@dataclass(frozen=True, slots=True)
class Calendar:
    today: dt.date
    published: tuple[Tip, ...]
    scheduled: tuple[Tip, ...]
    drafts: tuple[Tip, ...]
    empty: list[dt.date]
    runs_dry: dt.date  # the first publish day with nothing queued (a draft never goes out)

    def as_dict(self) -> dict:
        def row(t: Tip) -> dict:
            return {"date": t.date.isoformat(), "slug": t.slug, "title": t.title, "path": t.path}
        return {
            "today": self.today.isoformat(),
            "published": [row(t) for t in self.published],
            "scheduled": [row(t) for t in self.scheduled],
            "drafts": [row(t) for t in self.drafts],
            "empty_weeks": [d.isoformat() for d in self.empty],
            "runs_dry": self.runs_dry.isoformat(),
        }


def calendar(library: Library, today: dt.date, weeks: int = 12, weekday: str = "tuesday") -> Calendar:
    return Calendar(today, published_on(library, today), scheduled_after(library, today), drafts(library),
                    empty_weeks(library, today, weeks, weekday),
                    next_free_day(library, today, weekday, drafts=False))
