"""``tipweek check``: the links and images of every tip, as the build will check them.

A scheduled tip's page is built only from its date, so a broken link in it
would pass every check and stop the build on its own Tuesday.
:func:`link_problems` renders each tip whose body has a relative link or image
(local_links) with MkDocs' own page machinery, against the site as it will be
on the day the tip is built (its date, or today for a tip already out): a tip
dated later, or a draft, is not there yet. Only those tips are rendered, and
MkDocs is loaded only when there is one; what MkDocs logs is said as
link_problems' PageProblems says it.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from ..edition import urls
from ..library.model import Library, TipError
from ..calendar.schedule import is_out
from .link_problems import PAGES_LOGGER, tip_of_page

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

    from ..edition.body_cache import _versions
    from ..configcache import _OUTSIDE

    text = Path(project.config_file).read_bytes()
    if _OUTSIDE.search(text):
        return None
    digest = hashlib.blake2b(text, digest_size=20)
    digest.update(f"\0{_versions()}\0{today}\0".encode())
    for code in (Path(__file__), Path(__file__).with_name("link_problems.py")):  # what decides the answer
        here = os.stat(code)
        digest.update(f"{code.name}={here.st_size}:{here.st_mtime_ns}\0".encode())
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
    from ..library.tip_cache import CACHE_DIR

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

    from ..edition.body_cache import _store

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

    from ..edition.edition import Edition
    from ..edition.render import PageRenderer

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
            tip = tip_of_page(file.src_uri, library)
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
