"""Dates and weeks: parsing a date, today's date (the one place that reads the
clock), a week's Monday and label, the date written out, the publishing weekday
of a scheduled tip, and the weeks that already hold a tip.

The library's rules ask these (a tip on the wrong weekday, two tips in a week,
the free week to suggest), and so does every stage after it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .model import Library


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class TodayError(ValueError):
    pass


def parse_date(text: str, source: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise TodayError(f"{source}: {text!r} is not a date written YYYY-MM-DD") from None


def resolve_today(override: str | dt.date | None = None, timezone: str = "UTC") -> dt.date:
    """``--today`` if given, else ``TIPWEEK_TODAY``, else the date now in ``timezone``."""
    if isinstance(override, dt.date):
        return override
    if override:
        return parse_date(override, "--today")
    env = os.environ.get("TIPWEEK_TODAY")
    if env:
        return parse_date(env, "TIPWEEK_TODAY")
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise TodayError(f"unknown time zone {timezone!r}; use a name like 'Europe/London' or 'UTC'") from None
    return dt.datetime.now(zone).date()


_BACK = tuple(dt.timedelta(days=n) for n in range(7))  # (a re-run plan asks this of every tip)


def monday_of(day: dt.date) -> dt.date:
    return day - _BACK[day.weekday()]


@lru_cache(maxsize=4096)  # the site writes a few dates per tip on several pages


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def week_label(day: dt.date) -> str:
    """The ISO week a date falls in, as the email archive and the ledger name it."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)


class Publishing:
    """Tips go out on ``weekday``; a tip dated after ``today`` is scheduled."""
    weekday: str
    today: dt.date


def publishing_day(day: dt.date, publishing: Publishing) -> dt.date | None:
    """The date to use instead of a scheduled ``day`` that is not a
    publishing day (that week's, or the next one's if it is past), or None
    when ``day`` is fine. A tip dated today or earlier is history (an import
    of old posts keeps their weekdays): only dates after today must be
    publishing days."""
    target = WEEKDAYS.index(publishing.weekday)
    if day <= publishing.today or day.weekday() == target:
        return None
    right = day + dt.timedelta(days=target - day.weekday())
    return right + dt.timedelta(weeks=1) if right <= publishing.today else right


# off_weekday's message, for the rules across files to name a free week in it.
OFF_WEEKDAY = re.compile(r"^(?P<day>\d{4}-\d{2}-\d{2}) is a \w+; tips go out on \w+s: use (?P<use>\d{4}-\d{2}-\d{2})$")


def off_weekday(day: dt.date, publishing: Publishing) -> str | None:
    """'2027-02-04 is a Thursday; tips go out on Tuesdays: use 2027-02-02', or None."""
    right = publishing_day(day, publishing)
    if right is None:
        return None
    return (f"{day.isoformat()} is a {day:%A}; tips go out on {publishing.weekday.capitalize()}s: "
            f"use {right.isoformat()}")


def publish_day(week_monday: dt.date, weekday: str) -> dt.date:
    return week_monday + dt.timedelta(days=WEEKDAYS.index(weekday))


def _taken(library: Library, also: Iterable[dt.date] = (), drafts: bool = True) -> set[tuple[int, int]]:
    """The ISO weeks that hold a tip: a draft or a scheduled one holds its
    week too (unless ``drafts`` is false), and so does any date in ``also``
    (tip files that do not pass the checker yet)."""
    weeks = {t.week for t in library.tips if drafts or not t.draft}
    weeks.update(tuple(day.isocalendar())[:2] for day in also)
    return weeks


def _first_monday(today: dt.date, weekday: str) -> dt.date:
    """The Monday of the first week whose publish day is not past."""
    monday = monday_of(today)
    return monday + dt.timedelta(weeks=1) if publish_day(monday, weekday) < today else monday


def empty_weeks(library: Library, today: dt.date, weeks: int, weekday: str = "tuesday",
                also: Iterable[dt.date] = ()) -> list[dt.date]:
    """Publish days in the next ``weeks`` weeks (this one included when its
    publish day is not past) that have no tip, not even a draft."""
    taken, first = _taken(library, also), _first_monday(today, weekday)
    mondays = (first + dt.timedelta(weeks=i) for i in range(weeks))
    return [publish_day(m, weekday) for m in mondays if tuple(m.isocalendar())[:2] not in taken]


def next_free_day(library: Library, today: dt.date, weekday: str = "tuesday",
                  also: Iterable[dt.date] = (), drafts: bool = True) -> dt.date:
    """The publish day of the first week from ``today`` on without a tip
    (drafts count as tips unless ``drafts`` is false)."""
    taken, monday = _taken(library, also, drafts), _first_monday(today, weekday)
    while tuple(monday.isocalendar())[:2] in taken:
        monday += dt.timedelta(weeks=1)
    return publish_day(monday, weekday)
