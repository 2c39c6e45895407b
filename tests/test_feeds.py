"""Feeds, read back by feedparser as a feed reader would."""

from __future__ import annotations

import json

import feedparser
import pytest


@pytest.fixture(scope="module")
def feeds(fixture_site):
    return {name: feedparser.parse((fixture_site / name).read_bytes())
            for name in ("feed.xml", "atom.xml", "principles/ownership/feed.xml", "principles/sincerity/feed.xml")}


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml", "principles/ownership/feed.xml"])
def test_feeds_parse_without_bozo(feeds, name):
    parsed = feeds[name]
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.entries


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_site_feeds_carry_the_newest_n_with_full_content(feeds, name):
    parsed = feeds[name]
    # feed_length is 3 in the fixture; newest first; nothing scheduled or drafted
    assert [e.title for e in parsed.entries] == ["Own the mistake", "Call back when you promised",
                                                 "Say sorry like you mean it"]
    first = parsed.entries[0]
    assert first.link == "https://tips.example.org/tips/own-the-mistake/"
    assert first.id == "https://tips.example.org/tips/own-the-mistake/"
    assert first.published_parsed[:3] == (2026, 11, 17)
    assert "The customer chose you; the mistake is yours to fix." in first.content[0].value
    assert first.summary.startswith("When your company drops the ball")
    assert {t.term.lower() for t in first.tags} == {"ownership", "sincerity"}
    assert parsed.entries[1].author == "Guest Writer"
    assert first.author == "Fixture Editor"
    self_links = [l.href for l in parsed.feed.links if l.rel == "self"]
    assert self_links == [f"https://tips.example.org/{name}"]


def test_relative_links_become_absolute(feeds):
    body = feeds["feed.xml"].entries[0].content[0].value
    assert 'href="https://tips.example.org/tips/call-back-when-promised/"' in body
    assert 'href="../' not in body


def test_rss_guid_is_a_permalink(fixture_site):
    rss = (fixture_site / "feed.xml").read_text()
    assert '<guid isPermaLink="true">https://tips.example.org/tips/own-the-mistake/</guid>' in rss


def test_json_feed(fixture_site):
    feed = json.loads((fixture_site / "feed.json").read_text())
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "https://tips.example.org/feed.json"
    assert [i["id"] for i in feed["items"]] == [
        "https://tips.example.org/tips/own-the-mistake/", "https://tips.example.org/tips/call-back-when-promised/",
        "https://tips.example.org/tips/say-sorry-like-you-mean-it/"]
    item = feed["items"][0]
    assert item["date_published"] == "2026-11-17T00:00:00+00:00"
    assert item["tags"] == ["Ownership", "Sincerity"]
    assert "mistake is yours to fix" in item["content_html"]


def test_one_feed_per_principle(feeds):
    ownership = feeds["principles/ownership/feed.xml"]
    assert ownership.feed.title == "Fixture tips: Ownership"
    assert [e.title for e in ownership.entries] == ["Own the mistake", "Call back when you promised"]
    assert [e.title for e in feeds["principles/sincerity/feed.xml"].entries] == [
        "Own the mistake", "Say sorry like you mean it"]


def test_feed_command_writes_the_same_feeds(tipweek, project, tmp_path, fixture_site):
    result = tipweek("feed", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "wrote 7 feeds" in result.output
    parsed = feedparser.parse((tmp_path / "out" / "atom.xml").read_bytes())
    assert parsed.bozo == 0
    assert [e.id for e in parsed.entries] == [e.id for e in feedparser.parse(
        (fixture_site / "atom.xml").read_bytes()).entries]


def test_feeds_are_deterministic(tipweek, tmp_path):
    tipweek("feed", "--out", str(tmp_path / "a"))
    tipweek("feed", "--out", str(tmp_path / "b"))
    for name in ("feed.xml", "atom.xml", "feed.json", "principles/ownership/feed.xml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
