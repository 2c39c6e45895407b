"""`tipweek send`: one personal message per subscriber, at most once a week,
against real local servers (a Maildir outbox, aiosmtpd and raw TCP servers on
127.0.0.1), as the user sees it: what arrives, the summary, the exit code and
the ledger."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import TODAY
from smtp_servers import (WAIT, Authenticator, BlockingHandler, FaultyHandler, RawServer)

WEEK = "2026-W47"  # the week of the tip of 2026-11-17
TITLE = "Own the mistake"
SUBJECT = f"Tip of the week: {TITLE}"
SENDER = "tips@example.org"
TIPWEEK = Path(sys.executable).parent / "tipweek"

PEOPLE = [("ana@example.org", "Ana Lima"), ("bob@example.org", "Bob Okafor"), ("cy@example.org", "Cy Young")]


# ------------------------------------------------------------------ set-up

pytestmark = pytest.mark.usefixtures("only_loopback")  # conftest: nothing in these tests may reach past 127.0.0.1


@pytest.fixture(autouse=True)
def no_password_from_outside(monkeypatch):
    monkeypatch.delenv("TIPWEEK_SMTP_PASSWORD", raising=False)


@pytest.fixture
def raw_server():
    servers: list[RawServer] = []

    def start(greeting: bytes | None) -> RawServer:
        servers.append(RawServer(greeting))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def subscribers(project: Path, people=PEOPLE, name="subscribers.csv") -> Path:
    path = project / name
    path.write_text("email,name\n" + "".join(f"{a},{n}\n" for a, n in people), "utf-8")
    return path


def via(server, *extra: str, timeout: float = 10.0) -> tuple[str, ...]:
    """SMTP options for the tests: no waits between rounds; a timeout that a
    busy machine never reaches, unless the test waits for a silent server."""
    return ("--smtp", server.address, "--backoff", "0", "--timeout", str(timeout), *extra)


def summary(result) -> str:
    return result.stdout.splitlines()[-1]


CONNECTIONS = pytest.mark.parametrize("connections", [1, 4], ids=["1 connection", "4 connections"])


def message_ids(handler, address: str) -> set[str]:
    """The distinct Message-IDs of every copy the server took for ``address``."""
    return {r.message["Message-ID"] for r in handler.received if address.lower() in map(str.lower, r.rcpt_tos)}


def unsubscribe_url(address: str) -> str:
    return "https://tips.example.org/unsubscribe?email=" + quote(address, safe="")


def rerun_delivers_everyone_once(tipweek, csv: Path, good, connections: int = 4) -> None:
    """After a run that could not reach its server, the same command against a
    working one mails every subscriber exactly once."""
    second = tipweek("send", "--subscribers", str(csv), *via(good, "--connections", str(connections)))
    assert second.exit_code == 0, second.output
    assert summary(second) == "sent 3, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert sorted(good.handler.recipients()) == sorted(a for a, _ in PEOPLE)


def ledger_path(project: Path) -> Path:
    return project / ".tipweek" / "ledger" / f"{WEEK}.jsonl"


def ledger(project: Path) -> dict[str, list[str]]:
    """address -> its statuses in the ledger, in order."""
    path = ledger_path(project)
    found: dict[str, list[str]] = {}
    if path.exists():
        for line in path.read_text("utf-8").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            found.setdefault(entry["email"], []).append(entry["status"])
    return found


def outbox(folder: Path) -> list[EmailMessage]:
    parse = BytesParser(policy=policy.default).parse
    messages = []
    for path in sorted((folder / "new").iterdir()):
        with path.open("rb") as handle:
            messages.append(parse(handle))
    return messages


def by_recipient(messages: list[EmailMessage]) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for msg in messages:
        found.setdefault(msg["To"].addresses[0].addr_spec, []).append(msg)
    return found


def assert_personal(msg: EmailMessage, address: str, name: str, others=()) -> None:
    """The message is this subscriber's: their name and address, their own
    unsubscribe link (header and body), their greeting."""
    to = msg["To"].addresses
    assert [(a.display_name, a.addr_spec) for a in to] == [(name, address)]
    assert msg["Subject"] == SUBJECT
    assert msg["From"].addresses[0].addr_spec == SENDER
    url = unsubscribe_url(address)
    assert f"<{url}>" in msg["List-Unsubscribe"]
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert f'href="{url}"' in html and url in text
    assert f">Hello {name},</p>" in html and f"Hello {name}," in text
    for other in others:
        assert quote(other, safe="") not in msg.as_string()


# ------------------------------------------------------------------ the outbox

def test_outbox_gets_one_personal_message_per_subscriber(tipweek, project):
    people = [("ana@example.org", "Ana Lima"), ("jose+tips@example.org", "José Álvarez"),
              ("cy@example.org", "Cy Young")]
    csv = subscribers(project, people)
    (project / "unsubscribed.txt").write_text("CY@example.org\n")
    box = project / "outbox"
    args = ("send", "--subscribers", str(csv), "--unsubscribed", str(project / "unsubscribed.txt"),
            "--outbox", str(box))

    result = tipweek(*args)

    assert result.exit_code == 0, result.output
    assert summary(result) == "sent 2, skipped 1 unsubscribed, 0 invalid, 0 failed"
    got = by_recipient(outbox(box))
    assert sorted(got) == ["ana@example.org", "jose+tips@example.org"]
    assert_personal(got["ana@example.org"][0], "ana@example.org", "Ana Lima", others=["jose+tips@example.org"])
    assert_personal(got["jose+tips@example.org"][0], "jose+tips@example.org", "José Álvarez",
                    others=["ana@example.org"])
    assert "jose%2Btips%40example.org" in got["jose+tips@example.org"][0]["List-Unsubscribe"]
    assert ledger(project) == {"ana@example.org": ["attempt", "sent"],
                               "jose+tips@example.org": ["attempt", "sent"]}

    again = tipweek(*args)

    assert again.exit_code == 0, again.output
    assert summary(again) == "sent 0, 2 already sent earlier, skipped 1 unsubscribed, 0 invalid, 0 failed"
    assert len(outbox(box)) == 2


# ------------------------------------------------------------------ the list

@pytest.mark.parametrize("text, found", [
    ("address,name\nana@example.org,Ana Lima\n", "found: address, name"),
    ("ana@example.org,Ana Lima\nbob@example.org,Bob\n", "found: ana lima, ana@example.org"),
    ("", "found: nothing"),
], ids=["no email column", "no header row", "empty file"])
def test_a_list_without_its_header_row_is_refused(tipweek, project, text, found):
    csv = project / "subscribers.csv"
    csv.write_text(text)

    result = tipweek("send", "--subscribers", str(csv), "--outbox", str(project / "outbox"))

    assert result.exit_code == 2, result.output
    assert f"{csv}:1: the header row must name an 'email' (or 'email address') column (and may name 'name') ({found})" in result.output
    assert not (project / "outbox").exists()
    assert not (project / ".tipweek/outbox").exists() and not (project / ".tipweek/ledger").exists()


def test_messy_list_extra_columns_duplicates_invalid_and_unsubscribed(tipweek, project):
    # Excel-style: a byte order mark, CRLF, columns in another order, capitalised, and more of them.
    rows = ["Name,Email,Plan,Joined",           # 1
            "Ana Lima,ana@example.org,gold,2025",  # 2
            "Bob,bob@,silver,2026",                # 3 invalid
            '"Lima, Ana",ANA@Example.org,gold,2026',  # 4 the same address again
            "Dee,dee@example.org,,",               # 5
            "Eve,,gold,2026",                      # 6 no address
            "Fay,fay@example.org,gold,2026",       # 7 unsubscribed
            "Gus,gus at example.org,gold,2026",    # 8 invalid
            "Hal,hal@example.org"]                 # 9 a short row
    csv = project / "subscribers.csv"
    csv.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode() + b"\r\n")
    unsubscribed = project / "unsubscribed.csv"
    unsubscribed.write_text("email,reason\nFAY@EXAMPLE.ORG,left in October\n")
    box = project / "outbox"

    result = tipweek("send", "--subscribers", str(csv), "--unsubscribed", str(unsubscribed), "--outbox", str(box))

    assert result.exit_code == 0, result.output
    for line, address in [(3, "bob@"), (6, ""), (8, "gus at example.org")]:
        assert f"{csv}:{line}: invalid address {address!r}; skipped" in result.stderr
    assert summary(result) == "sent 3, skipped 1 unsubscribed, 1 duplicate, 3 invalid, 0 failed"
    got = by_recipient(outbox(box))
    assert {a: len(m) for a, m in got.items()} == {"ana@example.org": 1, "dee@example.org": 1,
                                                   "hal@example.org": 1}
    assert_personal(got["ana@example.org"][0], "ana@example.org", "Ana Lima")  # the first row wins
    assert_personal(got["hal@example.org"][0], "hal@example.org", "Hal")


def test_an_email_column_alone_is_a_list(tipweek, project):
    """The same file `tipweek list import` takes: a name is optional everywhere."""
    csv = project / "subscribers.csv"
    csv.write_text("Email\nana@example.org\nbob@example.org\n")
    box = project / "outbox"

    result = tipweek("send", "--subscribers", str(csv), "--outbox", str(box))

    assert result.exit_code == 0, result.output
    assert summary(result) == "sent 2, skipped 0 unsubscribed, 0 invalid, 0 failed"
    got = by_recipient(outbox(box))
    assert sorted(got) == ["ana@example.org", "bob@example.org"]
    assert got["ana@example.org"][0]["To"].addresses[0].display_name == ""


FOUR = [("ana@example.org", "Ana"), ("bob@example.org", "Bob"), ("fay@example.org", "Fay"),
        ("hal@example.org", "Hal")]


def test_an_unsubscribed_export_from_a_newsletter_tool(tipweek, project):
    """Mailchimp's way: an 'Email Address' column, quoted cells with commas and quotes in them,
    and other columns that hold addresses too: only the email column says who left."""
    subscribers(project, FOUR)
    unsubscribed = project / "unsubscribed.csv"
    unsubscribed.write_text('"Email Address","Name","Reason","Referred by"\r\n'
                            '"FAY@Example.org","Lee, Fay","""Too many"", she said, by phone","ana@example.org"\r\n'
                            '"hal@example.org","Hal, the other one","",""\r\n', "utf-8")
    box = project / "outbox"

    result = tipweek("send", "--subscribers", str(project / "subscribers.csv"), "--unsubscribed", str(unsubscribed),
                     "--outbox", str(box))

    assert result.exit_code == 0, result.output
    assert summary(result) == "sent 2, skipped 2 unsubscribed, 0 invalid, 0 failed"
    assert sorted(by_recipient(outbox(box))) == ["ana@example.org", "bob@example.org"]


def test_an_unsubscribed_list_of_one_address_per_line(tipweek, project):
    subscribers(project, FOUR)
    unsubscribed = project / "unsubscribed.txt"
    unsubscribed.write_bytes(b"\xef\xbb\xbf Fay@Example.org \r\n\r\nhal@example.org\r\n")  # as Notepad saves it
    box = project / "outbox"

    result = tipweek("send", "--subscribers", str(project / "subscribers.csv"), "--unsubscribed", str(unsubscribed),
                     "--outbox", str(box))

    assert result.exit_code == 0, result.output
    assert summary(result) == "sent 2, skipped 2 unsubscribed, 0 invalid, 0 failed"
    assert sorted(by_recipient(outbox(box))) == ["ana@example.org", "bob@example.org"]


@pytest.mark.parametrize("text, error", [
    ("fay@example.org\nhal at example.org\n",
     "{path}:2: 'hal at example.org' is not an address (An email address must have an @-sign): the unsubscribed "
     "list takes one address per line, or a CSV whose header row names an 'email' column"),
    ("email,reason\nfay@example.org,left\n\"hal@example.org, Hal\",left\n",
     "{path}:3: 'hal@example.org, Hal' is not an address"),
    ("Address,Reason\nfay@example.org,left\n",
     "{path}:1: the header row must name an 'email' (or 'email address') column (and may name 'name') "
     "(found: address, reason)"),
], ids=["plain list", "csv", "csv without an email column"])
def test_an_unsubscribed_list_with_a_line_that_is_no_address_stops_the_send(tipweek, project, text, error):
    """Such a line could be someone who asked to leave: the send stops before anything goes out."""
    subscribers(project, FOUR)
    unsubscribed = project / "unsubscribed.txt"
    unsubscribed.write_text(text)
    box = project / "outbox"

    result = tipweek("send", "--subscribers", str(project / "subscribers.csv"), "--unsubscribed", str(unsubscribed),
                     "--outbox", str(box))

    assert result.exit_code == 2, result.output
    assert error.format(path=unsubscribed) in result.output
    assert not box.exists() and not (project / ".tipweek/ledger").exists()


def test_a_list_read_in_batches_still_mails_each_address_once(tipweek, project, monkeypatch):
    """The CSV is read a few rows at a time as the run goes: a duplicate far from its first row,
    and a rerun after part of the list went out, still mail each address once."""
    monkeypatch.setattr("tipweek.sending.recipients.BATCH", 2)
    people = [(f"reader{i}@example.org", f"Reader {i}") for i in range(7)] + [("READER1@example.org", "Again")]
    csv = subscribers(project, people)
    box = project / "outbox"
    ledger_path(project).parent.mkdir(parents=True)
    ledger_path(project).write_text("".join(json.dumps({"email": f"reader{i}@example.org", "status": "sent"}) + "\n"
                                            for i in (0, 5)))

    result = tipweek("send", "--subscribers", str(csv), "--outbox", str(box))

    assert result.exit_code == 0, result.output
    assert summary(result) == "sent 5, 2 already sent earlier, skipped 0 unsubscribed, 1 duplicate, 0 invalid, 0 failed"
    assert sorted(by_recipient(outbox(box))) == [f"reader{i}@example.org" for i in (1, 2, 3, 4, 6)]


# ------------------------------------------------------------------ dry run

def test_dry_run_lists_who_would_get_what_and_sends_nothing(tipweek, project, smtp):
    server = smtp()
    csv = subscribers(project)
    (project / "unsubscribed.txt").write_text("bob@example.org\n")

    for transport in (via(server), ()):  # through the server, and into the default outbox
        result = tipweek("send", "--subscribers", str(csv), "--unsubscribed", str(project / "unsubscribed.txt"),
                         "--dry-run", *transport)

        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == [
            f"would send {WEEK} '{TITLE}' to Ana Lima <ana@example.org>",
            f"would send {WEEK} '{TITLE}' to Cy Young <cy@example.org>",
            "would send 2, skipped 1 unsubscribed, 0 invalid, 0 failed",
        ]
    assert server.handler.received == []
    assert not (project / ".tipweek/outbox").exists() and not (project / ".tipweek/ledger").exists()


def test_dry_run_after_a_partial_run_lists_only_who_is_left(tipweek, project):
    box = project / "outbox"
    first = tipweek("send", "--subscribers", str(subscribers(project, PEOPLE[:2])), "--outbox", str(box))
    assert first.exit_code == 0, first.output
    more = PEOPLE + [("dee@example.org", "Dee")]
    csv = subscribers(project, more)

    dry = tipweek("send", "--subscribers", str(csv), "--outbox", str(box), "--dry-run")

    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == [
        f"would send {WEEK} '{TITLE}' to Cy Young <cy@example.org>",
        f"would send {WEEK} '{TITLE}' to Dee <dee@example.org>",
        "would send 2, 2 already sent earlier, skipped 0 unsubscribed, 0 invalid, 0 failed",
    ]
    assert len(outbox(box)) == 2

    real = tipweek("send", "--subscribers", str(csv), "--outbox", str(box))

    assert summary(real) == "sent 2, 2 already sent earlier, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert sorted(by_recipient(outbox(box))) == sorted(a for a, _ in more)


# ------------------------------------------------------------------ SMTP

def test_smtp_delivers_one_message_per_subscriber_and_a_rerun_sends_nothing(tipweek, project, smtp):
    server = smtp()
    csv = subscribers(project)

    result = tipweek("send", "--subscribers", str(csv), *via(server))

    assert result.exit_code == 0, result.output
    assert summary(result) == "sent 3, skipped 0 unsubscribed, 0 invalid, 0 failed"
    received = server.handler.received
    assert sorted(server.handler.recipients()) == sorted(a for a, _ in PEOPLE)
    for got in received:
        assert got.rcpt_tos == [got.to]  # the envelope goes where the To header says
        assert got.mail_from == SENDER
    for address, name in PEOPLE:
        [msg] = [r.message for r in received if r.to == address]
        assert_personal(msg, address, name, others=[a for a, _ in PEOPLE if a != address])

    again = tipweek("send", "--subscribers", str(csv), *via(server))

    assert again.exit_code == 0, again.output
    assert summary(again) == "sent 0, 3 already sent earlier, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert len(server.handler.received) == 3


@CONNECTIONS
def test_faults_from_the_issue_drop_451_and_550(tipweek, project, smtp, connections):
    """Drop after 2 messages, 451 once for one address, 550 always for another:
    the 451 is retried in the same run, the 550 is a hard bounce that makes
    this run exit 1 and is suppressed from then on, and after a second run
    every good address has exactly one message."""
    good = ["a@example.org", "b@example.org", "c@example.org", "slow@example.org", "d@example.org"]
    people = [(a, a.split("@")[0].title()) for a in good[:4]] + [("gone@example.org", "Gone"), ("d@example.org", "D")]
    handler = FaultyHandler(drop_after=2,
                            temporary={"slow@example.org": "451 4.3.0 greylisted, try again"},
                            permanent={"gone@example.org": "550 5.1.1 <gone@example.org>: no such mailbox"})
    server = smtp(handler)
    csv = subscribers(project, people)
    args = ("send", "--subscribers", str(csv), *via(server, "--connections", str(connections)))

    first = tipweek(*args)

    assert first.exit_code == 1, first.output
    assert handler.drops == 1
    assert ("failed: gone@example.org: 550 5.1.1 <gone@example.org>: no such mailbox; suppressed from now on"
            in first.stderr)
    assert summary(first) == "sent 5, skipped 0 unsubscribed, 0 invalid, 1 failed"
    assert [reply[:3] for address, reply in handler.rcpt_log if address == "slow@example.org"] == ["451", "250"]
    assert {a: handler.count(a) for a in good} == dict.fromkeys(good, 1)
    for got in handler.received:
        assert got.rcpt_tos == [got.to]
    # (With several connections the drop may fall on gone's connection first: a failed try, then the bounce.)
    assert ledger(project)["gone@example.org"] in (["attempt", "bounced"], ["attempt", "failed", "attempt", "bounced"])
    suppressed = (project / ".tipweek" / "ledger" / "suppressed.txt").read_text()
    assert f"gone@example.org\t{WEEK}\t550 5.1.1 <gone@example.org>: no such mailbox\n" in suppressed

    handler.faulting = False  # the server is well again; the mailbox still does not exist
    second = tipweek(*args)

    assert second.exit_code == 0, second.output  # nothing new failed
    assert summary(second) == "sent 0, 5 already sent earlier, skipped 0 unsubscribed, 1 suppressed, 0 invalid, 0 failed"
    assert [a for a, _ in handler.rcpt_log].count("gone@example.org") == 1  # not tried again
    assert {a: handler.count(a) for a in good} == dict.fromkeys(good, 1)
    assert handler.count("gone@example.org") == 0
    assert len(handler.received) == len(good)


def test_a_hard_bounce_is_suppressed_in_later_weeks_until_lifted(tipweek, project, smtp):
    handler = FaultyHandler(permanent={"bob@example.org": "550 5.1.1 no such mailbox"})
    server = smtp(handler)
    csv = subscribers(project)

    first = tipweek("send", "--subscribers", str(csv), *via(server))
    assert first.exit_code == 1, first.output

    next_week = tipweek("send", "--subscribers", str(csv), *via(server), "--today", "2026-11-29")

    assert next_week.exit_code == 0, next_week.output
    assert summary(next_week) == "sent 2, skipped 0 unsubscribed, 1 suppressed, 0 invalid, 0 failed"
    assert [a for a, _ in handler.rcpt_log].count("bob@example.org") == 1

    lifted = tipweek("send", "--unsuppress", "Bob@example.org")

    assert lifted.exit_code == 0, lifted.output
    assert lifted.stdout == "Bob@example.org is no longer suppressed; the next run mails it\n"
    again = tipweek("send", "--unsuppress", "bob@example.org")
    assert again.exit_code == 1
    assert "error: bob@example.org is not in the suppression list" in again.stderr

    handler.permanent.clear()  # the operator fixed the mailbox
    resumed = tipweek("send", "--subscribers", str(csv), *via(server))

    assert resumed.exit_code == 0, resumed.output
    assert summary(resumed) == "sent 1, 2 already sent earlier, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert handler.count("bob@example.org") == 1


def test_452_too_many_recipients_is_retried_and_delivered_once(tipweek, project, smtp):
    handler = FaultyHandler(temporary={"bob@example.org": "452 4.5.3 Too many recipients"})
    server = smtp(handler)

    result = tipweek("send", "--subscribers", str(subscribers(project)), *via(server))

    assert result.exit_code == 0, result.output
    assert summary(result) == "sent 3, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert [r[:3] for a, r in handler.rcpt_log if a == "bob@example.org"] == ["452", "250"]
    assert {a: handler.count(a) for a, _ in PEOPLE} == dict.fromkeys((a for a, _ in PEOPLE), 1)


@CONNECTIONS
@pytest.mark.parametrize("fault, reason", [
    ("drop", "smtp {server} dropped the connection after the message was sent"),
    ("stall", "no answer from smtp {server} within 1.5 s after the message was sent"),
])
def test_a_message_whose_answer_is_lost_is_uncertain_until_retried(tipweek, project, smtp, fault, reason,
                                                                   connections):
    """The server took Bob's message, then hung up (or went quiet) before its
    "250": it may well have been delivered, so no run sends it again unless
    asked to, and then with the Message-ID of the first copy."""
    handler = FaultyHandler(lose_answer={"bob@example.org": fault})
    server = smtp(handler)
    csv = subscribers(project)
    args = ("send", "--subscribers", str(csv), *via(server, "--connections", str(connections)))

    first = tipweek(*args, "--timeout", "1.5")  # the last --timeout counts

    assert first.exit_code == 1, first.output
    assert f"uncertain: bob@example.org: {reason.format(server=server.address)}; not sent again" in first.stderr
    assert summary(first) == "sent 2, skipped 0 unsubscribed, 0 invalid, 1 uncertain, 0 failed"
    assert ledger(project)["bob@example.org"] == ["attempt", "uncertain"]

    handler.faulting = False
    handler.release.set()
    second = tipweek(*args)

    assert second.exit_code == 0, second.output  # nothing new: the first run reported it
    assert "uncertain since an earlier run, not sent again: bob@example.org" in second.stderr
    assert summary(second) == ("sent 0, 2 already sent earlier, skipped 0 unsubscribed, 0 invalid, "
                               "1 uncertain earlier, 0 failed")
    assert handler.count("bob@example.org") == 1

    retry = tipweek(*args, "--retry-uncertain")

    assert retry.exit_code == 0, retry.output
    assert ("sending again to 1 uncertain address, with the Message-ID of the first try: bob@example.org"
            in retry.stderr)
    assert summary(retry) == "sent 1, 2 already sent earlier, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert handler.count("bob@example.org") == 2
    assert len(message_ids(handler, "bob@example.org")) == 1  # the same message, twice
    assert {a: handler.count(a) for a, _ in PEOPLE if a != "bob@example.org"} == {"ana@example.org": 1,
                                                                                  "cy@example.org": 1}
    after = tipweek(*args, "--retry-uncertain")
    assert summary(after) == "sent 0, 3 already sent earlier, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert len(handler.received) == 4


# ------------------------------------------------------------------ server faults

@CONNECTIONS
def test_a_server_that_never_answers_times_out_and_a_rerun_completes(tipweek, project, smtp, raw_server,
                                                                     connections):
    silent = raw_server(None)
    csv = subscribers(project)

    first = tipweek("send", "--subscribers", str(csv), *via(silent, "--retries", "1", "--connections",
                                                             str(connections), timeout=1.5))

    assert first.exit_code == 2, first.output
    assert f"error: no answer from smtp {silent.address} within 1.5 s" in first.stderr
    assert "run the same command again to resume" in first.stderr
    assert silent.connections == 2  # one per try, not one per try and subscriber or connection
    assert summary(first) == "sent 0, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert not any("sent" in statuses for statuses in ledger(project).values())

    rerun_delivers_everyone_once(tipweek, csv, smtp(), connections)


@CONNECTIONS
def test_421_on_connect_is_temporary_and_a_rerun_completes(tipweek, project, smtp, raw_server, connections):
    busy = raw_server(b"421 4.3.2 smtp.test busy, try again later\r\n")
    csv = subscribers(project)

    first = tipweek("send", "--subscribers", str(csv), *via(busy, "--retries", "2", "--connections",
                                                           str(connections)))

    assert first.exit_code == 2, first.output
    assert f"error: smtp {busy.address} is busy: 421 4.3.2 smtp.test busy, try again later" in first.stderr
    assert "run the same command again to resume" in first.stderr
    assert busy.connections == 3

    rerun_delivers_everyone_once(tipweek, csv, smtp(), connections)


def test_a_refused_login_stops_the_run_and_names_the_login(tipweek, project, smtp, monkeypatch):
    auth = Authenticator("tips", "the-right-one")
    server = smtp(auth_require_tls=False, authenticator=auth)
    csv = subscribers(project)
    monkeypatch.setenv("TIPWEEK_SMTP_PASSWORD", "not-the-password-42")

    first = tipweek("send", "--subscribers", str(csv), *via(server, "--user", "tips"))

    assert first.exit_code == 2, first.output
    assert (f"error: smtp {server.address} refused the login for tips: 535 5.7.8 "
            "Authentication credentials invalid") in first.stderr
    assert "not-the-password-42" not in first.output
    assert auth.tries and {t[1:] for t in auth.tries} == {("tips", "not-the-password-42")}
    assert server.handler.received == []

    monkeypatch.setenv("TIPWEEK_SMTP_PASSWORD", "the-right-one")
    second = tipweek("send", "--subscribers", str(csv), *via(server, "--user", "tips"))

    assert second.exit_code == 0, second.output
    assert sorted(server.handler.recipients()) == sorted(a for a, _ in PEOPLE)


def test_starttls_requested_but_not_offered_stops_the_run(tipweek, project, smtp, monkeypatch):
    server = smtp()  # no TLS context: no STARTTLS in its EHLO answer
    monkeypatch.setenv("TIPWEEK_SMTP_PASSWORD", "hunter2-secret")

    result = tipweek("send", "--subscribers", str(subscribers(project)), *via(server, "--starttls", "--user", "tips"))

    assert result.exit_code == 2, result.output
    assert f"error: smtp {server.address} does not offer STARTTLS" in result.stderr
    assert "hunter2-secret" not in result.output
    assert server.handler.received == []


# ------------------------------------------------------------------ the password

def test_the_password_comes_only_from_the_environment(tipweek, project, smtp, monkeypatch):
    auth = Authenticator("tips", "correct horse battery staple")
    server = smtp(auth_require_tls=False, authenticator=auth)
    csv = subscribers(project)

    flag = tipweek("send", "--subscribers", str(csv), *via(server, "--user", "tips", "--password", "x"))
    assert flag.exit_code == 2 and "No such option '--password'" in flag.output

    unset = tipweek("send", "--subscribers", str(csv), *via(server, "--user", "tips"))
    assert unset.exit_code == 2, unset.output
    assert "--user is set but TIPWEEK_SMTP_PASSWORD is not" in unset.stderr
    assert auth.tries == [] and server.handler.received == [] and ledger(project) == {}

    monkeypatch.setenv("TIPWEEK_SMTP_PASSWORD", "correct horse battery staple")
    result = tipweek("send", "--subscribers", str(csv), *via(server, "--user", "tips"))

    assert result.exit_code == 0, result.output
    # One login per connection used (the first goes alone, then more join).
    assert {t[1:] for t in auth.tries} == {("tips", "correct horse battery staple")} and len(auth.tries) <= 3
    assert sorted(server.handler.recipients()) == sorted(a for a, _ in PEOPLE)
    assert "correct horse" not in result.output


def test_no_login_in_clear_text_to_another_machine(tipweek, project, monkeypatch, only_loopback):
    monkeypatch.setenv("TIPWEEK_SMTP_PASSWORD", "s3cr3t-value")

    result = tipweek("send", "--subscribers", str(subscribers(project)),
                     "--smtp", "smtp.example.org:587", "--user", "tips")

    assert result.exit_code == 2, result.output
    assert "without --starttls" in result.stderr and "smtp.example.org" in result.stderr
    assert "s3cr3t-value" not in result.output
    assert only_loopback == []  # refused before any connection
    assert ledger(project) == {}


# ------------------------------------------------------------------ the ledger and its lock

def test_a_second_run_for_the_same_week_refuses(tipweek, project, smtp):
    server = smtp()
    csv = subscribers(project)
    lock_path = project / ".tipweek" / "ledger" / f"{WEEK}.lock"
    lock_path.parent.mkdir(parents=True)

    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the other run
        blocked = tipweek("send", "--subscribers", str(csv), *via(server))
        fcntl.flock(lock, fcntl.LOCK_UN)

    assert blocked.exit_code == 2, blocked.output
    assert "another 'tipweek send' for this week is running" in blocked.stderr
    assert server.handler.received == [] and ledger(project) == {}

    after = tipweek("send", "--subscribers", str(csv), *via(server))

    assert after.exit_code == 0, after.output
    assert sorted(server.handler.recipients()) == sorted(a for a, _ in PEOPLE)


def test_the_ledger_is_read_once_the_lock_is_held(tipweek, project, smtp, monkeypatch):
    """A run waiting for the lock must see what the run before it recorded."""
    server = smtp()
    csv = subscribers(project)
    real_flock = fcntl.flock
    finished = []

    def flock(handle, operation):
        if operation & fcntl.LOCK_EX and not finished:
            # The run that held the lock mails everyone and records it just before letting go.
            with open(ledger_path(project), "a") as out:
                for address, _ in PEOPLE:
                    for status in ("attempt", "sent"):
                        out.write(json.dumps({"email": address, "status": status}) + "\n")
            finished.append(True)
        return real_flock(handle, operation)

    monkeypatch.setattr(fcntl, "flock", flock)
    result = tipweek("send", "--subscribers", str(csv), *via(server))

    assert finished
    assert result.exit_code == 0, result.output
    assert summary(result) == "sent 0, 3 already sent earlier, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert server.handler.received == []


# ------------------------------------------------------------------ kill -9

def start_send(project: Path, csv: Path, server, connections: int = 1) -> subprocess.Popen:
    """`tipweek send` as its own process, with a timeout far longer than the test."""
    env = {k: v for k, v in os.environ.items() if k != "TIPWEEK_SMTP_PASSWORD"}
    env["TIPWEEK_TODAY"] = TODAY
    return subprocess.Popen(
        [str(TIPWEEK), "send", "--subscribers", str(csv), "--smtp", server.address, "--backoff", "0",
         "--timeout", str(WAIT * 2), "--connections", str(connections), "-f", str(project / "mkdocs.yml")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def kill_while_blocked(proc: subprocess.Popen, handler: BlockingHandler) -> None:
    try:
        assert handler.blocking.wait(WAIT), "the run never reached the blocked message"
        assert proc.poll() is None, proc.communicate()
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=WAIT)
        assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        handler.release.set()


FIVE = [(f"{c}@example.org", c.upper()) for c in "abcde"]
TEN = [(f"{c}@example.org", c.upper()) for c in "abcdefghij"]


@CONNECTIONS
@pytest.mark.parametrize("where", ["DATA", "MAIL"])
def test_kill_9_mid_run_then_rerun_and_retry_mail_everyone_once(tipweek, project, smtp, where, connections):
    """From the 3rd message on the server holds every message in flight, one
    per connection, when the process is killed: held after its data (the
    server has it, the "250" never left) or at its MAIL command (the server
    has nothing). Either way the ledger says "attempt" with no outcome: the
    re-run reports those uncertain and sends them no second copy; then
    --retry-uncertain sends them the same message (same Message-ID) again."""
    handler = BlockingHandler(block_at=3, where=where, holds=connections)
    server = smtp(handler)
    csv = subscribers(project, TEN)

    kill_while_blocked(start_send(project, csv, server, connections), handler)

    statuses = ledger(project)
    sent = sorted(a for a, s in statuses.items() if s == ["attempt", "sent"])
    in_flight = sorted(a for a, s in statuses.items() if s == ["attempt"])
    assert len(sent) == 2 and len(in_flight) == connections and len(statuses) == 2 + connections
    taken = sent + in_flight if where == "DATA" else sent
    assert sorted(handler.recipients()) == taken  # nothing the ledger cannot account for

    rerun = tipweek("send", "--subscribers", str(csv), *via(server, "--connections", str(connections)))

    assert rerun.exit_code == 1, rerun.output
    for address in in_flight:
        assert f"uncertain: {address}: a run stopped while sending to it; not sent again" in rerun.stderr
    assert summary(rerun) == (f"sent {8 - connections}, 2 already sent earlier, skipped 0 unsubscribed, "
                              f"0 invalid, {connections} uncertain, 0 failed")
    assert all(handler.count(a) == 0 for a in in_flight) or where == "DATA"

    retry = tipweek("send", "--subscribers", str(csv), *via(server, "--connections", str(connections)),
                    "--retry-uncertain")

    assert retry.exit_code == 0, retry.output
    assert f"sending again to {connections} uncertain address" in retry.stderr
    assert summary(retry) == (f"sent {connections}, {10 - connections} already sent earlier, "
                              "skipped 0 unsubscribed, 0 invalid, 0 failed")
    for address, _ in TEN:
        assert len(message_ids(handler, address)) == 1, address  # one message each, whatever the copies
        copies = 2 if where == "DATA" and address in in_flight else 1
        assert handler.count(address) == copies, address
    for address, entries in ledger(project).items():
        assert entries[-2:] == ["attempt", "sent"], address


def test_kill_9_after_a_ledger_line_cut_by_an_earlier_crash(tipweek, project, smtp):
    """An earlier crash cut the ledger's last line. The next run's "attempt"
    must still be on a line of its own, or a kill during that message would
    lose it and the re-run would send the message again."""
    path = ledger_path(project)
    path.parent.mkdir(parents=True)
    path.write_text('{"email": "zed@example.org", "status": "attempt"}\n{"email": "zed@example.org", "sta')
    handler = BlockingHandler(block_at=1, where="DATA")
    server = smtp(handler)
    csv = subscribers(project, FIVE[:2])

    kill_while_blocked(start_send(project, csv, server), handler)
    assert handler.recipients() == ["a@example.org"]

    rerun = tipweek("send", "--subscribers", str(csv), *via(server))

    assert "uncertain: a@example.org" in rerun.stderr
    assert summary(rerun) == "sent 1, skipped 0 unsubscribed, 0 invalid, 1 uncertain, 0 failed"
    assert handler.recipients() == ["a@example.org", "b@example.org"]


# ------------------------------------------------------------------ the week's status

def test_status_shows_each_address_where_it_stands(tipweek, project, smtp):
    people = PEOPLE + [("gone@example.org", "Gone"), ("late@example.org", "Late")]
    handler = FaultyHandler(lose_answer={"bob@example.org": "drop"},
                            permanent={"gone@example.org": "550 5.1.1 no such mailbox"})
    server = smtp(handler)
    first = tipweek("send", "--subscribers", str(subscribers(project, people[:4])),
                    *via(server, "--connections", "1"))
    assert first.exit_code == 1, first.output
    csv = subscribers(project, people)

    text = tipweek("send", "--status", "--subscribers", str(csv))

    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0] == f"{WEEK} '{TITLE}' (ledger {ledger_path(project)})"
    assert lines[1:4] == ["delivered     2", "  ana@example.org", "  cy@example.org"]
    assert lines[4] == "failed        0"
    assert lines[5].startswith("uncertain     1  (may have arrived; 'tipweek send --retry-uncertain' sends again)")
    assert lines[6] == f"  bob@example.org: smtp {server.address} dropped the connection after the message was sent"
    assert lines[7].startswith("suppressed    1  (hard bounces, all weeks: ")
    assert lines[7].endswith("; 'tipweek send --unsuppress ADDRESS' lifts one)")
    assert lines[8] == f"  gone@example.org: 550 5.1.1 no such mailbox ({WEEK})"
    assert lines[9:] == ["not yet tried 1", "  late@example.org"]

    data = json.loads(tipweek("send", "--status", "--json", "--subscribers", str(csv)).stdout)

    assert data["week"] == WEEK and data["delivered"] == ["ana@example.org", "cy@example.org"]
    assert data["uncertain"] == [{"email": "bob@example.org", "reason": lines[6].split(": ", 1)[1]}]
    assert data["suppressed"] == [{"email": "gone@example.org", "week": WEEK, "reason": "550 5.1.1 no such mailbox"}]
    assert data["failed"] == [] and data["not_yet_tried"] == ["late@example.org"]
    assert len(handler.received) == 3  # --status sends nothing

    without_list = json.loads(tipweek("send", "--status", "--json").stdout)
    assert without_list["not_yet_tried"] is None and without_list["delivered"] == data["delivered"]
    hint = tipweek("send", "--status").stdout.splitlines()[-1]
    assert hint == "not yet tried ?  (give --subscribers FILE or --list DB_URL to compare with the list)"


def test_status_shows_the_servers_answer_for_a_failure(tipweek, project, smtp):
    handler = FaultyHandler(temporary={"bob@example.org": "451 4.7.1 greylisted"})
    server = smtp(handler)
    csv = subscribers(project)

    first = tipweek("send", "--subscribers", str(csv), *via(server, "--retries", "0"))
    assert first.exit_code == 1, first.output
    assert "failed: bob@example.org: gave up after 1 tries: 451 4.7.1 greylisted" in first.stderr

    data = json.loads(tipweek("send", "--status", "--json", "--subscribers", str(csv)).stdout)

    assert data["failed"] == [{"email": "bob@example.org", "reason": "temporary: 451 4.7.1 greylisted"}]
    assert data["not_yet_tried"] == [] and sorted(data["delivered"]) == ["ana@example.org", "cy@example.org"]

    second = tipweek("send", "--subscribers", str(csv), *via(server))  # a failure is tried again
    assert second.exit_code == 0, second.output
    assert summary(second) == "sent 1, 2 already sent earlier, skipped 0 unsubscribed, 0 invalid, 0 failed"


def test_dry_run_says_which_uncertain_addresses_a_retry_would_send_again(tipweek, project, smtp):
    handler = FaultyHandler(lose_answer={"bob@example.org": "drop"})
    server = smtp(handler)
    csv = subscribers(project, PEOPLE + [("dee@example.org", "Dee")])
    tipweek("send", "--subscribers", str(subscribers(project, PEOPLE, "first.csv")), *via(server))

    dry = tipweek("send", "--subscribers", str(csv), "--dry-run", "--retry-uncertain", *via(server))

    assert dry.exit_code == 0, dry.output
    assert dry.stdout.splitlines() == [
        f"would send again {WEEK} '{TITLE}' to Bob Okafor <bob@example.org>",
        f"would send {WEEK} '{TITLE}' to Dee <dee@example.org>",
        "would send 2, 2 already sent earlier, skipped 0 unsubscribed, 0 invalid, 0 failed",
    ]
    assert len(handler.received) == 3


def test_the_summary_alone_goes_to_stdout_and_no_bare_progress_label_to_a_log(tipweek, project):
    """A progress bar is for a terminal; a timer's log (stderr not a terminal, as here) gets none."""
    result = tipweek("send", "--subscribers", str(subscribers(project)), "--outbox", str(project / "outbox"))

    assert result.exit_code == 0, result.output
    assert result.stdout == "sent 3, skipped 0 unsubscribed, 0 invalid, 0 failed\n"
    assert result.stderr == ""


def test_send_needs_a_list_except_for_status_and_unsuppress(tipweek, project):
    result = tipweek("send")

    assert result.exit_code == 2
    assert "give either --subscribers FILE or --list DB_URL" in result.output
    stray = tipweek("send", "--json", "--subscribers", str(subscribers(project)))
    assert stray.exit_code == 2 and "--json goes with --status" in stray.output
    assert not (project / ".tipweek").exists()


# ------------------------------------------------------------------ many connections, one ledger

def test_four_connections_share_one_ledger_line_by_line(tipweek, project, smtp):
    people = [(f"p{i:02}@example.org", f"P{i}") for i in range(40)]
    server = smtp()
    csv = subscribers(project, people)

    result = tipweek("send", "--subscribers", str(csv), *via(server, "--connections", "4", "--rate", "0"))

    assert result.exit_code == 0, result.output
    assert sorted(server.handler.recipients()) == [a for a, _ in people]
    lines = [json.loads(line) for line in ledger_path(project).read_text().splitlines()]
    assert len(lines) == 80  # every line whole: one attempt and one outcome each
    assert ledger(project) == {a: ["attempt", "sent"] for a, _ in people}
    ids = {e["email"]: e["message_id"] for e in lines if e["status"] == "attempt"}
    assert all(ids[r.to] == r.message["Message-ID"] for r in server.handler.received)
    assert len(set(ids.values())) == 40  # one Message-ID per address
    assert len(server.handler.peers) == 4  # over four connections at once


def test_an_unreadable_suppression_list_is_one_line_not_a_traceback(tipweek, project):
    listed = project / ".tipweek" / "ledger" / "suppressed.txt"
    listed.mkdir(parents=True)  # a folder where the file should be
    csv = subscribers(project)

    for extra in (("--dry-run",), ("--status",), ()):
        result = tipweek("send", "--subscribers", str(csv), "--outbox", str(project / "outbox"), *extra)

        assert result.exit_code == 2, (extra, result.output)
        assert f"error: {listed}: cannot read the suppression list" in result.stderr
    assert not (project / "outbox").exists()
    lift = tipweek("send", "--unsuppress", "ana@example.org")
    assert lift.exit_code == 2 and f"error: {listed}: cannot read the suppression list" in lift.stderr


def test_a_ledger_of_addresses_is_its_owners_alone(tmp_path):
    """Every week's ledger holds the addresses it mailed: made readable by its owner alone."""
    import stat

    from tipweek.sending.ledger import Ledger

    with Ledger(tmp_path / "ledger", "2026-W48") as ledger:
        ledger.record("ana@example.org", "sent")
    assert stat.S_IMODE((tmp_path / "ledger").stat().st_mode) == 0o700
    assert stat.S_IMODE(ledger.path.stat().st_mode) == 0o600
