"""tipweek doctor against real parts: a DNS server (dnslib, UDP and TCP on
127.0.0.1) serving zones written here, the list service under uvicorn (over
https with a certificate from a test authority, and over plain http), and an
SMTP relay (aiosmtpd) offering STARTTLS."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import socket
import ssl
from pathlib import Path

import pytest
from click.testing import CliRunner

from list_support import SECRET, ServiceThread, free_socket
from tipweek.cli.main import main

HOST = "127.0.0.1"
NAMED = "list.tips.test"  # the list service's host name, only in the zones of --dns


# conftest's guard: no web or SMTP connection past 127.0.0.1 (a one-click POST to a real host fails the test).
pytestmark = pytest.mark.usefixtures("only_loopback")


# A DNS server the tests start ----------------------------------------------------------------------

class Zones:
    """dnslib's resolver over zone text that a test swaps in."""

    def __init__(self) -> None:
        self.text = ""

    def resolve(self, request, handler):
        from dnslib import RCODE
        from dnslib.zoneresolver import ZoneResolver

        if self.text == "SERVFAIL":  # a resolver that cannot reach the domain's servers
            reply = request.reply()
            reply.header.rcode = RCODE.SERVFAIL
            return reply
        reply = ZoneResolver(self.text).resolve(request, handler)
        if reply.header.rcode == RCODE.NXDOMAIN and self.has(str(request.q.qname)):
            reply.header.rcode = RCODE.NOERROR  # as a real server: the name exists, without that type
        return reply

    def has(self, name: str) -> bool:
        """Whether the zones hold a record at ``name`` or under it (dnslib answers NXDOMAIN for
        any empty answer; a real server only for a name that does not exist)."""
        owners = {line.split()[0].lower() for line in self.text.splitlines() if line.strip()}
        return any(owner == name.lower() or owner.endswith("." + name.lower()) for owner in owners)


@pytest.fixture(scope="module")
def dns_server():
    from dnslib.server import DNSLogger, DNSServer

    zones = Zones()
    quiet = DNSLogger("-request,-reply,-truncated,-error", prefix=False)
    for _ in range(5):  # the same port for UDP and TCP (answers too long for UDP come by TCP)
        udp = DNSServer(zones, port=0, address=HOST, logger=quiet)
        port = udp.server.server_address[1]
        try:
            tcp = DNSServer(zones, port=port, address=HOST, tcp=True, logger=quiet)
            break
        except OSError:  # that TCP port is someone else's: another pair
            udp.server.server_close()
    else:
        raise AssertionError("no port free for both UDP and TCP")
    udp.start_thread()
    tcp.start_thread()
    zones.address = f"{HOST}:{port}"
    yield zones
    udp.stop()
    tcp.stop()


def rsa_key(bits: int = 2048) -> str:
    """A DKIM p= value: an RSA public key of ``bits`` (under 1024, a modulus of that size
    only, as no library will make such a weak key any more)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if bits < 1024:
        key = rsa.RSAPublicNumbers(65537, (1 << (bits - 1)) + 0x2F1).public_key()
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


KEY = rsa_key()


def txt(name: str, value: str) -> str:
    parts = [value[i:i + 200] for i in range(0, len(value), 200)]  # a TXT string holds 255 octets at most
    return f"{name}. 300 IN TXT " + " ".join(f'"{p}"' for p in parts)


def mail_domain(domain: str, **change: str | None) -> str:
    """The zone of a domain set up right for the weekly email; ``change``
    replaces (or, with None, drops) one of its records: spf, dkim, dmarc, mx."""
    records = {
        "spf": txt(domain, "v=spf1 include:_spf.relay.test -all"),
        "dkim": txt(f"s1._domainkey.{domain}", f"v=DKIM1; k=rsa; p={KEY}"),
        "dmarc": txt(f"_dmarc.{domain}", f"v=DMARC1; p=quarantine; rua=mailto:dmarc@{domain}"),
        "mx": f"{domain}. 300 IN MX 10 mail.{domain}.\nmail.{domain}. 300 IN A 192.0.2.25",
    }
    records.update(change)
    relay = txt("_spf.relay.test", "v=spf1 ip4:192.0.2.0/24 -all")
    return "\n".join([relay, *(r for r in records.values() if r)]) + "\n"


# The project ---------------------------------------------------------------------------------------

def configure(project: Path, email_from: str, list_url: str | None = None) -> None:
    """Set the sender and the list's address; drop the fixture's unsubscribe_url
    (it names a host these tests cannot reach)."""
    config = project / "mkdocs.yml"
    text = config.read_text("utf-8")
    text = re.sub(r"      email_from: .*\n", f"      email_from: Tips <{email_from}>\n", text)
    text = re.sub(r"      (unsubscribe_url|list_url): .*\n", "", text)
    if list_url:
        text = text.replace("  - tipweek:\n", f"  - tipweek:\n      list_url: {list_url}\n", 1)
    config.write_text(text, "utf-8")


def doctor(project: Path, dns, *args: str):
    result = CliRunner(catch_exceptions=False).invoke(
        main, ["doctor", "--dns", dns.address, "--timeout", "5", *args, "-f", str(project / "mkdocs.yml")])
    return result


def lines(result) -> dict[str, str]:
    """check name -> its whole line."""
    found = {}
    for line in result.output.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[0] in ("ok", "missing", "wrong", "error", "skipped"):
            found[parts[1]] = line
    return found


# A good set-up: every check passes -------------------------------------------------------------------

@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert(HOST, "localhost")
    folder = tmp_path_factory.mktemp("tls")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    named = folder / "named"  # a certificate for a name only, as a public list service has
    named.mkdir()
    cert = ca.issue_cert(NAMED)
    cert.private_key_pem.write_to_path(str(named / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(named / "cert.pem"))
    return folder


def list_service(tmp: Path, project: Path, tls: Path | None = None):
    """The real list service (SQLite store) under uvicorn, with one confirmed subscriber."""
    import uvicorn

    from tipweek.project import Project
    from tipweek.list.look import look_of
    from tipweek.list.service import Settings, create_app
    from tipweek.list.database import open_store
    from tipweek.list.tokens import Tokens

    store = open_store(f"sqlite:///{tmp}/list.sqlite3")
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)
    reader = store.subscribe("reader@example.org", "Reader", now).subscriber
    store.confirm(reader.id, now)
    settings = Settings(store, Tokens(SECRET), look_of(Project.load(project / "mkdocs.yml")), "",
                        send_confirmation=lambda sub, url: None)
    thread = ServiceThread(create_app(settings))
    if tls:
        thread.server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="off",
                                                      ssl_certfile=str(tls / "cert.pem"),
                                                      ssl_keyfile=str(tls / "key.pem")))
        thread.thread.__init__(target=thread.server.run, kwargs={"sockets": [thread.sock]}, daemon=True)
        thread.url = thread.url.replace("http://", "https://")
    settings.list_url = thread.url
    return thread, store, reader.id


def starttls_relay(tls: Path):
    from smtp_servers import LocalSMTP, Recorder

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(tls / "cert.pem"), str(tls / "key.pem"))
    return LocalSMTP(Recorder(), tls_context=context)


def test_a_domain_set_up_right_passes_every_check(project, tmp_path, dns_server, authority, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(authority / "ca.pem"))  # this machine trusts the test authority
    dns_server.text = mail_domain("example.org")
    thread, store, reader = list_service(tmp_path, project, tls=authority)
    relay = starttls_relay(authority)
    relay.start()
    try:
        with thread:
            configure(project, "tips@example.org", list_url=thread.url)
            result = doctor(project, dns_server, "--dkim-selector", "s1", "--smtp", relay.address)
    finally:
        relay.stop()
    found = lines(result)
    assert result.exit_code == 0, result.output
    assert sorted(found) == ["DKIM", "DMARC", "SMTP", "SPF", "list_url", "one-click", "return-path"]
    assert all(line.startswith("ok ") for line in found.values()), result.output
    assert '"v=spf1 include:_spf.relay.test -all" (1 of 10 look-ups)' in found["SPF"]
    assert "s1._domainkey.example.org has an RSA key" in found["DKIM"]
    assert "p=quarantine; aspf=r, adkim=r: relaxed alignment" in found["DMARC"]
    assert "example.org takes bounces: MX mail.example.org" in found["return-path"]
    assert f"{thread.url}/unsubscribe/<made-up token> answers a one-click POST (400" in found["one-click"]
    assert f"{relay.address} answers EHLO and STARTTLS" in found["SMTP"]
    assert result.output.splitlines()[-1] == "7 of 7 checks ok for example.org"
    assert store.get(reader).state == "confirmed"  # the POST changed nothing


# Broken domains: one line says what is wrong and what to add ------------------------------------------

MANY = " ".join(f"include:spf{i}.relay.test" for i in range(11))
BROKEN = {
    "no SPF": (dict(spf=None), "SPF", "missing", 'add  {d} TXT "v=spf1 include:RELAY -all"'),
    "SPF +all": (dict(spf=txt("{d}", "v=spf1 mx +all")), "SPF", "wrong", "+all lets any server in the world"),
    "two SPF": (dict(spf=txt("{d}", "v=spf1 mx -all") + "\n" + txt("{d}", "v=spf1 a -all")), "SPF", "wrong",
                "has 2 SPF records"),
    "SPF lookups": (dict(spf=txt("{d}", f"v=spf1 {MANY} -all")), "SPF", "wrong", "needs 11 DNS look-ups"),
    "no DKIM": (dict(dkim=None), "DKIM", "missing",
                'add  s1._domainkey.{d} TXT "v=DKIM1; k=rsa; p=PUBLIC-KEY"'),
    "revoked DKIM": (dict(dkim=txt("s1._domainkey.{d}", "v=DKIM1; k=rsa; p=")), "DKIM", "wrong",
                     "an empty p=, which means the key was revoked"),
    "short DKIM": (dict(dkim=txt("s1._domainkey.{d}", f"v=DKIM1; k=rsa; p={rsa_key(512)}")), "DKIM", "wrong",
                   "shorter than 1024 bits"),
    "no DMARC": (dict(dmarc=None), "DMARC", "missing",
                 'add  _dmarc.{d} TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@{d}"'),
    "DMARC p=none": (dict(dmarc=txt("_dmarc.{d}", "v=DMARC1; p=none")), "DMARC", "wrong",
                     "p=none only asks for reports"),
    "DMARC without p=": (dict(dmarc=txt("_dmarc.{d}", "v=DMARC1; rua=mailto:x@{d}")), "DMARC", "wrong",
                         "without a valid p= policy"),
    "no MX, no A": (dict(mx=None), "return-path", "missing", "add  {d} MX 10 MAILHOST"),
    "null MX": (dict(mx="{d}. 300 IN MX 0 ."), "return-path", "wrong", "null MX (RFC 7505)"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_record_is_one_line_with_the_fix(case, project, dns_server):
    change, check, status, words = BROKEN[case]
    domain = "shop.example.net"
    dns_server.text = mail_domain(domain, **{k: v.replace("{d}", domain) if v else v for k, v in change.items()})
    configure(project, f"tips@{domain}")
    result = doctor(project, dns_server, "--dkim-selector", "s1")
    found = lines(result)
    assert result.exit_code == 1, result.output
    assert found[check].startswith(f"{status:<8} {check}"), result.output
    assert words.replace("{d}", domain) in found[check]
    others = {"SPF", "DKIM", "DMARC", "return-path"} - {check}
    assert all(found[name].startswith("ok ") for name in others), result.output
    # (list_url is missing too: these projects have none)
    assert result.output.splitlines()[-1] == (f"3 of 5 checks ok for {domain} "
                                              f"({'2 missing' if status == 'missing' else '1 missing, 1 wrong'})")
    assert "Traceback" not in result.output


def test_a_domain_that_does_not_exist_is_said_once(project, dns_server):
    dns_server.text = mail_domain("example.org")
    configure(project, "tips@exmaple.org")  # a typo in email_from
    result = doctor(project, dns_server, "--dkim-selector", "s1")
    assert result.exit_code == 1, result.output
    found = lines(result)
    assert found["domain"] == (f"wrong    domain      exmaple.org does not exist at the resolver {dns_server.address} "
                               "(NXDOMAIN), so it can have no SPF, DKIM, DMARC or MX record: check email_from in "
                               "mkdocs.yml for a typo; if the domain is only in an internal DNS view, ask a "
                               "resolver that the world's mail servers see with --dns HOST:PORT")
    assert not {"SPF", "DKIM", "DMARC", "return-path"} & set(found) and "add " not in result.output
    assert result.output.splitlines()[-1] == "0 of 2 checks ok for exmaple.org (1 missing, 1 wrong)"
    # A return path given by hand is named as the place of its typo.
    configure(project, "tips@example.org")
    result = doctor(project, dns_server, "--dkim-selector", "s1", "--return-path", "bounces.exmaple.org")
    assert lines(result)["domain"].startswith("wrong    domain      bounces.exmaple.org does not exist")
    assert "check --return-path for a typo" in result.output and result.exit_code == 1
    # A domain that exists with none of the records is not that: each missing record is said.
    dns_server.text = "example.org. 300 IN A 192.0.2.1\n"
    result = doctor(project, dns_server, "--dkim-selector", "s1")
    assert "domain" not in lines(result) and lines(result)["SPF"].startswith("missing  SPF")


def test_dmarc_alignment_strict_and_relaxed(project, dns_server):
    domain = "example.org"
    dns_server.text = (mail_domain(domain, dmarc=txt(f"_dmarc.{domain}", "v=DMARC1; p=reject; aspf=s; adkim=s"))
                       + mail_domain("relay.test") + "bounces.example.org. 300 IN MX 10 mail.example.org.\n")
    configure(project, f"tips@{domain}")
    # Strict: the relay's bounce domain and signing domain are not the From domain: DMARC fails for every message.
    result = doctor(project, dns_server, "--dkim-selector", "s1", "--return-path", "bounces.example.org",
                    "--dkim-domain", "relay.test")
    assert result.exit_code == 1
    assert lines(result)["DMARC"].startswith("wrong    DMARC       neither the return path's domain "
                                             "bounces.example.org (SPF) nor the DKIM domain relay.test")
    # Relaxed (the default): a return path under the same organisational domain is aligned.
    dns_server.text = dns_server.text.replace("p=reject; aspf=s; adkim=s", "p=reject")
    result = doctor(project, dns_server, "--dkim-selector", "s1", "--return-path", "bounces.example.org",
                    "--dkim-domain", "relay.test")
    assert lines(result)["DMARC"].startswith('ok       DMARC       _dmarc.example.org has "v=DMARC1; p=reject" '
                                             "(p=reject; aspf=r, adkim=r: relaxed alignment; only SPF is aligned "
                                             "(relay.test is not))")


def test_the_organisational_domain_is_found_in_the_dns_not_by_the_last_two_labels(project, dns_server):
    # Under co.uk, shop.co.uk and other.co.uk are two organisations: "the last two labels" would make both
    # co.uk and call them aligned. The record at _dmarc.shop.co.uk marks where shop.co.uk's organisation begins.
    dns_server.text = (mail_domain("news.shop.co.uk", dmarc=None)
                       + txt("_dmarc.shop.co.uk", "v=DMARC1; p=reject") + "\n"
                       + mail_domain("other.co.uk"))
    configure(project, "tips@news.shop.co.uk")
    result = doctor(project, dns_server, "--dkim-selector", "s1", "--dkim-domain", "other.co.uk")
    # The subdomain is covered by its parent's record, and its own return path aligns with itself.
    assert lines(result)["DMARC"].startswith('ok       DMARC       _dmarc.shop.co.uk (for news.shop.co.uk, a '
                                             'subdomain) has "v=DMARC1; p=reject"')
    result = doctor(project, dns_server, "--dkim-selector", "s1", "--dkim-domain", "other.co.uk",
                    "--return-path", "other.co.uk")
    assert lines(result)["DMARC"].startswith("wrong    DMARC       neither the return path's domain other.co.uk")
    assert result.exit_code == 1


def test_without_a_selector_common_ones_are_tried(project, dns_server):
    dns_server.text = mail_domain("example.org").replace("s1._domainkey", "selector1._domainkey")
    configure(project, "tips@example.org")
    found = lines(doctor(project, dns_server))
    assert found["DKIM"].startswith("ok       DKIM        selector1._domainkey.example.org has a key (give "
                                    "--dkim-selector")
    dns_server.text = mail_domain("example.org", dkim=txt("odd._domainkey.example.org", f"v=DKIM1; p={KEY}"))
    found = lines(doctor(project, dns_server))
    assert found["DKIM"].startswith("missing  DKIM        no DKIM key at example.org under a common selector")
    assert "give --dkim-selector NAME" in found["DKIM"]


def test_json_for_scripts(project, dns_server):
    dns_server.text = mail_domain("example.org", dmarc=None)
    configure(project, "tips@example.org")
    result = doctor(project, dns_server, "--dkim-selector", "s1", "--json")
    report = json.loads(result.output)
    assert result.exit_code == 1 and report["exit"] == 1 and report["from_domain"] == "example.org"
    dmarc = next(c for c in report["checks"] if c["check"] == "DMARC")
    assert dmarc["status"] == "missing"
    assert dmarc["fix"].startswith('add  _dmarc.example.org TXT "v=DMARC1; p=quarantine')


# The list service over plain http, and endpoints that do not take the POST --------------------------------

def test_a_local_http_list_url_is_for_a_trial_only(project, tmp_path, dns_server):
    dns_server.text = mail_domain("example.org")
    thread, store, reader = list_service(tmp_path, project)
    with thread:
        configure(project, "tips@example.org", list_url=thread.url)
        result = doctor(project, dns_server, "--dkim-selector", "s1")
        found = lines(result)
        assert result.exit_code == 1
        assert found["list_url"] == (f"wrong    list_url    {thread.url} is plain http on this machine: fine for a "
                                     "trial, but nobody else can reach it, so it will not do for sending: set "
                                     "list_url to the service's public https address (see docs/running-the-list.md)")
        assert found["one-click"].startswith(f"ok       one-click   {thread.url}/unsubscribe/<made-up token> "
                                             "answers a one-click POST (400")
        # A list_url that points at the wrong path: the POST gets a 404.
        configure(project, "tips@example.org", list_url=thread.url + "/list")
        found = lines(doctor(project, dns_server, "--dkim-selector", "s1"))
        assert found["one-click"].startswith(f"wrong    one-click   a one-click POST to {thread.url}/list/"
                                             "unsubscribe/<made-up token> got 404: nothing is there")
    assert store.get(reader).state == "confirmed"


def test_no_list_service_at_all(project, dns_server):
    dns_server.text = mail_domain("example.org")
    with free_socket() as sock:  # a port nobody listens on
        port = sock.getsockname()[1]
    configure(project, "tips@example.org", list_url=f"http://127.0.0.1:{port}")
    found = lines(doctor(project, dns_server, "--dkim-selector", "s1"))
    assert found["one-click"].startswith(f"wrong    one-click   a POST to http://127.0.0.1:{port}/unsubscribe/"
                                         "<made-up token> got no answer (")
    configure(project, "tips@example.org")
    result = doctor(project, dns_server, "--dkim-selector", "s1")
    assert lines(result)["list_url"].startswith("missing  list_url    neither list_url nor unsubscribe_url is set")


def test_only_the_list_services_own_endpoint_is_posted_to(project, tmp_path, dns_server):
    """An unsubscribe_url template is the site's or a third party's: no POST (a real one could unsubscribe
    someone, and its host would be looked up past --dns); it is named as not checked."""
    dns_server.text = mail_domain("example.org")
    template = "https://tips.example.org/unsubscribe?email={email}"
    configure(project, "tips@example.org")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace(
        "  - tipweek:\n", f"  - tipweek:\n      unsubscribe_url: {template}\n", 1), "utf-8")
    result = doctor(project, dns_server, "--dkim-selector", "s1")
    found = lines(result)
    assert result.exit_code == 0, result.output  # only_loopback: nothing went to tips.example.org
    assert found["list_url"] == (f"ok       list_url    not set: the email's one-click link is unsubscribe_url "
                                 f"({template}); `tipweek send --list --smtp` needs list_url (a trial into the "
                                 "outbox links to the local list service)")
    assert found["one-click"] == (f"skipped  one-click   unsubscribe_url ({template}) not checked (not the list "
                                  "service): make sure it takes a one-click POST (RFC 8058) without a login")
    assert result.output.splitlines()[-1] == "5 of 6 checks ok for example.org (1 skipped)"
    # With the list service as well: its own endpoint is POSTed to, the template still is not.
    thread, store, reader = list_service(tmp_path, project)
    with thread:
        config.write_text(config.read_text("utf-8").replace(
            "  - tipweek:\n", f"  - tipweek:\n      list_url: {thread.url}\n", 1), "utf-8")
        result = doctor(project, dns_server, "--dkim-selector", "s1")
    posted = [line for line in result.output.splitlines() if " one-click " in line]
    assert posted[0].startswith(f"ok       one-click   {thread.url}/unsubscribe/<made-up token> answers")
    assert posted[1].startswith(f"skipped  one-click   unsubscribe_url ({template}) not checked")
    assert store.get(reader).state == "confirmed"


def test_plain_http_is_on_this_machine_only_for_a_loopback_list_url():
    from tipweek.sending.doctor.endpoints import check_list_url

    assert check_list_url("http://list.example.org", "").line() == (
        "wrong    list_url    http://list.example.org is plain http: readers' unsubscribe links and mail "
        "providers' one-click POSTs would cross the network in clear text: serve the list over https and set "
        "list_url to that address (see docs/running-the-list.md)")
    for local in ("http://127.0.0.1:8025", "http://localhost:8025", "http://[::1]:8025"):
        assert f"{local} is plain http on this machine: fine for a trial" in check_list_url(local, "").line()
    assert check_list_url("https://[::1]:8443", "").line().endswith("is https (on this machine: for a trial)")


def test_a_redirect_that_turns_the_post_into_a_get(project, dns_server):
    from starlette.applications import Starlette
    from starlette.responses import RedirectResponse
    from starlette.routing import Route

    async def moved(request):  # a web server sending plain http on to https with a 301
        return RedirectResponse(f"https://list.example.org{request.url.path}", status_code=301)

    dns_server.text = mail_domain("example.org")
    with ServiceThread(Starlette(routes=[Route("/{path:path}", moved, methods=["GET", "POST"])])) as thread:
        configure(project, "tips@example.org", list_url=thread.url)
        found = lines(doctor(project, dns_server, "--dkim-selector", "s1"))
    assert found["one-click"] == (f"wrong    one-click   a one-click POST to {thread.url}/unsubscribe/<made-up token> "
                                  "is redirected (301) to https://list.example.org/unsubscribe/"
                                  "<made-up token>, and mail providers do not follow that: point list_url at the "
                                  "address that answers the POST itself (https)")


def test_with_dns_the_one_click_post_goes_where_that_resolver_says(project, tmp_path, dns_server, authority,
                                                                     monkeypatch):
    """A new domain checked before its records reach the system's resolver: --dns gives the list's
    address too. only_loopback refuses a connection to anything but 127.0.0.1, so an ok here means
    the POST went to the address of the zone, and the certificate for the name was checked against it."""
    monkeypatch.setenv("SSL_CERT_FILE", str(authority / "ca.pem"))
    thread, store, reader = list_service(tmp_path, project, tls=authority / "named")
    port = thread.url.rpartition(":")[2]
    dns_server.text = mail_domain("example.org") + f"{NAMED}. 300 IN A {HOST}\nother.tips.test. 300 IN A {HOST}\n"
    with thread:
        configure(project, "tips@example.org", list_url=f"https://{NAMED}:{port}")
        result = doctor(project, dns_server, "--dkim-selector", "s1")
        found = lines(result)
        assert result.exit_code == 0, result.output
        assert found["one-click"] == (f"ok       one-click   https://{NAMED}:{port}/unsubscribe/<made-up token> (at "
                                      f"{HOST}, from the resolver at {dns_server.address}) answers a one-click POST "
                                      "(400 for a token that matches nobody, as it should; nothing was changed)")
        # The certificate is checked for the name in list_url, not for the address dialled.
        configure(project, "tips@example.org", list_url=f"https://other.tips.test:{port}")
        found = lines(doctor(project, dns_server, "--dkim-selector", "s1"))
        assert found["one-click"].startswith(f"wrong    one-click   https://other.tips.test:{port}/unsubscribe/"
                                             f"<made-up token> (at {HOST}, from the resolver at "
                                             f"{dns_server.address}): the certificate is not trusted (Hostname "
                                             "mismatch"), found["one-click"]
    assert store.get(reader).state == "confirmed"
    # A name the resolver has no address for: the record to add, and no POST anywhere.
    configure(project, "tips@example.org", list_url="https://new.tips.test")
    result = doctor(project, dns_server, "--dkim-selector", "s1")
    assert result.exit_code == 1
    assert lines(result)["one-click"] == (
        f"wrong    one-click   new.tips.test (the host of list_url) has no A or AAAA record at the resolver "
        f"{dns_server.address}, so mail providers cannot reach the one-click endpoint: add  new.tips.test A "
        "ADDRESS (the list service's public IPv4 address; AAAA for IPv6)")
    # The resolver fails for the name: the check could not be made, as a DNS check that fails.
    dns_server.text = "SERVFAIL"
    result = doctor(project, dns_server, "--dkim-selector", "s1")
    assert result.exit_code == 2
    assert lines(result)["one-click"] == (
        f"error    one-click   could not check: the resolver at {dns_server.address} failed to look up "
        "new.tips.test A (SERVFAIL): try again, or give another resolver with --dns HOST:PORT")


# The relay ------------------------------------------------------------------------------------------

def test_a_relay_whose_certificate_is_not_trusted(project, dns_server, authority):
    dns_server.text = mail_domain("example.org")
    configure(project, "tips@example.org")
    relay = starttls_relay(authority)  # the test authority, which this machine does not trust here
    relay.start()
    try:
        found = lines(doctor(project, dns_server, "--dkim-selector", "s1", "--smtp", relay.address))
    finally:
        relay.stop()
    assert found["SMTP"].startswith(f"wrong    SMTP        {relay.address} offers STARTTLS, but its certificate "
                                    "is not trusted")


def test_a_relay_on_this_machine_without_starttls_and_no_relay_at_all(project, dns_server):
    from smtp_servers import LocalSMTP, Recorder

    dns_server.text = mail_domain("example.org")
    configure(project, "tips@example.org")
    relay = LocalSMTP(Recorder())  # plain SMTP, as a local Postfix on port 25 may be
    relay.start()
    try:
        found = lines(doctor(project, dns_server, "--dkim-selector", "s1", "--smtp", relay.address))
    finally:
        relay.stop()
    assert found["SMTP"] == (f"ok       SMTP        {relay.address} answers EHLO; it offers no STARTTLS, which a "
                             "relay on this machine does not need")
    with free_socket() as sock:  # a port nobody listens on
        port = sock.getsockname()[1]
    result = doctor(project, dns_server, "--dkim-selector", "s1", "--smtp", f"{HOST}:{port}")
    assert lines(result)["SMTP"].startswith(f"wrong    SMTP        {HOST}:{port} does not answer as an SMTP relay (")
    assert result.exit_code == 1


# When the check cannot run: exit 2, never a traceback -----------------------------------------------------

def test_a_resolver_that_never_answers_is_exit_2(project):
    configure(project, "tips@example.org")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:  # takes the questions, answers none
        silent.bind((HOST, 0))
        where = f"{HOST}:{silent.getsockname()[1]}"
        result = CliRunner(catch_exceptions=False).invoke(
            main, ["doctor", "--dns", where, "--timeout", "0.3", "-f", str(project / "mkdocs.yml")])
    assert result.exit_code == 2, result.output
    assert lines(result)["SPF"] == (f"error    SPF         could not check: the resolver at {where} did not answer "
                                    "for example.org TXT in 0.3 s: try again, or give another resolver with "
                                    "--dns HOST:PORT")
    assert "Traceback" not in result.output


def test_a_resolver_that_fails_is_exit_2(project, dns_server):
    dns_server.text = "SERVFAIL"
    configure(project, "tips@example.org")
    result = doctor(project, dns_server)
    assert result.exit_code == 2, result.output
    assert lines(result)["DMARC"] == (f"error    DMARC       could not check: the resolver at {dns_server.address} "
                                      "failed to look up _dmarc.example.org TXT (SERVFAIL): try again, or give "
                                      "another resolver with --dns HOST:PORT")
    assert result.output.splitlines()[-1] == "0 of 5 checks ok for example.org (1 missing, 4 not checked)"


def test_a_machine_without_a_resolver_is_exit_2(project, monkeypatch):
    import dns.resolver

    def no_resolv_conf(self, *args):  # as on a machine without /etc/resolv.conf
        raise dns.resolver.NoResolverConfiguration("no nameservers")

    monkeypatch.setattr(dns.resolver.Resolver, "read_resolv_conf", no_resolv_conf)
    configure(project, "tips@example.org")
    result = CliRunner(catch_exceptions=False).invoke(main, ["doctor", "-f", str(project / "mkdocs.yml")])
    assert result.exit_code == 2
    assert result.output == "error: this machine has no DNS resolver configured; give one with --dns HOST:PORT\n"


@pytest.mark.parametrize("value", ["127.0.0.1", "127.0.0.1:dns", ":53", "127.0.0.1:70000"])
def test_a_bad_dns_option_is_exit_2(project, value):
    result = CliRunner().invoke(main, ["doctor", "--dns", value, "-f", str(project / "mkdocs.yml")])
    assert result.exit_code == 2
    assert "Invalid value for --dns: expected HOST:PORT, e.g. 127.0.0.1:53" in result.output


def test_a_resolver_whose_name_cannot_be_found_is_exit_2(project, monkeypatch):
    def not_found(host, *args, **kwargs):  # as the system's resolver answers for a name nobody has
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", not_found)  # the machine's resolver is not asked
    result = CliRunner().invoke(main, ["doctor", "--dns", "resolver.invalid:53", "-f", str(project / "mkdocs.yml")])
    assert result.exit_code == 2
    assert "Invalid value for --dns: cannot find the address of 'resolver.invalid'; give the resolver's IP " \
           "address" in result.output
