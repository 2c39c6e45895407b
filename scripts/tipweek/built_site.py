"""``tipweek check --site DIR``: is a built site whole, with nothing in it
that is not out yet?

What the site should hold comes from the same edition, URL scheme and
choices the build uses (``urls``, ``feeds.tips_per_feed``,
``email.web_versions``), for the same ``today``, so the check cannot expect
anything the build would not write. Two questions:

- *missing*: every published tip's page, every principle's page and feed,
  the home page, archive, handbook (and its print edition), the site's feeds,
  the email's web versions and the search bundle are there and not empty;
  each feed names the tips it should carry; Pagefind's index holds every
  published tip and every principle.
- *leaked*: no scheduled or draft tip is in any page, feed, sitemap or the
  search index: not its URL (``tips/<slug>/``, or ``../<slug>/`` from a
  sibling tip page), nor its title as the text of an element or a value.

A site is read once, file by file, with a substring search per hidden tip,
so it takes a fraction of the build's time.
"""

from __future__ import annotations

import gzip
import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import markupsafe

from . import urls
from .edition import Edition
from .model import Tip

SEARCH_BUNDLE = "pagefind"
SEARCH_MANIFEST = "tipweek-parts.json"
SEARCH_FILES = ("pagefind.js", "pagefind-entry.json")
SEARCH_BOX = ("assets/search.js", "assets/search.css")
FRAGMENT_SIGNATURE = b"pagefind_dcd"  # Pagefind's gzipped files start with it, then JSON (fragments)
# The files a leak could be in: pages, feeds, sitemap, JSON; the theme's own
# scripts and stylesheets under assets/ cannot name a tip.
READ = (".html", ".xml", ".json", ".xml.gz")
SKIP_FOLDERS = {"assets", SEARCH_BUNDLE}
FEED, EMAIL = "a feed", "the email's web version"


@dataclass(frozen=True, slots=True)
class SiteProblem:
    """A missing or leaked output; shown as `tipweek check` shows a tip's problem."""

    path: str  # as the user named the site folder, then the file in it
    line: int | None
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}" + (f" ({self.hint})" if self.hint else "")

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message, "hint": self.hint}


@dataclass(frozen=True, slots=True)
class Summary:
    """What a whole site was found to hold (for the line `tipweek check` prints when all is well)."""

    tips: int
    principles: int
    feeds: int
    emails: int
    indexed: int
    hidden: int  # scheduled tips and drafts looked for and not found


def page_file(url: str) -> str:
    """The file a page URL of :mod:`urls` is written to (directory URLs)."""
    return url + "index.html"


def expected_outputs(edition: Edition) -> dict[str, str]:
    """Every file the build writes that the site must have: path -> what it is."""
    from .email import web_versions
    from .feeds import tips_per_feed

    wanted = {page_file(urls.HOME): "the home page", page_file(urls.ARCHIVE): "the archive",
              page_file(urls.HANDBOOK): "the handbook", page_file(urls.HANDBOOK_PRINT): "the handbook's print edition",
              page_file(urls.PRINCIPLES): "the principles page"}
    for tip in edition.published:
        wanted[page_file(urls.tip(tip.slug))] = f"the page of the tip '{tip.title}' ({tip.date})"
    for slug, principle in edition.principles.items():
        wanted[page_file(urls.principle(slug))] = f"the page of the principle '{principle.name}'"
    for path in tips_per_feed(edition):
        wanted[path] = FEED
    for path, (tip, rerun_on) in web_versions(edition).items():
        wanted[path] = f"{EMAIL} ('{tip.title}'{', re-run' if rerun_on else ''})"
    for path in SEARCH_BOX:
        wanted[path] = "the search box"
    for name in (*SEARCH_FILES, SEARCH_MANIFEST):
        wanted[f"{SEARCH_BUNDLE}/{name}"] = "the search index"
    return wanted


def indexed_pages(edition: Edition) -> set[str]:
    """The pages Pagefind must index (those the templates give a body):
    published tips and the principles."""
    return {urls.tip(t.slug) for t in edition.published} | {urls.principle(slug) for slug in edition.principles}


def hidden_tips(edition: Edition) -> list[Tip]:
    """The tips that must be nowhere in the site on ``today``: drafts and scheduled ones."""
    return [tip for tip in edition.library.tips if edition.status(tip)]


# --------------------------------------------------------------------- the check

def check_site(edition: Edition, site: Path, shown_as: str | None = None) -> tuple[list[SiteProblem], Summary]:
    """Every missing and every leaked output of ``site`` for ``edition``
    (paths prefixed with ``shown_as``, default the folder as given)."""
    prefix = (shown_as if shown_as is not None else str(site)).rstrip("/") + "/"
    problems: list[SiteProblem] = []
    wanted = expected_outputs(edition)
    hidden = hidden_tips(edition)
    published_titles = {tip.title for tip in edition.published}
    needles = [_Needles(tip, edition.status(tip), tip.title not in published_titles) for tip in hidden]

    bundle_there = (site / SEARCH_BUNDLE).is_dir()
    if not bundle_there:
        problems.append(SiteProblem(prefix + SEARCH_BUNDLE + "/", None, "the search index is missing",
                                    "the build did not run Pagefind; build with tipweek build"))
    for path, what in wanted.items():
        if not bundle_there and path.startswith(SEARCH_BUNDLE + "/"):
            continue
        problem = _missing(site, path, what)
        if problem:
            problems.append(SiteProblem(prefix + path, None, problem, "build the site again with tipweek build"))

    problems += _feeds_carry_their_tips(edition, site, prefix)
    indexed = 0
    if bundle_there:
        found, search_problems = _search_index(edition, site, prefix, needles)
        problems += search_problems
        indexed = len(found)
    own_pages = {page_file(urls.tip(needle.tip.slug)): needle for needle in needles}
    for rel, data in _readable(site):
        if rel in own_pages:  # a hidden tip's own page (a preview's, or one built another day)
            needle = own_pages[rel]
            problems.append(SiteProblem(prefix + rel, None, f"{needle.label} has a page", needle.hint))
            continue
        found = []
        for needle in needles:
            leak = needle.find(data, in_tip_page=rel.startswith("tips/"))
            if leak is not None:
                line, what = leak
                found.append(SiteProblem(prefix + rel, line, f"{needle.label} is in it ({what})", needle.hint))
        problems += sorted(found, key=lambda problem: problem.line)
    summary = Summary(tips=len(edition.published), principles=len(edition.principles),
                      feeds=sum(what == FEED for what in wanted.values()),
                      emails=sum(what.startswith(EMAIL) for what in wanted.values()), indexed=indexed,
                      hidden=len(hidden))
    return problems, summary


def _missing(site: Path, path: str, what: str) -> str | None:
    try:
        size = (site / path).stat().st_size
    except (FileNotFoundError, NotADirectoryError):
        return f"missing: {what}"
    if size == 0:  # the plugin's placeholder for a feed or email: the build stopped before writing it
        return f"empty: {what}"
    return None


def _feeds_carry_their_tips(edition: Edition, site: Path, prefix: str) -> list[SiteProblem]:
    from .feeds import tips_per_feed

    problems = []
    for path, tips in tips_per_feed(edition).items():
        try:
            data = (site / path).read_bytes()
        except OSError:
            continue  # reported as missing
        if not data:
            continue
        for tip in tips:
            if edition.site.absolute(urls.tip(tip.slug)).encode() not in data:
                problems.append(SiteProblem(prefix + path, None, f"does not carry the tip '{tip.title}' "
                                            f"({urls.tip(tip.slug)})", "build the site again with tipweek build"))
    return problems


def _search_index(edition: Edition, site: Path, prefix: str, needles: list["_Needles"]):
    """The pages Pagefind's fragments (one per indexed page: its URL, title
    and text, gzipped JSON) say the index holds, in every part of the
    bundle; a page that should be there and is not, and a hidden tip in one."""
    problems: list[SiteProblem] = []
    bundle = site / SEARCH_BUNDLE
    parts = [bundle]
    try:
        manifest = json.loads((bundle / SEARCH_MANIFEST).read_text("utf-8"))
        parts += [bundle / part for part in manifest.get("parts", [])]
    except (OSError, ValueError, AttributeError):
        pass  # a missing manifest is reported with the other files; an unreadable one:
    for part in parts[1:]:
        for name in SEARCH_FILES:
            rel = f"{part.relative_to(site).as_posix()}/{name}"
            problem = _missing(site, rel, "a part of the search index")
            if problem:
                problems.append(SiteProblem(prefix + rel, None, problem, "build the site again with tipweek build"))
    found: dict[str, str] = {}
    for part in parts:
        for fragment in sorted((part / "fragment").glob("*.pf_fragment")):
            rel = fragment.relative_to(site).as_posix()
            try:
                data = gzip.decompress(fragment.read_bytes())
                record = json.loads(data.removeprefix(FRAGMENT_SIGNATURE))
                url = str(record["url"]).lstrip("/")
            except (OSError, ValueError, KeyError, TypeError, EOFError):
                problems.append(SiteProblem(prefix + rel, None, "not a Pagefind fragment",
                                            "build the site again with tipweek build"))
                continue
            found[url] = rel
            for needle in needles:
                leak = needle.find(data, in_tip_page=False)
                if leak is not None:
                    problems.append(SiteProblem(prefix + rel, None, f"{needle.label} is in the search index "
                                                f"({leak[1]})", needle.hint))
    for url in sorted(indexed_pages(edition) - set(found)):
        problems.append(SiteProblem(prefix + SEARCH_BUNDLE + "/", None, f"the search index lacks {url}",
                                    "build the site again with tipweek build"))
    return found, problems


def _readable(site: Path) -> Iterator[tuple[str, bytes]]:
    """Each page, feed, sitemap and JSON file of the site (path, bytes), in path order."""
    for folder, dirs, files in os.walk(site):
        rel_folder = Path(folder).relative_to(site).as_posix()
        if rel_folder == ".":
            dirs[:] = [d for d in dirs if d not in SKIP_FOLDERS]
            rel_folder = ""
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(READ):
                continue
            rel = f"{rel_folder}/{name}" if rel_folder else name
            try:
                data = (Path(folder) / name).read_bytes()
                if name.endswith(".gz"):
                    data = gzip.decompress(data)
            except (OSError, EOFError, gzip.BadGzipFile):
                continue
            yield rel, data


class _Needles:
    """How one hidden tip shows up in a file, if it does."""

    def __init__(self, tip: Tip, status: str, by_title: bool):
        self.tip = tip
        self.label = f"{status} tip '{tip.title}'"
        when = "a draft is never published" if status == "draft" else f"it is out on {tip.date.isoformat()}"
        self.hint = f"{tip.path}: {when}; the build must leave it out"
        self.url = urls.tip(tip.slug).encode()
        self.sibling = f'"../{tip.slug}/'.encode()  # a link from another tip's page
        self.titles = _title_forms(tip.title) if by_title else []

    def find(self, data: bytes, *, in_tip_page: bool) -> tuple[int, str] | None:
        """(line, what was found) of the first sign of the tip in ``data``, else None."""
        at = data.find(self.url)
        if at < 0 and in_tip_page:
            at = data.find(self.sibling)
        if at >= 0:
            return _line(data, at), f"its URL {urls.tip(self.tip.slug)}"
        for form, delimited in self.titles:
            if form in data:
                match = delimited.search(data)
                if match:
                    return _line(data, match.start()), "its title"
        return None


def _title_forms(title: str) -> list[tuple[bytes, re.Pattern[bytes]]]:
    """The title as it can be written in HTML, XML and JSON, each with a
    pattern that finds it as a whole text or value (`>Title<`, `"Title"`),
    not as words inside a sentence."""
    json_text = json.dumps(title, ensure_ascii=False)[1:-1]
    forms = {title, html.escape(title), html.escape(title, quote=False), str(markupsafe.escape(title)), json_text,
             json_text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")}
    found = []
    for form in sorted(forms):
        encoded = form.encode("utf-8")
        found.append((encoded, re.compile(rb'[>"]\s*' + re.escape(encoded) + rb'\s*[<"]')))
    return found


def _line(data: bytes, at: int) -> int:
    return data.count(b"\n", 0, at) + 1
