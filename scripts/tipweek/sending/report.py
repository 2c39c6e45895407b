"""What a run did: its counts and the addresses it has news of, a person's summary line,
and its exit code. ``send`` fills one; ``webhooks.PostReport`` is the same for a chat post.

A run's report holds only what is new in that run: what an earlier run already
reported is counted, not reported again."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Report:
    sent: int = 0
    already: int = 0
    unsubscribed: int = 0
    suppressed: int = 0  # skipped: a hard bounce in an earlier run
    paused: int = 0  # skipped: paused on the list's manage page until after this run
    duplicates: int = 0
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line, address) of the list's bad rows
    failed: list[tuple[str, str]] = field(default_factory=list)  # new in this run, bounces included
    bounced: list[str] = field(default_factory=list)  # suppressed by this run
    unconfirmed: list[str] = field(default_factory=list)  # hard bounces not suppressed: no message went through
    uncertain: list[tuple[str, str]] = field(default_factory=list)  # (address, why), found by this run
    held: list[str] = field(default_factory=list)  # uncertain since an earlier run, not retried
    retrying: list[str] = field(default_factory=list)  # uncertain, sent again on request
    aborted: str | None = None
    quota_reached: bool = False  # stopped by the daily quota (send --max-per-day), to go on later

    # What a run does to each of its recipients, and whether they come from a list (a chat
    # channel has no unsubscribing, bounces, duplicates or bad rows): webhooks' PostReport.
    DONE, WOULD, FROM_A_LIST = "sent", "would send", True

    def summary(self, dry_run: bool = False) -> str:
        parts = [f"{self.WOULD if dry_run else self.DONE} {self.sent}"]
        if self.already:
            parts.append(f"{self.already} already {self.DONE} earlier")
        if self.FROM_A_LIST:
            parts.append(f"skipped {self.unsubscribed} unsubscribed")
            if self.paused:
                parts.append(f"{self.paused} paused")
            if self.suppressed:
                parts.append(f"{self.suppressed} suppressed")
            if self.duplicates:
                parts.append(f"{self.duplicates} duplicate{'s' * (self.duplicates != 1)}")
            parts.append(f"{len(self.invalid)} invalid")
        if self.uncertain:
            parts.append(f"{len(self.uncertain)} uncertain")
        if self.held:
            parts.append(f"{len(self.held)} uncertain earlier")
        parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts)

    @property
    def exit_code(self) -> int:
        """2: the run could not go on; 1: an address failed or became uncertain (even if the run
        then stopped at the quota: that stop must not hide it); 3: it stopped at the daily quota,
        to be run again later, and nothing else went wrong; 0: all went out."""
        if self.aborted:
            return 2
        if self.failed or self.uncertain:
            return 1
        return 3 if self.quota_reached else 0
