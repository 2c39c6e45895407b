"""``tipweek list serve``: the subscription service under uvicorn, with its settings
read from the project, the environment (the list secret, the bounce webhook's token)
and the options."""

from __future__ import annotations

import click

from .common import config_option, load_project
from .list_common import db_option, open_list

TRUSTED_PROXIES = ("127.0.0.1", "::1")  # a web server on the same machine


@click.command()
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

    from ..addresses import listed
    from ..list.bounce_webhook import status_line

    proxies = [_proxy(value) for value in trusted_proxies]
    project = load_project(config_file)
    settings = _settings(project, db_url, host, port, outbox, smtp, starttls, user, ip_limit)
    app = create_app(settings)
    click.echo(f"list service for {project.mkdocs.site_name} on http://{host}:{port} (database {db_url})", err=True)
    click.echo(status_line(settings.list_url, settings.webhook_token), err=True)
    if settings.allowed_domains:
        click.echo(f"sign-ups only from {listed(list(settings.allowed_domains))} (allowed_domains)", err=True)
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
    return Settings(store=open_list(db_url, project), tokens=Tokens(secret), look=look, list_url=list_url,
                    send_confirmation=confirmation_sender(look, project.options.email_from, make_transport),
                    send_welcome=welcome_sender(project, make_transport),
                    ip_limit=ip_limit, smtputf8=smtputf8, allowed_domains=tuple(project.options.allowed_domains),
                    webhook_token=webhook_token)
