"""What the list's store holds and hands out: the states and how a move came, the
records (a subscriber, a consent event, what a sign-up, an import or a restore did),
the schema at its newest version, and the store's time stamps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..addresses import address_key

PENDING, CONFIRMED, UNSUBSCRIBED, BOUNCED = "pending", "confirmed", "unsubscribed", "bounced"
# Erased: the subscriber asked for their data to go. Their row keeps only a keyed hash of the address
# (``Tokens.erased_key``, "erased:" and 64 hex digits) in place of it, and the consent record, so that
# no import brings them back.
ERASED = "erased"
STATES = (PENDING, CONFIRMED, UNSUBSCRIBED, BOUNCED, ERASED)
PAUSE_WEEKS = range(1, 13)  # what the manage page offers: sends skip a paused reader until then
# How a move came: "send" is a mail server's answer to `tipweek send --list` (a hard bounce);
# "webhook" is the email service's report to POST /webhooks/bounce (``bounces``).
HOWS = ("form", "import", "one-click", "page", "operator", "send", "webhook")
CONFIRMATION_INTERVAL = dt.timedelta(hours=24)  # the per-address limit on confirmation emails counts this far back
CONFIRMATIONS_PER_DAY = 3  # enough for a lost email or a second try; too few to flood an inbox
IP_WINDOW = dt.timedelta(hours=1)  # the per-IP sign-up limit counts this far back


# The tables at the newest schema version (``migrations`` upgrades an older store), the same
# on every database but for how an id is made: schema(id=..., ref=...) fills in the dialect's
# column types.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS subscribers (
    id {id},
    email TEXT NOT NULL,
    email_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'unsubscribed', 'bounced', 'erased')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    confirmation_sent_at TEXT,
    paused_until TEXT
);
CREATE TABLE IF NOT EXISTS events (
    id {id},
    subscriber_id {ref} NOT NULL REFERENCES subscribers (id),
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    how TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS signups (ip TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS signups_ip ON signups (ip, at);
CREATE TABLE IF NOT EXISTS confirmations (subscriber_id {ref} NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS confirmations_subscriber ON confirmations (subscriber_id, at);
CREATE TABLE IF NOT EXISTS erasure_check (value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_messages (id TEXT PRIMARY KEY, at TEXT NOT NULL);
"""


def schema(*, id: str, ref: str) -> str:
    return _SCHEMA.format(id=id, ref=ref)


class StoreError(Exception):
    """The database cannot be opened or used (one line for the operator)."""


@dataclass(frozen=True, slots=True)
class Subscriber:
    id: int
    email: str
    name: str
    state: str
    created_at: str  # ISO 8601, UTC
    updated_at: str
    confirmation_sent_at: str | None
    paused_until: str | None = None  # stamp: sends skip them until then

    def paused(self, now: dt.datetime) -> bool:
        return self.paused_until is not None and self.paused_until > stamp(now)


@dataclass(frozen=True, slots=True)
class Event:
    subscriber_id: int
    at: str
    action: str  # joined | confirmed | left | bounced | complained | soft-bounced | paused | resumed | erased
    how: str


@dataclass(frozen=True, slots=True)
class SignUp:
    """What a sign-up did: the subscriber (None when refused) and whether a
    confirmation email is due now (False when the address is confirmed
    already, or held back: CONFIRMATIONS_PER_DAY were sent in the last 24 h)."""
    subscriber: Subscriber | None
    send_confirmation: bool
    refused: str | None = None  # "ip-limit"
    retry_after: dt.timedelta | None = None  # when refused or held back: until the oldest counted one leaves the window
    held_back: bool = False


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    confirmed: int  # pending ones the import confirmed
    unchanged: int  # confirmed already
    suppressed: int  # unsubscribed: an import never overrides someone's leaving
    erased: int = 0  # erased at their request: only their own new sign-up brings them back


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """What an import of an export file did (``backup`` has its consent rule)."""
    added: dict  # state -> how many new addresses
    unconfirmed: int  # of the pending ones: the file said confirmed, with no confirmation in their history
    left: int  # on the list already; the file has them leaving (or bouncing) after the store's last change
    kept: int  # on the list already, kept as the store has them


class IdTaken(StoreError):
    """Rows whose id belongs to another address here: [(line, message)]."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(f"{len(problems)} id(s) taken")
        self.problems = problems


def stamp(now: dt.datetime) -> str:
    """Fixed-width UTC text, so comparing strings compares times (in both databases)."""
    return now.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def unstamp(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)


def key(email: str) -> str:
    """How the store finds an address (its ``email_key``): one key for every spelling of it."""
    return address_key(email)



COLUMNS = "id, email, name, state, created_at, updated_at, confirmation_sent_at, paused_until"
