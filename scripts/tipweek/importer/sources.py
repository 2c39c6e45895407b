"""Read an archive (RSS 2.0, Atom, a WordPress export or a Blogger export)
into :class:`Post` records, whatever the format called things.

XML is parsed with defusedxml: an export is a file from elsewhere, and a
document that declares entities (the "billion laughs") is refused. An export
that uses a namespace prefix it never declares (Blogger's `app:` on drafts,
in files that lost the declaration) is read with the prefix declared, and a
warning.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace
from urllib.parse import unquote, urljoin

import defusedxml
import defusedxml.ElementTree as SafeET

from .fetch import SourceError

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
DC = "{http://purl.org/dc/elements/1.1/}"
BLOGGER = "{http://schemas.google.com/blogger/2018}"
APP = "{http://purl.org/atom/app#}"
# What an undeclared prefix stands for in the exports we read; another one gets a made-up namespace.
KNOWN_PREFIXES = {
    "app": APP[1:-1], "blogger": BLOGGER[1:-1], "content": CONTENT[1:-1], "dc": DC[1:-1],
    "gd": "http://schemas.google.com/g/2005", "georss": "http://www.georss.org/georss",
    "openSearch": "http://a9.com/-/spec/opensearchrss/1.0/", "thr": "http://purl.org/syndication/thread/1.0",
    "media": "http://search.yahoo.com/mrss/",
}
UNBOUND_PREFIX = 27  # expat's XML_ERROR_UNBOUND_PREFIX
PREFIXED_NAME = re.compile(rb"[<\s]/?([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*")
ROOT_TAG = re.compile(rb"<[A-Za-z_][\w.:-]*")
DECLARED_PREFIX = re.compile(rb"\sxmlns:([A-Za-z_][\w.-]*)\s*=")
KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
WP_EXPORT = "{http://wordpress.org/export/"
# Statuses of a WordPress post that are not public; such a post comes in as a draft.
WP_DRAFT = {"draft", "pending", "private", "auto-draft"}
# WordPress shortcodes that only WordPress can render; the content between them stays.
SHORTCODE = re.compile(r"\[(/?)(caption|gallery|embed|audio|video|playlist)\b[^\]]*\]", re.I)
BLOCKS = "p|div|h[1-6]|ul|ol|blockquote|pre|table|figure|hr|dl|section"
BLOCK_EDGE = re.compile(rf"(<(?:{BLOCKS})\b[^>]*>|</(?:{BLOCKS})>)", re.I)
BLOCK_START = re.compile(rf"\s*<(?:!--|/?(?:{BLOCKS}|li)\b)", re.I)


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


def read_archive(data: bytes, where: str) -> Archive:
    """Parse ``data``; raise :class:`SourceError` if it is not one of the four formats."""
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise SourceError(f"{where}: is a web page, not a feed or an export "
                          "(give the feed's address, or the file from the blog's export)")
    root, declared = _parse(data, where)
    warnings = ()
    if declared:
        several = len(declared) > 1
        warnings = (f"{where}: the namespace prefix{'es' * several} "
                    f"{', '.join(repr(f'{prefix}:') for prefix in declared)} {'are' if several else 'is'} used but "
                    f"never declared (the export lost the declaration); read {'them' if several else 'it'} as "
                    f"{', '.join(declared.values())}",)
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise SourceError(f"{where}: an <rss> document without a <channel>; not a feed")
        wp = _wordpress_namespace(channel)
        archive = _read_wordpress(channel, wp) if wp else _read_rss(channel)
        return replace(archive, warnings=warnings)
    if root.tag == f"{ATOM}feed":
        return replace(_read_atom(root), warnings=warnings)
    namespace, _, name = root.tag[1:].rpartition("}") if root.tag.startswith("{") else ("", "", root.tag)
    within = f" in the namespace {namespace}" if namespace else ""
    raise SourceError(f"{where}: not an RSS, Atom, WordPress or Blogger document "
                      f"(its root element is <{name}>{within})")


def _parse(data: bytes, where: str) -> tuple[ET.Element, dict[str, str]]:
    """The document's root, and the prefixes it used without declaring them
    (declared on its root element so that it parses: prefix -> namespace)."""
    declared: dict[str, str] = {}
    while True:
        try:
            return SafeET.fromstring(data), declared
        except defusedxml.DefusedXmlException:
            raise SourceError(f"{where}: the document declares XML entities; refusing to expand them") from None
        except ET.ParseError as exc:
            line, column = exc.position
            missing = _undeclared(data, exc) if exc.code == UNBOUND_PREFIX else {}
            if not missing:
                what = "a namespace prefix that is never declared" if exc.code == UNBOUND_PREFIX \
                    else "not well-formed XML"
                raise SourceError(f"{where}:{line}: {what} (column {column + 1}); "
                                  "export it again or open it in an XML editor") from None
            declared.update(missing)
            root = ROOT_TAG.search(data)
            declarations = "".join(f' xmlns:{prefix}="{namespace}"' for prefix, namespace in missing.items())
            data = data[:root.end()] + declarations.encode() + data[root.end():]


def _undeclared(data: bytes, error: ET.ParseError) -> dict[str, str]:
    """The prefixes of the start tag the parser stopped at that nothing in the document declares."""
    line, column = error.position
    lines = data.split(b"\n")
    if line > len(lines):
        return {}
    tag = re.sub(rb"'[^']*'|\"[^\"]*\"", b"", lines[line - 1][column:].split(b">", 1)[0])  # names, not values
    declared = {m.decode("ascii", "replace") for m in DECLARED_PREFIX.findall(data)} | {"xmlns", "xml"}
    found = {}
    for match in PREFIXED_NAME.finditer(tag):
        prefix = match.group(1).decode("ascii", "replace")
        if prefix not in declared:
            found[prefix] = KNOWN_PREFIXES.get(prefix, f"urn:tipweek:undeclared:{prefix}")
    return found


# --------------------------------------------------------------------------- small readers

def _text(element: ET.Element | None, path: str | None = None) -> str:
    if element is not None and path is not None:
        element = element.find(path)
    return (element.text or "").strip() if element is not None else ""


def _rfc822_date(text: str) -> dt.date | None:
    if not re.search(r"\s\d{4}\s", f" {text} "):  # WordPress writes a draft's as "30 Nov -0001"
        return _iso_date(text)
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return _iso_date(text)
    return parsed.date() if parsed and parsed.year > 1 else None


def _iso_date(text: str) -> dt.date | None:
    """The date as the blog wrote it (its own time zone): a post of Tuesday
    evening stays on Tuesday."""
    text = text.strip()
    if not text or text.startswith("0000"):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _author_name(text: str) -> str:
    """RSS's author is 'address (Name)'; keep the name."""
    name, address = email.utils.parseaddr(text)
    return name or ("" if "@" in text else text)


# --------------------------------------------------------------------------- RSS and WordPress

def _wordpress_namespace(channel: ET.Element) -> str | None:
    for element in channel.iter():
        if element.tag.startswith(WP_EXPORT) and "/excerpt/" not in element.tag:
            return element.tag.partition("}")[0] + "}"
    return None


def _read_rss(channel: ET.Element) -> Archive:
    site = _text(channel, "link") or None
    posts = []
    for item in channel.iter("item"):
        content = _text(item, f"{CONTENT}encoded")
        description = _text(item, "description")
        guid = item.find("guid")
        link = _text(item, "link") or (_text(guid) if guid is not None and guid.get("isPermaLink") != "false" else "")
        aliases = tuple(filter(None, [_absolute(_text(guid), site)])) if guid is not None else ()
        date = _rfc822_date(_text(item, "pubDate") or _text(item, f"{DC}date"))
        author = _text(item, f"{DC}creator") or _author_name(_text(item, "author"))
        posts.append(Post(
            title=_text(item, "title"), date=date, html=content or description,
            url=_absolute(link, site), author=author or None,
            excerpt=description if content else None,
            categories=tuple(_text(c) for c in item.findall("category") if _text(c)), aliases=aliases))
    return Archive("RSS feed", _text(channel, "title"), site, tuple(posts))


def _read_wordpress(channel: ET.Element, wp: str) -> Archive:
    site = _text(channel, f"{wp}base_blog_url") or _text(channel, "link") or None
    authors = {_text(a, f"{wp}author_login"): _text(a, f"{wp}author_display_name")
               for a in channel.findall(f"{wp}author")}
    posts, ignored = [], 0
    for item in channel.findall("item"):
        status = _text(item, f"{wp}status")
        if _text(item, f"{wp}post_type") != "post" or status in ("trash", "inherit"):
            ignored += 1
            continue
        login = _text(item, f"{DC}creator")
        body, notes = _wordpress_html(_text(item, f"{CONTENT}encoded"))
        excerpt = next((_text(e) for e in item if e.tag.endswith("/excerpt/}encoded")), "")
        # A draft's GMT date is zero and its pubDate says 1999 or -0001; the local date is the saved one.
        date = _iso_date(_text(item, f"{wp}post_date")) or _rfc822_date(_text(item, "pubDate"))
        posts.append(Post(
            title=_text(item, "title"), date=date, html=body, url=_absolute(_text(item, "link"), site),
            author=authors.get(login) or login or None, excerpt=excerpt or None,
            categories=tuple(_text(c) for c in item.findall("category")
                             if c.get("domain") in ("category", "post_tag") and _text(c)),
            draft=status in WP_DRAFT, notes=notes, slug=_wordpress_slug(_text(item, f"{wp}post_name")),
            aliases=tuple(filter(None, [_absolute(_text(item, "guid"), site)]))))
    return Archive("WordPress export", _text(channel, "title"), site, tuple(posts), ignored)


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


# --------------------------------------------------------------------------- Atom and Blogger

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


def _read_atom(feed: ET.Element) -> Archive:
    feed_id = _text(feed, f"{ATOM}id")
    entries = feed.findall(f"{ATOM}entry")
    blogger = feed_id.startswith("tag:blogger.com") or any(
        e.find(f"{BLOGGER}type") is not None or _blogger_kind(e) for e in entries)
    site = _alternate(feed) or None
    feed_author = _text(feed, f"{ATOM}author/{ATOM}name")
    posts, ignored = [], 0
    for entry in entries:
        draft = False
        if blogger:
            kind = (_text(entry, f"{BLOGGER}type") or _blogger_kind(entry)).lower()
            status = _text(entry, f"{BLOGGER}status").upper()
            if kind != "post" or status in ("SOFT_TRASHED", "DELETED", "TRASHED"):
                ignored += 1
                continue
            draft = status == "DRAFT" or _text(entry, f"{APP}control/{APP}draft").lower() == "yes"
        url = _alternate(entry) or _text(entry, f"{BLOGGER}filename")
        summary = _atom_text(entry.find(f"{ATOM}summary"))
        content = _atom_text(entry.find(f"{ATOM}content"))
        posts.append(Post(
            title=_plain(_atom_text(entry.find(f"{ATOM}title"))),
            date=_iso_date(_text(entry, f"{ATOM}published") or _text(entry, f"{ATOM}updated")),
            html=content or summary, url=_absolute(url, site),
            author=_text(entry, f"{ATOM}author/{ATOM}name") or feed_author or None,
            excerpt=summary if content else None,
            categories=tuple(c.get("label") or c.get("term", "") for c in entry.findall(f"{ATOM}category")
                             if c.get("scheme") != KIND_SCHEME and (c.get("label") or c.get("term"))),
            draft=draft, aliases=tuple(filter(None, [_absolute(_text(entry, f"{ATOM}id"), None)]))))
    title = _plain(_atom_text(feed.find(f"{ATOM}title")))
    return Archive("Blogger export" if blogger else "Atom feed", title, site, tuple(posts), ignored)


def _blogger_kind(entry: ET.Element) -> str:
    for category in entry.findall(f"{ATOM}category"):
        if category.get("scheme") == KIND_SCHEME:
            return category.get("term", "").rpartition("#")[2]
    return ""


def _absolute(url: str, site: str | None) -> str | None:
    url = url.strip()
    if not url:
        return None
    joined = urljoin(site, url) if site else url
    return joined if joined.startswith(("http://", "https://")) else None
