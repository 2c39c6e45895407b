"""Whom a send mails, and where what happened to them goes back.

One interface, ``Recipients``, that a CSV file (``CsvRecipients``) and the
list's store (``subscriptions.sending.ListRecipients``) both implement, after
listmonk's mail manager: the run pulls the deliverable recipients in batches
as it goes (so memory stays flat however long the list, and someone who
leaves during a run is not mailed by it), each with their own unsubscribe
link (and, on the list, their own page), and reports an outcome to the one place the recipient lives:

- ``bounced``: a hard bounce. A CSV list's suppression file
  (``suppressed.txt`` beside the ledgers) gets it; the list's store makes the
  subscriber ``bounced``, with the event in their consent record.
- ``complained`` / ``left``: the list's store makes them unsubscribed.

The counts of those passed over (unsubscribed, suppressed, duplicates,
invalid) go into the run's report as the batches are read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Protocol

from .address_set import AddressSet
from ..addresses import BadAddress, checked_address
from .csv_list import Subscriber, read_rows, read_suppressions
from .suppression import Suppressed, SuppressionList

BATCH = 500  # recipients read at a time: small enough that a leaver is soon seen, large enough to be cheap


class Recipients(Protocol):
    where: str  # the list's name in messages
    lift_command: str  # what lifts a bounce here, as `send --status` names it
    bounces_in: str  # where its hard bounces are kept, as `send --status` names it

    def batches(self, report) -> Iterator[list[Subscriber]]:
        """The deliverable recipients, a batch at a time, read as the run asks for them; those
        passed over are counted in ``report`` (``unsubscribed``, ``suppressed``, ``duplicates``;
        ``invalid`` gets each bad row's (line, address))."""

    def size(self) -> int:
        """About how many the list holds (for the progress bar)."""

    def unsubscribe_url(self, sub: Subscriber) -> str | None:
        """The recipient's own unsubscribe link; None: the plugin's template."""

    def manage_url(self, sub: Subscriber) -> str | None:
        """The recipient's own page on the list service (pause, their data, erase); None: none."""

    def suppressed(self, everyone: bool = False) -> dict[str, Suppressed]:
        """Addresses in the suppression file that no run mails (address in lower case -> why);
        ``everyone``: also those the list's store has as bounced (for --status)."""

    def record(self, sub: Subscriber, outcome: str, detail: str, week: str) -> None:
        """What happened to ``sub``: bounced, complained or left."""

    def lift(self, address: str) -> bool:
        """Mail a bounced address again from the next run; False when it was not bounced."""


class CsvRecipients:
    """A CSV file with an ``email`` column (``name`` optional), read a row at a time; the
    addresses never to mail (``--unsubscribed``); hard bounces into the suppression file."""

    def __init__(self, path: Path, unsubscribed: Path | None, suppression: SuppressionList):
        self.path, self.where = Path(path), str(path)
        self.lift_command = "tipweek send --unsuppress ADDRESS"
        self.bounces_in = str(suppression.path)
        self.unsubscribed, self.suppression = unsubscribed, suppression
        next(read_rows(self.path), None)  # a file without its header row stops the command before anything opens
        self.gone = read_suppressions(unsubscribed)  # so does an unsubscribed list with a line that is no address

    def batches(self, report) -> Iterator[list[Subscriber]]:
        gone = self.gone
        seen = AddressSet()
        batch: list[Subscriber] = []
        for row in read_rows(self.path):
            try:
                email = checked_address(row.email)
            except BadAddress:
                report.invalid.append((row.line, row.email))
                continue
            if not seen.add(email):
                report.duplicates += 1
            elif email.lower() in gone:
                report.unsubscribed += 1
            else:
                batch.append(Subscriber(email, row.name))
                if len(batch) == BATCH:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def size(self) -> int:
        with open(self.path, "rb") as handle:
            return max(sum(1 for _ in handle) - 1, 0)

    def unsubscribe_url(self, sub: Subscriber) -> str | None:
        return None

    def manage_url(self, sub: Subscriber) -> str | None:
        return None  # a CSV file's people have no page of their own

    def suppressed(self, everyone: bool = False) -> dict[str, Suppressed]:
        return self.suppression.load()

    def record(self, sub: Subscriber, outcome: str, detail: str, week: str) -> None:
        if outcome == "bounced":
            self.suppression.add(sub.email, week, detail)
        # A CSV file has no place for a complaint or a leaving: the operator's --unsubscribed file does.

    def lift(self, address: str) -> bool:
        return self.suppression.remove(address)
