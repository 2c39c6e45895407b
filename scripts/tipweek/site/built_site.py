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
  Titles are looked for only in what tipweek writes (its pages, feeds,
  sitemap, search index): a hand-written docs page may quote one as an
  example (the editors' guide's ``tipweek new "..."``); URLs everywhere.

A site is read once, file by file, and each file searched with one pattern
for the URLs and one for the titles of all hidden tips: about a second of CPU
for a site of 5,000 tips, whose build takes over a minute.
"""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ..edition import urls
from ..edition.edition import Edition
from .leaks import HiddenTips

# Where ``search`` writes the index and the box (its BUNDLE, MANIFEST, SCRIPT and
# STYLESHEET; importing it would load MkDocs, so a test holds the two equal).
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
# What tipweek writes itself, where a hidden tip's title is a sign of it: its pages (tips and their
# huddle cards, principles, archive, handbook and its print edition, home, email web versions), feeds
# (principle feeds are under principles/) and the sitemap. Hand-written docs pages are not among them.
GENERATED_FILES = {urls.HOME + "index.html", urls.RSS, urls.ATOM, urls.JSON_FEED,
                   "sitemap.xml", "sitemap.xml.gz"}
GENERATED_FOLDERS = ("tips/", urls.PRINCIPLES, urls.ARCHIVE, urls.HANDBOOK,
                     os.path.dirname(urls.EMAIL_LATEST) + "/")
REBUILD = "build the site again with tipweek build, for the day this check is for"


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
    from ..outputs.email import web_versions
    from ..outputs.feeds import tips_per_feed

    wanted = {page_file(urls.HOME): "the home page", page_file(urls.ARCHIVE): "the archive",
              page_file(urls.HANDBOOK): "the handbook", page_file(urls.HANDBOOK_PRINT): "the handbook's print edition",
              page_file(urls.PRINCIPLES): "the principles page"}
    for tip in edition.published:
        wanted[page_file(urls.tip(tip.slug))] = f"the page of the tip '{tip.title}' ({tip.date})"
        wanted[page_file(urls.huddle(tip.slug))] = f"the huddle card of the tip '{tip.title}'"
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


def check_site(edition: Edition, site: Path) -> tuple[list[SiteProblem], Summary]:
    """Every missing and every leaked output of ``site`` for ``edition``
    (paths start with the folder as given)."""
    prefix = str(site).rstrip("/") + "/"
    problems: list[SiteProblem] = []
    wanted = expected_outputs(edition)
    hidden = HiddenTips(edition)

    bundle_there = (site / SEARCH_BUNDLE).is_dir()
    if not bundle_there:
        problems.append(SiteProblem(prefix + SEARCH_BUNDLE + "/", None, "the search index is missing",
                                    "the build did not run Pagefind; build with tipweek build"))
    for path, what in wanted.items():
        if not bundle_there and path.startswith(SEARCH_BUNDLE + "/"):
            continue
        problem = _missing(site, path, what)
        if problem:
            problems.append(SiteProblem(prefix + path, None, problem, REBUILD))

    problems += _feeds_carry_their_tips(edition, site, prefix)
    indexed = 0
    if bundle_there:
        found, search_problems = _search_index(edition, site, prefix, hidden)
        problems += search_problems
        indexed = len(found)
    own_pages = {page_file(urls.tip(tip.slug)): tip for tip in hidden.tips}
    for rel, data in _readable(site):
        if rel in own_pages:  # a hidden tip's own page (a preview's, or one built another day)
            tip = own_pages[rel]
            problems.append(SiteProblem(prefix + rel, None, f"{hidden.label(tip)} has a page", hidden.hint(tip)))
            continue
        for tip, line, what in hidden.find(data, in_tip_page=rel.startswith("tips/"),
                                           titles=rel in GENERATED_FILES or rel.startswith(GENERATED_FOLDERS)):
            problems.append(SiteProblem(prefix + rel, line, f"{hidden.label(tip)} is in it ({what})",
                                        hidden.hint(tip)))
    summary = Summary(tips=len(edition.published), principles=len(edition.principles),
                      feeds=sum(what == FEED for what in wanted.values()),
                      emails=sum(what.startswith(EMAIL) for what in wanted.values()), indexed=indexed,
                      hidden=len(hidden.tips))
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
    from ..outputs.feeds import tips_per_feed

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
                                            f"({urls.tip(tip.slug)})", REBUILD))
    return problems


def _search_index(edition: Edition, site: Path, prefix: str, hidden: HiddenTips):
    """The pages Pagefind's fragments (one per indexed page: its URL, title
    and text, gzipped JSON) say the index holds, in every part of the
    bundle; a page that should be there and is not, and a hidden tip in one."""
    problems: list[SiteProblem] = []
    bundle = site / SEARCH_BUNDLE
    parts = [bundle]
    try:
        manifest = json.loads((bundle / SEARCH_MANIFEST).read_text("utf-8"))
        parts += [bundle / part for part in manifest["parts"]]
    except FileNotFoundError:
        pass  # reported with the other missing files
    except (OSError, ValueError, KeyError, TypeError):
        problems.append(SiteProblem(f"{prefix}{SEARCH_BUNDLE}/{SEARCH_MANIFEST}", None,
                                    "not the list of the search index's parts",
                                    REBUILD))
    for part in parts[1:]:
        for name in SEARCH_FILES:
            rel = f"{part.relative_to(site).as_posix()}/{name}"
            problem = _missing(site, rel, "a part of the search index")
            if problem:
                problems.append(SiteProblem(prefix + rel, None, problem, REBUILD))
    found: dict[str, str] = {}
    for part in parts:
        folder = part / "fragment"
        try:
            with os.scandir(folder) as listing:
                names = sorted(entry.name for entry in listing if entry.name.endswith(".pf_fragment"))
        except (FileNotFoundError, NotADirectoryError):
            continue  # its pages are reported as missing from the index
        for name in names:
            rel = f"{folder.relative_to(site).as_posix()}/{name}"
            try:
                with open(folder / name, "rb") as file:
                    data = gzip.decompress(file.read())
                record = json.loads(data.removeprefix(FRAGMENT_SIGNATURE))
                url = str(record["url"]).lstrip("/")
            except (OSError, ValueError, KeyError, TypeError, EOFError, gzip.BadGzipFile):
                problems.append(SiteProblem(prefix + rel, None, "not a Pagefind fragment",
                                            REBUILD))
                continue
            found[url] = rel
            for tip, _, what in hidden.find(data, in_tip_page=False):
                problems.append(SiteProblem(prefix + rel, None, f"{hidden.label(tip)} is in the search index "
                                            f"({what})", hidden.hint(tip)))
    for url in sorted(indexed_pages(edition) - set(found)):
        problems.append(SiteProblem(prefix + SEARCH_BUNDLE + "/", None, f"the search index lacks {url}",
                                    REBUILD))
    return found, problems


def _readable(site: Path) -> Iterator[tuple[str, bytes]]:
    """Each page, feed, sitemap and JSON file of the site (path, bytes), in path order."""
    def walk(folder: str, rel: str) -> Iterator[tuple[str, bytes]]:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
        for entry in entries:
            path = rel + entry.name
            if entry.is_dir(follow_symlinks=False):
                if not (rel == "" and entry.name in SKIP_FOLDERS):
                    yield from walk(entry.path, path + "/")
            elif entry.name.endswith(READ):
                try:
                    with open(entry.path, "rb") as file:
                        data = file.read()
                    if entry.name.endswith(".gz"):
                        data = gzip.decompress(data)
                except (OSError, EOFError, gzip.BadGzipFile):
                    continue
                yield path, data

    yield from walk(str(site), "")
