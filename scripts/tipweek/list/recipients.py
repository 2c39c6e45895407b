"""What ``tipweek send --list DB_URL`` reads from the list: the confirmed
subscribers (an unsubscribed address is never among them) and each one's own
unsubscribe URL on the service, for the footer and ``List-Unsubscribe``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from ..sending.errors import SendError
from ..sending.csv_list import Subscriber, SubscriberList
from .store import UNSUBSCRIBED, StoreError
from .database import open_store
from .tokens import TokenError, Tokens, secret_from_environment


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str
    name: str
    id: int


def confirmed_subscribers(db_url: str, base=None) -> Iterator[Recipient]:
    """Confirmed, non-suppressed subscribers, oldest first."""
    for sub in open_store(db_url, base).deliverable():
        yield Recipient(sub.email, sub.name, sub.id)


def unsubscribe_url(list_url: str, tokens: Tokens, subscriber_id: int) -> str:
    return f"{list_url.rstrip('/')}/unsubscribe/{tokens.unsubscribe_token(subscriber_id)}"


LOCAL_LIST_URL = "http://127.0.0.1:8025"  # where `tipweek list serve` (and `make list`) listens by default


@dataclass(frozen=True)
class ListToSend:
    listing: SubscriberList
    unsubscribed: int
    link: Callable[[Subscriber], str]  # the subscriber's own unsubscribe URL
    note: str | None = None  # one line for the operator: the links point at the local service


def list_to_send(db_url: str, project, smtp: bool = False) -> ListToSend:
    """Everything the run needs from the list, or a SendError saying what is missing.
    Without list_url, a trial into the Maildir outbox links to the local service;
    a run through SMTP is refused (its links would reach nobody's service)."""
    list_url, note = project.options.list_url, None
    if not list_url and smtp:
        raise SendError("--list needs the list service's address: set list_url under the tipweek plugin in "
                        "mkdocs.yml (its unsubscribe links go there; with --smtp they cannot point at "
                        f"{LOCAL_LIST_URL} on this machine)")
    if not list_url:
        list_url = LOCAL_LIST_URL
        note = (f"note: list_url is not set, so the unsubscribe links point at {LOCAL_LIST_URL}, the local list "
                "service of `make list` (fine for a trial into the outbox; set list_url to send for real)")
    try:
        tokens = Tokens(secret_from_environment())
        recipients = list(confirmed_subscribers(db_url, project.root))
        unsubscribed = sum(1 for s in open_store(db_url, project.root).everyone() if s.state == UNSUBSCRIBED)
    except (TokenError, StoreError) as exc:
        raise SendError(str(exc)) from None
    ids = {r.email.lower(): r.id for r in recipients}
    listing = SubscriberList([Subscriber(r.email, r.name) for r in recipients], [], 0)
    return ListToSend(listing, unsubscribed, lambda sub: unsubscribe_url(list_url, tokens, ids[sub.key]), note)
