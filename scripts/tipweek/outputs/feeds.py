"""RSS 2.0, Atom 1.0 and JSON Feed 1.1 from an edition's published tips.

Only the bodies of the tips a feed carries are rendered, so a feed costs the
same with 50 tips or 5,000. The build and ``tipweek feed`` both call
:func:`write_feeds` with the edition, so their bytes are the same.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

from feedgen.feed import FeedGenerator

from ..edition import urls
from ..edition.edition import Edition
from ..library.model import Tip
from .atomic import write_atomic

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def _generator(edition: Edition, title: str, page: str, feed_path: str, tips: list[Tip]) -> FeedGenerator:
    site = edition.site
    fg = FeedGenerator()
    fg.load_extension("dc")
    fg.id(site.absolute(page))
    fg.title(title)
    fg.subtitle(site.description)  # RSS <description>
    # feedgen gives RSS's <link> the last link set: the site (or principle) page, not the feed itself.
    fg.link(href=site.absolute(feed_path), rel="self")
    fg.link(href=site.absolute(page), rel="alternate")
    fg.language(site.language)
    fg.author(name=site.author)
    fg.generator("tipweek")
    # Deterministic: the feed changes when a tip comes out, not when it is rebuilt.
    stamp = site.published_at(tips[0]) if tips else dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    fg.updated(stamp)
    fg.lastBuildDate(stamp)
    return fg


def _add_entries(fg: FeedGenerator, edition: Edition, tips: list[Tip], *, summary_is_html: bool) -> None:
    """``summary_is_html``: RSS readers read <description> as HTML, so the
    plain-text summary goes in escaped (Atom's <summary> is typed as text)."""
    site = edition.site
    for tip in tips:
        url = site.absolute(urls.tip(tip.slug))
        entry = fg.add_entry(order="append")
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(tip.title)
        entry.link(href=url, rel="alternate")
        entry.published(site.published_at(tip))
        entry.updated(site.published_at(tip))
        author = site.author_of(tip)
        entry.author(name=author)
        entry.dc.dc_creator(author)
        entry.summary(html.escape(tip.summary, quote=False) if summary_is_html else tip.summary)
        entry.content(edition.bodies.away(tip), type="html")
        for slug in tip.tags:
            entry.category(term=slug, label=edition.principles[slug].name,
                           scheme=site.absolute(urls.principle(slug)))


def rss(edition: Edition, tips: list[Tip], *, title: str | None = None, page: str = urls.HOME,
        feed_path: str = urls.RSS) -> bytes:
    fg = _generator(edition, title or edition.site.name, page, feed_path, tips)
    _add_entries(fg, edition, tips, summary_is_html=True)
    return fg.rss_str(pretty=True)


def atom(edition: Edition, tips: list[Tip]) -> bytes:
    fg = _generator(edition, edition.site.name, urls.HOME, urls.ATOM, tips)
    _add_entries(fg, edition, tips, summary_is_html=False)
    return fg.atom_str(pretty=True)


def json_feed(edition: Edition, tips: list[Tip]) -> bytes:
    site = edition.site
    items = []
    for tip in tips:
        url = site.absolute(urls.tip(tip.slug))
        items.append({
            "id": url,
            "url": url,
            "title": tip.title,
            "summary": tip.summary,
            "content_html": edition.bodies.away(tip),
            "date_published": site.published_at(tip).isoformat(),
            "authors": [{"name": site.author_of(tip)}],
            "tags": [edition.principles[s].name for s in tip.tags],
        })
    feed = {
        "version": JSON_FEED_VERSION,
        "title": site.name,
        "home_page_url": site.url,
        "feed_url": site.absolute(urls.JSON_FEED),
        "description": site.description,
        "language": site.language,
        "authors": [{"name": site.author}],
        "items": items,
    }
    text = json.dumps(feed, indent=2, ensure_ascii=False)
    # Same values once parsed, but no raw markup in the bytes for a careless consumer to inject.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (text + "\n").encode("utf-8")


def _newest_per_principle(edition: Edition, length: int) -> dict[str, list[Tip]]:
    by_principle: dict[str, list[Tip]] = {slug: [] for slug in edition.principles}
    for tip in edition.published:
        for slug in tip.tags:
            if len(by_principle[slug]) < length:
                by_principle[slug].append(tip)
        if all(len(v) >= length for v in by_principle.values()):
            break
    return by_principle


def tips_per_feed(edition: Edition) -> dict[str, list[Tip]]:
    """Every feed of the site (path relative to the site folder) and the tips
    it carries, newest first; ``tipweek check --site`` expects the same."""
    newest = list(edition.feed_tips())
    feeds = {urls.RSS: newest, urls.ATOM: newest, urls.JSON_FEED: newest}
    for slug, tips in _newest_per_principle(edition, edition.options.feed_length).items():
        feeds[urls.principle_feed(slug)] = tips
    return feeds


def render_feeds(edition: Edition) -> dict[str, bytes]:
    """Every feed of the site (path relative to the site folder -> bytes)."""
    feeds = tips_per_feed(edition)
    outputs = {
        urls.RSS: rss(edition, feeds[urls.RSS]),
        urls.ATOM: atom(edition, feeds[urls.ATOM]),
        urls.JSON_FEED: json_feed(edition, feeds[urls.JSON_FEED]),
    }
    for slug in edition.principles:
        path = urls.principle_feed(slug)
        outputs[path] = rss(edition, feeds[path], title=f"{edition.site.name}: {edition.principles[slug].name}",
                            page=urls.principle(slug), feed_path=path)
    return outputs


def write_feeds(edition: Edition, out_dir: Path) -> list[Path]:
    """Write the site feeds and one RSS feed per principle; return the paths."""
    written = []
    for rel, data in render_feeds(edition).items():
        write_atomic(Path(out_dir) / rel, data)
        written.append(Path(out_dir) / rel)
    return written
