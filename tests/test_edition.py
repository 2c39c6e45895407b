"""One edition for every output: the site, `tipweek feed`, `tipweek email`
and `tipweek send` say the same thing, byte for byte, about the same tips on
the same day, whatever relative links a tip uses."""

from __future__ import annotations

import email
import json
import re
from email import policy
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from conftest import build_site
from tipweek.cli.main import main

SITE = "https://tips.example.org/"
# A 1x1 transparent PNG.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
LINKING_BODY = """\
Start with [the about page](../about.md), then read
[Call back when you promised](call-back-when-promised.md) and
[its list](call-back-when-promised.md#what-to-do).

![A light bulb](../images/bulb.png)

## What to say

Jump back to [what to say](#what-to-say), or write to [the team](mailto:team@example.org).

**Takeaway:** The customer chose you; the mistake is yours to fix.
"""


def run(*args: str):
    return CliRunner(catch_exceptions=False).invoke(main, list(args))


@pytest.fixture
def linking(project):
    """The fixture library, with this week's tip linking to a docs page, another
    tip, an anchor in another tip, an image, an anchor in itself and a mailto."""
    (project / "docs/about.md").write_text("# About\n\nWho writes the tips.\n")
    (project / "docs/images").mkdir()
    (project / "docs/images/bulb.png").write_bytes(PNG)
    other = project / "tips/2026/2026-11-10-call-back-when-promised.md"
    other.write_text(other.read_text().replace("1. Write", "## What to do\n\n1. Write"))
    tip = project / "tips/2026/2026-11-17-own-the-mistake.md"
    front = tip.read_text().split("---\n")[1]
    tip.write_text(f"---\n{front}---\n{LINKING_BODY}")
    return project


def config(project: Path) -> str:
    return str(project / "mkdocs.yml")


def test_feed_command_writes_the_built_sites_feeds_byte_for_byte(linking, tmp_path):
    site = build_site(linking, tmp_path / "site")
    out = tmp_path / "feeds"
    assert run("feed", "--out", str(out), "-f", config(linking)).exit_code == 0
    names = ["feed.xml", "atom.xml", "feed.json", "principles/ownership/feed.xml", "principles/sincerity/feed.xml"]
    for name in names:
        assert (out / name).read_bytes() == (site / name).read_bytes(), name


def test_links_in_feeds_point_where_the_site_does(linking, tmp_path):
    site = build_site(linking, tmp_path / "site")
    entry = feedparser.parse((site / "feed.xml").read_bytes()).entries[0]
    html = entry.content[0].value
    for url in (SITE + "about/", SITE + "tips/call-back-when-promised/",
                SITE + "tips/call-back-when-promised/#what-to-do", SITE + "images/bulb.png",
                SITE + "tips/own-the-mistake/#what-to-say", "mailto:team@example.org"):
        assert f'"{url}"' in html, url
    assert "about.md" not in html
    # ... and each of them is a real page or file of the built site
    for path in ("about/index.html", "tips/call-back-when-promised/index.html", "images/bulb.png"):
        assert (site / path).is_file()
    assert 'id="what-to-do"' in (site / "tips/call-back-when-promised/index.html").read_text()


def without_unsubscribe(project: Path) -> None:
    text = (project / "mkdocs.yml").read_text()
    text = re.sub(r"\n\s+unsubscribe_(url|mailto):.*", "", text)
    (project / "mkdocs.yml").write_text(text)


def html_part(raw: bytes) -> str:
    """The HTML as the mail client gets it (MIME travels with CRLF line ends
    and a final line end, which are the wire's, not the page's)."""
    msg = email.message_from_bytes(raw, policy=policy.default)
    return msg.get_body(("html",)).get_content().replace("\r\n", "\n").removesuffix("\n")


def text_part(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=policy.default)
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_email_command_is_the_built_web_version_byte_for_byte(linking, tmp_path):
    without_unsubscribe(linking)  # the web version has no personal unsubscribe link
    site = build_site(linking, tmp_path / "site")
    out = tmp_path / "week.eml"
    assert run("email", "--out", str(out), "-f", config(linking)).exit_code == 0
    web = (site / "email/2026-W47.html").read_text("utf-8")
    assert html_part(out.read_bytes()) == web
    assert (site / "email/latest.html").read_text("utf-8") == web


def content_cell(html: str) -> str:
    """The tip as the message shows it (the footer is personal)."""
    return re.search(r'<td class="content".*?</td>', html, re.S).group(0)


def test_sent_message_shows_the_tip_as_the_web_version_does(linking, tmp_path, monkeypatch):
    site = build_site(linking, tmp_path / "site")
    (linking / "list.csv").write_text("email,name\nana@example.org,Ana\n")
    monkeypatch.chdir(linking)
    result = run("send", "--subscribers", "list.csv")  # the README's command: Maildir outbox by default
    assert result.exit_code == 0, result.output
    sent = list((linking / ".tipweek/outbox/new").iterdir())
    assert len(sent) == 1
    web = (site / "email/2026-W47.html").read_text("utf-8")
    delivered = html_part(sent[0].read_bytes())
    assert "Hello Ana," in content_cell(delivered)  # the personal greeting, then the same tip
    after_greeting = '<p class="kicker"'
    assert content_cell(delivered).split(after_greeting)[1] == content_cell(web).split(after_greeting)[1]
    assert SITE + "about/" in content_cell(delivered)


def test_text_part_has_the_same_links_as_the_html(linking, tmp_path):
    out = tmp_path / "week.eml"
    assert run("email", "--out", str(out), "-f", config(linking)).exit_code == 0
    text = text_part(out.read_bytes())
    assert f"the about page <{SITE}about/>" in text
    assert f"Call back when you promised <{SITE}tips/call-back-when-promised/>" in text
    assert f"its list <{SITE}tips/call-back-when-promised/#what-to-do>" in text
    assert "[A light bulb]" in text
    assert "<mailto:team@example.org>" in text
    assert "about.md" not in text and "](" not in text and "<p>" not in text


def test_one_author_rule_everywhere(project, tmp_path):
    """With site_author set and no plugin author, the page, the feeds and the
    email all name the site author for a tip without its own."""
    text = (project / "mkdocs.yml").read_text().replace("      author: Fixture Editor\n", "")
    (project / "mkdocs.yml").write_text("site_author: The Site Team\n" + text)
    site = build_site(project, tmp_path / "site")
    page = (site / "tips/own-the-mistake/index.html").read_text()
    assert "The Site Team" in page.split('class="tw-tip-header"')[1].split("</div>")[0]
    entry = next(e for e in feedparser.parse((site / "feed.xml").read_bytes()).entries
                 if e.link.endswith("/own-the-mistake/"))
    assert entry.author == "The Site Team"
    item = json.loads((site / "feed.json").read_text())["items"][0]
    assert item["authors"] == [{"name": "The Site Team"}]
    # a tip with its own author keeps it, everywhere
    guest = (site / "tips/call-back-when-promised/index.html").read_text()
    assert "Guest Writer" in guest


# ------------------------------------------------------ "is it out?" asked once

HIDDEN = ("scheduled-secret-tip", "A scheduled tip", "draft-unfinished-idea")


def assert_hidden(text: str, where: str) -> None:
    for word in HIDDEN:
        assert word not in text, f"{word!r} leaked into {where}"


def test_feed_command_carries_no_scheduled_or_draft_tip(project, tmp_path):
    out = tmp_path / "feeds"
    assert run("feed", "--out", str(out), "-f", config(project)).exit_code == 0
    for path in out.rglob("*"):
        if path.is_file():
            assert_hidden(path.read_text("utf-8"), str(path.relative_to(out)))


def test_email_command_is_never_a_scheduled_or_draft_tip(project, tmp_path):
    out = tmp_path / "week.eml"
    assert run("email", "--out", str(out), "-f", config(project)).exit_code == 0
    assert_hidden(out.read_text("utf-8", "replace"), "the email")
    assert "Own the mistake" in email.message_from_bytes(out.read_bytes(), policy=policy.default)["Subject"]


def test_send_never_sends_a_scheduled_or_draft_tip(project, monkeypatch):
    (project / "list.csv").write_text("email,name\nana@example.org,Ana\n")
    monkeypatch.chdir(project)
    assert run("send", "--subscribers", "list.csv").exit_code == 0
    for message in (project / ".tipweek/outbox/new").iterdir():
        assert_hidden(message.read_text("utf-8", "replace"), "a sent message")


def test_schedule_counts_only_what_is_out_as_published(project):
    result = run("schedule", "--json", "-f", config(project))
    published = [row["slug"] for row in json.loads(result.output)["published"]]
    assert "scheduled-secret-tip" not in published and "draft-unfinished-idea" not in published
    assert published[-1] == "own-the-mistake"


def test_email_web_versions_and_related_tips_hide_them(fixture_site):
    for path in (fixture_site / "email").iterdir():
        assert_hidden(path.read_text("utf-8"), f"email/{path.name}")
    for name in ("index.html", "archive/index.html", "handbook/index.html", "principles/index.html",
                 "principles/ownership/index.html", "tips/own-the-mistake/index.html"):
        assert_hidden((fixture_site / name).read_text("utf-8"), name)


def test_a_scheduled_tip_is_out_on_its_day_in_every_command(project, tmp_path):
    out = tmp_path / "feeds"
    assert run("feed", "--out", str(out), "--today", "2026-11-24", "-f", config(project)).exit_code == 0
    assert "scheduled-secret-tip" in (out / "feed.xml").read_text()
    eml = tmp_path / "w.eml"
    assert run("email", "--out", str(eml), "--today", "2026-11-24", "-f", config(project)).exit_code == 0
    assert "A scheduled tip" in email.message_from_bytes(eml.read_bytes(), policy=policy.default)["Subject"]


STEPS = re.compile(r"\.(on_pre_page|read_source|on_page_markdown|render|on_page_content)\(")


@pytest.mark.parametrize("builder", ["mkdocs", "properdocs"])
def test_the_page_renderer_takes_the_steps_the_build_takes(builder):
    """PageRenderer renders a tip outside the build by repeating MkDocs' private
    _populate_page step by step; if the build tool adds, drops or reorders a step,
    the bodies the feeds and email show could differ from the site's: fail here."""
    import importlib
    import inspect

    from tipweek.edition.render import PageRenderer

    build = importlib.import_module(f"{builder}.commands.build")
    theirs = STEPS.findall(inspect.getsource(build._populate_page))
    ours = STEPS.findall(inspect.getsource(PageRenderer.__call__))
    assert theirs == ["on_pre_page", "read_source", "on_page_markdown", "render", "on_page_content"]
    assert ours == theirs
