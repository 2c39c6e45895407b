"""The ``tipweek doctor`` command: one line per check of the sending set-up
(``doctor``), read from the plugin's options in mkdocs.yml."""

from __future__ import annotations

import json
import sys
from collections import Counter
from email.utils import parseaddr

import click

from .common import config_option, load_project
from ..sending.doctor import Setup, examine
from ..sending.doctor.dns import domain_of
from ..sending.doctor.resolver import Dns
from ..sending.doctor.findings import exit_code


def host_port(value: str | None, option: str, example: str) -> tuple[str, int] | None:
    if not value:
        return None
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"expected HOST:PORT, e.g. {example}", param_hint=option)
    return host.strip("[]"), int(port)


def address_of(host: str) -> str:
    """The resolver's IP address (dnspython asks an address, not a name)."""
    import socket

    try:
        return socket.getaddrinfo(host, 53, type=socket.SOCK_DGRAM)[0][4][0]
    except (OSError, UnicodeError):
        raise click.BadParameter(f"cannot find the address of {host!r}; give the resolver's IP address",
                                 param_hint="--dns") from None


@click.command()
@click.option("--dkim-selector", default=None, metavar="NAME",
              help="The DKIM selector your relay signs with (the s= of its DKIM-Signature header). Without it, "
                   "a few common selectors are tried.")
@click.option("--dkim-domain", default=None, metavar="DOMAIN",
              help="The domain your relay signs for (the d= of its DKIM-Signature). Default: email_from's domain.")
@click.option("--return-path", default=None, metavar="DOMAIN",
              help="The envelope sender's domain, when your relay puts its own bounce address there (a custom "
                   "MAIL FROM). Default: email_from's domain, as tipweek send uses it.")
@click.option("--dns", "dns_server", default=None, metavar="HOST:PORT",
              help="Ask this DNS resolver (default: the system's, from /etc/resolv.conf).")
@click.option("--smtp", default=None, metavar="HOST:PORT",
              help="Also check the relay: it answers EHLO and offers STARTTLS with a trusted certificate.")
@click.option("--timeout", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to wait for each DNS, web or SMTP answer.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@config_option
def doctor(dkim_selector, dkim_domain, return_path, dns_server, smtp, timeout, as_json, config_file) -> None:
    """Check that the weekly email can be delivered: SPF, DKIM and DMARC for
    the domain of email_from, an MX for bounces, list_url on https and the
    list service's one-click unsubscribe answering a POST (an unsubscribe_url
    template is another site's: not checked, and said so).

    Prints one line per check, ok / missing / wrong / skipped, with what it
    found and the record or setting to add. Exit 0 when all is well, 1 when
    something is missing or wrong (a web or SMTP check that gets no answer
    too), 2 only when the DNS checks could not be made (no resolver, or it
    did not answer) or an option is wrong. Nothing is changed anywhere: the
    one-click POST carries a token that matches nobody.

    \b
    Example:
        tipweek doctor --dkim-selector s1
        tipweek doctor --dkim-selector s1 --smtp smtp.example.net:587
        tipweek doctor --return-path bounces.example.org --json
    """
    server = host_port(dns_server, "--dns", "127.0.0.1:53")
    if server:
        server = (address_of(server[0]), server[1])
    relay = host_port(smtp, "--smtp", "smtp.example.org:587")
    project = load_project(config_file)
    options = project.options
    from_domain = domain_of(parseaddr(options.email_from)[1])
    setup = Setup(from_domain=from_domain,
                  return_domain=domain_of(return_path) if return_path else from_domain,
                  dkim_domain=domain_of(dkim_domain) if dkim_domain else from_domain,
                  dkim_selector=dkim_selector, list_url=options.list_url, unsubscribe_url=options.unsubscribe_url,
                  list_id=options.list_id, smtp=relay)
    import dns.resolver

    try:
        resolver = Dns(server, timeout)
    except dns.resolver.NoResolverConfiguration:
        click.echo("error: this machine has no DNS resolver configured; give one with --dns HOST:PORT", err=True)
        sys.exit(2)
    findings = examine(resolver, setup, timeout)
    code = exit_code(findings)
    if as_json:
        click.echo(json.dumps({"from_domain": from_domain, "exit": code,
                               "checks": [f.as_dict() for f in findings]}, indent=2))
    else:
        for finding in findings:
            click.echo(finding.line())
        counts = Counter(f.status for f in findings)
        others = ", ".join(f"{counts[s]} {w}" for s, w in (("missing", "missing"), ("wrong", "wrong"),
                                                            ("error", "not checked"), ("skipped", "skipped"))
                           if counts[s])
        click.echo(f"{counts['ok']} of {len(findings)} checks ok for {from_domain}"
                   + (f" ({others})" if others else ""))
    sys.exit(code)
