"""The live preview that stays fast as the library grows (``tipweek serve``).

MkDocs rebuilds the whole site on every save; with a thousand tips that is
seconds per edit. The plugin instance lives for the whole ``serve`` session
(it defines ``on_startup``), so it keeps a :class:`PreviewState` between
builds: each tip page's *signature* (what the page shows: the tip, its
neighbours, its related tips, its principles, its status, and the site's own
configuration and pages) and each tip's rendered body. A rebuild then runs
as a dirty build (the site folder is not emptied) in which a tip page whose
signature did not change is left out of MkDocs' files: its output from the
previous build is still in the folder. Everything that lists tips (home,
archive, principle pages, handbook, feeds, email web versions) and every
hand-written page is rebuilt every time, and a page or output that is no
longer made (a deleted tip, a removed principle) is deleted.

A change to mkdocs.yml or to anything under docs/ makes the next build a
clean, full one. A tip with problems stops the rebuild before anything is
written: the checker's messages are logged, the last good site stays
served, and ``preview_server`` shows the messages on each of its pages.
"""

from __future__ import annotations

import hashlib
import re
import logging
import os
import threading
from os.path import isfile, join
from pathlib import Path

import jinja2
import jinja2.bccache
from mkdocs.structure.files import File, Files, InclusionLevel

from ..edition import urls
from ..library.model import Tip

log = logging.getLogger("mkdocs.plugins.tipweek")


def site_signature(config) -> str:
    """mkdocs.yml and every file under docs/ (name, size, mtime): what all pages share."""
    digest = hashlib.blake2b(Path(config.config_file_path).read_bytes(), digest_size=16)
    docs = Path(config.docs_dir)
    for folder, dirs, names in os.walk(docs):
        dirs.sort()
        for name in sorted(names):
            st = os.stat(join(folder, name))
            digest.update(f"{os.path.relpath(join(folder, name), docs)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class TemplateCache(jinja2.BytecodeCache):
    """Compiled templates, kept across rebuilds: MkDocs makes a new Jinja
    environment for every build, which would compile Material's templates
    again each time. Jinja checks each entry against its template's source."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


def _shown(tip: Tip | None) -> tuple | None:
    """What a page shows of another tip (never its body)."""
    if tip is None:
        return None
    return tip.slug, tip.title, tip.date, tip.tags, tip.summary, tip.author, tip.draft


# A kept tip page no rendered page links to: MkDocs need not know it at all
# (a thousand Page objects and their navigation cost more than the pages rendered).
KEPT_UNLINKED = object()
_MD_LINK = re.compile(r"([a-z0-9]+(?:-[a-z0-9]+)*\.md)\b")


class PreviewState:
    """What the last good preview build made, kept across ``serve`` rebuilds."""

    def __init__(self) -> None:
        self.site: str | None = None  # site_signature() of the last good build; None: build clean
        # tip slug or src_uri -> signature of its page in the site folder: a hash(), as it never
        # leaves this process
        self.pages: dict[str, int] = {}
        self.bodies: dict[str, tuple[str, str]] = {}  # tip slug -> (page source, rendered body)
        self.outputs: set[str] = set()  # every file the generated pages, feeds and email wrote
        self.kept = self.rendered = 0  # tip pages left as they were / rendered, in the last build
        self._next_site: str | None = None
        self._dirty = False
        self.templates = TemplateCache()
        self._theme_files: dict[tuple, list[str]] = {}
        self.index_in_background = False  # set by serve() below; a plain build indexes before it returns
        self._index_lock = threading.Lock()
        self._index_job: tuple | None = None
        self._indexer: threading.Thread | None = None

    # ---------------------------------------------------------------- builder
    def incremental(self, config) -> bool:
        """Whether the next build may keep pages from the last one."""
        self._next_site = site_signature(config)
        self._dirty = self._next_site == self.site
        return self._dirty

    def theme(self, config) -> None:
        """Keep the list of the theme's files from build to build: MkDocs
        walks every theme folder (Material's thousands of icons) on each
        build to find its static files. The list is made again when
        mkdocs.yml or docs/ (where overrides live) changes."""
        theme, listings = config.theme, self._theme_files
        make_env = theme.get_env

        def get_env():
            env = make_env()
            key = (self._next_site, tuple(env.loader.searchpath))
            list_templates = env.list_templates

            def cached(extensions=None, filter_func=None):
                # MkDocs' filter depends only on mkdocs.yml, which is in the key.
                if key not in listings:
                    listings.clear()
                    listings[key] = list_templates(extensions, filter_func)
                return list(listings[key])

            env.list_templates = cached
            return env

        theme.get_env = get_env

    def index_after(self, index, *args) -> None:
        """Run the search indexer (``index(*args)``) in the background:
        Pagefind reads every tip page, seconds at a thousand tips, and an
        editor waits for the page, not for search. Runs one at a time; a
        build that ends while one runs gets a fresh run right after it."""
        with self._index_lock:
            self._index_job = (index, args)
            if self._indexer is None:
                self._indexer = threading.Thread(target=self._index_loop, name="tipweek-search-index", daemon=True)
                self._indexer.start()

    def _index_loop(self) -> None:
        while True:
            with self._index_lock:
                job, self._index_job = self._index_job, None
                if job is None:
                    self._indexer = None
                    return
            index, args = job
            try:
                index(*args)
            except Exception as exc:  # noqa: BLE001 - the preview goes on; the next save indexes again
                log.warning(f"tipweek: the preview's search index was not updated: {exc}")

    def wait_for_index(self) -> None:
        """Before MkDocs empties the site folder (a clean build), or at the end."""
        indexer = self._indexer
        if indexer is not None:
            indexer.join(timeout=600)

    def forget(self) -> None:
        """A build failed after it began writing: the next one starts clean."""
        self.site, self.pages, self.outputs = None, {}, set()

    # ---------------------------------------------------------------- plugin
    def begin(self, view, config) -> None:
        # What a page shows of another tip: everything but its body.
        self._shown = {t.slug: (_shown(t), view.status(t)) for t in view.visible}
        self._listed = hash((tuple(self._shown.values()), tuple(view.library.principles.values())))
        # The tip pages a page rendered in this build may link to by file name (so MkDocs must
        # know them): named in any tip or any hand-written page.
        self._linked = self._links(view, config) if self._dirty else set()
        self._pages: dict[str, int] = {}
        self._sources: dict[str, str] = {}
        self._outputs: set[str] = set()
        self.kept = self.rendered = 0

    def kept_page(self, tip: Tip, source: str, view, config, edition):
        """If the tip's page in the site folder already shows what it would
        show now, its body is handed to ``edition`` and the page is kept:
        KEPT_UNLINKED, or if a rendered page may link to it, a File for
        MkDocs that it sees as unchanged since that page was written (so a
        dirty build neither reads nor writes it, yet links to it resolve).
        None: the page must be rendered."""
        shown = self._shown
        signature = hash((self._next_site, source, shown[tip.slug], shown.get(getattr(view.newer(tip), "slug", None)),
                          shown.get(getattr(view.older(tip), "slug", None)),
                          tuple(shown[t.slug] for t in view.related(tip)),
                          tuple(edition.principles[s] for s in tip.tags)))
        self._pages[tip.slug] = signature
        self._sources[tip.slug] = source
        body = self.bodies.get(tip.slug)
        page = join(config.site_dir, urls.tip(tip.slug), "index.html")
        if self._dirty and self.pages.get(tip.slug) == signature and body and body[0] == source and isfile(page):
            edition.bodies.store(tip, body[1])
            self._outputs.add(page)
            self.kept += 1
            if f"{tip.slug}.md" not in self._linked:
                return KEPT_UNLINKED
            return self._kept(urls.tip_source(tip.slug), config, InclusionLevel.NOT_IN_NAV)
        self.rendered += 1
        return None

    def _links(self, view, config) -> set[str]:
        linked: set[str] = set()
        for tip in view.visible:  # any of them may be rendered (its neighbours changed, ...)
            if ".md" in tip.body:
                linked.update(_MD_LINK.findall(tip.body))
        for folder, _, names in os.walk(config.docs_dir):
            for name in names:
                if name.endswith(".md"):
                    try:
                        linked.update(_MD_LINK.findall(Path(folder, name).read_text("utf-8", "replace")))
                    except OSError:
                        pass
        return linked

    def kept_listing(self, src_uri: str, content: str, config, inclusion: InclusionLevel) -> File | None:
        """The same for a principle's page, which lists its tips without
        their bodies. (Pages in the navigation are always rebuilt: the
        navigation of other pages reads their titles.)"""
        if inclusion != InclusionLevel.NOT_IN_NAV:
            return None
        signature = hash((self._next_site, content, self._listed))
        self._pages[src_uri] = signature
        if self._dirty and self.pages.get(src_uri) == signature:
            return self._kept(src_uri, config, inclusion)
        return None

    def kept_output(self, key: str, signature: int, path: str) -> bool:
        """Whether a file written after the pages (a tip's huddle card) is in
        the site folder as this build would write it: ``signature`` (what it
        shows) is the one it was last written with. Either way it is an
        output of this build."""
        self._pages[key] = signature = hash((self._next_site, signature))
        self._outputs.add(path)
        return self._dirty and self.pages.get(key) == signature and isfile(path)

    def _kept(self, src_uri: str, config, inclusion: InclusionLevel) -> File | None:
        file = File.generated(config, src_uri, abs_src_path=self._unchanged(config.site_dir), inclusion=inclusion)
        if not isfile(file.abs_dest_path):
            return None
        self._outputs.add(file.abs_dest_path)
        return file

    @staticmethod
    def _unchanged(site_dir: str) -> str:
        """An empty source dated 1970: MkDocs' dirty build takes any page
        written since as up to date (File.is_modified compares the dates).
        Hidden, so MkDocs never copies or cleans it."""
        path = join(site_dir, ".tipweek-unchanged.md")
        if not isfile(path):
            Path(path).touch()
            os.utime(path, (0, 0))
        return path

    def planned(self, files: Files, generated: list[str]) -> None:
        """Note what this build's generated pages will write; make MkDocs
        render every hand-written page again (a dirty build would skip an
        unchanged one, and the home page lists tips)."""
        for src_uri in generated:
            self._outputs.add(files.get_file_from_path(src_uri).abs_dest_path)
        if not self._dirty:
            return
        for file in files.documentation_pages():
            if file.abs_src_path is not None and file.generated_by is None:
                file.content_bytes = file.content_bytes

    def body(self, tip: Tip, html: str) -> None:
        self.bodies[tip.slug] = (self._sources[tip.slug], html)

    def finish(self, site_dir: str, written: list) -> None:
        """The build succeeded: delete what it no longer makes, remember what it made."""
        self._outputs.update(str(p) for p in written)
        for stale in self.outputs - self._outputs:
            try:
                os.unlink(stale)
                folder = os.path.dirname(stale)
                if folder != site_dir and not os.listdir(folder):
                    os.rmdir(folder)
            except OSError:
                pass
        self.bodies = {slug: body for slug, body in self.bodies.items() if slug in self._pages}
        self.site, self.pages, self.outputs = self._next_site, self._pages, self._outputs
