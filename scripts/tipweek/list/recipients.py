"""What ``tipweek send --list DB_URL`` reads from the list and writes back to
it: the list's side of ``recipients.Recipients``. The confirmed subscribers
are read by id a batch at a time as the run goes (someone who leaves during a
run is not mailed by it; one who paused is skipped until their pause ends), each
with their own unsubscribe URL on the service, for the footer and
``List-Unsubscribe``, and their own page there (the footer's "Manage your
subscription"); a hard bounce makes the subscriber
``bounced`` in the store, with its event in their consent record."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Iterator

from ..edition import urls
from ..sending.errors import SendError
from ..sending.recipients import BATCH
from ..sending.csv_list import Subscriber
from ..sending.suppression import Suppressed, SuppressionList
from .records import BOUNCED, CONFIRMED, ERASED, UNSUBSCRIBED, StoreError
from .database import open_store
from .tokens import TokenError, Tokens, secret_from_environment


def unsubscribe_url(list_url: str, tokens: Tokens, subscriber_id: int) -> str:
    return urls.list_unsubscribe(list_url, tokens.unsubscribe_token(subscriber_id))


def manage_url(list_url: str, tokens: Tokens, subscriber_id: int) -> str:
    return urls.list_manage(list_url, tokens.manage_token(subscriber_id))


LOCAL_LIST_URL = "http://127.0.0.1:8025"  # where `tipweek list serve` (and `make list`) listens by default


class ListRecipients:
    """The list's store as a send's recipients. ``sending``: the links are needed (not for
    ``--unsuppress``, which needs no secret). ``suppression``: the file where runs before the
    store had a ``bounced`` state put the list's bounces; its addresses stay unmailed."""

    def __init__(self, db_url: str, project, suppression: SuppressionList, *, smtp: bool = False,
                 sending: bool = True):
        self.where, self.suppression, self.note = db_url, suppression, None
        self.lift_command = f"tipweek send --unsuppress ADDRESS --list {db_url}"
        self.bounces_in = f"in the list's store ({db_url})"
        self.list_url = project.options.list_url
        if sending and not self.list_url and smtp:
            raise SendError("--list needs the list service's address: set list_url under the tipweek plugin in "
                            "mkdocs.yml (its unsubscribe links go there; with --smtp they cannot point at "
                            f"{LOCAL_LIST_URL} on this machine)")
        if sending and not self.list_url:
            self.list_url = LOCAL_LIST_URL
            self.note = (f"note: list_url is not set, so the unsubscribe links point at {LOCAL_LIST_URL}, the local "
                         "list service of `make list` (fine for a trial into the outbox; set list_url to send for "
                         "real)")
        try:
            self.tokens = Tokens(secret_from_environment()) if sending else None
            self.store = open_store(db_url, project.root, create=False)
        except (TokenError, StoreError) as exc:
            raise SendError(str(exc)) from None

    def batches(self, report) -> Iterator[list[Subscriber]]:
        last, now = 0, dt.datetime.now(dt.timezone.utc)
        while True:
            with _said():
                rows = self.store.recipients_after(last, BATCH)
            if not rows:
                return
            last = rows[-1].id
            batch = []
            for row in rows:
                if row.state == CONFIRMED and row.paused(now):
                    report.paused += 1  # (their pause ends by itself: a later week's run mails them)
                elif row.state == CONFIRMED:
                    batch.append(Subscriber(row.email, row.name, row.id))
                elif row.state in (UNSUBSCRIBED, ERASED):
                    report.unsubscribed += 1
                elif row.state == BOUNCED:
                    report.suppressed += 1
            if batch:
                yield batch

    def size(self) -> int:
        with _said():
            return self.store.count(CONFIRMED)

    def unsubscribe_url(self, sub: Subscriber) -> str:
        return unsubscribe_url(self.list_url, self.tokens, sub.id)

    def manage_url(self, sub: Subscriber) -> str:
        return manage_url(self.list_url, self.tokens, sub.id)

    def suppressed(self, everyone: bool = False) -> dict[str, Suppressed]:
        found = self.suppression.load()
        if everyone:  # (a run needs only the file: the store's bounced are never in its batches)
            with _said():
                for sub, at in self.store.bounced():
                    found.setdefault(sub.email.lower(), Suppressed(sub.email, "", f"bounced at {at} (in {self.where})"))
        return found

    def record(self, sub: Subscriber, outcome: str, detail: str, week: str) -> None:
        with _said():
            self.store.record_outcome(sub.id, outcome, dt.datetime.now(dt.timezone.utc))

    def lift(self, address: str) -> bool:
        with _said():
            lifted = self.store.lift_bounce(address, dt.datetime.now(dt.timezone.utc)) is not None
        return self.suppression.remove(address) or lifted


@contextmanager
def _said():
    """A store that fails mid-run ends the run with its one line (exit 2), not a traceback."""
    import sqlite3

    failures: tuple = (StoreError, sqlite3.Error)
    try:
        import psycopg
        failures += (psycopg.Error,)
    except ImportError:
        pass
    try:
        yield
    except StoreError as exc:  # (the store's own words: on SQLite they name the file)
        raise SendError(f"the list's database failed: {exc}") from None
    except failures as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SendError(f"the list's database failed: {first}") from None
