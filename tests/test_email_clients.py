"""What real mail and feed clients showed (issue 14): a summary is text in
every feed reader, a feed's website is the site, the Date is when the message
went out, the layout fits a phone even without its <style>, the message
points to related tips, and SpamAssassin does not hold it against us."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from email import policy
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from conftest import build_site
from tipweek.cli.main import main

IN_CI = os.environ.get("CI") == "true"
HOSTILE = "Say sorry <img src=x onerror=alert(1)> then act & mean it"


def run(*args: str):
    return CliRunner(catch_exceptions=False).invoke(main, list(args))


def visible_text(html: str) -> str:
    """What a reader displays for an HTML field: its text, markup interpreted."""
    parts: list[str] = []

    class Text(HTMLParser):
        def handle_data(self, data):
            parts.append(data)

        def handle_starttag(self, tag, attrs):
            parts.append(f"[{tag}]")  # an element a reader would render (an image, a link)

    Text(convert_charrefs=True).feed(html)
    return "".join(parts)


@pytest.fixture
def hostile(project):
    tip = project / "tips/2026/2026-11-17-own-the-mistake.md"
    text = tip.read_text()
    old = re.search(r"^summary: .*$", text, re.M).group(0)
    tip.write_text(text.replace(old, "summary: " + json.dumps(HOSTILE)))
    return project


def test_a_summary_with_markup_reads_as_that_text_in_every_feed(hostile, tmp_path):
    site = build_site(hostile, tmp_path / "site")
    rss = feedparser.parse((site / "feed.xml").read_bytes()).entries[0]
    # RSS <description> is HTML to a reader: escaped, it displays as the literal text
    raw = re.search(r"<item>.*?<description>(.*?)</description>", (site / "feed.xml").read_text(), re.S).group(1)
    assert "<img" not in raw.replace("&lt;img", "")
    assert visible_text(rss.summary) == HOSTILE
    atom = feedparser.parse((site / "atom.xml").read_bytes()).entries[0]
    assert atom.summary_detail.type == "text/plain" and atom.summary == HOSTILE
    item = json.loads((site / "feed.json").read_text())["items"][0]
    assert item["summary"] == HOSTILE  # JSON Feed's summary is plain text by the spec
    per_principle = feedparser.parse((site / "principles/ownership/feed.xml").read_bytes()).entries[0]
    assert visible_text(per_principle.summary) == HOSTILE


def test_every_rss_feed_names_its_page_as_the_website(fixture_site):
    main_feed = feedparser.parse((fixture_site / "feed.xml").read_bytes()).feed
    assert main_feed.link == "https://tips.example.org/"
    one = feedparser.parse((fixture_site / "principles/ownership/feed.xml").read_bytes()).feed
    assert one.link == "https://tips.example.org/principles/ownership/"
    self_links = [l.href for l in one.links if l.rel == "self"]
    assert self_links == ["https://tips.example.org/principles/ownership/feed.xml"]


def message(path: Path):
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)


def test_date_is_when_the_message_is_handed_over(project, monkeypatch, tmp_path):
    (project / "list.csv").write_text("email,name\nana@example.org,Ana\n")
    monkeypatch.chdir(project)
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    assert run("send", "--subscribers", "list.csv").exit_code == 0
    after = dt.datetime.now(dt.timezone.utc)
    sent = message(next((project / ".tipweek/outbox/new").iterdir()))
    assert before <= parsedate_to_datetime(sent["Date"]) <= after
    # the editor's copy keeps a fixed Date, so rebuilds stay byte-identical
    out = tmp_path / "w.eml"
    assert run("email", "--out", str(out)).exit_code == 0
    assert parsedate_to_datetime(message(out)["Date"]).isoformat() == "2026-11-17T07:00:00+00:00"


def png(width: int, height: int) -> bytes:
    row = b"\x00" + b"\x80\x80\x80" * width
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height)) + chunk(b"IEND", b""))


def test_related_tips_in_both_parts(project, tmp_path):
    out = tmp_path / "w.eml"
    assert run("email", "--out", str(out), "-f", str(project / "mkdocs.yml")).exit_code == 0
    msg = message(out)
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    # own-the-mistake teaches ownership and sincerity: the published tips that share one, newest
    # first (the scheduled tip shares ownership and the draft sincerity: neither is out)
    related = re.search(r"Read next</h2>(.*?)</ul>", html, re.S).group(1)
    titles = re.findall(r">([^<>]+)</a>", related)
    assert titles == ["Call back when you promised", "Say sorry like you mean it"]
    for title in titles:
        assert title in text.split("Read next:")[1]
    assert "https://tips.example.org/tips/call-back-when-promised/" in text.split("Read next:")[1]
    assert "A scheduled tip" not in related and "scheduled-secret-tip" not in text


# ------------------------------------------------------------------ a real browser, a real spam filter

def needs(program: str) -> None:
    if shutil.which(program) or Path(program).exists():
        return
    if IN_CI:
        pytest.fail(f"{program} is missing: CI must install it (.ci/run does)", pytrace=False)
    pytest.skip(f"{program} is not installed here")


def test_the_layout_fits_a_phone_even_without_its_style_block(project, tmp_path, browser):
    (project / "docs/images").mkdir(parents=True)
    (project / "docs/images/wide.png").write_bytes(png(1200, 300))
    tip = project / "tips/2026/2026-11-17-own-the-mistake.md"
    tip.write_text(tip.read_text() + "\n![A wide chart](../images/wide.png)\n")
    out = tmp_path / "w.eml"
    assert run("email", "--out", str(out), "-f", str(project / "mkdocs.yml")).exit_code == 0
    html = message(out).get_body(("html",)).get_content()
    stripped = re.sub(r"<style>.*?</style>", "", html, flags=re.S)  # what a client that drops <style> keeps
    site = build_site(project, tmp_path / "site")
    page = browser.new_page(viewport={"width": 320, "height": 640})
    # the image is served from the built site, as a mail client would load it from the web
    page.route("https://tips.example.org/**", lambda route: route.fulfill(
        path=str(site / route.request.url.removeprefix("https://tips.example.org/"))))
    for version in (html, stripped):
        page.set_content(version, wait_until="load")
        width = page.evaluate("document.documentElement.scrollWidth")
        image = page.evaluate("document.querySelector('img[alt=\"A wide chart\"]').getBoundingClientRect().width")
        assert width <= 320, width
        assert 0 < image <= 320, image
    page.close()
    preheader = re.search(r'<div class="preheader"[^>]*>', html).group(0)
    assert "#ffffff" not in preheader.lower() and "display: none" in preheader


def test_spamassassin_scores_the_weekly_email_at_or_below_zero(project, tmp_path, monkeypatch):
    """The message as `tipweek send --list` delivers it: the subscriber's own
    unsubscribe URL on the list service, offline rules (`-L`)."""
    needs("spamassassin")
    monkeypatch.setenv("TIPWEEK_LIST_SECRET", "a-secret-for-this-test-only-0123456789")
    config = project / "mkdocs.yml"
    text = config.read_text().replace("list_id: tips.example.org",
                                      "list_id: tips.example.org\n      list_url: https://tips.example.org/list")
    config.write_text(re.sub(r"\n\s+unsubscribe_url:.*", "", text))
    db = f"sqlite:///{tmp_path}/list.sqlite3"
    (tmp_path / "people.csv").write_text("email,name\nana@example.org,Ana Lima\n")
    assert run("list", "import", str(tmp_path / "people.csv"), "--db", db, "-f", str(config)).exit_code == 0
    monkeypatch.chdir(project)
    result = run("send", "--list", db)
    assert result.exit_code == 0, result.output
    delivered = next((project / ".tipweek/outbox/new").iterdir())
    assert "https://tips.example.org/list/unsubscribe/" in message(delivered)["List-Unsubscribe"]
    report = subprocess.run(["spamassassin", "-t", "-L"], input=delivered.read_bytes(), capture_output=True,
                            timeout=120)
    status = re.search(rb"X-Spam-Status: \w+, score=(-?[\d.]+)", report.stdout)
    assert status, report.stdout[-2000:]
    details = report.stdout.decode("utf-8", "replace").split("Content analysis details:")[-1]
    assert float(status.group(1)) <= 0, details
