"""The list service as people, bots and mail providers meet it: uvicorn on
127.0.0.1, the confirmation email received by aiosmtpd, plain HTTP requests.
Every bad input is checked twice: the answer, and that the store and the
mailbox did not change."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import FIXTURES
from list_support import SECRET, ServiceThread, free_socket, request, snapshot, wait_for
from tipweek.cli.main import main
from tipweek.project import Project
from tipweek.list.confirmation import confirmation_sender, relay_offers_smtputf8, transport_factory
from tipweek.list.look import look_of
from tipweek.list.service import Settings, create_app
from tipweek.list.recipients import unsubscribe_url
from tipweek.list.database import open_store
from tipweek.list.tokens import Tokens

START = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


class Service:
    """The app, its store, its mailbox and its clock, for one module."""

    def __init__(self, tmp, smtp, ip_limit: int = 1000):
        shutil.copytree(FIXTURES / "library", tmp / "proj")  # (a command writes its caches into the project)
        project = Project.load(tmp / "proj" / "mkdocs.yml")
        self.store = open_store(f"sqlite:///{tmp}/list.sqlite3")
        self.tokens = Tokens(SECRET)
        self.clock = Clock()
        self.mailbox = smtp.handler
        look = look_of(project)
        make_transport = transport_factory(tmp, None, smtp.address, False, None)
        self.settings = Settings(self.store, self.tokens, look, "", confirmation_sender(
            look, project.options.email_from, make_transport), clock=self.clock, ip_limit=ip_limit)
        self.thread = ServiceThread(create_app(self.settings))
        self.settings.list_url = self.url = self.thread.url

    def sign_up(self, email: str, name: str = "", **extra) -> tuple[int, str]:
        status, body, _ = request("POST", f"{self.url}/subscribe", form={"email": email, "name": name, **extra})
        return status, body

    def confirm_link(self, email: str) -> str:
        mail = wait_for(lambda: [m for m in self.mailbox.received if m.to == email.lower()], f"mail to {email}")
        text = mail[-1].message.get_body(("plain",)).get_content()
        return re.search(r"http://\S+/confirm/\S+", text).group(0)


@pytest.fixture(scope="module")
def service(tmp_path_factory, recording_smtp):
    svc = Service(tmp_path_factory.mktemp("list"), recording_smtp)
    with svc.thread:
        yield svc


@pytest.fixture(autouse=True)
def reset_clock(request):
    if "service" in request.fixturenames:
        request.getfixturevalue("service").clock.now = START


def title(body: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", body, re.S).group(1)


# ------------------------------------------------------------------ the happy path

def test_sign_up_confirm_and_leave(service):
    status, body = service.sign_up("ana@example.org", "Ana Lima")
    assert status == 200 and title(body) == "Check your inbox"
    assert 'href="https://tips.example.org/"' in body  # links back to the site
    sub = service.store.find("ana@example.org")
    assert sub.state == "pending" and sub.name == "Ana Lima"

    mail = wait_for(lambda: [m for m in service.mailbox.received if m.to == "ana@example.org"], "the mail")[0]
    msg = mail.message
    assert msg["Subject"] == "Confirm your subscription to Fixture tips"
    assert "ana@example.org" not in service.confirm_link("ana@example.org")  # the address is not in the URL
    html = msg.get_body(("html",)).get_content()
    assert "background: #00695c" in html  # the weekly email's header colour, inlined
    assert "Confirm my subscription" in html and "Hello," in html

    link = service.confirm_link("ana@example.org")
    status, body, headers = request("GET", link)  # a mail scanner opening the link
    assert status == 200 and "<button" in body and ">Confirm</button>" in body
    assert headers["referrer-policy"] == "no-referrer"
    assert service.store.find("ana@example.org").state == "pending"
    status, body, _ = request("POST", link)  # the person pressing Confirm
    assert status == 200 and title(body) == "You&#39;re subscribed"
    assert service.store.find("ana@example.org").state == "confirmed"
    assert request("POST", link)[0] == 200  # twice is harmless
    assert [e.action for e in service.store.events() if e.subscriber_id == sub.id] == ["joined", "confirmed"]

    leave = unsubscribe_url(service.url, service.tokens, sub.id)
    status, body, _ = request("GET", leave)
    assert status == 200 and ">Unsubscribe</button>" in body and "Subscribe again" in body
    assert service.store.find("ana@example.org").state == "confirmed"  # a GET changes nothing
    status, body, _ = request("POST", leave, form={"List-Unsubscribe": "One-Click"})  # RFC 8058, as Gmail sends
    assert status == 200 and title(body) == "You&#39;re unsubscribed"
    assert service.store.find("ana@example.org").state == "unsubscribed"
    assert service.store.events()[-1].how == "one-click"


def test_the_unsubscribe_page_button(service):
    sub = service.store.subscribe("ben@example.org", "Ben", START).subscriber
    service.store.confirm(sub.id, START)
    leave = unsubscribe_url(service.url, service.tokens, sub.id)
    form = re.search(r'<form method="post" action="">', request("GET", leave)[1])
    assert form  # the button posts back to the same URL
    assert request("POST", leave, body=b"")[0] == 200
    assert service.store.find("ben@example.org").state == "unsubscribed"
    assert service.store.events()[-1].how == "page"


def test_a_head_request_changes_nothing(service):
    """Mail scanners and link previewers send HEAD: it answers as GET does."""
    sub = service.store.subscribe("hd@example.org", "", START).subscriber
    confirm = f"{service.url}/confirm/{service.tokens.confirm_token(sub.id)}"
    leave = unsubscribe_url(service.url, service.tokens, sub.id)
    assert unchanged(service, lambda: request("HEAD", confirm))[:2] == (200, "")
    assert service.store.find("hd@example.org").state == "pending"
    assert request("POST", confirm)[0] == 200
    assert unchanged(service, lambda: request("HEAD", leave))[:2] == (200, "")
    assert service.store.find("hd@example.org").state == "confirmed"
    assert [(e.action, e.how) for e in service.store.events() if e.subscriber_id == sub.id] == [
        ("joined", "form"), ("confirmed", "page")]


def test_a_few_confirmation_emails_per_address_per_day(service):
    def mails() -> int:
        return service.mailbox.count("cy@example.org")

    for hours in (0, 1, 2):  # each sign-up of a pending address gets its email (the last may be lost)
        service.clock.now = START + dt.timedelta(hours=hours)
        status, body = service.sign_up("cy@example.org")
        assert status == 200 and title(body) == "Check your inbox"
        wait_for(lambda: mails() == hours + 1, f"confirmation {hours + 1}")
    service.clock.now = START + dt.timedelta(hours=23)
    for _ in range(5):  # subscription bombing: no more mail, and the page says so
        status, body = service.sign_up("cy@example.org")
        assert status == 200 and title(body) == "No new email this time"
        assert "We have sent this address 3 confirmation emails in the last day" in body
        assert "sign up again in an hour." in body
    assert mails() == 3
    service.clock.now = START + dt.timedelta(hours=24, seconds=1)  # the first of the three is a day old
    assert title(service.sign_up("cy@example.org")[1]) == "Check your inbox"
    wait_for(lambda: mails() == 4, "the fourth confirmation")


def test_coming_back_after_leaving_gets_an_email(service):
    status, _ = service.sign_up("back@example.org")
    assert status == 200
    link = service.confirm_link("back@example.org")
    assert request("POST", link)[0] == 200
    sub = service.store.find("back@example.org")
    assert request("POST", unsubscribe_url(service.url, service.tokens, sub.id))[0] == 200
    service.clock.now = START + dt.timedelta(hours=2)
    status, body = service.sign_up("back@example.org")
    assert status == 200 and title(body) == "Check your inbox"
    wait_for(lambda: service.mailbox.count("back@example.org") == 2, "a new confirmation")
    assert service.store.find("back@example.org").state == "pending"


def test_an_erased_reader_who_signs_up_again_confirms_again_under_their_old_record(service):
    service.store.import_confirmed([("gone@example.org", "Gone")], START)
    sub = service.store.find("gone@example.org")
    service.store.erase(sub.id, START, service.tokens.erased_key("GONE@example.org"))  # (as the list compares)
    assert service.store.find("gone@example.org") is None

    service.clock.now = START + dt.timedelta(days=3)
    status, body = service.sign_up("gone@example.org", "Back")
    assert status == 200 and title(body) == "Check your inbox"
    back = service.store.find("gone@example.org")
    assert (back.id, back.state, back.name) == (sub.id, "pending", "Back")  # no mail until they confirm again
    assert request("POST", service.confirm_link("gone@example.org"))[0] == 200
    assert [(e.action, e.how) for e in service.store.history_of(sub.id)[1]] == [
        ("joined", "import"), ("confirmed", "import"), ("erased", "page"), ("joined", "form"), ("confirmed", "page")]


def test_a_confirmation_lost_in_a_crash_is_sent_on_the_next_sign_up(service):
    # What a crash between storing and sending leaves: the sign-up and its claimed email, no email.
    service.store.subscribe("lost@example.org", "", START)
    service.clock.now = START + dt.timedelta(minutes=5)
    status, body = service.sign_up("lost@example.org")
    assert status == 200 and title(body) == "Check your inbox"
    wait_for(lambda: service.mailbox.count("lost@example.org") == 1, "the confirmation")


def test_per_ip_limit(tmp_path, recording_smtp):
    svc = Service(tmp_path, recording_smtp, ip_limit=2)
    with svc.thread:
        assert [svc.sign_up(f"ip{i}@example.org")[0] for i in range(2)] == [200, 200]
        before = snapshot(svc.store), len(recording_smtp.handler.received)
        svc.clock.now = START + dt.timedelta(minutes=10)
        status, body, headers = request("POST", f"{svc.url}/subscribe", form={"email": "ip3@example.org"})
        assert status == 429 and title(body) == "Too many sign-ups"
        assert headers["retry-after"] == "3000"  # the first sign-up leaves the hour at START + 60 min
        assert "Please try again in 50 minutes." in body
        assert (snapshot(svc.store), len(recording_smtp.handler.received)) == before


def test_one_click_as_multipart_form_data(service):
    sub = service.store.subscribe("mp@example.org", "", START).subscriber
    service.store.confirm(sub.id, START)
    body = (b'--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--\r\n')
    status, _, _ = request("POST", unsubscribe_url(service.url, service.tokens, sub.id), body=body,
                           headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert status == 200
    assert service.store.find("mp@example.org").state == "unsubscribed"
    assert service.store.events()[-1].how == "one-click"


def test_mail_server_down_keeps_the_sign_up_and_frees_the_day(tmp_path, recording_smtp):
    svc = Service(tmp_path, recording_smtp)
    dead = free_socket()  # bound, never listening: connections are refused
    svc.settings.send_confirmation = confirmation_sender(
        svc.settings.look, "Fixture Tips <tips@example.org>",
        transport_factory(tmp_path, None, f"127.0.0.1:{dead.getsockname()[1]}", False, None))
    with svc.thread:
        status, body = svc.sign_up("down@example.org", "Dee")
        assert status == 503 and title(body) == "We could not send the email"
        sub = svc.store.find("down@example.org")
        assert sub.state == "pending" and sub.confirmation_sent_at is None  # a retry may send one at once
    dead.close()


def test_a_busy_database_asks_to_try_again_shortly(service):
    """Another process holds SQLite's write lock past the store's wait: a 503
    with Retry-After and the service's own page, not a bare 500."""
    import sqlite3

    holder = sqlite3.connect(service.store.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    service.store.busy_timeout = 0.5  # (10 s in service: the wait, not the answer, is what this test shortens)
    try:
        status, body, headers = unchanged(service, lambda: request(
            "POST", f"{service.url}/subscribe", form={"email": "busy@example.org"}))
        assert status == 503 and title(body) == "Please try again shortly"
        assert headers["retry-after"] == "5" and "Nothing was changed." in body
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        service.store.busy_timeout = 10.0
    assert service.sign_up("busy@example.org")[0] == 200


# ------------------------------------------------------------------ bad input changes nothing

def unchanged(service, send):
    """Run ``send``; assert the store and the mailbox are as before; return its answer."""
    before = snapshot(service.store), len(service.mailbox.received)
    answer = send()
    assert (snapshot(service.store), len(service.mailbox.received)) == before
    return answer


BAD_FORMS = [
    ({"email": "not-an-address", "name": "Dee"}, "That doesn&#39;t look like an email address"),
    ({"email": "", "name": "Dee"}, "Please enter your email address."),
    ({"email": "dee@example.org\r\nBcc: all@example.org", "name": "Dee"}, "cannot contain line breaks"),
    ({"email": "dee@example.org", "name": "Dee\r\nBcc: all@example.org"}, "cannot contain line breaks"),
    ({"email": "dee@example.org", "name": "Dee\x00"}, "control characters"),
    ({"email": "dee@exa\x1bmple.org", "name": "Dee"}, "control characters"),
    ({"email": "dee@example.org", "name": "D" * 101}, "under 100 characters"),
    ({"email": "d" * 65 + "@example.org", "name": "Dee"}, "the part before the @ is longer than 64 characters"),
    ({"email": "jösé@example.org", "name": "Dee"}, "Our mail server cannot deliver to an address with accented"),
]


@pytest.mark.parametrize("form,message", BAD_FORMS, ids=["invalid", "empty", "crlf-email", "crlf-name",
                                                          "nul-name", "esc-email", "long-name",
                                                          "65-octet-local-part", "non-ascii-local-part"])
def test_bad_sign_ups_show_the_form_again(service, form, message):
    status, body, _ = unchanged(service, lambda: request("POST", f"{service.url}/subscribe", form=form))
    assert status == 400
    assert message in body
    assert '<form method="post" action="subscribe">' in body  # the form again, to correct it
    if form["email"] == "not-an-address":
        assert 'value="not-an-address"' in body  # what they typed is kept


def test_addresses_at_the_limits(service):
    assert service.sign_up("e" * 64 + "@example.org")[0] == 200  # RFC 5321's 64 octets before the @
    # Without SMTPUTF8 a domain in other scripts is kept in its ASCII form, which any relay can take.
    assert service.sign_up("ana@exämple.org")[0] == 200
    mail = wait_for(lambda: [m for m in service.mailbox.received if m.to == "ana@xn--exmple-cua.org"], "the mail")
    assert mail[0].rcpt_tos == ["ana@xn--exmple-cua.org"]


def test_non_ascii_addresses_when_the_relay_takes_them(tmp_path):
    from smtp_servers import LocalSMTP, Recorder

    with_utf8, without = LocalSMTP(Recorder()), LocalSMTP(Recorder(), enable_SMTPUTF8=False)
    with_utf8.start(), without.start()
    try:
        assert not relay_offers_smtputf8(transport_factory(tmp_path, None, without.address, False, None))
        assert not relay_offers_smtputf8(transport_factory(tmp_path, None, None, False, None))  # an outbox
        svc = Service(tmp_path, with_utf8)
        svc.settings.smtputf8 = relay_offers_smtputf8(transport_factory(tmp_path, None, with_utf8.address,
                                                                        False, None))
        with svc.thread:
            status, body = svc.sign_up("jösé@example.org", "José")
            assert status == 200 and title(body) == "Check your inbox"
            mail = wait_for(lambda: with_utf8.handler.received, "the mail")
            assert mail[0].rcpt_tos == ["jösé@example.org"]
            assert svc.store.find("jösé@example.org").state == "pending"
    finally:
        with_utf8.stop(), without.stop()


def test_a_malformed_multipart_body(service):
    status, body, _ = unchanged(service, lambda: request(
        "POST", f"{service.url}/subscribe", body=b"--nope\r\ngarbage",
        headers={"Content-Type": "multipart/form-data; boundary=x"}))
    assert status == 400 and title(body) == "That request could not be read"


@pytest.mark.parametrize("name", ["Your account is locked: visit http://evil.example/login now", "<b>Mark</b>"],
                         ids=["phishing", "markup"])
def test_the_name_typed_in_stays_out_of_the_confirmation(service, name):
    """Anyone can type anyone's address: text from the form must not reach
    that inbox from the list's own address. The name is kept for the list."""
    address = f"{len(name)}@example.org"
    assert service.sign_up(address, name)[0] == 200
    mail = wait_for(lambda: [m for m in service.mailbox.received if m.to == address], "the mail")[0]
    text = mail.message.get_body(("plain",)).get_content()
    html = mail.message.get_body(("html",)).get_content()
    assert text.startswith("Hello,\r\n") and ">Hello,</p>" in html
    for word in ("evil", "locked", "Mark"):
        assert word not in mail.raw.decode() and word not in text and word not in html
    assert str(mail.message["To"]) == address
    assert service.store.find(address).name == name


def test_honeypot(service):
    status, body, _ = unchanged(service, lambda: request(
        "POST", f"{service.url}/subscribe", form={"email": "bot@example.org", "name": "", "website": "http://spam"}))
    assert status == 200 and title(body) == "Check your inbox"  # the bot learns nothing
    assert service.store.find("bot@example.org") is None


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_body_over_16_kb(service, chunked):
    body = ("email=big%40example.org&name=" + "x" * 17000).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if chunked:
        def chunks():
            for i in range(0, len(body), 4096):
                yield body[i:i + 4096]
        headers["Transfer-Encoding"] = "chunked"
        payload = chunks()
    else:
        payload = body
    status, text, _ = unchanged(service, lambda: request("POST", f"{service.url}/subscribe", body=payload,
                                                         headers=headers))
    assert status == 413 and title(text) == "Too much"


def test_a_file_instead_of_text(service):
    boundary = "b0undary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"email\"; filename=\"a.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\nfile@example.org\r\n--{boundary}--\r\n").encode()
    status, text, _ = unchanged(service, lambda: request(
        "POST", f"{service.url}/subscribe", body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}))
    assert status == 400 and "sends text, not files" in text


def _tokens(service):
    sub = service.store.subscribe("tok@example.org", "Tok", START).subscriber
    good_confirm = service.tokens.confirm_token(sub.id)
    good_leave = service.tokens.unsubscribe_token(sub.id)
    return sub, good_confirm, good_leave


def test_bad_tokens(service):
    sub, confirm, leave = _tokens(service)
    eight_days_old = Tokens(SECRET, clock=lambda: time.time() - 8 * 86400).confirm_token(sub.id)
    other_secret = Tokens("another-secret-another-secret").unsubscribe_token(sub.id)
    cases = [
        (f"/confirm/{confirm[:-2]}xy", 400, "This link doesn"),  # tampered signature
        (f"/confirm/{confirm.replace(confirm.split('.')[0], 'Mg', 1)}", 400, "This link doesn"),  # edited id
        (f"/confirm/{eight_days_old}", 400, "This link has expired"),
        (f"/confirm/{leave}", 400, "This link doesn"),  # an unsubscribe token is no confirm token
        (f"/confirm/{service.tokens.confirm_token(999999)}", 404, "We don"),  # signed, but nobody
        (f"/unsubscribe/{leave[:-2]}xy", 400, "This link doesn"),
        (f"/unsubscribe/{confirm}", 400, "This link doesn"),
        (f"/unsubscribe/{other_secret}", 400, "This link doesn"),
        (f"/unsubscribe/{service.tokens.unsubscribe_token(999999)}", 404, "We don"),
        ("/unsubscribe/", 404, "Nothing here"),
    ]
    seen = []
    for path, status, words in cases:
        for method in ("GET", "POST"):
            answer, body, _ = unchanged(service, lambda: request(method, service.url + path,
                                                                   form={"List-Unsubscribe": "One-Click"}
                                                                   if method == "POST" else None))
            seen.append((path.split("/")[1], method, answer, words in title(body)))
    assert seen == [(p.split("/")[1], m, s, True) for p, s, _ in cases for m in ("GET", "POST")]
    assert service.store.find("tok@example.org").state == "pending"


@pytest.mark.parametrize("method,path", [("PUT", "/subscribe"), ("DELETE", "/subscribe"),
                                         ("PATCH", "/confirm/x"), ("DELETE", "/unsubscribe/x"),
                                         ("POST", "/")])
def test_wrong_method(service, method, path):
    status, body, headers = unchanged(service, lambda: request(method, service.url + path, body=b"email=x"))
    assert status == 405 and title(body) == "Not like that"
    assert "allow" in {k.lower() for k in headers}


# ------------------------------------------------------------------ serve

def test_serve_refuses_to_start_without_a_secret(project, monkeypatch):
    monkeypatch.delenv("TIPWEEK_LIST_SECRET", raising=False)
    monkeypatch.chdir(project)  # no .tipweek/list-secret here (a checkout after `make list` has one)
    result = CliRunner(catch_exceptions=False).invoke(main, ["list", "serve", "-f", str(project / "mkdocs.yml")])
    assert result.exit_code == 1
    assert result.output.startswith("Error: TIPWEEK_LIST_SECRET is not set; make one with python -c "
                                    "\"import secrets; print(secrets.token_urlsafe(32))\"")
    assert not (project / ".tipweek" / "list.sqlite3").exists()


def test_list_url_must_be_https_except_on_this_machine(project, tipweek):
    config = project / "mkdocs.yml"
    text = config.read_text()
    config.write_text(text.replace("list_id: tips.example.org", "list_id: tips.example.org\n      list_url: "
                                                                 "http://list.example.org"))
    result = tipweek("check")
    assert result.exit_code == 1
    assert "option 'list_url': 'http://list.example.org' must start with https://" in result.output
    config.write_text(text.replace("list_id: tips.example.org", "list_id: tips.example.org\n      list_url: "
                                                                 "http://127.0.0.1:8025/"))
    assert tipweek("check").exit_code == 0


def test_the_subscribe_page_without_and_with_a_list(tmp_path):
    import markdown

    from tipweek.site.signup_form import with_signup_form

    text = (Path(__file__).parent.parent / "docs" / "subscribe.md").read_text()
    without = markdown.markdown(text)  # list_url unset: the plugin leaves the page alone
    assert "To be added, ask the team that runs the tips" in without and "<form" not in without
    with_list = markdown.markdown(with_signup_form(text, "https://list.example.org"))
    assert "ask the team" not in with_list
    form = re.search(r'<form class="tw-signup" method="post" action="https://list.example.org/subscribe">.*?</form>',
                     with_list, re.S).group(0)
    assert [n for n in re.findall(r'name="(\w+)"', form)] == ["email", "name", "website"]
    assert "<script" not in with_list and "Leaving is easy" in with_list  # the rest of the page stays


def test_send_list_says_what_is_missing(project, monkeypatch, tmp_path):
    runner = CliRunner(catch_exceptions=False)
    db = f"sqlite:///{tmp_path}/list.sqlite3"
    args = ["send", "--list", db, "-f", str(project / "mkdocs.yml")]
    monkeypatch.setenv("TIPWEEK_LIST_SECRET", SECRET)
    result = runner.invoke(main, [*args, "--smtp", "127.0.0.1:25"])  # for real, the links must reach the service
    assert result.exit_code == 2
    assert "error: --list needs the list service's address: set list_url" in result.output
    assert "with --smtp they cannot point at http://127.0.0.1:8025" in result.output
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("list_id: tips.example.org",
                                                 "list_id: tips.example.org\n      list_url: https://list.example.org"))
    monkeypatch.delenv("TIPWEEK_LIST_SECRET")
    monkeypatch.chdir(project)  # no .tipweek/list-secret here (a checkout after `make list` has one)
    result = runner.invoke(main, args)
    assert result.exit_code == 2 and "error: TIPWEEK_LIST_SECRET is not set; make one with" in result.output
    result = runner.invoke(main, ["send", "-f", str(config)])
    assert result.exit_code == 2 and "give either --subscribers FILE or --list DB_URL" in result.output


def test_a_list_database_that_is_not_there_is_named_not_made(project, monkeypatch, tmp_path):
    """A mistyped --db must not read (or send to) a new empty list as if it were the list."""
    runner = CliRunner(catch_exceptions=False)
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("list_id: tips.example.org",
                                                 "list_id: tips.example.org\n      list_url: https://list.example.org"))
    monkeypatch.setenv("TIPWEEK_LIST_SECRET", SECRET)
    missing = tmp_path / "typo" / "list.sqlite3"
    said = f"{missing}: there is no list database here (check --db;"
    sent = runner.invoke(main, ["send", "--list", f"sqlite:///{missing}", "-f", str(config)])
    assert sent.exit_code == 2 and said in sent.output
    for command in (["list", "stats"], ["list", "export"], ["list", "show", "ana@example.org"]):
        result = runner.invoke(main, [*command, "--db", f"sqlite:///{missing}", "-f", str(config)])
        assert result.exit_code == 1 and said in result.output, command
    assert not missing.parent.exists()
    # Where a list begins, it is made: an import.
    people = tmp_path / "people.csv"
    people.write_text("email,name\nana@example.org,Ana\n")
    made = runner.invoke(main, ["list", "import", str(people), "--db", f"sqlite:///{missing}", "-f", str(config)])
    assert made.exit_code == 0 and missing.exists()


def test_send_list_without_the_secret_points_at_the_one_make_list_made(project, monkeypatch, tmp_path):
    # A new secret would break the unsubscribe links the running `make list` service signed.
    monkeypatch.delenv("TIPWEEK_LIST_SECRET", raising=False)
    (project / ".tipweek").mkdir(exist_ok=True)
    (project / ".tipweek" / "list-secret").write_text(SECRET + "\n")
    monkeypatch.chdir(project)
    result = CliRunner(catch_exceptions=False).invoke(main, ["send", "--list", f"sqlite:///{tmp_path}/list.sqlite3"])
    assert result.exit_code == 2
    assert ("error: TIPWEEK_LIST_SECRET is not set; use the one `make list` made, on the same line: "
            "TIPWEEK_LIST_SECRET=$(cat .tipweek/list-secret) before the command (a new secret would break the "
            "links the running list service signed)") in result.output
    assert "make one with" not in result.output


def test_the_readmes_walk_through_sends_to_the_outbox_without_list_url(service, project, monkeypatch):
    """make list, sign up, confirm, then `tipweek send --list ...` with no list_url: the trial goes
    into the Maildir outbox, its links on the local service, and says so in one line."""
    assert service.sign_up("walk@example.org", "Walker")[0] == 200
    assert request("POST", service.confirm_link("walk@example.org"))[0] == 200
    monkeypatch.setenv("TIPWEEK_LIST_SECRET", SECRET)
    monkeypatch.chdir(project)
    result = CliRunner(catch_exceptions=False).invoke(main, ["send", "--list", service.store.url])
    assert result.exit_code == 0, result.output
    assert ("note: list_url is not set, so the unsubscribe links point at http://127.0.0.1:8025, the local list "
            "service of `make list` (fine for a trial into the outbox; set list_url to send for real)\n"
            ) in result.output
    from email import message_from_bytes, policy
    sent = [message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in (project / ".tipweek/outbox/new").iterdir()]
    mine = [m for m in sent if m["To"].addresses[0].addr_spec == "walk@example.org"]
    assert len(mine) == 1
    link = re.search(r"<(http://127\.0\.0\.1:8025/unsubscribe/[^>]+)>", mine[0]["List-Unsubscribe"]).group(1)
    # The footer says what the link does, and the page agrees: one button; opening it changes nothing.
    text = mine[0].get_body(("plain",)).get_content()
    assert f"Unsubscribe (the link opens a page with one button to press): {link}" in text
    path = link.removeprefix("http://127.0.0.1:8025")
    status, page, _ = request("GET", service.url + path)
    assert status == 200 and page.count("<button") == 1 and ">Unsubscribe</button>" in page
    assert service.store.find("walk@example.org").state == "confirmed"
    # The link is the service's own: its path unsubscribes the reader there.
    assert request("POST", service.url + path, form={"List-Unsubscribe": "One-Click"})[0] == 200
    assert service.store.find("walk@example.org").state == "unsubscribed"


def test_the_confirmation_email_names_the_site_once(service):
    """A site called "Tip of the week" does not get "the tip of the week from Tip of the week"."""
    import dataclasses

    from tipweek.list.confirmation import confirmation_message

    look = dataclasses.replace(service.settings.look, site_name="Tip of the week")
    sub = service.store.subscribe("words@example.org", "", START).subscriber
    msg = confirmation_message(look, "Tips <tips@example.org>", sub, "https://list.example.org/confirm/x", START)
    text = msg.get_body(("plain",)).get_content()
    html = " ".join(msg.get_body(("html",)).get_content().split())
    assert "Someone, hopefully you, asked to get Tip of the week by email at words@example.org." in text
    assert "asked to get Tip of the week by email at words@example.org." in html
    assert "tip of the week from" not in text.lower()
    assert "One click" not in html  # confirming is a link and then a button


def test_make_lists_development_secret_is_readable_by_its_owner_alone(tmp_path):
    import os
    import stat
    import subprocess
    import sys

    shutil.copy(Path(__file__).parent.parent / "Makefile", tmp_path / "Makefile")
    make = ["make", "-s", "list-secret", f"PYTHON={sys.executable}"]
    subprocess.run(make, cwd=tmp_path, check=True, capture_output=True, timeout=60)
    secret = tmp_path / ".tipweek" / "list-secret"
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(secret.parent).st_mode) == 0o700  # the list's database and ledgers go there
    made = secret.read_text().strip()
    assert len(made) >= 43
    secret.chmod(0o644)  # one made by an older Makefile
    secret.parent.chmod(0o755)
    subprocess.run(make, cwd=tmp_path, check=True, capture_output=True, timeout=60)
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600 and secret.read_text().strip() == made
    assert stat.S_IMODE(os.stat(secret.parent).st_mode) == 0o700


def test_make_list_stops_the_preview_and_fails_when_the_service_cannot_start(tmp_path):
    """`make list` with a webhook token too short for the service: make ends, non-zero, with the
    service's own message, and leaves no preview serving a form that posts to a dead port."""
    import os
    import signal
    import subprocess
    import sys

    project = tmp_path / "proj"
    shutil.copytree(FIXTURES / "library", project)  # a real project: the preview would run for ever
    shutil.copy(Path(__file__).parent.parent / "Makefile", project / "Makefile")
    (project / ".venv").symlink_to(Path(sys.executable).parent.parent)  # the venv these tests run in
    env = {**os.environ, "TIPWEEK_LIST_SECRET": SECRET, "TIPWEEK_WEBHOOK_TOKEN": "too-short"}
    make = subprocess.Popen(["make", "-o", ".venv/.installed", "list", f"PYTHON={sys.executable}"], cwd=project,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        output = make.communicate(timeout=60)[0]  # (a bound, not a timing: on failure it would serve for ever)
    finally:
        try:
            os.killpg(make.pid, signal.SIGKILL)  # whatever is left of it, not this test's business to keep
            left = True
        except ProcessLookupError:
            left = False
    assert make.returncode != 0, output
    assert "TIPWEEK_WEBHOOK_TOKEN is shorter than 16 characters" in output
    assert "No such process" not in output
    assert not left, f"processes of make list were still running:\n{output}"
