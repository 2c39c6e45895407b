"""Atom feeds and Blogger exports (an Atom feed with Blogger's own elements)."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

from .posts import APP, ATOM, BLOGGER, Archive, Post, absolute, iso_date, text_of

KIND_SCHEME = "http://schemas.google.com/g/2005#kind"


def _atom_text(element: ET.Element | None) -> str:
    """An Atom text construct as HTML, whatever its type."""
    if element is None:
        return ""
    kind = element.get("type", "text")
    if kind == "xhtml":
        div = element.find("{http://www.w3.org/1999/xhtml}div")
        parts = div if div is not None else element
        inner = (parts.text or "") + "".join(ET.tostring(child, encoding="unicode") for child in parts)
        return re.sub(r"<(/?)html:", r"<\1", re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", inner)).strip()
    if kind in ("html", "text/html"):
        return (element.text or "").strip()
    return html.escape((element.text or "").strip(), quote=False)


def _plain(text_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text_html)).strip()


def _alternate(entry: ET.Element) -> str:
    for link in entry.findall(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("type", "text/html") in ("text/html", ""):
            return link.get("href", "")
    return ""


def read_atom(feed: ET.Element) -> Archive:
    feed_id = text_of(feed, f"{ATOM}id")
    entries = feed.findall(f"{ATOM}entry")
    blogger = feed_id.startswith("tag:blogger.com") or any(
        e.find(f"{BLOGGER}type") is not None or _blogger_kind(e) for e in entries)
    site = _alternate(feed) or None
    feed_author = text_of(feed, f"{ATOM}author/{ATOM}name")
    posts, ignored = [], 0
    for entry in entries:
        draft = False
        if blogger:
            kind = (text_of(entry, f"{BLOGGER}type") or _blogger_kind(entry)).lower()
            status = text_of(entry, f"{BLOGGER}status").upper()
            if kind != "post" or status in ("SOFT_TRASHED", "DELETED", "TRASHED"):
                ignored += 1
                continue
            draft = status == "DRAFT" or text_of(entry, f"{APP}control/{APP}draft").lower() == "yes"
        url = _alternate(entry) or text_of(entry, f"{BLOGGER}filename")
        summary = _atom_text(entry.find(f"{ATOM}summary"))
        content = _atom_text(entry.find(f"{ATOM}content"))
        posts.append(Post(
            title=_plain(_atom_text(entry.find(f"{ATOM}title"))),
            date=iso_date(text_of(entry, f"{ATOM}published") or text_of(entry, f"{ATOM}updated")),
            html=content or summary, url=absolute(url, site),
            author=text_of(entry, f"{ATOM}author/{ATOM}name") or feed_author or None,
            excerpt=summary if content else None,
            categories=tuple(c.get("label") or c.get("term", "") for c in entry.findall(f"{ATOM}category")
                             if c.get("scheme") != KIND_SCHEME and (c.get("label") or c.get("term"))),
            draft=draft, aliases=tuple(filter(None, [absolute(text_of(entry, f"{ATOM}id"), None)]))))
    title = _plain(_atom_text(feed.find(f"{ATOM}title")))
    return Archive("Blogger export" if blogger else "Atom feed", title, site, tuple(posts), ignored)


def _blogger_kind(entry: ET.Element) -> str:
    for category in entry.findall(f"{ATOM}category"):
        if category.get("scheme") == KIND_SCHEME:
            return category.get("term", "").rpartition("#")[2]
    return ""
