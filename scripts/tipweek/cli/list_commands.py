"""``tipweek list``: the subscription list's commands: its service (``list_serve``)
and its store's records (import, export, stats, show, unsubscribe)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import click

from .common import config_option, load_project
from .list_common import db_option, erased_key_of, now, open_list, say
from .list_serve import serve
from ..list.records import BOUNCED, CONFIRMED, ERASED, PENDING, UNSUBSCRIBED


@click.group("list")
def list_group() -> None:
    """The subscription list: its web service and its store.

    \b
    Example:
        export TIPWEEK_LIST_SECRET=$(python -c "import secrets; print(secrets.token_urlsafe(32))")
        tipweek list serve
    """


list_group.add_command(serve)


@list_group.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, exists=True))
@db_option
@config_option
def import_command(csv_file: str, db_url: str, config_file: str | None) -> None:
    """Add people who opted in elsewhere (a CSV with email and name columns),
    as confirmed; or restore a file of `tipweek list export`. All or nothing.

    An export file (it has a state column) brings back each address with its
    state, join time and consent history. Its state never confirms anyone:
    a row that says confirmed without a confirmation in its history comes in
    as pending. Nobody who unsubscribed is added back, by either kind of file.

    With allowed_domains in mkdocs.yml (an internal list), every address of a
    people file must be at one of them, or nothing is imported. An export file
    comes back as it was, with a note of how many in it are outside them.

    \b
    Example:
        tipweek list import subscribers.csv
        tipweek list import list-backup.csv --db postgresql://tips@db.internal/tips
    """
    from ..list.joining import outside_note
    from ..list.people import read_people
    from ..list.records import IdTaken

    project = load_project(config_file)
    allowed = project.options.allowed_domains
    found = read_people(Path(csv_file), now(), allowed)
    for problem in found.problems:
        click.echo(problem, err=True)
    if found.problems:
        raise click.ClickException(f"{len(found.problems)} bad row(s) in {csv_file}; nothing imported")
    store = open_list(db_url, project)
    if not found.has_state:
        report = store.import_confirmed(found.people, now(), erased_key_of(store))
        erased = f", {report.erased} erased at their request left out" if report.erased else ""
        click.echo(f"imported {csv_file}: {report.added} added, {report.confirmed} pending ones confirmed, "
                   f"{report.unchanged} already subscribed, {report.suppressed} unsubscribed left out{erased}")
        return
    try:
        restored = store.restore(found.rows, erased_key_of(store))
    except IdTaken as exc:
        for line, problem in exc.problems:
            click.echo(f"{csv_file}:{line}: {problem}", err=True)
        raise click.ClickException(f"{len(exc.problems)} id(s) taken in {db_url}; nothing imported") from None
    added = restored.added
    click.echo(f"imported {csv_file}: {added[CONFIRMED]} confirmed, {added[PENDING]} pending, "
               f"{added[UNSUBSCRIBED]} unsubscribed{f', {added[BOUNCED]} bounced' if added[BOUNCED] else ''}"
               f"{f', {added[ERASED]} erased' if added[ERASED] else ''} added;"
               f" {restored.left} on the list already marked as left, "
               f"{restored.kept} on the list already kept as they are")
    say(outside_note(found.rows, allowed, "in the file"))
    if restored.unconfirmed:
        click.echo(f"note: {restored.unconfirmed} row(s) said confirmed, but the file has no confirmation for "
                   "them: added as pending, so they get no email. If they agreed to the list, import them from a "
                   "file with only email and name columns, which records your import as their consent.", err=True)


@list_group.command()
@click.option("--out", "out_file", type=click.Path(dir_okay=False), default=None,
              help="Write the CSV here (atomically, readable by you alone) instead of standard output.")
@db_option
@config_option
def export(out_file: str | None, db_url: str, config_file: str | None) -> None:
    """Every address with its state (pending, unsubscribed and bounced ones too), join
    time and consent history, as CSV: a backup that `tipweek list import`
    restores, into SQLite or PostgreSQL.

    \b
    Example:
        tipweek list export --out list-backup.csv
    """
    from ..outputs.atomic import write_atomic
    from ..list.backup import export_rows

    project = load_project(config_file)
    people = open_list(db_url, project, create=False).with_history()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(export_rows(people))
    if out_file:
        write_atomic(out_file, buffer.getvalue(), mode=0o600)
        click.echo(f"wrote {len(people)} addresses to {out_file}", err=True)
    else:
        click.echo(buffer.getvalue(), nl=False)


@list_group.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@db_option
@config_option
def stats(as_json: bool, db_url: str, config_file: str | None) -> None:
    """How many are pending, confirmed (and paused), unsubscribed, bounced and erased; joins,
    leaves, bounces and soft bounces per week.

    \b
    Example:
        tipweek list stats
        tipweek list stats --json | jq .confirmed
    """
    from ..list.counts import count
    from ..list.joining import outside, outside_note

    project = load_project(config_file)
    store = open_list(db_url, project, create=False)
    everyone, allowed = store.everyone(), project.options.allowed_domains
    figures = count(everyone, store.events())
    if as_json:
        if allowed:
            figures["outside_allowed_domains"] = outside(everyone, allowed)
        click.echo(json.dumps(figures, indent=2))
        return
    paused = f" ({figures['paused']} of them paused)" if figures["paused"] else ""
    erased = f", {figures[ERASED]} erased" if figures[ERASED] else ""
    click.echo(f"{figures[CONFIRMED]} confirmed{paused}, {figures[PENDING]} pending, "
               f"{figures[UNSUBSCRIBED]} unsubscribed, {figures[BOUNCED]} bounced{erased}")
    say(outside_note(everyone, allowed, "on the list"))
    for week in figures["weeks"]:
        click.echo(f"{week['week']}: {week['joined']} joined, {week['confirmed']} confirmed, {week['left']} left"
                   + (f", {week['bounced']} bounced" if week["bounced"] else "")
                   + (f", {week['soft_bounced']} soft bounce{'s' * (week['soft_bounced'] > 1)}"
                      if week["soft_bounced"] else ""))


@list_group.command()
@click.argument("address")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@db_option
@config_option
def show(address: str, as_json: bool, db_url: str, config_file: str | None) -> None:
    """ADDRESS's state and whole consent record: every join, confirmation,
    departure, bounce (soft ones too) and complaint, with when and how it came.

    \b
    Example:
        tipweek list show someone@example.org
        tipweek list show someone@example.org --json | jq '.events[] | select(.action == "confirmed")'
    """
    project = load_project(config_file)
    store = open_list(db_url, project, create=False)
    found = store.history(address)
    if found is None and store.count(ERASED) and (erased := erased_key_of(store)) is not None:
        found = store.history(erased(address))  # (their consent record stays, under the address's keyed hash)
    if found is None:
        raise click.ClickException(f"{address} is not in the list ({db_url})")
    sub, events = found
    record = {"email": sub.email, "name": sub.name, "state": sub.state,
              "events": [{"at": e.at, "action": e.action, "how": e.how} for e in events]}
    if as_json:
        click.echo(json.dumps(record, indent=2))
        return
    click.echo(f"{sub.email}" + (f" ({sub.name})" if sub.name else "") + f": {sub.state}")
    for event in record["events"]:
        click.echo(f"  {event['at']}  {event['action']:<12} {event['how']}")


@list_group.command()
@click.argument("address")
@db_option
@config_option
def unsubscribe(address: str, db_url: str, config_file: str | None) -> None:
    """Unsubscribe ADDRESS (a request that came by mail). An address the list
    does not know is recorded too, so no later import adds it.

    \b
    Example:
        tipweek list unsubscribe someone@example.org
    """
    from ..list.joining import BadInput, clean_email

    try:
        email = clean_email(address)
    except BadInput as exc:
        raise click.BadParameter(str(exc), param_hint="ADDRESS") from None
    project = load_project(config_file)
    store = open_list(db_url, project)
    sub, changed = store.unsubscribe_address(email, now(), erased_key_of(store))
    if sub.state == ERASED:
        click.echo(f"{email} erased their data here already: no email reaches them, and no import adds them back")
        return
    click.echo(f"unsubscribed {sub.email}" if changed else f"{sub.email} was already unsubscribed")

