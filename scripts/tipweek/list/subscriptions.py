"""What a subscriber does through the service: sign up (with its limits per IP
address and per address), confirm, pause, leave, and erase their data."""

from __future__ import annotations

import datetime as dt

from .records import (CONFIRMATION_INTERVAL, CONFIRMATIONS_PER_DAY, COLUMNS, ERASED, IP_WINDOW, PAUSE_WEEKS,
                      BOUNCED, CONFIRMED, PENDING, UNSUBSCRIBED, SignUp, Subscriber, key, stamp, unstamp)
from .sql import SqlBase


class Subscriptions(SqlBase):
    """The service's writes: each one transaction, committed before the page answers."""

    def subscribe(self, email: str, name: str, now: dt.datetime, *, ip: str | None = None,
                  ip_limit: int | None = None, erased_key: str | None = None) -> SignUp:
        """Record a sign-up from the form: a new address, or one that left,
        becomes pending; a pending one gets its name updated. Claims the
        address's confirmation slot when one is due. ``erased_key``: the address's keyed
        hash; one erased at their request comes back pending under their old consent record
        (their own sign-up is the new opt-in; the confirmation still decides)."""
        at = stamp(now)
        with self._write() as cur:
            if ip is not None:
                self._serialise(cur, f"ip {ip}")  # count and add this address's sign-ups one at a time
            if ip is not None and ip_limit is not None:
                cur.execute(self._sql("DELETE FROM signups WHERE at < ?"), (stamp(now - IP_WINDOW),))
                cur.execute(self._sql("SELECT COUNT(*), MIN(at) FROM signups WHERE ip = ?"), (ip,))
                count, oldest = cur.fetchone()
                if count >= ip_limit:
                    return SignUp(None, False, "ip-limit", unstamp(oldest) + IP_WINDOW - now)
            sub = self._locked(cur, email)
            if sub is None and erased_key is not None and (sub := self._erased(cur, erased_key)) is not None:
                sub = self._set(cur, sub, at, email=email, email_key=key(email), name=name, state=PENDING)
                self._event(cur, sub.id, at, "joined", "form")
            joined = sub is None and (sub := self._add(cur, email, name, PENDING, at)) is not None
            sub = sub or self._locked(cur, email)  # (another sign-up of the address added it just now)
            if joined:
                self._event(cur, sub.id, at, "joined", "form")
            elif sub.state in (UNSUBSCRIBED, BOUNCED):  # a new confirmation also shows the mailbox works
                sub = self._set(cur, sub, at, state=PENDING, name=name or sub.name)
                self._event(cur, sub.id, at, "joined", "form")
            elif sub.state == PENDING and name and name != sub.name:
                sub = self._set(cur, sub, at, name=name)
            if ip is not None:
                cur.execute(self._sql("INSERT INTO signups (ip, at) VALUES (?, ?)"), (ip, at))
            if sub.state != PENDING:
                return SignUp(sub, False)
            # Every sign-up of a pending address gets an email (the last one may
            # be lost, or never sent: a crash between here and the relay), up to
            # CONFIRMATIONS_PER_DAY a day.
            # (This address's rows only: under its row lock, with no other sign-up waiting on them.)
            since = stamp(now - CONFIRMATION_INTERVAL)
            cur.execute(self._sql("DELETE FROM confirmations WHERE subscriber_id = ? AND at <= ?"), (sub.id, since))
            cur.execute(self._sql("SELECT COUNT(*), MIN(at) FROM confirmations WHERE subscriber_id = ?"), (sub.id,))
            sent, oldest = cur.fetchone()
            if sent >= CONFIRMATIONS_PER_DAY:
                return SignUp(sub, False, retry_after=unstamp(oldest) + CONFIRMATION_INTERVAL - now, held_back=True)
            cur.execute(self._sql("INSERT INTO confirmations (subscriber_id, at) VALUES (?, ?)"), (sub.id, at))
            sub = self._set(cur, sub, at, confirmation_sent_at=at)
            return SignUp(sub, True)

    def release_confirmation(self, subscriber: Subscriber, previous: str | None, now: dt.datetime) -> None:
        """The confirmation email could not be sent: free the slot again."""
        with self._write() as cur:
            cur.execute(self._sql("DELETE FROM confirmations WHERE subscriber_id = ? AND at = ?"),
                        (subscriber.id, subscriber.confirmation_sent_at))
            self._set(cur, subscriber, stamp(now), confirmation_sent_at=previous)

    def confirm(self, subscriber_id: int, now: dt.datetime, how: str = "page") -> Subscriber | None:
        """pending -> confirmed. Confirmed stays confirmed (a second click is
        harmless); one who left stays left (an old link does not undo that)."""
        return self.confirm_pending(subscriber_id, now, how)[0]

    def confirm_pending(self, subscriber_id: int, now: dt.datetime,
                        how: str = "page") -> tuple[Subscriber | None, bool]:
        """:meth:`confirm`, and whether this call was the one that confirmed (under the row's
        lock, so of two clicks at once only one is: the welcome email goes out on that one)."""
        at = stamp(now)
        with self._write() as cur:
            sub = self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE id = ? {self.lock_rows}", subscriber_id)
            if sub is not None and sub.state == PENDING:
                sub = self._set(cur, sub, at, state=CONFIRMED)
                self._event(cur, sub.id, at, "confirmed", how)
                return sub, True
            return sub, False

    def unsubscribe(self, subscriber_id: int, now: dt.datetime, how: str) -> Subscriber | None:
        at = stamp(now)
        with self._write() as cur:
            sub = self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE id = ? {self.lock_rows}", subscriber_id)
            if sub is not None and sub.state not in (UNSUBSCRIBED, ERASED):  # (an old one-click link of an erased one)
                sub = self._set(cur, sub, at, state=UNSUBSCRIBED)
                self._event(cur, sub.id, at, "left", how)
            return sub

    def pause(self, subscriber_id: int, weeks: int, now: dt.datetime) -> Subscriber | None:
        """A confirmed subscriber's pause: sends skip them until ``weeks`` from now, then
        reach them again by themselves. Anyone else is returned as they are."""
        if weeks not in PAUSE_WEEKS:
            raise ValueError(f"a pause is {PAUSE_WEEKS[0]} to {PAUSE_WEEKS[-1]} weeks, not {weeks}")
        at = stamp(now)
        with self._write() as cur:
            sub = self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE id = ? {self.lock_rows}", subscriber_id)
            if sub is not None and sub.state == CONFIRMED:
                sub = self._set(cur, sub, at, paused_until=stamp(now + dt.timedelta(weeks=weeks)))
                self._event(cur, sub.id, at, "paused", "page")
            return sub

    def resume(self, subscriber_id: int, now: dt.datetime) -> Subscriber | None:
        """A pause ended early (a pause that has run out needs nothing: sends look at its date)."""
        at = stamp(now)
        with self._write() as cur:
            sub = self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE id = ? {self.lock_rows}", subscriber_id)
            if sub is not None and sub.paused(now):
                sub = self._set(cur, sub, at, paused_until=None)
                self._event(cur, sub.id, at, "resumed", "page")
            return sub

    def erase(self, subscriber_id: int, now: dt.datetime, erased_key: str,
              check: str | None = None) -> Subscriber | None:
        """The subscriber's own erasure: address and name leave the store; the row keeps the
        address's keyed hash (``Tokens.erased_key``, in place of the address) and the consent
        record, so an import cannot add them again and only their own sign-up, confirmed, brings
        them back."""
        at = stamp(now)
        with self._write() as cur:
            sub = self._one(cur, f"SELECT {COLUMNS} FROM subscribers WHERE id = ? {self.lock_rows}", subscriber_id)
            if sub is not None and sub.state != ERASED:
                sub = self._set(cur, sub, at, email=erased_key, email_key=erased_key, name="", state=ERASED,
                                confirmation_sent_at=None, paused_until=None)
                cur.execute(self._sql("DELETE FROM confirmations WHERE subscriber_id = ?"), (sub.id,))
                if check is not None:  # the first erasure keeps what tells its key's secret (``Tokens.erasure_check``)
                    cur.execute(self._sql("INSERT INTO erasure_check (value) SELECT ? WHERE NOT EXISTS "
                                          "(SELECT 1 FROM erasure_check)"), (check,))
                self._event(cur, sub.id, at, "erased", "page")
            return sub
