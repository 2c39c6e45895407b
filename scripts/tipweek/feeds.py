"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 from the published tips.

Only the bodies of the tips a feed carries are rendered (``body_html`` is
called for those alone), so a feed costs the same with 50 tips or 5,000.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

import nh3
from feedgen.feed import FeedGenerator

from .model import Principle, Tip
from .output import write_atomic
from .render import absolute_urls

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


@dataclass(frozen=True, slots=True)
class Channel:
    title: str
    site_url: str  # absolute, ends with "/"
    description: str
    author: str
    timezone: str = "UTC"
    language: str = "en"

    def url(self, path: str) -> str:
        return self.site_url + path

    def published(self, tip: Tip) -> dt.datetime:
        """A tip goes out at the start of its date, in the site's time zone."""
        return dt.datetime.combine(tip.date, dt.time(0, 0), ZoneInfo(self.timezone))


def safe_body(html: str, tip_url: str) -> str:
    """A tip body fit for a feed reader or a mail client: links made absolute
    and only harmless markup kept (allow-list sanitizer)."""
    return nh3.clean(absolute_urls(html, tip_url), attributes=_ATTRIBUTES)


_ATTRIBUTES = {**{k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()}, "*": {"id", "title"}}


def _generator(channel: Channel, title: str, page: str, feed_path: str, tips: list[Tip]) -> FeedGenerator:
    fg = FeedGenerator()
    fg.load_extension("dc")
    fg.id(channel.url(page))
    fg.title(title)
    fg.subtitle(channel.description)  # RSS <description>
    fg.link(href=channel.url(page), rel="alternate")
    fg.link(href=channel.url(feed_path), rel="self")
    fg.language(channel.language)
    fg.author(name=channel.author)
    fg.generator("tipweek")
    # Deterministic: the feed changes when a tip comes out, not when it is rebuilt.
    stamp = channel.published(tips[0]) if tips else dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    fg.updated(stamp)
    fg.lastBuildDate(stamp)
    return fg


def _add_entries(fg: FeedGenerator, channel: Channel, tips: list[Tip], principles: dict[str, Principle],
                 body_html: Callable[[Tip], str], default_author: str) -> None:
    for tip in tips:
        url = channel.url(tip.url)
        entry = fg.add_entry(order="append")
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(tip.title)
        entry.link(href=url, rel="alternate")
        entry.published(channel.published(tip))
        entry.updated(channel.published(tip))
        author = tip.author or default_author
        entry.author(name=author)
        entry.dc.dc_creator(author)
        entry.summary(tip.summary)
        entry.content(body_html(tip), type="html")
        for slug in tip.tags:
            entry.category(term=slug, label=principles[slug].name,
                           scheme=channel.url(f"principles/{slug}/"))


def rss(channel: Channel, tips: list[Tip], principles: dict[str, Principle], body_html: Callable[[Tip], str],
        *, title: str | None = None, page: str = "", feed_path: str = "feed.xml") -> bytes:
    fg = _generator(channel, title or channel.title, page, feed_path, tips)
    _add_entries(fg, channel, tips, principles, body_html, channel.author)
    return fg.rss_str(pretty=True)


def atom(channel: Channel, tips: list[Tip], principles: dict[str, Principle], body_html: Callable[[Tip], str]) -> bytes:
    fg = _generator(channel, channel.title, "", "atom.xml", tips)
    _add_entries(fg, channel, tips, principles, body_html, channel.author)
    return fg.atom_str(pretty=True)


def json_feed(channel: Channel, tips: list[Tip], principles: dict[str, Principle],
              body_html: Callable[[Tip], str]) -> bytes:
    items = []
    for tip in tips:
        url = channel.url(tip.url)
        items.append({
            "id": url,
            "url": url,
            "title": tip.title,
            "summary": tip.summary,
            "content_html": body_html(tip),
            "date_published": channel.published(tip).isoformat(),
            "authors": [{"name": tip.author or channel.author}],
            "tags": [principles[s].name for s in tip.tags],
        })
    feed = {
        "version": JSON_FEED_VERSION,
        "title": channel.title,
        "home_page_url": channel.site_url,
        "feed_url": channel.url("feed.json"),
        "description": channel.description,
        "language": channel.language,
        "authors": [{"name": channel.author}],
        "items": items,
    }
    text = json.dumps(feed, indent=2, ensure_ascii=False)
    # Same values once parsed, but no raw markup in the bytes for a careless consumer to inject.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (text + "\n").encode("utf-8")


def feed_paths(principles: Iterable[str]) -> list[str]:
    """Every file :func:`write_feeds` writes, relative to the site folder."""
    return ["feed.xml", "atom.xml", "feed.json", *(f"principles/{slug}/feed.xml" for slug in principles)]


def write_feeds(out_dir: Path, channel: Channel, published_newest_first: tuple[Tip, ...],
                principles: dict[str, Principle], body_html: Callable[[Tip], str], length: int) -> list[Path]:
    """Write the site feeds and one RSS feed per principle; return the paths."""
    cache: dict[str, str] = {}

    def body(tip: Tip) -> str:
        if tip.slug not in cache:
            cache[tip.slug] = safe_body(body_html(tip), channel.url(tip.url))
        return cache[tip.slug]

    newest = list(published_newest_first[:length])
    outputs = {
        "feed.xml": rss(channel, newest, principles, body),
        "atom.xml": atom(channel, newest, principles, body),
        "feed.json": json_feed(channel, newest, principles, body),
    }
    by_principle: dict[str, list[Tip]] = {slug: [] for slug in principles}
    for tip in published_newest_first:
        for slug in tip.tags:
            if len(by_principle[slug]) < length:
                by_principle[slug].append(tip)
        if all(len(v) >= length for v in by_principle.values()):
            break
    for slug, tips in by_principle.items():
        p = principles[slug]
        outputs[f"principles/{slug}/feed.xml"] = rss(
            channel, tips, principles, body, title=f"{channel.title}: {p.name}",
            page=f"principles/{slug}/", feed_path=f"principles/{slug}/feed.xml")
    written = []
    for rel, data in outputs.items():
        write_atomic(out_dir / rel, data)
        written.append(out_dir / rel)
    return written
