"""What ``tipweek schedule`` shows: the calendar (published, scheduled,
drafts, empty weeks, when the queue runs dry) and the re-runs ahead, as lines
for people and as JSON for scripts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import reruns, schedule
from ..library.model import Library


@dataclass(frozen=True)
class Agenda:
    today: dt.date
    weeks: int
    calendar: schedule.Calendar
    current: reruns.Featured | None
    coming: list  # (publish day, re-run tip or None)

    @classmethod
    def of(cls, library: Library, today: dt.date, weeks: int, weekday: str) -> "Agenda":
        return cls(today, weeks, schedule.calendar(library, today, weeks, weekday),
                   reruns.featured(library, today, weekday, schedule.tip_of_the_week(library, today)),
                   reruns.ahead(library, today, weeks, weekday))

    def as_dict(self) -> dict:
        return {**self.calendar.as_dict(), "this_week": self.current.as_dict() if self.current else None,
                "reruns": [reruns.ahead_row(day, tip) for day, tip in self.coming]}

    def lines(self) -> list[str]:
        cal, day = self.calendar, self.today
        out = [f"today       {day.isoformat()} ({day:%A})",
               f"published   {len(cal.published)} tip{'s' * (len(cal.published) != 1)}"]
        if self.current:
            out.append(f"this week   {self.current.describe()}")
        out.append(f"scheduled   {len(cal.scheduled)}")
        out += [f"            {tip.date}  {tip.title}  [{tip.slug}]" for tip in cal.scheduled]
        if cal.drafts:
            out.append(f"drafts      {len(cal.drafts)}")
            out += [f"            {tip.date}  {tip.title}  [{tip.slug}]" for tip in cal.drafts]
        out.append(f"empty weeks {', '.join(d.isoformat() for d in cal.empty) or 'none'}  (next {self.weeks} weeks)")
        for index, (rerun_day, tip) in enumerate(self.coming):
            shown = reruns.Featured(tip, rerun_day, rerun=True).describe() if tip else \
                f"{rerun_day}  nothing published {reruns.MIN_AGE_WEEKS} weeks before; the week stays empty"
            out.append(f"{'re-runs' if index == 0 else '':<11} {shown}")
        out.append(f"runs dry    {cal.runs_dry.isoformat()}  (the first publish day with no tip, "
                   f"{schedule.time_until(cal.runs_dry, day)})")
        return out
