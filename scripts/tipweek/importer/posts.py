"""A post as an old blog had it, an archive of them, and the small readers every
format's reader shares (text, dates, an author's name)."""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import urljoin

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
BLOGGER = "{http://schemas.google.com/blogger/2018}"
APP = "{http://purl.org/atom/app#}"


@dataclass(frozen=True, slots=True)
class Post:
    """One post as the old blog had it; the body and excerpt are HTML."""

    title: str
    date: dt.date | None
    html: str
    url: str | None = None
    author: str | None = None
    excerpt: str | None = None
    categories: tuple[str, ...] = ()
    draft: bool = False
    notes: tuple[tuple[str, str], ...] = ()  # (what reading it had to drop, what to do), for the report
    slug: str | None = None  # the blog's own slug for it (WordPress' post_name), when it has one
    aliases: tuple[str, ...] = ()  # other addresses it is known by (a WordPress guid, an Atom id)


@dataclass(frozen=True, slots=True)
class Archive:
    kind: str  # "WordPress export", "Blogger export", "RSS feed", "Atom feed"
    title: str
    site_url: str | None
    posts: tuple[Post, ...]
    ignored: int = 0  # entries that are not posts: pages, attachments, comments, trashed posts
    warnings: tuple[str, ...] = ()  # what reading it had to repair, for the report


def text_of(element: ET.Element | None, path: str | None = None) -> str:
    if element is not None and path is not None:
        element = element.find(path)
    return (element.text or "").strip() if element is not None else ""


def rfc822_date(text: str) -> dt.date | None:
    if not re.search(r"\s\d{4}\s", f" {text} "):  # WordPress writes a draft's as "30 Nov -0001"
        return iso_date(text)
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return iso_date(text)
    return parsed.date() if parsed and parsed.year > 1 else None


def iso_date(text: str) -> dt.date | None:
    """The date as the blog wrote it (its own time zone): a post of Tuesday
    evening stays on Tuesday."""
    text = text.strip()
    if not text or text.startswith("0000"):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def author_name(text: str) -> str:
    """RSS's author is 'address (Name)'; keep the name."""
    name, address = email.utils.parseaddr(text)
    return name or ("" if "@" in text else text)



def absolute(url: str, site: str | None) -> str | None:
    url = url.strip()
    if not url:
        return None
    joined = urljoin(site, url) if site else url
    return joined if joined.startswith(("http://", "https://")) else None
