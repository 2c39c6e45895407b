"""The week's deliveries as `tipweek send --status` shows them: who has the
message, who failed and why, who may have it, who is suppressed, who is
still to be tried."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .ledger import Entry
from .send import STOPPED_EARLIER
from .csv_list import Subscriber
from .suppression import Suppressed


@dataclass(frozen=True, slots=True)
class WeekStatus:
    week: str
    title: str
    ledger: Path
    suppression_list: Path | None  # None: a ledger without suppression (tipweek post's)
    delivered: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]  # (address, the server's answer)
    uncertain: tuple[tuple[str, str], ...]
    suppressed: tuple[Suppressed, ...]
    not_yet_tried: tuple[str, ...] | None  # None: no subscriber list given
    command: str = "tipweek send"  # whose ledger, for the hints
    lift_command: str = "tipweek send --unsuppress ADDRESS"
    bounces_in: str | None = None  # where the hard bounces are kept, in words (None: the suppression list)

    def as_dict(self) -> dict:
        return {
            "week": self.week, "title": self.title, "ledger": str(self.ledger),
            "suppression_list": None if self.suppression_list is None else str(self.suppression_list),
            "delivered": list(self.delivered),
            "failed": [{"email": e, "reason": r} for e, r in self.failed],
            "uncertain": [{"email": e, "reason": r} for e, r in self.uncertain],
            "suppressed": [{"email": s.email, "week": s.week, "reason": s.reason} for s in self.suppressed],
            "not_yet_tried": None if self.not_yet_tried is None else list(self.not_yet_tried),
        }

    def lines(self) -> list[str]:
        out = [f"{self.week} '{self.title}' (ledger {self.ledger})"]

        def group(label: str, rows: list[str], note: str = "") -> None:
            out.append(f"{label:<14}{len(rows)}{note}")
            out.extend(f"  {row}" for row in rows)

        group("delivered", list(self.delivered))
        group("failed", [f"{e}: {r}" for e, r in self.failed],
              "  (tried again by the next run)" if self.failed else "")
        group("uncertain", [f"{e}: {r}" for e, r in self.uncertain],
              f"  (may have arrived; '{self.command} --retry-uncertain' sends again)" if self.uncertain else "")
        if self.suppression_list is not None:
            group("suppressed", [f"{s.email}: {s.reason or 'added by hand'}" + (f" ({s.week})" if s.week else "")
                                 for s in self.suppressed],
                  f"  (hard bounces, all weeks: {self.bounces_in or self.suppression_list}; "
                  f"'{self.lift_command}' lifts one)" if self.suppressed else "")
        if self.not_yet_tried is None:
            out.append("not yet tried ?  (give --subscribers FILE or --list DB_URL to compare with the list)"
                       if self.command == "tipweek send"
                       else "not yet tried ?  (give the webhooks, as for a post, to see which are still to come)")
        else:
            group("not yet tried", list(self.not_yet_tried))
        return out


def week_status(week: str, title: str, ledger: Path, entries: dict[str, Entry], suppression_list: Path | None,
                suppressed: dict[str, Suppressed], subscribers: Iterable[Subscriber] | None,
                command: str = "tipweek send", lift_command: str = "tipweek send --unsuppress ADDRESS",
                bounces_in: str | None = None) -> WeekStatus:
    delivered, failed, uncertain = [], [], []
    for entry in entries.values():
        if entry.status == "sent":
            delivered.append(entry.email)
        elif entry.status in ("failed", "bounced") and entry.email.lower() not in suppressed:
            failed.append((entry.email, entry.detail))
        elif entry.status == "uncertain":
            uncertain.append((entry.email, entry.detail))
        elif entry.status == "attempt":
            uncertain.append((entry.email, STOPPED_EARLIER))
    waiting = None
    if subscribers is not None:
        waiting = tuple(s.email for s in subscribers if s.key not in entries and s.key not in suppressed)
    return WeekStatus(week, title, ledger, suppression_list, tuple(delivered), tuple(failed), tuple(uncertain),
                      tuple(suppressed.values()), waiting, command, lift_command, bounces_in)
