"""The links and images of a tip, as the build checks them.

MkDocs resolves a tip's relative links and images on its page,
``tips/<slug>.md``, and its validation (``validation:`` in mkdocs.yml)
logs a warning for one that leads nowhere: ``tipweek build --strict`` then
fails. A scheduled tip's page is built only from its date, so a broken link
in it would pass every check and stop the build on its own Tuesday.

Two things here, on MkDocs' own resolution (no second link resolver):

- :class:`PageProblems`, a filter on MkDocs' page logger that the plugin
  installs: a warning about a tip's page names the tip's file and line and
  says what to do (``tips/2027/2027-02-02-x.md:9: ... (hint)``), in the build
  and in ``tipweek check`` alike;
- :func:`link_problems`, for ``tipweek check``: each tip whose body has a
  relative link or image is rendered by MkDocs' page machinery against the
  site as it will be on the day the tip is built (its date, or today for a
  tip already out): a tip dated later, or a draft, is not there yet.
  Only those tips are rendered, and MkDocs is loaded only when there is one.
"""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import urls
from .model import Library, Tip, TipError
from .schedule import is_out, long_date

PAGES_LOGGER = "mkdocs.structure.pages"  # where MkDocs logs what it finds wrong in a page's links
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif")
_SCHEME = r"(?![a-zA-Z][a-zA-Z0-9+.-]*:|//)"
# A link, an image, a reference definition or an HTML href/src whose address
# has no scheme: the only ones MkDocs resolves (a superset; MkDocs decides).
_LOCAL = re.compile(rf"\]\(\s*<?{_SCHEME}|^[ ]{{0,3}}\[[^\]\n]+\]:\s*<?{_SCHEME}|"
                    rf"\b(?:href|src)\s*=\s*[\"']?{_SCHEME}", re.M | re.I)

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


def may_link(body: str) -> bool:
    """Whether ``body`` may hold a link or image MkDocs resolves (one to
    another website it leaves alone). Cheap: most tips are answered by the
    first, C-level, test."""
    if "](" not in body and "]:" not in body and "href" not in body and "src" not in body:
        return False
    return _LOCAL.search(body) is not None


# --------------------------------------------------------------------------- messages

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
    tip = _tip_of_page(found["page"], library)
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
        other = _tip_of_page(target, library)
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
    other = _tip_of_page(target, library)
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


def _tip_of_page(page: str | None, library: Library) -> Tip | None:
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


# --------------------------------------------------------------------------- tipweek check

class _SiteOn:
    """The site's files as the build will have them on ``day``: every file of
    a build that shows every tip, less the pages of tips not out that day
    (the tip being checked stays: it is built on ``day``)."""

    def __init__(self, files, hidden: frozenset[str], own: str):
        self._files, self._hidden, self._own = files, hidden, own

    def get_file_from_path(self, path: str):
        if path in self._hidden and path != self._own:
            return None
        return self._files.get_file_from_path(path)

    def __getattr__(self, name: str):
        return getattr(self._files, name)

    def __iter__(self):
        return (f for f in self._files if f.src_uri not in self._hidden or f.src_uri == self._own)


class _Captured(logging.Handler):
    """The problems MkDocs logs at WARNING or above (what --strict counts)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def link_problems(project, library: Library, today: dt.date) -> list[TipError]:
    """The links and images of every tip (published, scheduled, draft), each
    checked as the build will check it on the day the tip is built: its
    date, or ``today`` for a tip already out. [] without loading MkDocs when
    no tip has a relative link or image; the last answer again while nothing
    it depends on changed (``.tipweek/cache/links.json``)."""
    if not library.principles or not any(tip.local_links for tip in library.tips):
        return []  # (no vocabulary: its error says what to fix first)
    key = _answer_key(project, library, today)
    remembered = _remembered(project.root, key)
    if remembered is not None:
        return remembered
    found = _render_and_check(project, library, today)
    _remember(project.root, key, found)
    return found


def _answer_key(project, library: Library, today: dt.date) -> str | None:
    """A digest of everything the answer depends on: mkdocs.yml, the code and
    packages that render, docs/ (pages and images, by size and time), every
    tip and today. None for a mkdocs.yml that means more than its bytes."""
    import hashlib
    import os

    from .bodycache import _versions
    from .configcache import _OUTSIDE

    text = Path(project.config_file).read_bytes()
    if _OUTSIDE.search(text):
        return None
    digest = hashlib.blake2b(text, digest_size=20)
    here = os.stat(Path(__file__))
    digest.update(f"\0{_versions()}\0links.py={here.st_size}:{here.st_mtime_ns}\0{today}\0".encode())
    docs = project.root / project.docs_dir
    for folder, dirs, names in os.walk(docs):
        dirs.sort()
        for name in sorted(names):
            try:
                st = os.stat(os.path.join(folder, name))
            except OSError:
                continue
            digest.update(f"{os.path.relpath(os.path.join(folder, name), docs)}:{st.st_size}:{st.st_mtime_ns}\0"
                          .encode())
    for tip in library.tips:
        digest.update(repr(tip).encode())
    return digest.hexdigest()


def _answers(root: Path) -> Path:
    from .tipcache import CACHE_DIR

    return Path(root) / CACHE_DIR / "links.json"


def _remembered(root: Path, key: str | None) -> list[TipError] | None:
    import json

    if key is None:
        return None
    try:
        data = json.loads(_answers(root).read_text("utf-8"))
        # (the lines named: a file whose front matter grew has the same tip, on other lines)
        if data["key"] == key and all(_stamp(root, path) == stamp for path, stamp in data["stamps"].items()):
            return [TipError(**error) for error in data["errors"]]
    except Exception:  # missing, half-written, from another version: check again
        pass
    return None


def _remember(root: Path, key: str | None, found: list[TipError]) -> None:
    import json

    from .bodycache import _store

    if key is not None:
        stamps = {e.path: _stamp(root, e.path) for e in found}
        _store(_answers(root), json.dumps({"key": key, "errors": [e.as_dict() for e in found], "stamps": stamps}))


def _stamp(root: Path, path: str) -> list[int] | None:
    try:
        st = (Path(root) / path).stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def _render_and_check(project, library: Library, today: dt.date) -> list[TipError]:
    checked = [tip for tip in library.tips if tip.local_links]
    slugs: set[str] = set()
    once = tuple(t for t in library.tips if not (t.slug in slugs or slugs.add(t.slug)))
    if len(once) != len(library.tips):  # (a slug used twice is the checker's error already; one page each)
        library = Library(once, library.principles)
        kept = {id(t) for t in once}
        checked = [tip for tip in checked if id(tip) in kept]
    from mkdocs.structure.files import get_files, set_exclusions
    from mkdocs.structure.pages import Page

    from .edition import Edition
    from .render import PageRenderer

    config = project.mkdocs
    plugin = project.plugin
    plugin.prepared = Edition(project.site, library, today, project.options, preview=True)  # every tip a page
    logger = logging.getLogger(PAGES_LOGGER)
    captured, propagate = _Captured(), logger.propagate
    logger.addHandler(captured)
    logger.propagate = False  # (no stray lines on the terminal: they are the checker's to print)
    found: list[TipError] = []
    try:
        config = config.plugins.on_config(config)
        files = get_files(config)
        files.add_files_from_theme(config.theme.get_env(), config)
        files = config.plugins.on_files(files, config=config)
        set_exclusions(files, config)
        rendered: set[str] = set()

        def render_target(file, site) -> None:
            """A page a link's anchor points into, rendered for its anchors only."""
            if file.src_uri in rendered or not file.is_documentation_page():
                return
            before = len(captured.records)
            tip = _tip_of_page(file.src_uri, library)
            if tip is not None:
                PageRenderer(config, site)(tip)
            else:
                page = file.page or Page(None, file, config)
                page.read_source(config)
                page.render(config, site)
            del captured.records[before:]  # (its own problems are its own)
            rendered.add(file.src_uri)

        not_out: dict[dt.date, frozenset[str]] = {}  # (one set a day: the published tips share today's)
        for tip in checked:
            day = max(tip.date, today)
            if day not in not_out:
                not_out[day] = frozenset(urls.tip_source(t.slug) for t in library.tips if not is_out(t, day))
            site = _SiteOn(files, not_out[day], urls.tip_source(tip.slug))
            before = len(captured.records)
            PageRenderer(config, site)(tip)
            rendered.add(urls.tip_source(tip.slug))
            page = files.get_file_from_path(urls.tip_source(tip.slug)).page
            mine = captured.records[before:]
            del captured.records[before:]
            if page.links_to_anchors:
                for target in page.links_to_anchors:
                    render_target(target, site)
                page.validate_anchor_links(files=site, log_level=config.validation.links.anchors)
            mine += captured.records[before:]
            del captured.records[before:]
            for record in mine:
                problem = getattr(record, "tipweek_problem", None)
                found.append(problem or TipError(tip.path, 1, record.getMessage()))
    finally:
        logger.removeHandler(captured)
        logger.propagate = propagate
        config.plugins.on_shutdown()
    return list(dict.fromkeys(found))
