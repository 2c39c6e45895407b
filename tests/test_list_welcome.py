"""The welcome email, as a new subscriber gets it: the list service under uvicorn on SQLite
and on PostgreSQL, the mail received by aiosmtpd on 127.0.0.1. Pressing Confirm brings one
message with the latest tip (the weekly email's), what to expect and how to leave; pressing
it again brings none; a welcome that cannot be sent leaves the confirmation standing."""

from __future__ import annotations

import logging
import re

import pytest

from list_support import LiveList, free_socket, request, wait_for
from smtp_servers import Recorder

TIP = "Own the mistake"  # the fixture library's latest tip on Monday 23 November 2026


@pytest.fixture
def mailbox(smtp):
    """An SMTP server of this test's own (each store's run starts with an empty mailbox)."""
    return smtp(Recorder())


def mail_to(mailbox, address: str) -> list:
    return [m.message for m in mailbox.handler.received if m.to == address]


def confirm_link(mailbox, address: str) -> str:
    mail = wait_for(lambda: mail_to(mailbox, address), f"the confirmation to {address}")
    return re.search(r"http://\S+/confirm/\S+", mail[0].get_body(("plain",)).get_content()).group(0)


def test_confirming_brings_one_welcome_with_the_latest_tip(project, db_url, mailbox):
    with LiveList(project, db_url, mailbox.address) as live:
        assert live.sign_up("wes@example.org", "Wes Ng")[0] == 200
        link = confirm_link(mailbox, "wes@example.org")
        assert request("GET", link)[0] == 200 and request("HEAD", link)[0] == 200  # a scanner: no welcome
        assert len(mail_to(mailbox, "wes@example.org")) == 1

        status, body, _ = request("POST", link)
        assert status == 200 and "You&#39;re subscribed" in body
        sub = live.store.find("wes@example.org")
        assert sub.state == "confirmed"
        confirmation, welcome = mail_to(mailbox, "wes@example.org")  # (sent before the page answers)

        assert welcome["Subject"] == f"Welcome to Fixture tips: {TIP}"
        assert welcome["Message-ID"] != confirmation["Message-ID"]
        text = welcome.get_body(("plain",)).get_content()
        html = welcome.get_body(("html",)).get_content()
        assert "Hello Wes Ng," in text and TIP in text and TIP in html
        expect = ("Welcome to Fixture tips, and thank you for confirming. You will get one tip a week, every "
                  "Tuesday. Here is the latest one to start with.")
        assert expect in text and expect in " ".join(html.split())
        assert "Read it on the site: https://tips.example.org/tips/own-the-mistake/" in text  # the weekly's body
        # How to leave: the weekly email's list headers and footer, with the reader's own links.
        leave = f"{live.url}/unsubscribe/{live.tokens.unsubscribe_token(sub.id)}"
        assert welcome["List-Unsubscribe"].strip().startswith(f"<{leave}>")
        assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"Unsubscribe (the link opens a page with one button to press): {leave}" in text
        manage = re.search(r"Manage your subscription \(pause it for a few weeks, download or erase your data\): "
                           r"(\S+)", text).group(1)
        assert f'href="{manage}"' in html
        status, page, _ = request("GET", manage)
        assert status == 200 and "wes@example.org" in page and "Wes Ng" in page

        # Never twice: Confirm pressed again (a second tab, a double click) sends nothing.
        status, body, _ = request("POST", link)
        assert status == 200 and "You&#39;re subscribed" in body
        assert len(mail_to(mailbox, "wes@example.org")) == 2
        assert [e.action for e in live.store.history("wes@example.org")[1]] == ["joined", "confirmed"]


def test_a_welcome_that_cannot_be_sent_keeps_the_confirmation(project, db_url, mailbox, caplog):
    nobody = free_socket()  # bound, never listening: the relay is down when the welcome goes
    try:
        port = nobody.getsockname()[1]
        with LiveList(project, db_url, mailbox.address, welcome_smtp=f"127.0.0.1:{port}") as live:
            assert live.sign_up("fay@example.org")[0] == 200
            link = confirm_link(mailbox, "fay@example.org")
            with caplog.at_level(logging.ERROR, logger="tipweek.list"):
                status, body, _ = request("POST", link)
            assert status == 200 and "You&#39;re subscribed" in body
            sub = live.store.find("fay@example.org")
            assert sub.state == "confirmed"
            assert f"welcome email to subscriber {sub.id} not sent" in caplog.text
            assert len(mail_to(mailbox, "fay@example.org")) == 1  # the confirmation only
    finally:
        nobody.close()


def test_two_confirm_presses_at_once_bring_one_welcome(project, db_url, mailbox):
    """A double click sends two POSTs together: on PostgreSQL each may be served by its own
    connection; the row lock lets one of them move pending to confirmed, and only it welcomes."""
    from concurrent.futures import ThreadPoolExecutor

    with LiveList(project, db_url, mailbox.address) as live:
        assert live.sign_up("dee@example.org", "Dee")[0] == 200
        link = confirm_link(mailbox, "dee@example.org")
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: request("POST", link)[0], range(4)))
        assert answers == [200, 200, 200, 200]
        assert len(mail_to(mailbox, "dee@example.org")) == 2  # the confirmation and one welcome
        assert [e.action for e in live.store.history("dee@example.org")[1]] == ["joined", "confirmed"]
