"""RSS 2.0 feeds and WordPress exports (an RSS channel with WordPress' own elements)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote

from .posts import (
    CONTENT,
    DC,
    Archive,
    Post,
    absolute,
    author_name,
    iso_date,
    rfc822_date,
    text_of,
)

WP_EXPORT = "{http://wordpress.org/export/"
# Statuses of a WordPress post that are not public; such a post comes in as a draft.
WP_DRAFT = {"draft", "pending", "private", "auto-draft"}
# WordPress shortcodes that only WordPress can render; the content between them stays.
SHORTCODE = re.compile(r"\[(/?)(caption|gallery|embed|audio|video|playlist)\b[^\]]*\]", re.I)
BLOCKS = "p|div|h[1-6]|ul|ol|blockquote|pre|table|figure|hr|dl|section"
BLOCK_EDGE = re.compile(rf"(<(?:{BLOCKS})\b[^>]*>|</(?:{BLOCKS})>)", re.I)
BLOCK_START = re.compile(rf"\s*<(?:!--|/?(?:{BLOCKS}|li)\b)", re.I)


def wordpress_namespace(channel: ET.Element) -> str | None:
    for element in channel.iter():
        if element.tag.startswith(WP_EXPORT) and "/excerpt/" not in element.tag:
            return element.tag.partition("}")[0] + "}"
    return None


def read_rss(channel: ET.Element) -> Archive:
    site = text_of(channel, "link") or None
    posts = []
    for item in channel.iter("item"):
        content = text_of(item, f"{CONTENT}encoded")
        description = text_of(item, "description")
        guid = item.find("guid")
        link = text_of(item, "link") or (text_of(guid) if guid is not None and guid.get("isPermaLink") != "false" else "")
        aliases = tuple(filter(None, [absolute(text_of(guid), site)])) if guid is not None else ()
        date = rfc822_date(text_of(item, "pubDate") or text_of(item, f"{DC}date"))
        author = text_of(item, f"{DC}creator") or author_name(text_of(item, "author"))
        posts.append(Post(
            title=text_of(item, "title"), date=date, html=content or description,
            url=absolute(link, site), author=author or None,
            excerpt=description if content else None,
            categories=tuple(text_of(c) for c in item.findall("category") if text_of(c)), aliases=aliases))
    return Archive("RSS feed", text_of(channel, "title"), site, tuple(posts))


def read_wordpress(channel: ET.Element, wp: str) -> Archive:
    site = text_of(channel, f"{wp}base_blog_url") or text_of(channel, "link") or None
    authors = {text_of(a, f"{wp}author_login"): text_of(a, f"{wp}author_display_name")
               for a in channel.findall(f"{wp}author")}
    posts, ignored = [], 0
    for item in channel.findall("item"):
        status = text_of(item, f"{wp}status")
        if text_of(item, f"{wp}post_type") != "post" or status in ("trash", "inherit"):
            ignored += 1
            continue
        login = text_of(item, f"{DC}creator")
        body, notes = _wordpress_html(text_of(item, f"{CONTENT}encoded"))
        excerpt = next((text_of(e) for e in item if e.tag.endswith("/excerpt/}encoded")), "")
        # A draft's GMT date is zero and its pubDate says 1999 or -0001; the local date is the saved one.
        date = iso_date(text_of(item, f"{wp}post_date")) or rfc822_date(text_of(item, "pubDate"))
        posts.append(Post(
            title=text_of(item, "title"), date=date, html=body, url=absolute(text_of(item, "link"), site),
            author=authors.get(login) or login or None, excerpt=excerpt or None,
            categories=tuple(text_of(c) for c in item.findall("category")
                             if c.get("domain") in ("category", "post_tag") and text_of(c)),
            draft=status in WP_DRAFT, notes=notes, slug=_wordpress_slug(text_of(item, f"{wp}post_name")),
            aliases=tuple(filter(None, [absolute(text_of(item, "guid"), site)]))))
    return Archive("WordPress export", text_of(channel, "title"), site, tuple(posts), ignored)


def _wordpress_slug(post_name: str) -> str | None:
    """WordPress' slug for the post (stored percent-encoded); none for a draft
    that never had one, or for what trashing left of one."""
    slug = unquote(post_name).removesuffix("__trashed").strip()
    return slug or None


def _wordpress_html(content: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """WordPress stores a post without <p>: a blank line is a paragraph break
    (what its wpautop does when it shows the post). Shortcodes only WordPress
    understands are taken out and named for the report."""
    dropped = sorted({m.group(2).lower() for m in SHORTCODE.finditer(content) if m.group(2).lower() != "caption"})
    content = SHORTCODE.sub("", content).replace("\r\n", "\n")
    # A block element is a paragraph of its own, as wpautop has it.
    content = BLOCK_EDGE.sub(lambda m: f"\n\n{m.group(1)}" if not m.group(1).startswith("</") else f"{m.group(1)}\n\n",
                             content)
    paragraphs = []
    for chunk in re.split(r"\n\s*\n", content):
        if not chunk.strip():
            continue
        if BLOCK_START.match(chunk):
            paragraphs.append(chunk)
        else:
            paragraphs.append("<p>" + chunk.strip().replace("\n", "<br>\n") + "</p>")
    notes = tuple((f"removed the WordPress [{name}] shortcode (only WordPress can show it)",
                   "add what it showed by hand") for name in dropped)
    return "\n".join(paragraphs), notes
