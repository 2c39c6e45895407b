"""Deliver the week's message to a subscriber list, resumably and at most once
per address and week.

The ledger is one append-only file per week. Before a message goes out its
address is written as an ``attempt``; after the server (or the outbox) took
it, as ``sent``; each line is flushed and fsynced. A re-run skips ``sent``
addresses, and also an ``attempt`` with no outcome (the process died while the
server held the message: it may have been delivered, so it is reported as
uncertain instead of risking a second copy) or an ``uncertain`` one (the whole
message went out but its answer never came back). A lock file keeps two runs
for the same week apart; the ledger is read only once the lock is held.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Callable, Iterable

from .ledger import Ledger
from .outcomes import PermanentFailure, SendError, ServerUnavailable, TemporaryFailure, UncertainDelivery
from .subscribers import Subscriber


@dataclass
class Report:
    sent: int = 0
    already: int = 0
    unsubscribed: int = 0
    duplicates: int = 0
    invalid: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[tuple[str, str]] = field(default_factory=list)  # (address, why)
    aborted: str | None = None

    def summary(self, dry_run: bool = False) -> str:
        verb = "would send" if dry_run else "sent"
        parts = [f"{verb} {self.sent}"]
        if self.already:
            parts.append(f"{self.already} already sent earlier")
        parts.append(f"skipped {self.unsubscribed} unsubscribed")
        if self.duplicates:
            parts.append(f"{self.duplicates} duplicate{'s' * (self.duplicates != 1)}")
        parts.append(f"{len(self.invalid)} invalid")
        if self.uncertain:
            parts.append(f"{len(self.uncertain)} uncertain")
        parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts)

    @property
    def exit_code(self) -> int:
        if self.aborted:
            return 2
        return 1 if self.failed or self.uncertain else 0


STOPPED_EARLIER = "a run stopped while sending to it"


def still_to_send(subscribers: Iterable[Subscriber], state: dict[str, str], report: Report) -> list[Subscriber]:
    """Those the ledger has not seen (or saw fail). Not those it has as sent,
    nor those that may have been delivered (an ``attempt`` with no outcome, or
    ``uncertain``): at most one message per address and week."""
    queue = []
    for sub in subscribers:
        status = state.get(sub.key)
        if status == "sent":
            report.already += 1
        elif status in ("attempt", "uncertain"):
            report.uncertain.append((sub.email, STOPPED_EARLIER if status == "attempt"
                                     else "the server may have taken it in an earlier run"))
        else:
            queue.append(sub)
    return queue


def deliver_all(subscribers: Iterable[Subscriber], make_message: Callable[[Subscriber], EmailMessage],
                sender: str, transport, ledger: Ledger, report: Report, *, retries: int = 3,
                backoff: float = 2.0, sleep: Callable[[float], None] = time.sleep,
                progress: Callable[[Subscriber], None] = lambda s: None) -> Report:
    """Send to each subscriber the ledger has not seen; retry temporary
    failures up to ``retries`` times, waiting ``backoff`` * 2**n seconds.
    When no session can be opened at all, the round ends for everyone and the
    run gives up (aborted) after ``retries`` + 1 such failures."""
    pending = [(sub, 0) for sub in still_to_send(subscribers, ledger.state, report)]
    round_ = 0
    unavailable = 0
    while pending:
        later: list[tuple[Subscriber, int]] = []
        if round_:
            sleep(backoff * 2 ** (round_ - 1))
        for index, (sub, tries) in enumerate(pending):
            msg = make_message(sub)
            ledger.record(sub.email, "attempt")
            try:
                transport.deliver(msg, sender, sub.email)
            except ServerUnavailable as exc:
                ledger.record(sub.email, "failed", f"temporary: {exc}")
                unavailable += 1
                if unavailable > retries:
                    report.aborted = f"{exc}; gave up after {unavailable} tries"
                    return report
                later.extend(pending[index:])  # nobody else can be sent this round either
                break
            except TemporaryFailure as exc:
                ledger.record(sub.email, "failed", f"temporary: {exc}")
                if tries + 1 <= retries:
                    later.append((sub, tries + 1))
                    continue
                report.failed.append((sub.email, f"gave up after {retries + 1} tries: {exc}"))
            except UncertainDelivery as exc:
                ledger.record(sub.email, "uncertain", str(exc))
                report.uncertain.append((sub.email, str(exc)))
            except PermanentFailure as exc:
                ledger.record(sub.email, "failed", f"permanent: {exc}")
                report.failed.append((sub.email, str(exc)))
            except SendError as exc:
                ledger.record(sub.email, "failed", f"aborted: {exc}")
                report.aborted = str(exc)
                return report
            else:
                ledger.record(sub.email, "sent")
                report.sent += 1
            progress(sub)  # once per subscriber, at its outcome
        pending = later
        round_ += 1
    return report
