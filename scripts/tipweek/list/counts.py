"""``tipweek list stats``: the list's size by state (and how many confirmed ones are
paused) and its movement by week."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from .records import CONFIRMED, STATES, Event, Subscriber


def count(subscribers: list[Subscriber], events: list[Event], now: dt.datetime | None = None) -> dict:
    now = now or dt.datetime.now(dt.timezone.utc)
    figures: dict = {state: 0 for state in STATES}
    figures["paused"] = 0  # confirmed, and skipped by sends until their pause ends
    for sub in subscribers:
        figures[sub.state] += 1
        figures["paused"] += sub.state == CONFIRMED and sub.paused(now)
    weeks: dict[str, dict[str, int]] = defaultdict(
        lambda: {"joined": 0, "confirmed": 0, "left": 0, "bounced": 0, "soft_bounced": 0})
    counted = {"complained": "left", "soft-bounced": "soft_bounced"}  # (a complaint is a way of leaving)
    last: dict[int, str] = {}  # each subscriber's action before this one
    for event in events:
        before, last[event.subscriber_id] = last.get(event.subscriber_id), event.action
        if event.action == "erased" and before not in ("left", "complained", "bounced"):
            event = Event(event.subscriber_id, event.at, "left", event.how)  # (erasing is leaving, once)
        year, week, _ = dt.date.fromisoformat(event.at[:10]).isocalendar()
        if event.action in ("joined", "confirmed", "left", "bounced", "complained", "soft-bounced"):
            weeks[f"{year}-W{week:02d}"][counted.get(event.action, event.action)] += 1
    figures["weeks"] = [{"week": label, **moves} for label, moves in sorted(weeks.items())]
    return figures
