"""A reader's own page, /manage/<token>, as they meet it: the link in the weekly email of
`tipweek send --list` (aiosmtpd on 127.0.0.1) opened on the list service under uvicorn, on
SQLite and PostgreSQL. Opening it changes nothing; each action is a POST: pause (and a
send skips them, until the pause ends), resume, download their data, erase it (asked
first; afterwards no address or name, and no import brings it back)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from list_support import LiveList, request, snapshot
from smtp_servers import Recorder
from test_send_list import run, send, summary

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)  # send --list reads the real clock for pauses


@pytest.fixture
def live(project, db_url, listed, smtp):
    """The list service on the listed store (Ana, Bob and Cy, confirmed), its clock at NOW."""
    with LiveList(project, db_url, smtp(Recorder()).address, now=NOW) as service:
        yield service


def weekly_links(project, db_url, server, ledger: str) -> dict[str, str]:
    """Send the week's email with `send --list`; each reader's manage link, as a path on the service."""
    result = send(project, db_url, server, ledger)
    assert result.exit_code == 0, result.output
    links = {}
    for got in server.handler.received:
        text = got.message.get_body(("plain",)).get_content()
        url = re.search(r"Manage your subscription \(pause it for a few weeks, download or erase your data\): "
                        r"(\S+)", text).group(1)
        html = got.message.get_body(("html",)).get_content()
        assert f'<a href="{url}"' in html
        links[got.to] = url.removeprefix("https://list.example.org")
    return links


def title(page: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)


def test_the_weekly_emails_manage_link_opens_the_readers_own_page_and_opening_it_changes_nothing(
        project, db_url, live, smtp):
    links = weekly_links(project, db_url, smtp(Recorder()), "ledger")
    assert sorted(links) == ["ana@example.org", "bob@example.org", "cy@example.org"]
    assert all(path.startswith("/manage/") for path in links.values())
    before = snapshot(live.store)
    status, page, headers = request("GET", live.url + links["bob@example.org"])
    assert status == 200 and title(page) == "Your subscription"
    assert "bob@example.org" in page and "Bob Okafor" in page and "ana@example.org" not in page
    assert "Subscribed" in page and "16 November 2026" in page  # when Bob joined (the import)
    assert ">Pause</button>" in page and ">Download my data</button>" in page and "Erase my data" in page
    assert "<script" not in page and headers["content-security-policy"].startswith("default-src 'none'")
    assert headers["referrer-policy"] == "same-origin" and headers["cache-control"] == "no-store"
    assert request("HEAD", live.url + links["ana@example.org"])[0] == 200
    assert snapshot(live.store) == before  # scanners open links: a GET or HEAD changes nothing


def test_a_pause_skips_the_reader_until_it_ends_and_resume_ends_it_now(project, db_url, live, smtp):
    bob = live.store.find("bob@example.org")
    page_url = live.manage_url(bob.id)
    status, page, _ = request("POST", page_url, form={"action": "pause", "weeks": "2"})
    until = (NOW + dt.timedelta(weeks=2)).date()
    assert status == 200 and f"Paused: no tips until {until.day} {until:%B %Y}." in page
    assert ">Resume now</button>" in page
    assert live.store.get(bob.id).paused(NOW + dt.timedelta(days=13))

    server = smtp(Recorder())
    now = send(project, db_url, server, "ledger-this-week")
    assert summary(now) == "sent 2, skipped 0 unsubscribed, 1 paused, 0 invalid, 0 failed"
    assert "bob@example.org" not in server.handler.recipients()

    # Paused two weeks, 15 days ago: the pause is over, and the next send mails Bob by itself.
    live.now = NOW - dt.timedelta(days=15)
    assert request("POST", page_url, form={"action": "pause", "weeks": "2"})[0] == 200
    later = send(project, db_url, server, "ledger-15-days-on")
    assert summary(later) == "sent 3, skipped 0 unsubscribed, 0 invalid, 0 failed"
    assert server.handler.count("bob@example.org") == 1

    live.now = NOW
    request("POST", page_url, form={"action": "pause", "weeks": "12"})
    status, page, _ = request("POST", page_url, form={"action": "resume"})
    assert status == 200 and "Resumed" in page and ">Pause</button>" in page
    assert live.store.get(bob.id).paused_until is None
    assert [e.action for e in live.store.history_of(bob.id)[1]][-4:] == ["paused", "paused", "paused", "resumed"]


@pytest.mark.parametrize("weeks", ["0", "13", "two", "", "²", "٣", " 2", "02"])  # "²".isdigit(), int("²") fails
def test_a_pause_outside_one_to_twelve_weeks_is_refused(project, db_url, live, weeks):
    bob = live.store.find("bob@example.org")
    before = snapshot(live.store)
    status, page, _ = request("POST", live.manage_url(bob.id), form={"action": "pause", "weeks": weeks})
    assert status == 400 and "Choose a pause of 1 to 12 weeks from the list." in page
    assert snapshot(live.store) == before


def test_download_my_data(project, db_url, live):
    ana = live.store.find("ana@example.org")
    request("POST", live.manage_url(ana.id), form={"action": "pause", "weeks": "3"})
    status, body, headers = request("POST", live.manage_url(ana.id), form={"action": "download"})
    assert status == 200 and headers["content-type"] == "application/json"
    assert headers["content-disposition"] == 'attachment; filename="my-subscription.json"'
    data = json.loads(body)
    paused_until = live.store.get(ana.id).paused_until
    assert (data["email"], data["name"], data["state"], data["paused_until"]) == (
        "ana@example.org", "Ana Lima", "confirmed", paused_until)
    assert [(e["action"], e["how"]) for e in data["events"]] == [
        ("joined", "import"), ("confirmed", "import"), ("paused", "page")]
    assert all(e["at"] for e in data["events"])


def test_erase_asks_first_then_keeps_only_the_hash_and_the_consent_record(project, db_url, live, monkeypatch):
    cy = live.store.find("cy@example.org")
    page_url = live.manage_url(cy.id)
    before = snapshot(live.store)
    status, page, _ = request("POST", page_url, form={"action": "erase"})
    assert status == 200 and title(page) == "Erase your data?" and ">Yes, erase my data</button>" in page
    # The store cannot erase those: the page says so.
    elsewhere = ("in the sending machine&#39;s delivery logs of the weeks we mailed you",
                 "and in backups of the list, until each is deleted in its turn")
    assert all(part in page for part in elsewhere)
    assert snapshot(live.store) == before  # asked, not done

    status, page, _ = request("POST", page_url, form={"action": "erase", "confirm": "yes"})
    assert status == 200 and title(page) == "Your data is erased"
    assert "What we keep: a keyed hash of your address" in page and "without a new confirmation" in page
    assert all(part in page for part in elsewhere)
    gone = live.store.get(cy.id)
    assert gone.state == "erased" and gone.name == "" and "cy@" not in gone.email
    assert live.store.find("cy@example.org") is None
    shown = run(project, "list", "show", "cy@example.org", "--db", db_url)  # (the operator has the secret)
    assert shown.exit_code == 0 and shown.output.startswith("erased:") and "cy@" not in shown.output
    status, page, _ = request("GET", page_url)
    assert status == 404 and "We don&#39;t know this link" in page  # the page is gone with the data
    # A mail provider's one-click POST to an old email's link neither answers "unsubscribed"
    # nor turns the erased row into an unsubscribed one (which an import would no longer see).
    leave = f"{live.url}/unsubscribe/{live.tokens.unsubscribe_token(cy.id)}"
    status, page, _ = request("POST", leave, form={"List-Unsubscribe": "One-Click"})
    assert status == 404 and "We don&#39;t know this link" in page
    assert live.store.get(cy.id).state == "erased"

    people = project / "people.csv"
    people.write_text("email,name\ncy@example.org,Cy Young\n")
    imported = run(project, "list", "import", str(people), "--db", db_url)
    assert imported.exit_code == 0 and "1 erased at their request left out" in imported.output
    assert live.store.find("cy@example.org") is None

    assert live.sign_up("cy@example.org", "Cy")[0] == 200  # their own sign-up: a new opt-in, still to confirm
    back = live.store.find("cy@example.org")
    assert back.state == "pending"


def test_bad_and_unknown_manage_links(project, db_url, live):
    bob = live.store.find("bob@example.org")
    good = live.manage_url(bob.id)
    unsubscribe_token = live.tokens.unsubscribe_token(bob.id)
    for path in (good[:-3], f"/manage/{unsubscribe_token}", "/manage/x"):
        url = path if path.startswith("http") else live.url + path
        status, page, _ = request("GET", url)
        assert status == 400 and "This link doesn&#39;t work" in page, path
    status, page, _ = request("GET", live.manage_url(9999))
    assert status == 404 and "We don&#39;t know this link" in page
    status, page, _ = request("POST", good, form={"action": "something-else"})
    assert status == 400 and "use one of its buttons" in page


# ------------------------------------------------------------------ a POST from another website

@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://forged.example"},
    {"Origin": "https://forged.example"},
    {"Origin": "null"},  # a sandboxed frame
    {"Origin": "https://list.example.org.forged.example"},
    {"Origin": "http://127.0.0.1:1"},  # this machine, another port: another origin
])
def test_a_post_from_another_website_changes_nothing_and_says_to_use_the_page(project, db_url, live, headers):
    bob = live.store.find("bob@example.org")
    page_url = live.manage_url(bob.id)
    before = snapshot(live.store)
    for form in ({"action": "pause", "weeks": "4"}, {"action": "erase", "confirm": "yes"}, {"action": "download"}):
        status, page, answer = request("POST", page_url, form=form, headers=headers)
        assert status == 403 and title(page) == "Please use the page itself", (form, headers)
        assert "came from another website, so nothing was changed" in page and "bob@example.org" not in page
        assert f'<a href="{page_url}">Open your subscription page</a>' in page
        assert answer["referrer-policy"] == "same-origin"
    assert snapshot(live.store) == before


def test_a_post_from_the_service_itself_is_taken_under_its_public_name_and_the_name_it_was_reached_by(
        project, db_url, live):
    bob = live.store.find("bob@example.org")
    page_url = live.manage_url(bob.id)
    port = live.url.rsplit(":", 1)[1]
    own = [{"Sec-Fetch-Site": "same-origin", "Origin": live.url}, {"Origin": live.url.upper()}, {},
           {"Sec-Fetch-Site": "none"},  # typed or bookmarked
           {"Origin": f"http://localhost:{port}", "Host": f"localhost:{port}"}]  # the same service, another name
    for headers in own:
        status, page, _ = request("POST", page_url, form={"action": "pause", "weeks": "1"}, headers=headers)
        assert status == 200 and "Paused: no tips until" in page, headers
    # Behind a proxy: the browser's Origin is the public list_url, the Host what the proxy sends.
    live.settings.list_url = "https://list.example.org"
    status, page, _ = request("POST", page_url, form={"action": "resume"}, headers={
        "Sec-Fetch-Site": "same-origin", "Origin": "https://list.example.org"})
    assert status == 200 and "Resumed" in page
    assert request("POST", page_url, form={"action": "resume"}, headers={"Origin": "http://list.example.org"})[0] \
        == 403  # the same name over plain HTTP is not the public origin


def test_one_click_unsubscribe_and_the_webhook_still_take_cross_site_posts(project, db_url, live):
    bob = live.store.find("bob@example.org")
    leave = f"{live.url}/unsubscribe/{live.tokens.unsubscribe_token(bob.id)}"
    status, page, _ = request("POST", leave, form={"List-Unsubscribe": "One-Click"}, headers={
        "Sec-Fetch-Site": "cross-site", "Origin": "https://mail.example"})  # RFC 8058: the provider posts it
    assert status == 200 and "You&#39;re unsubscribed" in page
    assert live.store.get(bob.id).state == "unsubscribed"


def test_in_a_browser_the_pages_own_form_works_and_another_sites_form_does_not(project, db_url, live, browser,
                                                                             tmp_path):
    from chromium import serving

    bob = live.store.find("bob@example.org")
    page_url = live.manage_url(bob.id)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(page_url)
        page.get_by_label("Pause for").select_option("3")
        page.get_by_role("button", name="Pause").click()
        assert "Paused: no tips until" in page.locator(".notice").inner_text()  # Origin: its own, not null
        assert live.store.get(bob.id).paused_until is not None

        # A forwarded link on another site's page (localhost is another site than 127.0.0.1).
        (tmp_path / "index.html").write_text(f'<form method="post" action="{page_url}"><input type="hidden" '
                                             'name="action" value="erase"><input type="hidden" name="confirm" '
                                             'value="yes"><button>Win a prize</button></form>')
        with serving(tmp_path) as elsewhere:
            page.goto(elsewhere.replace("127.0.0.1", "localhost"))
            page.get_by_role("button", name="Win a prize").click()
            assert page.locator("h1").inner_text() == "Please use the page itself"
        assert live.store.get(bob.id).state == "confirmed" and live.store.get(bob.id).email == "bob@example.org"
    finally:
        context.close()
