"""The export file: what ``tipweek list export`` writes and ``tipweek list
import`` reads back, so that a backup restores the same list.

One CSV row per address: ``id, email, name, state, joined, updated, history,
paused_until``. ``history`` is the consent record, a JSON list of ``{"at",
"action", "how"}`` (joined, confirmed, left, bounced, complained,
soft-bounced, paused, resumed, erased), oldest first. An erased row's ``email`` is the keyed hash its
address left (``erased:`` and 64 hex digits) and its name is empty, so a
restore keeps that address out as the store did. ``paused_until`` is empty but
for a reader who paused (files without the column read as unpaused). Cells that a spreadsheet would run as
a formula get a leading apostrophe (OWASP's advice for CSV injection), which
the import takes off again.

The consent rule of an import: a file's ``state`` never confirms or brings back
anyone. ``unsubscribed`` and ``bounced`` are always honoured; ``confirmed`` only when the row's
history has the confirmation (when and how it was given). A row that says
confirmed without one (an export from before the history column, or a file
edited by hand) comes in as pending: it gets no email until the person
confirms. People who agreed somewhere else come in through a file without a
``state`` column, as confirmed by the import.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from .records import BOUNCED, CONFIRMED, ERASED, HOWS, PENDING, STATES, UNSUBSCRIBED, Event, Subscriber, stamp

COLUMNS = ("id", "email", "name", "state", "joined", "updated", "history", "paused_until")
ACTIONS = ("joined", "confirmed", "left", "bounced", "complained", "soft-bounced", "paused", "resumed", "erased")
ERASED_ROW = re.compile(r"erased:[0-9a-f]{64}")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class BadRow(ValueError):
    """A row the import refuses; the message says what to change."""


@dataclass(frozen=True, slots=True)
class Restored:
    """One row of an export file, checked: what the store is to hold for it."""
    line: int
    id: int | None
    email: str
    name: str
    state: str  # after the consent rule
    joined: str
    updated: str
    events: tuple[tuple[str, str, str], ...]  # (at, action, how), oldest first
    unconfirmed: bool = False  # the file said confirmed, its history has no confirmation: pending
    paused_until: str | None = None


# ------------------------------------------------------------------ cells

def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: an apostrophe before a formula's first character
    (and before an apostrophe that ``plain_cell`` would otherwise take off)."""
    if text[:1] in FORMULA_START or plain_cell(text) != text:
        return "'" + text
    return text


def plain_cell(text: str) -> str:
    """``safe_cell`` undone: ``plain_cell(safe_cell(x)) == x`` for every x."""
    if text[:1] == "'" and text[1:2] and text[1:2] in FORMULA_START + ("'",):
        return text[1:]
    return text


# ------------------------------------------------------------------ writing

def export_rows(people: list[tuple[Subscriber, list[Event]]]):
    """The header, then one row per subscriber with their history (``SqlStore.with_history``)."""
    yield list(COLUMNS)
    for sub, events in people:
        history = [{"at": e.at, "action": e.action, "how": e.how} for e in events]
        yield [str(sub.id), safe_cell(sub.email), safe_cell(sub.name), sub.state, sub.created_at, sub.updated_at,
               json.dumps(history, separators=(",", ":")), sub.paused_until or ""]


# ------------------------------------------------------------------ reading

def restored(line: int, row: dict[str, str], email: str, name: str, now: dt.datetime) -> Restored:
    """A checked row of a file with a ``state`` column, under the consent rule; BadRow if not."""
    state = row.get("state", "").strip().lower()
    if state not in STATES:
        raise BadRow(f"unknown state {row.get('state', '')!r} (use pending, confirmed, unsubscribed, bounced or erased; to add "
                     "people who agreed elsewhere as confirmed, import a file without a state column)")
    joined = _time(row.get("joined", ""), "joined") or stamp(now)
    updated = _time(row.get("updated", ""), "updated") or joined
    events = _history(row.get("history", ""))
    ident = row.get("id", "").strip()
    if ident and not (ident.isdigit() and 0 < int(ident) < 2 ** 63):
        raise BadRow(f"id {ident!r} is not a whole number above 0 (leave it empty to give the address a new one)")
    if not events:  # an export from before the history column: all it shows is a joining, or a leaving
        events = [(updated, "left", "import")] if state == UNSUBSCRIBED else [(joined, "joined", "import")]
    replayed = _replay(events)
    unconfirmed = False
    if state == UNSUBSCRIBED:
        if replayed != UNSUBSCRIBED:  # leaving needs no proof: it is recorded as the import found it
            events.append((max(updated, events[-1][0]), "left", "import"))
    elif state == BOUNCED:
        if replayed != BOUNCED:  # nor does a bounce: it only keeps mail from the address
            events.append((max(updated, events[-1][0]), "bounced", "import"))
    elif state == ERASED:
        if not ERASED_ROW.fullmatch(email) or name:
            raise BadRow("state 'erased', but the row has an address or a name: an erased row holds only the "
                         "keyed hash its address left (erased: and 64 hex digits) and no name")
        if replayed != ERASED:
            events.append((max(updated, events[-1][0]), "erased", "import"))
    elif replayed == ERASED:
        raise BadRow(f"state {state!r}, but the history ends with an erasure: an import never brings anyone back "
                     "(let the person sign up again)")
    elif replayed == BOUNCED:
        raise BadRow(f"state {state!r}, but the history ends with a bounce: set the state to bounced (lift it "
                     "after the import with 'tipweek send --unsuppress ADDRESS --list DB_URL')")
    elif replayed == UNSUBSCRIBED:
        raise BadRow(f"state {state!r}, but the history ends with leaving: an import never brings anyone back "
                     "(set the state to unsubscribed, or let the person sign up again)")
    elif state == PENDING and replayed == CONFIRMED:
        raise BadRow("state 'pending', but the history has a confirmation: correct the state or the history")
    elif state == CONFIRMED and replayed == PENDING:
        state, unconfirmed = PENDING, True
    paused = _time(row.get("paused_until") or "", "paused_until") if state == CONFIRMED else None
    return Restored(line, int(ident) if ident else None, email, name, state, joined, max(updated, events[-1][0]),
                    tuple(events), unconfirmed, paused)


def _time(text: str, column: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise BadRow(f"{column} {text!r} is not a time with its zone (e.g. 2026-11-23T09:00:00Z)")
    return stamp(when)


def _history(text: str) -> list[tuple[str, str, str]]:
    text = text.strip()
    if not text:
        return []
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise BadRow(f"history is not valid JSON ({exc.msg}, character {exc.pos + 1})") from None
    if not isinstance(items, list):
        raise BadRow("history must be a JSON list of {\"at\", \"action\", \"how\"}")
    events = []
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or set(item) != {"at", "action", "how"} or \
                not all(isinstance(v, str) for v in item.values()):
            raise BadRow(f"history entry {number} must be {{\"at\": TIME, \"action\": ACTION, \"how\": HOW}}")
        if item["action"] not in ACTIONS:
            raise BadRow(f"history entry {number}: unknown action {item['action']!r} (use {', '.join(ACTIONS)})")
        if item["how"] not in HOWS:
            raise BadRow(f"history entry {number}: unknown how {item['how']!r} (use {', '.join(HOWS)})")
        events.append((_time(item["at"], f"history entry {number}'s time"), item["action"], item["how"]))
    return events


def _replay(events: list[tuple[str, str, str]]) -> str | None:
    """The state the history leads to, by the store's own moves."""
    state = None
    for _, action, _ in events:
        if action == "joined" and state in (None, UNSUBSCRIBED, BOUNCED, ERASED):  # the form's moves back in
            state = PENDING
        elif action == "confirmed" and state in (PENDING, BOUNCED):  # (after a bounce: lifted by the operator)
            state = CONFIRMED
        elif action in ("left", "complained"):
            state = UNSUBSCRIBED
        elif action == "bounced" and state in (PENDING, CONFIRMED):
            state = BOUNCED
        elif action == "erased":
            state = ERASED
    return state
