"""``tipweek list``: run the subscription service and look after its store."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import click

from .common import config_option, load_project
from ..list.records import BOUNCED, CONFIRMED, ERASED, PENDING, UNSUBSCRIBED, StoreError
from ..list.database import open_store

DEFAULT_DB = "sqlite:///.tipweek/list.sqlite3"
TRUSTED_PROXIES = ("127.0.0.1", "::1")  # a web server on the same machine

db_option = click.option("--db", "db_url", default=DEFAULT_DB, show_default=True, metavar="URL",
                         help="The list's database: sqlite:///path or postgresql://user@host/db.")


def _store(db_url: str, project, create: bool = True):
    try:
        return open_store(db_url, base=project.root, create=create)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


def _erased_key(store):
    """What finds an erased address (``Tokens.erased_key``): None when the secret is not set and the
    store holds no erased address (nothing to keep out); a stop when it does hold some."""
    from ..list.tokens import TokenError, Tokens, secret_from_environment

    try:
        return Tokens(secret_from_environment()).erased_key
    except TokenError as exc:
        if held := store.count(ERASED):
            raise click.ClickException(f"{held} address(es) on this list were erased at their owners' request, and "
                                       f"only the list secret finds them to keep them out: {exc}") from None
        return None


def _say(note: str | None) -> None:
    if note:
        click.echo(note, err=True)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@click.group("list")
def list_group() -> None:
    """The subscription list: its web service and its store.

    \b
    Example:
        export TIPWEEK_LIST_SECRET=$(python -c "import secrets; print(secrets.token_urlsafe(32))")
        tipweek list serve
    """


@list_group.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8025, show_default=True, help="Port to listen on.")
@click.option("--outbox", type=click.Path(file_okay=False), default=None,
              help="Put confirmation emails into this Maildir folder (the default, as .tipweek/outbox).")
@click.option("--smtp", "smtp", default=None, metavar="HOST:PORT", help="Send confirmation emails through this "
                                                                         "SMTP server.")
@click.option("--starttls", is_flag=True, help="Upgrade the SMTP connection with STARTTLS.")
@click.option("--user", default=None, help="SMTP login; the password is read from $TIPWEEK_SMTP_PASSWORD.")
@click.option("--ip-limit", default=10, show_default=True, help="Sign-ups allowed per IP address per hour.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, default=TRUSTED_PROXIES, show_default=True,
              metavar="ADDRESS", help="A proxy in front of the service (an IP address or network, repeatable): "
                                      "X-Forwarded-For is read from these peers only, never from others.")
@click.option("--request-timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Disconnect a client that has not sent its whole request (headers and body) within this time.")
@config_option
def serve(db_url: str, host: str, port: int, outbox: str | None, smtp: str | None, starttls: bool,
          user: str | None, ip_limit: int, trusted_proxies: tuple[str, ...], request_timeout: float,
          config_file: str | None) -> None:
    """Run the subscription service (sign-up, confirm and the welcome email, unsubscribe, each
    reader's own page to pause, download or erase their data).

    The signing secret comes from $TIPWEEK_LIST_SECRET. The public address is
    the plugin's list_url in mkdocs.yml (http://HOST:PORT when unset). With
    $TIPWEEK_WEBHOOK_TOKEN set, POST /webhooks/bounce takes the email service's
    bounces and complaints.

    \b
    Example:
        TIPWEEK_LIST_SECRET=... tipweek list serve --smtp localhost:25
        tipweek list serve --db postgresql://tips@db.internal/tips --host 0.0.0.0 --trusted-proxy 10.0.0.5
    """
    import uvicorn

    from ..list.connections import ListServer
    from ..list.service import create_app

    from ..list.bounce_webhook import status_line

    proxies = [_proxy(value) for value in trusted_proxies]
    project = load_project(config_file)
    settings = _settings(project, db_url, host, port, outbox, smtp, starttls, user, ip_limit)
    app = create_app(settings)
    click.echo(f"list service for {project.mkdocs.site_name} on http://{host}:{port} (database {db_url})", err=True)
    click.echo(status_line(settings.list_url, settings.webhook_token), err=True)
    ListServer(uvicorn.Config(app, host=host, port=port, log_level="info",
                              **server_options(proxies, request_timeout))).run()


def server_options(trusted_proxies: list[str], request_timeout: float = 10.0,
                   max_connections: int | None = None) -> dict:
    """uvicorn's settings for the service (the tests start it with the same)."""
    from ..list.connections import ACCEPT_BURST, guarded_protocol

    return {"server_header": False, "proxy_headers": True, "forwarded_allow_ips": trusted_proxies,
            "http": guarded_protocol(request_timeout, max_connections), "backlog": ACCEPT_BURST}


def _proxy(value: str) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)",
                                 param_hint="--trusted-proxy") from None


def _settings(project, db_url, host, port, outbox, smtp, starttls, user, ip_limit):
    from ..outputs.email import parse_sender
    from ..list.confirmation import confirmation_sender, relay_offers_smtputf8, transport_factory
    from ..list.look import look_of
    from ..list.bounce_webhook import WebhookTokenError, token_from_environment
    from ..list.service import Settings
    from ..list.tokens import TokenError, Tokens, secret_from_environment
    from ..list.welcome import welcome_sender

    try:
        secret, webhook_token = secret_from_environment(), token_from_environment()
    except (TokenError, WebhookTokenError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        parse_sender(project.options.email_from)
    except ValueError as exc:
        raise click.ClickException(f"mkdocs.yml: {exc}") from None
    make_transport = transport_factory(project.root, outbox, smtp, starttls, user)
    try:
        smtputf8 = bool(smtp) and relay_offers_smtputf8(make_transport)
    except Exception as exc:  # the relay may come up later: start, and take only ASCII addresses meanwhile
        click.echo(f"warning: could not ask {smtp} about SMTPUTF8 ({exc}); accepting ASCII addresses only",
                   err=True)
        smtputf8 = False
    look = look_of(project)
    list_url = project.options.list_url or f"http://{host}:{port}"
    return Settings(store=_store(db_url, project), tokens=Tokens(secret), look=look, list_url=list_url,
                    send_confirmation=confirmation_sender(look, project.options.email_from, make_transport),
                    send_welcome=welcome_sender(project, make_transport),
                    ip_limit=ip_limit, smtputf8=smtputf8, allowed_domains=tuple(project.options.allowed_domains),
                    webhook_token=webhook_token)


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
    found = read_people(Path(csv_file), _now(), allowed)
    for problem in found.problems:
        click.echo(problem, err=True)
    if found.problems:
        raise click.ClickException(f"{len(found.problems)} bad row(s) in {csv_file}; nothing imported")
    store = _store(db_url, project)
    if not found.has_state:
        report = store.import_confirmed(found.people, _now(), _erased_key(store))
        erased = f", {report.erased} erased at their request left out" if report.erased else ""
        click.echo(f"imported {csv_file}: {report.added} added, {report.confirmed} pending ones confirmed, "
                   f"{report.unchanged} already subscribed, {report.suppressed} unsubscribed left out{erased}")
        return
    try:
        restored = store.restore(found.rows, _erased_key(store))
    except IdTaken as exc:
        for line, problem in exc.problems:
            click.echo(f"{csv_file}:{line}: {problem}", err=True)
        raise click.ClickException(f"{len(exc.problems)} id(s) taken in {db_url}; nothing imported") from None
    added = restored.added
    click.echo(f"imported {csv_file}: {added[CONFIRMED]} confirmed, {added[PENDING]} pending, "
               f"{added[UNSUBSCRIBED]} unsubscribed{f', {added[BOUNCED]} bounced' if added[BOUNCED] else ''} added;"
               f" {restored.left} on the list already marked as left, "
               f"{restored.kept} on the list already kept as they are")
    _say(outside_note(found.rows, allowed, "in the file"))
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
    people = _store(db_url, project, create=False).with_history()
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
    store = _store(db_url, project, create=False)
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
    _say(outside_note(everyone, allowed, "on the list"))
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
    found = _store(db_url, project, create=False).history(address)
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
    store = _store(db_url, project)
    sub, changed = store.unsubscribe_address(email, _now(), _erased_key(store))
    if sub.state == ERASED:
        click.echo(f"{email} erased their data here already: no email reaches them, and no import adds them back")
        return
    click.echo(f"unsubscribed {sub.email}" if changed else f"{sub.email} was already unsubscribed")

