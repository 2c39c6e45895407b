"""What mail learns about a subscriber (a hard bounce, a complaint), written to the
store with its event, and the operator's word that a bounced address works again."""

from __future__ import annotations

import datetime as dt

from .records import BOUNCED, COLUMNS, CONFIRMED, PENDING, UNSUBSCRIBED, Subscriber, stamp
from .sql import SqlBase


class Outcomes(SqlBase):
    """Writes that come from delivery, not from the subscriber."""

    def record_outcome(self, subscriber_id: int, action: str, now: dt.datetime, how: str = "send",
                       ) -> Subscriber | None:
        """What a send learnt about a subscriber, written to where they live: ``bounced`` (a hard
        bounce) makes them bounced, ``complained`` and ``left`` make them unsubscribed; each with
        its event in the consent record. Someone who left already stays as they are."""
        at = stamp(now)
        with self._write() as cur:
            sub = self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE id = ? {self.lock_rows}", subscriber_id)
            return (self._learnt(cur, sub, action, at, how) or sub) if sub is not None else None

    def _learnt(self, cur, sub: Subscriber, action: str, at: str, how: str) -> Subscriber | None:
        """The one rule for what mail learns (a send's answer, the email service's report): a bounce
        makes a pending or confirmed subscriber bounced; a complaint or a leaving makes them
        unsubscribed, a bounced one too. The changed row, with its event; None when it changes
        nothing (someone who left stays as they are; a bounce does not bounce them again)."""
        state = {"bounced": BOUNCED, "complained": UNSUBSCRIBED, "left": UNSUBSCRIBED}[action]
        if sub.state in (PENDING, CONFIRMED) or sub.state == BOUNCED and state == UNSUBSCRIBED:
            sub = self._set(cur, sub, at, state=state)
            self._event(cur, sub.id, at, action, how)
            return sub
        return None

    def lift_bounce(self, email: str, now: dt.datetime) -> Subscriber | None:
        """The operator's word that a bounced address works again: it is confirmed as before (its
        consent is the confirmation already in its record; the event says who lifted it).
        None when the address is not bounced here."""
        at = stamp(now)
        with self._write() as cur:
            sub = self._locked(cur, email)
            if sub is None or sub.state != BOUNCED:
                return None
            sub = self._set(cur, sub, at, state=CONFIRMED)
            self._event(cur, sub.id, at, "confirmed", "operator")
            return sub
