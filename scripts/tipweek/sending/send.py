"""Deliver the week's message to a subscriber list, resumably and at most once
per address and week, over one or more connections at once.

Each address is written to the ledger as an ``attempt`` before its message
goes out and with its outcome after. A re-run skips ``sent`` addresses, and
also an ``attempt`` with no outcome (the process died while the server held
the message: it may have been delivered) or an ``uncertain`` one (the whole
message went out but its answer never came back): those are sent again only
when the operator asks (``retry_uncertain``), with the Message-ID of the
first attempt so that a receiver that did get it can tell. A hard bounce is
recorded as ``bounced`` and reported to where the recipient lives
(``recipients``), which keeps it from every later week, once the relay has
been seen to take a later message, or at the end of the list one at all, in
the same run (``limits``: the breaker that stops a run after failures in a
row, and the daily quota).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from .ledger import Entry, Ledger, LedgerIndex
from .errors import HardBounce, PermanentFailure, SendError, ServerUnavailable, TemporaryFailure, UncertainDelivery
from .limits import FULL, TAKEN, DailyQuota, ErrorBreaker
from .pacing import RateLimit
from .csv_list import Subscriber
from .report import Report

if TYPE_CHECKING:
    from ..outputs.letters import Letter

STOPPED_EARLIER = "a run stopped while sending to it"


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, ... 11th, 12th, 13th, ... 21st."""
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def still_to_send(subscribers: Iterable[Subscriber], entries: "dict[str, Entry] | LedgerIndex",
                  suppressed: Iterable[str], report: Report, retry_uncertain: bool = False) -> list[Subscriber]:
    """Those the ledger has not seen (or saw fail), in list order. Not those
    it has as sent, nor those that may have been delivered unless
    ``retry_uncertain``, nor those suppressed after a hard bounce. An
    ``attempt`` with no outcome is new to this run: it goes into
    ``report.uncertain``; an earlier run's ``uncertain`` into ``report.held``."""
    suppressed = set(suppressed)
    queue = []
    for sub in subscribers:
        entry = entries.get(sub.key)
        status = entry.status if entry else None
        if status == "sent":
            report.already += 1
        elif sub.key in suppressed:
            report.suppressed += 1
        elif status in ("attempt", "uncertain") and retry_uncertain:
            report.retrying.append(sub.email)
            queue.append(sub)
        elif status == "attempt":
            report.uncertain.append((sub.email, STOPPED_EARLIER))
        elif status == "uncertain":
            report.held.append(sub.email)
        else:
            queue.append(sub)
    return queue


def deliver_all(recipients, make_message: Callable[[Subscriber, str | None], "Letter"],
                sender: str, transports: Sequence, ledger: Ledger, report: Report, *,
                retry_uncertain: bool = False, retries: int = 3,
                backoff: float = 2.0, rate: RateLimit | None = None,
                max_errors: int = 0, quota: DailyQuota | None = None,
                sleep: Callable[[float], None] = time.sleep,
                progress: Callable[[Subscriber], None] = lambda s: None) -> Report:
    """Send to each of ``recipients`` (``recipients.Recipients``) the ledger has not seen, over
    one connection per transport, reading the list a batch at a time as the run goes.
    Temporary failures are tried again up to ``retries`` times, in rounds ``backoff`` * 2**n
    seconds apart, once the list has been read through. When no session can be opened at all,
    the round ends for every connection, and the run gives up (aborted) after ``retries`` + 1
    such rounds. It also stops (aborted) after ``max_errors`` failed deliveries in a row
    (0: never), and (``report.quota_reached``) when ``quota`` has no slot left for the next
    message."""
    suppressed = recipients.suppressed()

    def stream():
        for batch in recipients.batches(report):
            # (Read under the run's lock, so no worker adds to the report in between.)
            found = len(report.uncertain)
            queue = still_to_send(batch, ledger.entries, suppressed, report, retry_uncertain)
            for email, why in report.uncertain[found:]:  # recorded, so that the next run knows it was reported
                ledger.record(email, "uncertain", why)
            yield from ((sub, 0) for sub in queue)

    run = _Run(make_message, sender, ledger, report, recipients, retries, rate or RateLimit(0), progress,
               ErrorBreaker(max_errors), quota)
    source, carry = stream(), []
    round_ = unavailable = 0
    while not (report.aborted or report.quota_reached):
        if round_:
            if not carry and run.read_through:
                break
            sleep(backoff * 2 ** (round_ - 1))
        carry, lost = run.round(carry, source, transports)
        if lost is not None:
            unavailable += 1
            if unavailable > retries:
                report.aborted = f"{lost}; gave up after {unavailable} tries"
        elif not carry and run.read_through:
            break
        round_ += 1
    if not (report.aborted or report.quota_reached):  # the end of the list
        if report.sent:  # the relay took mail in this run: the bounces held are the addresses' own
            run.suppress(run.breaker.bounces)
        else:  # it took none: its 5xx may be to everything; they stay failed, for the next run
            report.unconfirmed = [sub.email for sub, _ in run.breaker.bounces]
    return report


class _Run:
    """One run's workers: each connection takes the next recipient from a
    shared queue, which the list refills a batch at a time; the report, the
    queue and the progress bar change under one lock, the ledger under its own."""

    def __init__(self, make_message, sender, ledger, report, recipients, retries, rate, progress, breaker, quota):
        self.make_message, self.sender, self.ledger, self.report = make_message, sender, ledger, report
        self.recipients, self.retries, self.rate, self.progress = recipients, retries, rate, progress
        self.breaker, self.quota = breaker, quota
        self.lock = threading.Lock()
        self.read_through = False

    def round(self, pending, source, transports) -> tuple[list, ServerUnavailable | None]:
        """Send to everyone in ``pending``, then to the rest of ``source``; return who is to be
        tried again and why the server was unavailable, if it was."""
        self.queue, self.source, self.later = deque(pending), source, []
        self.stop, self.unavailable, self.crash = threading.Event(), None, None
        # One connection goes first, alone, until the server has answered it:
        # a server that is down or busy costs one connection a round, not N.
        answered = threading.Event()
        workers = [threading.Thread(target=self.work, args=(transports[0], answered))]
        workers[0].start()
        try:
            answered.wait()
            if not self.stop.is_set():
                workers += [threading.Thread(target=self.work, args=(t, threading.Event()))
                            for t in transports[1:]]
                for worker in workers[1:]:
                    worker.start()
            for worker in workers:
                worker.join()
        except BaseException:  # Ctrl-C: let the messages in flight finish and be recorded
            self.stop.set()
            for worker in workers:
                if worker.is_alive():
                    worker.join()
            raise
        if self.crash is not None:
            raise self.crash
        return self.later + list(self.queue), self.unavailable

    def _next(self):
        """The next recipient (under the lock): the queue, then the list's next one; None at the end."""
        if not self.queue and not self.read_through:
            item = next(self.source, None)
            if item is None:
                self.read_through = True
            return item
        return self.queue.popleft() if self.queue else None

    def work(self, transport, answered: threading.Event) -> None:
        try:
            while not self.stop.is_set():
                with self.lock:
                    item = self._next()
                    if item is None:
                        return
                if not self.reserve(item):
                    return
                sent = False
                try:
                    self.rate.wait()
                    if self.stop.is_set():
                        with self.lock:
                            self.queue.appendleft(item)
                        return
                    sent = self.one(transport, *item)
                finally:
                    if self.quota:
                        self.quota.release(sent)
                answered.set()
        except BaseException as exc:  # a bug, not a delivery outcome: end the run with it
            self.crash = exc
            self.stop.set()
        finally:
            answered.set()

    def reserve(self, item) -> bool:
        """A slot of the daily quota for ``item``'s message. Without one the item goes back to
        the queue, and this connection stops; the whole run, unless a message in flight may yet
        give its slot back."""
        answer = self.quota.reserve() if self.quota else TAKEN
        if answer != TAKEN:
            with self.lock:
                self.queue.appendleft(item)
                if answer == FULL:
                    self.report.quota_reached = True
                    self.stop.set()
        return answer == TAKEN

    def failure(self, address: str, why) -> bool:
        """(Under the lock.) One more delivery that did not go through; True when it trips the breaker."""
        if not self.breaker.failure():
            return False
        # (Messages already under way on other connections still finish: more failures may follow.)
        self.report.aborted = self.report.aborted or (
            f"stopped after {self.breaker.limit} deliveries in a row failed (the {ordinal(self.breaker.limit)} "
            f"to {address}: {why})\n"
            "No one is marked for the stop: the next run tries the failed ones again and goes on with those "
            "not yet tried.")
        self.stop.set()
        return True

    def suppress(self, bounces) -> None:
        """Hard bounces, now that they are the addresses' own: kept from every later run."""
        for sub, why in bounces:
            self.recipients.record(sub, "bounced", why, self.ledger.week)
            with self.lock:
                self.report.bounced.append(sub.email)

    def one(self, transport, sub: Subscriber, tries: int) -> bool:
        """Send to ``sub``, record what happened; True when the message went through."""
        before = self.ledger.entries.get(sub.key)
        msg = self.make_message(sub, before.message_id if before else None)  # a retry is the same message
        self.ledger.record(sub.email, "attempt", message_id=msg.message_id)
        delivered = False
        try:
            transport.deliver(msg, self.sender, sub.email)
        except ServerUnavailable as exc:
            self.ledger.record(sub.email, "failed", f"temporary: {exc}")
            with self.lock:
                self.later.append((sub, tries))  # not its fault: the try does not count
                self.unavailable = exc
                self.stop.set()
            return False
        except TemporaryFailure as exc:
            self.ledger.record(sub.email, "failed", f"temporary: {exc}")
            with self.lock:
                if tries < self.retries:  # tried again in a later round: no failure yet (greylisting, throttling)
                    self.later.append((sub, tries + 1))
                    return False
                self.report.failed.append((sub.email, f"gave up after {self.retries + 1} tries: {exc}"))
                self.failure(sub.email, exc)
        except UncertainDelivery as exc:
            self.ledger.record(sub.email, "uncertain", str(exc))
            with self.lock:
                self.report.uncertain.append((sub.email, str(exc)))
                self.failure(sub.email, exc)
        except HardBounce as exc:
            self.ledger.record(sub.email, "bounced", str(exc))
            with self.lock:
                self.report.failed.append((sub.email, str(exc)))
                self.breaker.bounces.append((sub, str(exc)))  # suppressed once the relay takes a later one
                self.failure(sub.email, exc)
        except PermanentFailure as exc:
            self.ledger.record(sub.email, "failed", f"permanent: {exc}")
            with self.lock:
                self.report.failed.append((sub.email, str(exc)))
                self.failure(sub.email, exc)
        except SendError as exc:
            self.ledger.record(sub.email, "failed", f"aborted: {exc}")
            with self.lock:
                self.report.aborted = self.report.aborted or str(exc)
                self.stop.set()
            return False
        else:
            self.ledger.record(sub.email, "sent")
            delivered = True
            with self.lock:
                self.report.sent += 1
                held = self.breaker.success()
            self.suppress(held)
        with self.lock:
            self.progress(sub)  # once per subscriber, at its outcome
        return delivered
