"""Read an archive (RSS 2.0, Atom, a WordPress export or a Blogger export)
into :class:`Post` records, whatever the format called things.

XML is parsed with defusedxml: an export is a file from elsewhere, and a
document that declares entities (the "billion laughs") is refused. An export
that uses a namespace prefix it never declares (Blogger's `app:` on drafts,
in files that lost the declaration) is read with the prefix declared, and a
warning.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import defusedxml
import defusedxml.ElementTree as SafeET

from .atom import read_atom
from .fetch import SourceError
from .posts import APP, ATOM, BLOGGER, CONTENT, DC, Archive
from .rss import read_rss, read_wordpress, wordpress_namespace

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
        wp = wordpress_namespace(channel)
        archive = read_wordpress(channel, wp) if wp else read_rss(channel)
        return replace(archive, warnings=warnings)
    if root.tag == f"{ATOM}feed":
        return replace(read_atom(root), warnings=warnings)
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
