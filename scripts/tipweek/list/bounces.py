"""What the email service reports about an address (``POST /webhooks/bounce``), written
to the store with its event in the consent record:

- a hard bounce makes a subscriber bounced (no more mail until the operator lifts it);
- a complaint unsubscribes them (the person said they do not want the mail);
- a soft bounce is an event only, unless it is the SOFT_LIMIT-th within SOFT_WINDOW: a
  mailbox that keeps failing for a month is treated as gone.

Someone who left stays as they are, and an address the list does not know is ignored.

A report that names its message (SNS's MessageId, SES's ids, a plain report's "id") is taken
once: its ids go into ``webhook_messages`` in the transaction of its bounces, and a report
with an id seen within MESSAGE_MEMORY changes nothing (SNS delivers at least once, and sends
again when our answer was lost). Older ids are forgotten as reports come in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .records import BOUNCED, UNSUBSCRIBED, key, stamp
from .outcomes import Outcomes
from .sql import BULK

HARD, SOFT, COMPLAINT = "hard", "soft", "complaint"
KINDS = (HARD, SOFT, COMPLAINT)
SOFT_WINDOW = dt.timedelta(days=30)
SOFT_LIMIT = 3  # the third soft bounce within SOFT_WINDOW makes an address bounced
SOFT_BOUNCED = "soft-bounced"  # the event of a soft bounce
MESSAGE_MEMORY = dt.timedelta(days=30)  # how long a report's ids are kept to spot it sent again
RESTARTS = "('joined', 'confirmed')"  # the events after which earlier soft bounces no longer count


@dataclass(frozen=True, slots=True)
class BounceResult:
    """What one reported address did to the list."""
    email: str  # as reported
    kind: str  # hard | soft | complaint
    state: str | None = None  # the subscriber's state after it; None when ignored
    events: tuple[str, ...] = ()  # the events it added to their consent record
    ignored: str | None = None  # why nothing changed


class Bounces(Outcomes):
    """The email service's reports, as the webhook hands them over."""

    def record_bounces(self, reports: list[tuple[str, str]], now: dt.datetime,
                       message_ids: tuple[str, ...] = ()) -> list[BounceResult]:
        """Each (address, kind) of one report, in one transaction, so a report the service
        retries after a failure is not counted twice; nothing, when one of the report's
        ``message_ids`` was recorded within MESSAGE_MEMORY. Rows are locked in the order of
        their keys (two reports naming the same addresses cannot deadlock on PostgreSQL); the
        results come back in the report's order."""
        at = stamp(now)
        order = sorted(range(len(reports)), key=lambda i: key(reports[i][0]))
        results: dict[int, BounceResult] = {}
        with self._write() as cur:
            self._serialise(cur, BULK)  # (many rows: see BULK)
            seen = self._seen_before(cur, message_ids, at, now)
            if seen is not None:
                return [BounceResult(email, kind, ignored=f"already recorded (message id {seen})")
                        for email, kind in reports]
            for i in order:
                results[i] = self._bounce(cur, *reports[i], at, now)
        return [results[i] for i in range(len(reports))]

    def _seen_before(self, cur, message_ids: tuple[str, ...], at: str, now: dt.datetime) -> str | None:
        """The first of ``message_ids`` recorded before (within MESSAGE_MEMORY); None after
        recording them all. The insert is the check: of two deliveries of one report at once,
        PostgreSQL holds the second at the first's new row until it commits, then skips it."""
        if not message_ids:
            return None
        cur.execute(self._sql("DELETE FROM webhook_messages WHERE at < ?"), (stamp(now - MESSAGE_MEMORY),))
        for message_id in message_ids:
            cur.execute(self._sql("INSERT INTO webhook_messages (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING"),
                        (message_id, at))
            if cur.rowcount != 1:
                return message_id
        return None

    def _bounce(self, cur, email: str, kind: str, at: str, now: dt.datetime) -> BounceResult:
        sub = self._locked(cur, email)
        if sub is None:
            return BounceResult(email, kind, ignored="not on the list")
        if sub.state == UNSUBSCRIBED:
            return BounceResult(email, kind, ignored="left the list already")
        if kind == SOFT and sub.state != BOUNCED:
            self._event(cur, sub.id, at, SOFT_BOUNCED, "webhook")
            if self._soft_bounces(cur, sub.id, now) < SOFT_LIMIT:
                return BounceResult(email, kind, sub.state, (SOFT_BOUNCED,))
        moved = self._learnt(cur, sub, "complained" if kind == COMPLAINT else "bounced", at, "webhook")
        if moved is None:
            return BounceResult(email, kind, ignored="bounced already")
        events = ((SOFT_BOUNCED,) if kind == SOFT else ()) + (("complained",) if kind == COMPLAINT else ("bounced",))
        return BounceResult(email, kind, moved.state, events)

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
