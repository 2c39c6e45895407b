"""What ``tipweek send`` tells the operator, and its modes that send nothing: a run's
outcome (``tell``), the dry run (``rehearse``), the week's status (``--status``) and
lifting a suppression (``--unsuppress``); and the one way the command stops on an error."""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import shutil
import sys
from typing import Callable

import click
from click.core import ParameterSource

from ..sending.errors import SendError
from ..sending.ledger import Ledger
from ..sending.limits import DailyQuota
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


def program() -> str:
    """The program as it was run: ``tipweek`` when that is the one PATH finds (a shell runs it by
    its full path), else the path it was given (``.venv/bin/tipweek``); ``tipweek`` too for
    ``python -m`` or a test runner."""
    given = sys.argv[0] if sys.argv else ""
    if os.path.basename(given) != "tipweek":
        return "tipweek"
    found = shutil.which("tipweek")
    try:
        if found and os.path.samefile(found, given):
            return "tipweek"
    except OSError:
        pass
    return shlex.quote(given)


def same_command() -> str:
    """The command being run, as the options it was given, for "run it again" (the password
    is never an option; options left at their default are left out)."""
    ctx = click.get_current_context()
    words = [program(), ctx.info_name or "send"]
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or ctx.get_parameter_source(param.name) != ParameterSource.COMMANDLINE:
            continue
        name = next((o for o in param.opts if o.startswith("--")), param.opts[0])
        value = ctx.params[param.name]
        if param.is_flag:
            words += [name] if value else []
        else:
            for one in value if param.multiple else [value]:
                words += [name, shlex.quote(str(one))]
    return " ".join(words)


def when(at: dt.datetime) -> str:
    """A time in UTC and in this machine's time zone."""
    return f"{at:%Y-%m-%d %H:%M:%S} UTC ({at.astimezone():%a %d %b %H:%M:%S %Z} here)"


def tell_uncertain(report, done: str, held: str) -> None:
    """The deliveries whose answer was lost (this run's, and earlier runs' still held): a send's
    or a post's (``done``: "sent" or "posted"; ``held``: where to look and how to go on)."""
    for key, reason in report.uncertain:
        click.echo(f"uncertain: {key}: {reason}; not {done} again ({held})", err=True)
    if report.held:
        click.echo(f"uncertain since an earlier run, not {done} again: {', '.join(report.held)} ({held})", err=True)


def tell(report: Report, recipients=None, quota: DailyQuota | None = None) -> None:
    for line, address in report.invalid:
        click.echo(f"{recipients.where}:{line}: invalid address {address!r}; skipped", err=True)
    for address, reason in report.failed:
        lift = recipients.lift_command if recipients is not None else "tipweek send --unsuppress ADDRESS"
        after = f"; suppressed from now on ('{lift}' undoes it)" if address in report.bounced else ""
        click.echo(f"failed: {address}: {reason}{after}", err=True)
    if report.unconfirmed:
        n = len(report.unconfirmed)
        click.echo(f"no message went through in this run, so its {n} hard bounce{'s' * (n != 1)} "
                   f"{'are' if n != 1 else 'is'} not suppressed: the relay may be refusing everything; the next "
                   f"run tries {'them' if n != 1 else 'it'} again", err=True)
    tell_uncertain(report, "sent", HELD)
    if report.aborted:
        click.echo(f"error: {report.aborted}\nOnce the cause is fixed, run the same command again to resume; it "
                   f"goes on from the ledger and mails no one twice:\n  {same_command()}", err=True)
    elif report.quota_reached:
        click.echo(f"stopped at the daily quota: {quota.used()} sent in the last 24 hours (--max-per-day "
                   f"{quota.limit}), {report.sent} of them by this run. Run the same command again after "
                   f"{when(quota.free_again_at())}, "
                   "when the oldest of them is 24 hours old; it goes on where this run stopped and mails no one "
                   f"twice:\n  {same_command()}", err=True)


def rehearse(recipients, ledger: Ledger, report: Report, retry_uncertain: bool, title: str,
             quota: DailyQuota | None = None) -> None:
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
    if quota:
        used = quota.used()
        room = max(quota.limit - used, 0)
        click.echo(f"the daily quota (--max-per-day {quota.limit}) allows {room} more now: {used} sent in the "
                   "last 24 hours" + (f"; a run now would stop after {room} and could go on after "
                                      f"{when(quota.free_again_at())}" if report.sent > room else ""))
    click.echo(report.summary(dry_run=True))


def show_status(ledger: Ledger, title: str, suppression: SuppressionList, recipients, as_json: bool) -> None:
    from ..sending.status import week_status

    try:
        suppressed = readable(suppression) if recipients is None else recipients.suppressed(everyone=True)
        found = week_status(ledger.week, title, ledger.path, ledger.load(), suppression.path, suppressed,
                            None if recipients is None else list(everyone(recipients, Report())),
                            **({} if recipients is None else {"lift_command": recipients.lift_command,
                                                                  "bounces_in": recipients.bounces_in}))
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
