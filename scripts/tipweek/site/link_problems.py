"""What MkDocs finds wrong in a tip's links and images, said as tipweek says it.

MkDocs resolves a tip's relative links and images on its page,
``tips/<slug>.md``, and its validation (``validation:`` in mkdocs.yml)
logs a warning for one that leads nowhere: ``tipweek build --strict`` then
fails. :class:`PageProblems`, a filter on MkDocs' page logger that the
plugin installs, turns such a warning about a tip's page into the tip's file
and line and what to do (``tips/2027/2027-02-02-x.md:9: ... (hint)``), in the
build and in ``tipweek check`` (link_check) alike.
"""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..library.model import Library, Tip, TipError
from ..library.dates import long_date
from ..calendar.schedule import is_out

PAGES_LOGGER = "mkdocs.structure.pages"  # where MkDocs logs what it finds wrong in a page's links
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif")
# MkDocs 1.6's messages about a page's links (mkdocs/structure/pages.py).
_DOC = r"Doc file '(?P<page>[^']+)' contains "
_MESSAGES = (
    ("missing", re.compile(_DOC + r"a link '(?P<url>.*)', but the target(?: '(?P<target>.*)')? is not found "
                                  r"among documentation files\.")),
    ("unrecognised", re.compile(_DOC + r"an unrecognized relative link '(?P<url>.*)', it was left as is\.")),
    ("absolute", re.compile(_DOC + r"an absolute link '(?P<url>.*)', it was left as is\.")),
    ("own anchor", re.compile(_DOC + r"a link '(?P<url>.*)', but there is no such anchor on this page\.")),
    ("anchor", re.compile(_DOC + r"a link '(?P<url>.*)', but the doc '(?P<target>.*)' does not contain an "
                                 r"anchor '#(?P<anchor>.*)'\.")),
    ("excluded", re.compile(_DOC + r"a link to '(?P<target>.*)' which is excluded from the built site\.")),
)
_SUGGESTION = re.compile(r" Did you mean '(?P<suggest>.*)'\?$")
_ANCHOR_HINT = "link to a heading by its id: its words in lowercase, joined by hyphens"
_TIP_FILE = re.compile(r"^\d{4}-\d{2}-\d{2}-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md$")


def problem_of(message: str, library: Library, root: Path, docs_dir: str, today: dt.date) -> TipError | None:
    """MkDocs' ``message`` about a tip's page, as the checker says it: the
    tip's file (under ``root``) and line, what is wrong, what to do. None
    when the message is not about a tip's link. ``docs_dir`` as shown."""
    suggestion = _SUGGESTION.search(message)
    text = message[:suggestion.start()] if suggestion else message
    for kind, pattern in _MESSAGES:
        found = pattern.fullmatch(text)
        if found:
            break
    else:
        return None
    tip = tip_of_page(found["page"], library)
    if tip is None:
        return None
    groups = found.groupdict()
    url, target = groups.get("url"), groups.get("target")
    suggest = suggestion["suggest"] if suggestion else None
    if kind == "missing":
        target = target or unquote(urlsplit(url).path).lstrip("/")
        said, hint = _missing(url, target, library, docs_dir, suggest, already_out=is_out(tip, today))
    elif kind == "unrecognised":
        said = f"link '{url}' is not to a page: it has no '.md'"
        hint = f"write '{suggest}'" if suggest else "link to a tip as its-slug.md, to a page as ../page.md"
    elif kind == "absolute":
        said = f"link '{url}' starts with '/', so it breaks when the site is not at the root of its address"
        hint = f"write '{suggest}'" if suggest else "write it relative, e.g. ../about.md for docs/about.md"
    elif kind == "own anchor":
        said = f"link '{url}': this tip has no heading or id '{url.partition('#')[2]}'"
        hint = _ANCHOR_HINT
    elif kind == "anchor":
        other = tip_of_page(target, library)
        where = f"the tip {other.path}" if other else f"{_display_doc(docs_dir, target)}"
        said = f"link '{url}': {where} has no heading or id '{groups['anchor']}'"
        hint = _ANCHOR_HINT
    else:  # excluded
        url = target
        said = f"link to '{target}', which is left out of the built site (exclude_docs or draft_docs)"
        hint = "remove the link, or include the page"
    return TipError(tip.path, line_of(root / tip.path, url or ""), said, hint)


def _missing(url: str, target: str, library: Library, docs_dir: str, suggest: str | None, *,
             already_out: bool) -> tuple[str, str]:
    what = "image" if posixpath.splitext(target)[1].lower() in IMAGE_SUFFIXES else "link"
    other = tip_of_page(target, library)
    if other is not None:
        if other.draft:
            return (f"link '{url}' goes to a draft, {other.path}, and a draft is never published",
                    "remove the link, or publish that tip first with draft: false")
        return (f"link '{url}' goes to '{other.title}', which is not out until {long_date(other.date)}",
                "remove the link until then" if already_out  # (a published tip keeps its date)
                else f"date this tip {other.date.isoformat()} or later, or remove the link")
    named = _TIP_FILE.match(posixpath.basename(target))
    if named and library.tip(named["slug"]) is not None:
        return (f"link '{url}' names a tip's file; a tip is linked by its slug", f"write '{named['slug']}.md'")
    if what == "image":
        return (f"image '{url}' is not in the site: there is no {_display_doc(docs_dir, target)}",
                "add the file there, or fix the path: it is relative to tips/<slug>.md, "
                "so docs/images/x.png is ../images/x.png")
    if target.startswith("tips/") and target.endswith(".md"):
        import difflib  # (only for a link that goes nowhere)

        slug = target[len("tips/"):-len(".md")]
        close = difflib.get_close_matches(slug, [t.slug for t in library.tips], n=1, cutoff=0.6)
        hint = (f"did you mean '{close[0]}.md'?" if close
                else f"write '{suggest}'" if suggest else "link to a tip by its slug, e.g. own-the-mistake.md")
        return f"link '{url}' goes to no tip or page: there is no tip '{slug}'", hint
    return (f"link '{url}' goes to no page: there is no {_display_doc(docs_dir, target)}",
            f"write '{suggest}'" if suggest else "fix the path: it is relative to tips/<slug>.md, "
                                                 "so docs/about.md is ../about.md")


def tip_of_page(page: str | None, library: Library) -> Tip | None:
    """The tip whose generated page is ``page`` (``tips/<slug>.md``)."""
    if not page or not page.startswith("tips/") or not page.endswith(".md") or page.count("/") != 1:
        return None
    return library.tip(page[len("tips/"):-len(".md")])


def _display_doc(docs_dir: str, target: str) -> str:
    return f"{docs_dir.rstrip('/')}/{target}"


def line_of(path: Path, url: str) -> int:
    """The line of the tip file ``path`` that holds ``url`` (as written, or
    unquoted), after the front matter; the first line of the body if none does."""
    try:
        lines = path.read_text("utf-8").replace("\r\n", "\n").split("\n")
    except (OSError, UnicodeDecodeError):
        return 1
    start = 0
    if lines and lines[0].strip() == "---":
        start = next((n + 1 for n in range(1, len(lines)) if lines[n].strip() == "---"), 0)
    for needle in dict.fromkeys((url, unquote(url), url.replace("&", "&amp;"), urlsplit(url).path)):
        if needle:
            for n in range(start, len(lines)):
                if needle in lines[n]:
                    return n + 1
    return start + 1


class PageProblems(logging.Filter):
    """Rewrites MkDocs' warnings about a tip's page (which name the page,
    ``tips/<slug>.md``, that no editor has seen) as the checker's
    ``file:line: message (hint)``; the record keeps its level, so
    ``--strict`` counts it as before. The problem is kept on the record as
    ``tipweek_problem``."""

    def __init__(self, library: Library, root: Path, docs_dir: str, today: dt.date):
        super().__init__()
        self.library, self.root, self.docs_dir, self.today = library, Path(root), docs_dir, today

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "tipweek_problem", None) is None:
            try:
                message = record.getMessage()
            except Exception:  # not ours to mend
                return True
            problem = problem_of(message, self.library, self.root, self.docs_dir, self.today)
            if problem is not None:
                record.msg, record.args, record.tipweek_problem = str(problem), (), problem
        return True

    @classmethod
    def install(cls, *args) -> "PageProblems":
        found = cls(*args)
        logger = logging.getLogger(PAGES_LOGGER)
        for old in [f for f in logger.filters if isinstance(f, cls)]:
            logger.removeFilter(old)
        logger.addFilter(found)
        return found

    def uninstall(self) -> None:
        logging.getLogger(PAGES_LOGGER).removeFilter(self)


