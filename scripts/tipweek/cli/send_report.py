"""What ``tipweek send`` tells the operator, and its modes that send nothing: a run's
outcome (``tell``), the dry run (``rehearse``), the week's status (``--status``) and
lifting a suppression (``--unsuppress``); and the one way the command stops on an error."""

from __future__ import annotations

import json
import sys
from typing import Callable

import click

from ..sending.errors import SendError
from ..sending.ledger import Ledger
from ..sending.report import Report
from ..sending.send import still_to_send
from ..sending.suppression import SuppressionList

HELD = "may have arrived; see 'tipweek send --status', and --retry-uncertain sends again"


def stop(message: str) -> None:
    """The run cannot go on: say why, exit 2 (as --help promises)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def everyone(recipients, report: Report):
    """The whole list, read through (for --status, --dry-run and the retry notice)."""
    for batch in recipients.batches(report):
        yield from batch


def tell(report: Report, recipients=None) -> None:
    for line, address in report.invalid:
        click.echo(f"{recipients.where}:{line}: invalid address {address!r}; skipped", err=True)
    for address, reason in report.failed:
        after = "; suppressed from now on (--unsuppress ADDRESS undoes it)" if address in report.bounced else ""
        click.echo(f"failed: {address}: {reason}{after}", err=True)
    for address, reason in report.uncertain:
        click.echo(f"uncertain: {address}: {reason}; not sent again ({HELD})", err=True)
    if report.held:
        click.echo(f"uncertain since an earlier run, not sent again: {', '.join(report.held)} ({HELD})", err=True)
    if report.aborted:
        click.echo(f"error: {report.aborted}; run the same command again to resume", err=True)


def rehearse(recipients, ledger: Ledger, report: Report, retry_uncertain: bool, title: str) -> None:
    """What a real run would do now: the ledger (read, not locked) says who already has it."""
    entries, suppressed = ledger.load(), readable_of(recipients)
    try:
        for batch in recipients.batches(report):
            for sub in still_to_send(batch, entries, suppressed, report, retry_uncertain):
                again = " again" if sub.email in report.retrying else ""
                click.echo(f"would send{again} {ledger.week} '{title}' to {sub.name} <{sub.email}>")
                report.sent += 1
    except SendError as exc:
        stop(str(exc))
    tell(report, recipients)
    click.echo(report.summary(dry_run=True))


def show_status(ledger: Ledger, title: str, suppression: SuppressionList, recipients, as_json: bool) -> None:
    from ..sending.status import week_status

    try:
        suppressed = readable(suppression) if recipients is None else recipients.suppressed(everyone=True)
        found = week_status(ledger.week, title, ledger.path, ledger.load(), suppression.path, suppressed,
                            None if recipients is None else list(everyone(recipients, Report())))
    except SendError as exc:
        stop(str(exc))
    if as_json:
        click.echo(json.dumps(found.as_dict(), indent=2))
    else:
        click.echo("\n".join(found.lines()))


def readable(suppression: SuppressionList) -> dict:
    try:
        return suppression.load()
    except SendError as exc:
        stop(str(exc))


def readable_of(recipients) -> dict:
    try:
        return recipients.suppressed()
    except SendError as exc:
        stop(str(exc))


def lift(undo: Callable[[str], bool], place: str, addresses) -> None:
    """Mail hard-bounced addresses again: in the list's store (``--list``), else the suppression file."""
    try:
        missing = [a for a in addresses if not undo(a)]
    except SendError as exc:
        stop(str(exc))
    for address in addresses:
        if address not in missing:
            click.echo(f"{address} is no longer suppressed; the next run mails it")
    for address in missing:
        click.echo(f"error: {address} is not {place}", err=True)
    sys.exit(1 if missing else 0)
