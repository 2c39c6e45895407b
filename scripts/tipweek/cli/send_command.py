"""The ``tipweek send`` command: options in, the run (``send.deliver_all``)
over the chosen transports, a person's report out. Whom it mails is a
``recipients.Recipients`` (a CSV file, or the list's store), read in batches
as the run goes; each one's message comes from ``message_for``."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from .common import config_option, load_project, today_option, week_tip
from .send_report import everyone, lift, readable, readable_of, rehearse, show_status, stop, tell
from ..sending.ledger import Ledger
from ..sending.limits import DailyQuota
from ..sending.errors import SendError
from ..sending.pacing import RateLimit
from ..sending.report import Report
from ..sending.send import deliver_all, still_to_send
from ..sending.recipients import CsvRecipients
from ..sending.csv_list import Subscriber
from ..sending.suppression import SuppressionList
from ..sending.transports import BadSetting, transport_factory


@click.command()
@click.option("--subscribers", type=click.Path(dir_okay=False, exists=True), default=None,
              help="CSV with a header row and an email column (name optional; others are ignored).")
@click.option("--list", "list_db", default=None, metavar="DB_URL",
              help="Instead of --subscribers: the confirmed subscribers of the list service's database "
                   "(e.g. sqlite:///.tipweek/list.sqlite3), each with their own unsubscribe link.")
@click.option("--unsubscribed", type=click.Path(dir_okay=False, exists=True), default=None,
              help="Addresses never to mail: one per line, or a CSV whose header names an email (or Email "
                   "Address) column.")
@click.option("--outbox", type=click.Path(file_okay=False), default=None,
              help="Deliver into this Maildir folder (the default, as .tipweek/outbox).")
@click.option("--smtp", "smtp", default=None, metavar="HOST:PORT", help="Deliver through this SMTP server.")
@click.option("--starttls", is_flag=True, help="Upgrade the SMTP connection with STARTTLS (required for --user "
                                                "unless the server is on this machine).")
@click.option("--user", default=None, help="SMTP login; the password is read from $TIPWEEK_SMTP_PASSWORD.")
@click.option("--connections", default=4, show_default=True, type=click.IntRange(1, 64),
              help="SMTP connections sending at once (the Maildir outbox uses one).")
@click.option("--rate", default=0.0, show_default=True, type=click.FloatRange(min=0), metavar="R",
              help="At most R messages a second over all connections (a relay's cap); 0: no cap.")
@click.option("--max-errors", default=25, show_default=True, type=click.IntRange(min=0), metavar="N",
              help="Stop after N deliveries in a row failed (the relay, not the addresses, is then the likely "
                   "cause); the next run goes on. A 4xx counts once its --retries are used up. 0: never stop "
                   "for that.")
@click.option("--max-per-day", default=0, type=click.IntRange(min=0), metavar="N",
              help="At most N messages in any 24 hours, counting every week's ledger (a relay's daily quota): "
                   "stop at N, exit 3 (1 if an address failed before), and say when to run again. 0 (the "
                   "default): no quota.")
@click.option("--ledger", "ledger_dir", type=click.Path(file_okay=False), default=None,
              help="Where the per-week delivery record and the suppression list live (default: .tipweek/ledger).")
@click.option("--retries", default=3, show_default=True, help="Tries after a temporary failure (4xx, dropped link).")
@click.option("--backoff", default=2.0, show_default=True, help="Seconds before the first retry; doubles each round.")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for the SMTP server.")
@click.option("--dry-run", is_flag=True, help="Show who would get what; send nothing, record nothing.")
@click.option("--retry-uncertain", is_flag=True,
              help="Also send again to the addresses whose delivery is uncertain, with the same Message-ID.")
@click.option("--status", is_flag=True, help="Show the week's ledger instead of sending; send nothing.")
@click.option("--json", "as_json", is_flag=True, help="With --status: machine-readable output.")
@click.option("--unsuppress", "unsuppress", multiple=True, metavar="ADDRESS",
              help="Mail this hard-bounced address again from the next run; send nothing. Repeatable.")
@config_option
@today_option
def send(subscribers, list_db, unsubscribed, outbox, smtp, starttls, user, connections, rate, max_errors,
         max_per_day, ledger_dir, retries, backoff, timeout, dry_run, retry_uncertain, status, as_json, unsuppress,
         config_file, today) -> None:
    """Deliver this week's email to a subscriber list, resumably, never twice.

    Each address gets its own message (its name, its unsubscribe link). A
    ledger per week records every delivery, so a run that stopped half-way is
    simply run again. Exit 2 if the run could not go on (among others:
    --max-errors deliveries failed in a row); else 1 if an address failed or
    its delivery became uncertain in this run; else 3 if it stopped at the
    daily quota (--max-per-day; it says when to run again); else 0: all went
    out.

    An address whose message went out but whose answer was lost is
    "uncertain": no run sends it again unless given --retry-uncertain. An
    address the server refuses with a 5xx is suppressed for this and every
    later week until --unsuppress ADDRESS (a CSV list's in suppressed.txt
    beside the ledgers; with --list the subscriber becomes bounced in the
    list's store), once the server has taken a later message of the run (at
    the end of the list: any message of it): a run stopped by --max-errors,
    or that the server took nothing of, suppresses no one. --status shows the week:
    delivered, failed, uncertain, suppressed and, given --subscribers, not
    yet tried; it is an option of send rather than a command of its own
    because it reads the same list, week and ledger.

    \b
    Example:
        tipweek send --subscribers subscribers.csv --dry-run
        tipweek send --subscribers subscribers.csv --unsubscribed unsubscribed.txt
        TIPWEEK_LIST_SECRET=... tipweek send --list sqlite:///.tipweek/list.sqlite3
        TIPWEEK_SMTP_PASSWORD=... tipweek send --subscribers subscribers.csv \\
            --smtp smtp.example.org:587 --starttls --user tips --connections 8 --rate 14
        tipweek send --subscribers subscribers.csv --smtp smtp.example.org:587 \\
            --max-errors 10 --max-per-day 500
        tipweek send --status --subscribers subscribers.csv
        tipweek send --subscribers subscribers.csv --smtp smtp.example.org:587 --retry-uncertain
        tipweek send --unsuppress ana@example.org
        tipweek send --unsuppress ana@example.org --list sqlite:///.tipweek/list.sqlite3
    """
    from ..outputs.email import ListOptions

    if not unsuppress:  # usage first: a refused command touches nothing
        if as_json and not status:
            raise click.UsageError("--json goes with --status (a send prints one summary line).")
        if subscribers and list_db or not (subscribers or list_db or status):
            raise click.UsageError("give either --subscribers FILE or --list DB_URL")
    project = load_project(config_file)
    folder = Path(ledger_dir) if ledger_dir else project.root / ".tipweek" / "ledger"
    suppression = SuppressionList(folder / "suppressed.txt")
    if unsuppress:
        if list_db:
            store = open_recipients(subscribers, list_db, unsubscribed, project, suppression, sending=False)
            return lift(store.lift, f"bounced in {list_db} nor in the suppression list {suppression.path}",
                        unsuppress)
        return lift(suppression.remove, f"in the suppression list {suppression.path}", unsuppress)
    edition, featured = week_tip(project, today)  # the week's tip, or its re-run
    tip = featured.tip
    ledger = Ledger(folder, featured.week)  # a re-run week has its own ledger
    options = ListOptions.of(edition)
    report = Report()
    recipients = (open_recipients(subscribers, list_db, unsubscribed, project, suppression, smtp=bool(smtp))
                  if subscribers or list_db else None)
    if status:
        return show_status(ledger, tip.title, suppression, recipients, as_json)
    if dry_run:
        return rehearse(recipients, ledger, report, retry_uncertain, tip.title,
                        DailyQuota.of(folder, max_per_day) if max_per_day else None)
    readable(suppression)  # before an outbox or a connection is opened
    transports = open_transports(project, smtp, starttls, user, timeout, outbox, connections)
    quota = None
    try:
        with ledger:
            quota = DailyQuota.of(folder, max_per_day) if max_per_day else None  # read once the lock is held
            deliver(recipients, message_maker(edition, tip, recipients, featured.rerun_on), options.sender,
                    transports, ledger, report, retry_uncertain=retry_uncertain, retries=retries, backoff=backoff,
                    rate=RateLimit(rate), max_errors=max_errors, quota=quota)
    except SendError as exc:
        report.aborted = str(exc)
    finally:
        for transport in transports:
            transport.close()
    tell(report, recipients, quota)
    click.echo(report.summary())
    sys.exit(report.exit_code)


def open_recipients(subscribers: str | None, list_db: str | None, unsubscribed: str | None, project,
                    suppression: SuppressionList, smtp: bool = False, sending: bool = True):
    """Who is to get the week's message (``recipients.Recipients``): a CSV file, or the list
    service's store (where each subscriber has their own unsubscribe URL on the service)."""
    try:
        if list_db:
            from ..list.recipients import ListRecipients
            found = ListRecipients(list_db, project, suppression, smtp=smtp, sending=sending)
            if found.note:
                click.echo(found.note, err=True)
            return found
        return CsvRecipients(Path(subscribers), Path(unsubscribed) if unsubscribed else None, suppression)
    except SendError as exc:
        stop(str(exc))


def message_maker(edition, tip, recipients, rerun_on: dt.date | None = None):
    """(subscriber, the Message-ID of a first attempt or None) -> their ``letters.Letter``."""
    from ..outputs.letters import WeeklyEmail

    week = WeeklyEmail(edition, tip, rerun_on)  # rendered once; each reader's parts filled in

    def message_for(sub: Subscriber, message_id: str | None = None):
        # Date: now, as the message is handed over (made just before it is sent).
        return week.letter(sub.email, sub.name, recipients.unsubscribe_url(sub), dt.datetime.now(dt.timezone.utc),
                           message_id, recipients.manage_url(sub))

    return message_for


def open_transports(project, smtp: str | None, starttls: bool, user: str | None, timeout: float,
                    outbox: str | None, connections: int) -> list:
    try:
        make = transport_factory(project.root, outbox, smtp, starttls, user, timeout)
    except BadSetting as exc:
        raise click.BadParameter(str(exc), param_hint=exc.option) from None
    except SendError as exc:
        stop(str(exc))
    return [make() for _ in range(connections if smtp else 1)]


def deliver(recipients, message_for, sender: str, transports, ledger: Ledger, report: Report, **run) -> None:
    """The run, with a progress bar on stderr (the summary alone goes to stdout)."""
    from ..outputs.email import parse_sender

    if run["retry_uncertain"]:
        preview = Report()
        still_to_send(everyone(recipients, preview), ledger.entries, readable_of(recipients), preview, True)
        if preview.retrying:
            click.echo(f"sending again to {len(preview.retrying)} uncertain address"
                       f"{'es' * (len(preview.retrying) != 1)}, with the Message-ID of the first try: "
                       + ", ".join(preview.retrying), err=True)
    if not sys.stderr.isatty():  # a timer's or a pipe's log: the summary says it all, without a bare "sending"
        deliver_all(recipients, message_for, parse_sender(sender).addr_spec, transports, ledger, report, **run)
        return
    with click.progressbar(length=recipients.size(), label="sending", file=sys.stderr) as bar:
        deliver_all(recipients, message_for, parse_sender(sender).addr_spec, transports, ledger, report,
                    progress=lambda sub: bar.update(1), **run)
