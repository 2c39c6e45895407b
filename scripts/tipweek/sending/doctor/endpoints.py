"""The checks that ask a server: ``list_url`` is https, the list service's one-click
unsubscribe endpoint answers a POST (RFC 8058) with a token that cannot be valid
(its host looked up at ``--dns`` when one is given), and the relay offers STARTTLS
with a trusted certificate."""

from __future__ import annotations

import http.client
import ipaddress
import smtplib
import socket
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from ...edition import urls
from ..webhooks import NoRedirects

from .resolver import Dns, DnsTrouble
from .findings import ERROR, MISSING, OK, SKIPPED, WRONG, Finding

BAD_TOKEN = "tipweek-doctor-not-a-real-token"  # fails the signature check: unsubscribes nobody
# The answers of an endpoint that read the POST and refused the token or address (the list service: 400).
TOKEN_REFUSED = (400, 410, 422)


def check_list_url(list_url: str, unsubscribe_url: str) -> Finding:
    from ..transports import is_loopback

    if not list_url:
        if unsubscribe_url:
            return Finding("list_url", OK, "not set: the email's one-click link is unsubscribe_url "
                           f"({unsubscribe_url}); `tipweek send --list --smtp` needs list_url (a trial into "
                           "the outbox links to the local list service)")
        return Finding("list_url", MISSING, "neither list_url nor unsubscribe_url is set in mkdocs.yml, so the "
                       "email has no one-click unsubscribe (Gmail and Outlook require one for bulk mail)",
                       "set list_url: https://list.example.org (the list service) under the tipweek plugin")
    local = is_loopback(urlsplit(list_url).hostname or "")
    if urlsplit(list_url).scheme != "https":
        if local:
            return Finding("list_url", WRONG, f"{list_url} is plain http on this machine: fine for a trial, but "
                           "nobody else can reach it, so it will not do for sending",
                           "set list_url to the service's public https address (see docs/running-the-list.md)")
        return Finding("list_url", WRONG, f"{list_url} is plain http: readers' unsubscribe links and mail "
                       "providers' one-click POSTs would cross the network in clear text",
                       "serve the list over https and set list_url to that address (see docs/running-the-list.md)")
    return Finding("list_url", OK, f"{list_url} is https" + (" (on this machine: for a trial)" if local else ""))


def one_click_url(list_url: str) -> str | None:
    """The list service's one-click endpoint, with a token that matches nobody."""
    return urls.list_unsubscribe(list_url, BAD_TOKEN) if list_url else None


def unsubscribe_template_not_checked(unsubscribe_url: str) -> Finding:
    """An unsubscribe_url template leads to the site or a third party, not to the list service: a POST
    there could change something, so it is named and left alone."""
    return Finding("one-click", SKIPPED, f"unsubscribe_url ({unsubscribe_url}) not checked (not the list "
                   "service): make sure it takes a one-click POST (RFC 8058) without a login")


def pinned_opener(addresses: list[str]) -> urllib.request.OpenerDirector:
    """An opener that dials ``addresses`` (what ``--dns`` gave for the URL's host) instead of
    asking the system's resolver, while the host name stays in the Host header, the TLS SNI and
    the certificate check. http.client opens its socket through the connection's
    ``_create_connection((host, port), ...)`` and only then wraps it for ``self.host``, so
    replacing that one call moves the connection and nothing else."""

    def dial(where, *args, **kwargs):
        for address in addresses[:-1]:  # each address in turn, as socket.create_connection does for a name
            try:
                return socket.create_connection((address, where[1]), *args, **kwargs)
            except OSError:
                pass
        return socket.create_connection((addresses[-1], where[1]), *args, **kwargs)

    def pinned(connection_class):
        def make(host, **kwargs):
            connection = connection_class(host, **kwargs)
            connection._create_connection = dial  # http.client sets it per connection, in __init__
            return connection
        return make

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(pinned(http.client.HTTPConnection), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(pinned(http.client.HTTPSConnection), req, context=self._context)

    # No proxy from the environment: a proxy would look the name up in its own DNS, not at --dns.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), Http, Https, NoRedirects)


def addresses_at(dns: Dns, url: str) -> list[str] | Finding | None:
    """The A and AAAA addresses of ``url``'s host at the resolver ``--dns`` named; None when
    there is nothing to look up (an IP address, or a name for this machine such as localhost,
    which is not the DNS's), a finding when the name has no address or the look-up failed."""
    from ..transports import is_loopback

    host = urlsplit(url).hostname or ""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        if not host or is_loopback(host):
            return None
    try:
        found = dns.addresses(host)
    except DnsTrouble as exc:
        return Finding("one-click", ERROR, f"could not check: {exc}",
                       "try again, or give another resolver with --dns HOST:PORT")
    if not found:
        return Finding("one-click", WRONG, f"{host} (the host of list_url) has no A or AAAA record at the "
                       f"resolver {dns.where}, so mail providers cannot reach the one-click endpoint",
                       f"add  {host} A ADDRESS (the list service's public IPv4 address; AAAA for IPv6)")
    return found


def check_one_click(url: str, timeout: float = 10.0, dns: Dns | None = None) -> Finding:
    """POST ``List-Unsubscribe=One-Click`` as a mail provider does (RFC 8058 3.2)
    to a URL that can match nobody: a 2xx, or a 400, 410 or 422 for the token,
    shows the endpoint takes the POST; a 404, a 405, a login, a refusal, a 5xx
    or a redirect that turns the POST into a GET or leaves https does not.
    With ``dns`` (the resolver of ``--dns``), the host is looked up there, as the
    DNS checks are, and the POST goes to the address it gives."""
    shown = url.replace(BAD_TOKEN, "<made-up token>")
    request = urllib.request.Request(url, data=b"List-Unsubscribe=One-Click", method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "User-Agent": "tipweek-doctor"})
    opener = urllib.request.build_opener(NoRedirects)
    found = addresses_at(dns, url) if dns is not None else None
    if isinstance(found, Finding):
        return found
    if found:
        opener = pinned_opener(found)
        shown = f"{shown} (at {', '.join(found)}, from the resolver at {dns.where})"
    try:
        with opener.open(request, timeout=timeout) as answer:
            status, location = answer.status, None
    except urllib.error.HTTPError as exc:
        status, location = exc.code, exc.headers.get("Location")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            return Finding("one-click", WRONG, f"{shown}: the certificate is not trusted "
                           f"({reason.verify_message})", "give the service a certificate from a public authority")
        return Finding("one-click", WRONG, f"a POST to {shown} got no answer ({reason})",
                       "start the list service and check the web server in front of it")
    except (OSError, ValueError) as exc:  # timeouts, a dropped connection, a bad URL
        return Finding("one-click", WRONG, f"a POST to {shown} got no answer ({exc})",
                       "start the list service and check the web server in front of it")
    if 300 <= status < 400:
        location = location and location.replace(BAD_TOKEN, "<made-up token>")
        if location and urlsplit(location).scheme == "https" and status in (307, 308):
            return Finding("one-click", OK, f"a one-click POST to {shown} is redirected with {status} to "
                           f"{location}, which keeps the POST")
        return Finding("one-click", WRONG, f"a one-click POST to {shown} is redirected ({status}) to "
                       f"{location or 'nowhere'}, and mail providers do not follow that",
                       "point list_url at the address that answers the POST itself (https)")
    if not (200 <= status < 300 or status in TOKEN_REFUSED):
        what = {404: "404: nothing is there", 405: "405: that address does not take a POST",
                401: "401: it asks for a login", 403: "403: something in front of the service refuses it",
                429: "429: too many requests"}.get(status, f"{status}: the server failed" if status >= 500
                                                   else str(status))
        return Finding("one-click", WRONG, f"a one-click POST to {shown} got {what}",
                       "point list_url (or unsubscribe_url) at the list service, check that it runs, and let "
                       "mail providers' POSTs through")
    return Finding("one-click", OK, f"{shown} answers a one-click POST ({status} for a token that matches "
                   "nobody, as it should; nothing was changed)")


# The relay -------------------------------------------------------------------------------------------

def check_smtp(host: str, port: int, timeout: float = 10.0) -> Finding:
    from ..transports import is_loopback

    where = f"{host}:{port}"
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            code, _ = smtp.ehlo()
            if code != 250:
                return Finding("SMTP", WRONG, f"{where} refused EHLO ({code})", "check the relay's address")
            if not smtp.has_extn("starttls"):
                if is_loopback(host):
                    return Finding("SMTP", OK, f"{where} answers EHLO; it offers no STARTTLS, which a relay on "
                                   "this machine does not need")
                return Finding("SMTP", WRONG, f"{where} answers EHLO but offers no STARTTLS, so the mail and "
                               "the login would cross the network in clear text",
                               "use the relay's submission port (587) with STARTTLS")
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
    except ssl.SSLCertVerificationError as exc:
        return Finding("SMTP", WRONG, f"{where} offers STARTTLS, but its certificate is not trusted "
                       f"({exc.verify_message})", "use the relay's own host name, the one its certificate names")
    except (OSError, smtplib.SMTPException) as exc:
        return Finding("SMTP", WRONG, f"{where} does not answer as an SMTP relay ({exc or type(exc).__name__})",
                       "check the relay's host and port (587 for submission with STARTTLS)")
    return Finding("SMTP", OK, f"{where} answers EHLO and STARTTLS, with a certificate this machine trusts")
