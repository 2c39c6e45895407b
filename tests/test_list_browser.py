"""The list end to end, as people and mail providers use it: a person signs up
on the built site's Subscribe page in Chromium, gets the confirmation email
(aiosmtpd), opens the link and presses Confirm; `tipweek send --list` mails
the week's tip to them and not to an address nobody confirmed; a one-click
POST to the message's List-Unsubscribe URL (as Gmail sends it) and the next
week's send passes them by."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from chromium import require_chromium, serving
from conftest import FIXTURES, TODAY, build_site
from list_support import SECRET, ServiceThread, request, wait_for
from tipweek.cli.main import main
from tipweek.project import Project
from tipweek.list.confirmation import confirmation_sender, transport_factory
from tipweek.list.look import look_of
from tipweek.list.service import Settings, create_app
from tipweek.list.database import open_store
from tipweek.list.tokens import Tokens

require_chromium()

REPO_SUBSCRIBE = Path(__file__).parent.parent / "docs" / "subscribe.md"
NEXT_WEEK = "2026-12-01"  # the scheduled tip of 2026-11-24 is then the tip of the week


@pytest.fixture(scope="module")
def world(tmp_path_factory, recording_smtp):
    """The project (with list_url), the running service, and the built site served on 127.0.0.1."""
    root = tmp_path_factory.mktemp("list-e2e")
    project_dir = root / "proj"
    shutil.copytree(FIXTURES / "library", project_dir)
    db_url = f"sqlite:///{root}/list.sqlite3"
    store = open_store(db_url)
    settings = Settings(store, Tokens(SECRET), None, "", lambda sub, url: None)
    with ServiceThread(create_app(settings)) as service:
        # The project points at this service; the service looks like the project's site.
        config = project_dir / "mkdocs.yml"
        config.write_text(config.read_text()
                          .replace("list_id: tips.example.org", f"list_id: tips.example.org\n      list_url: "
                                                                f"{service.url}")
                          .replace("  - Handbook: handbook.md", "  - Handbook: handbook.md\n  - Subscribe: "
                                                                "subscribe.md"))
        marked = re.search(r"<!-- tipweek:signup-form.*?<!-- /tipweek:signup-form -->", REPO_SUBSCRIBE.read_text(),
                           re.S).group(0)  # the real page's marked paragraph
        (project_dir / "docs" / "subscribe.md").write_text(f"# Subscribe\n\n{marked}\n")
        project = Project.load(config)
        # The service had to start before the site could name its URL: complete its settings now.
        settings.look, settings.list_url = look_of(project), service.url
        transport = transport_factory(root, None, recording_smtp.address, False, None)
        settings.send_confirmation = confirmation_sender(settings.look, project.options.email_from, transport)
        with serving(build_site(project_dir, root / "site")) as site:
            yield {"project": project_dir, "db": db_url, "store": store, "service": service.url, "site": site}


@pytest.fixture
def page(browser, world):
    context = browser.new_context(java_script_enabled=False)  # the form must work without JavaScript
    page = context.new_page()
    allowed = (world["site"], world["service"])
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(allowed) else route.abort())
    yield page
    context.close()


def sign_up_on_the_site(page, world, email: str, name: str) -> None:
    page.goto(world["site"] + "subscribe/")
    assert "ask the team" not in page.locator("article").inner_text()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url(world["service"] + "/subscribe")
    assert page.locator("h1").inner_text() == "Check your inbox"
    assert page.get_by_role("link", name="Back to Fixture tips").get_attribute("href") == "https://tips.example.org/"


def send(world, today: str):
    return CliRunner(catch_exceptions=False).invoke(main, [
        "send", "--list", world["db"], "--smtp", world["smtp"], "--today", today,
        "-f", str(world["project"] / "mkdocs.yml")])


def test_sign_up_confirm_send_one_click_next_week(page, world, recording_smtp, monkeypatch):
    monkeypatch.setenv("TIPWEEK_LIST_SECRET", SECRET)
    world["smtp"] = recording_smtp.address
    mailbox = recording_smtp.handler
    store = world["store"]

    sign_up_on_the_site(page, world, "reader@example.org", "Rea Der")
    sign_up_on_the_site(page, world, "never-confirmed@example.org", "Nev")
    mail = wait_for(lambda: [m for m in mailbox.received if m.to == "reader@example.org"], "the confirmation")[0]
    link = re.search(r"http://\S+/confirm/\S+", mail.message.get_body(("plain",)).get_content()).group(0)

    page.goto(link)  # opening the link changes nothing ...
    assert page.locator("h1").inner_text() == "Confirm your subscription"
    assert store.find("reader@example.org").state == "pending"
    page.get_by_role("button", name="Confirm").click()  # ... pressing Confirm does
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "You're subscribed"
    assert store.find("reader@example.org").state == "confirmed"
    assert store.find("never-confirmed@example.org").state == "pending"

    before = len(mailbox.received)
    result = send(world, TODAY)
    assert result.exit_code == 0, result.output
    assert "sent 1, skipped 0 unsubscribed" in result.output
    weekly = mailbox.received[before:]
    assert [m.to for m in weekly] == ["reader@example.org"]
    msg = weekly[0].message
    assert msg["Subject"] == "Tip of the week: Own the mistake"
    https, mailto = re.findall(r"<([^>]+)>", msg["List-Unsubscribe"])
    assert https.startswith(world["service"] + "/unsubscribe/") and "reader" not in https
    assert mailto == "mailto:unsubscribe@example.org?subject=unsubscribe"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f'href="{https}"' in msg.get_body(("html",)).get_content()  # the footer's link is the same
    assert https in msg.get_body(("plain",)).get_content()

    # What Gmail does when the person presses its Unsubscribe button: no cookies, no JavaScript.
    status, body, _ = request("POST", https, form={"List-Unsubscribe": "One-Click"})
    assert status == 200 and "unsubscribed" in body
    assert store.find("reader@example.org").state == "unsubscribed"

    before = len(mailbox.received)
    result = send(world, NEXT_WEEK)
    assert result.exit_code == 0, result.output
    assert "sent 0, skipped 1 unsubscribed" in result.output
    assert mailbox.received[before:] == []
