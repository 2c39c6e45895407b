"""``tipweek doctor``: is the sending set-up what Gmail and Outlook now ask
of bulk mail? Each check gives one :class:`Finding`: what was found and, when
something is missing or wrong, the record or setting to add.

- DNS (through dnspython, at the system's resolver or ``--dns``): SPF for the
  envelope sender's domain (RFC 7208), the DKIM key at a selector (RFC 6376),
  DMARC for the From domain and its alignment (RFC 7489; the policy record and
  the organisational domain found by the DNS tree walk of its revision,
  RFC 9989, rather than a public suffix list), MX or A/AAAA for bounces.
- HTTP: ``list_url`` is https, and the list service's one-click unsubscribe
  endpoint (``{list_url}/unsubscribe/<token>``) answers a POST (RFC 8058) made
  with a token that cannot be valid, so nothing changes; with ``--dns``, its
  host's address comes from that resolver as well. An ``unsubscribe_url``
  template (the site's own or a third party's) is not the list service: it is
  reported as not checked, never POSTed to.
- SMTP (``--smtp``): the relay answers EHLO and offers STARTTLS with a
  certificate this machine trusts.

Nothing here raises for a network failure: a DNS check that could not be made
is a finding with status ``error``; a web or SMTP check that gets no answer is
``wrong`` (the service or relay must answer).
"""


from __future__ import annotations

from dataclasses import dataclass


from .dns import check_dkim, check_domains_exist, check_dmarc, check_return_path, check_spf
from .endpoints import check_list_url, check_one_click, check_smtp, one_click_url, unsubscribe_template_not_checked
from .findings import ERROR, Finding
from .resolver import Dns, DnsTrouble

# The parts, each a module: findings (what a check found), resolver (the DNS look-ups), dns
# (the domains exist; SPF, DKIM, DMARC, the return path), endpoints (list_url, the one-click POST, the relay).


@dataclass
class Setup:
    from_domain: str
    return_domain: str  # the envelope sender's (MAIL FROM) domain
    dkim_domain: str  # the d= of the relay's DKIM signature
    dkim_selector: str | None
    list_url: str
    unsubscribe_url: str
    list_id: str
    smtp: tuple[str, int] | None = None


def dns_checks(dns: Dns, setup: Setup) -> list[Finding]:
    """The record checks; in their place, one line for a domain that does not exist at all
    (four "missing, add ..." lines would send the operator to add records to a typo)."""
    sources = {setup.from_domain: "email_from in mkdocs.yml"}
    sources.setdefault(setup.return_domain, "--return-path")
    sources.setdefault(setup.dkim_domain, "--dkim-domain")
    try:
        gone = check_domains_exist(dns, sources)
    except DnsTrouble:  # each record check below says so, on its own line
        gone = []
    if gone:
        return gone
    checks = [("SPF", lambda: check_spf(dns, setup.return_domain)),
              ("DKIM", lambda: check_dkim(dns, setup.dkim_domain, setup.dkim_selector)),
              ("DMARC", lambda: check_dmarc(dns, setup.from_domain, setup.return_domain, setup.dkim_domain)),
              ("return-path", lambda: check_return_path(dns, setup.return_domain))]
    findings = []
    for name, check in checks:
        try:
            findings.append(check())
        except DnsTrouble as exc:
            findings.append(Finding(name, ERROR, f"could not check: {exc}",
                                    "try again, or give another resolver with --dns HOST:PORT"))
    return findings


def examine(dns: Dns, setup: Setup, timeout: float = 10.0) -> list[Finding]:
    findings = dns_checks(dns, setup)
    findings.append(check_list_url(setup.list_url, setup.unsubscribe_url))
    if setup.list_url:
        # With --dns, the list's host is looked up there too, so every answer comes from one resolver.
        findings.append(check_one_click(one_click_url(setup.list_url), timeout, dns if dns.server else None))
    if setup.unsubscribe_url:
        findings.append(unsubscribe_template_not_checked(setup.unsubscribe_url))
    if setup.smtp:
        findings.append(check_smtp(*setup.smtp, timeout=timeout))
    return findings
