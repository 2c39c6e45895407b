"""What the email service reports about an address (``POST /webhooks/bounce``), written
to the store with its event in the consent record:

- a hard bounce makes a subscriber bounced (no more mail until the operator lifts it);
- a complaint unsubscribes them (the person said they do not want the mail);
- a soft bounce is an event only, unless it is the SOFT_LIMIT-th within SOFT_WINDOW: a
  mailbox that keeps failing for a month is treated as gone.

Someone who left stays as they are, and an address the list does not know is ignored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .records import BOUNCED, UNSUBSCRIBED, key, stamp
from .sql import SqlBase

HARD, SOFT, COMPLAINT = "hard", "soft", "complaint"
KINDS = (HARD, SOFT, COMPLAINT)
SOFT_WINDOW = dt.timedelta(days=30)
SOFT_LIMIT = 3  # the third soft bounce within SOFT_WINDOW makes an address bounced
SOFT_BOUNCED = "soft-bounced"  # the event of a soft bounce
RESTARTS = "('joined', 'confirmed')"  # the events after which earlier soft bounces no longer count


@dataclass(frozen=True, slots=True)
class BounceResult:
    """What one reported address did to the list."""
    email: str  # as reported
    kind: str  # hard | soft | complaint
    state: str | None = None  # the subscriber's state after it; None when ignored
    events: tuple[str, ...] = ()  # the events it added to their consent record
    ignored: str | None = None  # why nothing changed


class Bounces(SqlBase):
    """The email service's reports, as the webhook hands them over."""

    def record_bounces(self, reports: list[tuple[str, str]], now: dt.datetime) -> list[BounceResult]:
        """Each (address, kind) of one report, in one transaction, so a report the service
        retries after a failure is not counted twice. Rows are locked in the order of their
        keys (two reports naming the same addresses cannot deadlock on PostgreSQL); the
        results come back in the report's order."""
        at = stamp(now)
        order = sorted(range(len(reports)), key=lambda i: key(reports[i][0]))
        results: dict[int, BounceResult] = {}
        with self._write() as cur:
            for i in order:
                results[i] = self._bounce(cur, *reports[i], at, now)
        return [results[i] for i in range(len(reports))]

    def _bounce(self, cur, email: str, kind: str, at: str, now: dt.datetime) -> BounceResult:
        sub = self._locked(cur, email)
        if sub is None:
            return BounceResult(email, kind, ignored="not on the list")
        if sub.state == UNSUBSCRIBED:
            return BounceResult(email, kind, ignored="left the list already")
        if kind == COMPLAINT:  # also for a bounced address: the person asked for no more mail
            sub = self._set(cur, sub, at, state=UNSUBSCRIBED)
            self._event(cur, sub.id, at, "complained", "webhook")
            return BounceResult(email, kind, sub.state, ("complained",))
        if sub.state == BOUNCED:
            return BounceResult(email, kind, ignored="bounced already")
        if kind == HARD:
            sub = self._set(cur, sub, at, state=BOUNCED)
            self._event(cur, sub.id, at, "bounced", "webhook")
            return BounceResult(email, kind, sub.state, ("bounced",))
        self._event(cur, sub.id, at, SOFT_BOUNCED, "webhook")
        if self._soft_bounces(cur, sub.id, now) < SOFT_LIMIT:
            return BounceResult(email, kind, sub.state, (SOFT_BOUNCED,))
        sub = self._set(cur, sub, at, state=BOUNCED)
        self._event(cur, sub.id, at, "bounced", "webhook")
        return BounceResult(email, kind, sub.state, (SOFT_BOUNCED, "bounced"))

    def _soft_bounces(self, cur, subscriber_id: int, now: dt.datetime) -> int:
        """Soft bounces within SOFT_WINDOW, counted from the subscriber's last joining or
        confirmation at the earliest: a bounce the operator lifted (a confirmation) or a new
        sign-up starts the count again; a pause, a resume or anything else does not."""
        cur.execute(self._sql(f"SELECT MAX(at) FROM events WHERE subscriber_id = ? AND action IN {RESTARTS}"),
                    (subscriber_id,))
        since = max(stamp(now - SOFT_WINDOW), cur.fetchone()[0] or "")
        cur.execute(self._sql("SELECT COUNT(*) FROM events WHERE subscriber_id = ? AND action = ? AND at >= ?"),
                    (subscriber_id, SOFT_BOUNCED, since))
        return cur.fetchone()[0]
