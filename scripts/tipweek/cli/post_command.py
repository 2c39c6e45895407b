"""The ``tipweek post`` command: the week's tip (the same edition as the
email's) to Slack and Teams webhooks, once per channel and week, through
``webhooks.post_all``; the messages come from ``chat_payloads``."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import click

from .common import config_option, load_project, today_option, week_tip
from .send_report import tell_uncertain
from ..sending.ledger import Ledger
from ..sending.errors import SendError
from ..sending.webhooks import KINDS, Channel, PostReport, WebhookError, as_body, channels_of, post_all, still_to_post

HELD = "may have been posted; see 'tipweek post --status', and --retry-uncertain posts again"
VARIABLES = {"slack": "TIPWEEK_SLACK_WEBHOOK", "teams": "TIPWEEK_TEAMS_WEBHOOK"}


def stop(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.command()
@click.option("--slack", "slack_urls", multiple=True, metavar="URL",
              help="A Slack incoming webhook; repeatable. Default: $TIPWEEK_SLACK_WEBHOOK (URLs separated by "
                   "spaces), better than the command line, where other users of the machine can see it.")
@click.option("--teams", "teams_urls", multiple=True, metavar="URL",
              help="A Microsoft Teams Workflows webhook; repeatable. Default: $TIPWEEK_TEAMS_WEBHOOK.")
@click.option("--ledger", "ledger_dir", type=click.Path(file_okay=False), default=None,
              help="Where the per-week record of posts lives (default: .tipweek/ledger/chat).")
@click.option("--retries", default=3, show_default=True, type=click.IntRange(0, 10),
              help="Tries after a temporary failure (5xx, 429, refused or dropped connection).")
@click.option("--backoff", default=2.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds before the first retry; doubles each time.")
@click.option("--max-wait", default=60.0, show_default=True, type=click.FloatRange(min=0),
              help="The longest a 429's Retry-After is waited for; longer, and the channel waits for the next run.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait for a webhook's answer.")
@click.option("--dry-run", is_flag=True, help="Print the messages and where they would go; post nothing.")
@click.option("--retry-uncertain", is_flag=True,
              help="Also post again to the channels whose post is uncertain (its answer was lost).")
@click.option("--status", is_flag=True, help="Show the week's posts instead of posting.")
@click.option("--json", "as_json", is_flag=True, help="With --status: machine-readable output.")
@config_option
@today_option
def post(slack_urls, teams_urls, ledger_dir, retries, backoff, max_wait, timeout, dry_run, retry_uncertain,
         status, as_json, config_file, today) -> None:
    """Post this week's tip to Slack and Teams channels, once per channel.

    The tip is the email's: the tip of the week, or in a week without one
    its re-run "From the archive". Slack gets Block Kit, Teams an Adaptive
    Card: the title, the summary, the discussion question, the principles,
    a "Read the tip" button and a link to the tip's huddle card.

    A ledger per week records each post under a hash of its webhook's URL
    (the URL itself is a secret and is never printed), so running the same
    command again posts nothing twice. A 5xx, a 429 (after its Retry-After)
    and a dropped connection are tried again; a post whose answer was lost
    is "uncertain" and is posted again only with --retry-uncertain. Exit 0
    when every channel has the tip, 1 if a post failed or became uncertain
    in this run, 2 if the run could not go on.

    \b
    Example:
        TIPWEEK_SLACK_WEBHOOK=https://hooks.slack.com/services/... tipweek post
        TIPWEEK_TEAMS_WEBHOOK=https://... tipweek post --dry-run
        tipweek post --status
        tipweek post --retry-uncertain
    """
    if as_json and not status:
        raise click.UsageError("--json goes with --status (a post prints one summary line).")
    try:
        channels = [*channels_of("slack", slack_urls, os.environ.get(VARIABLES["slack"]), VARIABLES["slack"]),
                    *channels_of("teams", teams_urls, os.environ.get(VARIABLES["teams"]), VARIABLES["teams"])]
    except WebhookError as exc:
        stop(str(exc))
    if not channels and not (status or dry_run):
        raise click.UsageError("no webhook to post to: give --slack URL or --teams URL, or set "
                               f"${VARIABLES['slack']} or ${VARIABLES['teams']}")
    project = load_project(config_file)
    folder = Path(ledger_dir) if ledger_dir else project.root / ".tipweek" / "ledger" / "chat"
    edition, featured = week_tip(project, today)  # the week's tip, or its re-run
    ledger = Ledger(folder, featured.week, command="tipweek post")
    if status:
        return show_status(ledger, featured.tip.title, channels, as_json)
    from ..outputs.chat import chat_tip, message_for

    item = chat_tip(edition, featured)
    messages = {kind: message_for(kind, item) for kind in KINDS}
    report = PostReport()
    if dry_run:
        return rehearse(channels, ledger, report, retry_uncertain, featured.tip.title, messages)

    def done(one: Channel, outcome: str) -> None:
        click.echo(f"{one.key} ({KINDS[one.kind]}): {outcome}", err=True)

    try:
        with ledger:
            post_all(channels, lambda one: as_body(messages[one.kind]), ledger, report,
                     retry_uncertain=retry_uncertain, retries=retries, backoff=backoff, max_wait=max_wait,
                     timeout=timeout, sleep=time.sleep, done=done)
    except SendError as exc:
        report.aborted = str(exc)
    tell(report)
    click.echo(report.summary())
    sys.exit(report.exit_code)


def tell(report: PostReport) -> None:
    for key, reason in report.failed:
        click.echo(f"failed: {key}: {reason}", err=True)
    tell_uncertain(report, "posted", HELD)
    if report.retrying:
        click.echo(f"posting again to {len(report.retrying)} uncertain channel"
                   f"{'s' * (len(report.retrying) != 1)}: {', '.join(report.retrying)}", err=True)
    if report.aborted:
        click.echo(f"error: {report.aborted}; run the same command again to resume", err=True)


def rehearse(channels: list[Channel], ledger: Ledger, report: PostReport, retry_uncertain: bool, title: str,
             messages: dict[str, dict]) -> None:
    """Where a real run would post now (the ledger read, not locked), and the messages themselves."""
    for one in still_to_post(channels, ledger.load(), report, retry_uncertain):
        again = " again" if one.key in report.retrying else ""
        click.echo(f"would post{again} {ledger.week} '{title}' to {one.key} ({KINDS[one.kind]})")
        report.sent += 1
    kinds = sorted({one.kind for one in channels}) or sorted(KINDS)
    for kind in kinds:
        click.echo(f"{KINDS[kind]} message:")
        click.echo(json.dumps(messages[kind], indent=2, ensure_ascii=False))
    report.retrying.clear()  # said above, per channel
    tell(report)
    click.echo(report.summary(dry_run=True))


def show_status(ledger: Ledger, title: str, channels: list[Channel], as_json: bool) -> None:
    from ..sending.status import week_status

    found = week_status(ledger.week, title, ledger.path, ledger.load(), None, {}, channels or None,
                        command="tipweek post")
    if as_json:
        click.echo(json.dumps(found.as_dict(), indent=2))
    else:
        click.echo("\n".join(found.lines()))
