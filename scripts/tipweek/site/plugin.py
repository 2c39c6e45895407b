"""The tipweek MkDocs plugin: turns an edition into pages, feeds and the
email's web version. Hooks stay thin; what pages show comes from ``views``,
and feeds and email are written by the same functions the commands call.

The plugin defines ``on_startup``, so MkDocs keeps one instance for a whole
``serve`` session; ``preview`` and ``today`` are set on that instance (by
``on_startup`` and by ``tipweek build/serve --today``), not passed around in
environment variables.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from . import huddle
from ..edition import urls
from .options import TipweekConfig
from ..edition.edition import Edition
from .link_problems import PageProblems
from ..library.model import LibraryError, Tip, TipError
from .preview import KEPT_UNLINKED, PreviewState
from ..project import load_edition
from ..edition.render import nest_headings, rebase_urls
from ..library.dates import TodayError, long_date
from .views import SiteView

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"
STYLESHEET = "assets/tipweek.css"
# The handbook's print edition: a static page that lays the handbook out in
# pages with Paged.js (vendored; see assets/pagedjs/README.md).
PRINT_EDITION = {
    urls.HANDBOOK_PRINT + "index.html": "assets/handbook-print.html",
    "assets/handbook-print.css": "assets/handbook-print.css",
    "assets/handbook-print-view.css": "assets/handbook-print-view.css",
    "assets/handbook-print.js": "assets/handbook-print.js",
    "assets/pagedjs/paged.polyfill.min.js": "assets/pagedjs/paged.polyfill.min.js",
}


class LibraryProblems(PluginError):
    """The tips have problems; ``errors`` lists them (each with file and line)."""

    def __init__(self, errors: list[TipError]):
        self.errors = errors
        super().__init__(f"tipweek check found {len(errors)} problem(s):\n" + "\n".join(map(str, errors)))


def _front_matter(**meta: object) -> str:
    # JSON is YAML, and json.dumps quotes anything an editor typed.
    lines = "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in meta.items())
    return f"---\n{lines}---\n"


class TipweekPlugin(BasePlugin[TipweekConfig]):
    supports_multiple_instances = False
    today: dt.date | None = None  # set by --today; else TIPWEEK_TODAY, else the date in the site's zone
    preview = False  # scheduled tips and drafts shown, marked (tipweek serve)
    list_url: str | None = None  # tipweek serve --list-url: the form posts to a local list service
    incremental: PreviewState | None = None  # serve: what the last build made, to rebuild only what changed
    library_failed = False  # the last on_config stopped on the tips' problems
    library_errors: tuple[TipError, ...] = ()  # ... and these were they (the preview shows them)
    prepared: Edition | None = None  # the edition a command made, for on_config to use
    link_problems: PageProblems | None = None  # the filter that names a tip's file in MkDocs' warnings

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.preview = command == "serve"
        self.incremental = PreviewState() if self.preview else None

    def on_shutdown(self) -> None:
        if self.link_problems is not None:
            self.link_problems.uninstall()
            self.link_problems = None
        self.today, self.preview, self.list_url, self.incremental, self.prepared = None, False, None, None, None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not config.use_directory_urls:
            raise PluginError("tipweek: use_directory_urls must stay true (tip URLs are /tips/<slug>/ "
                              "and never change)")
        self.library_failed, self.library_errors = False, ()
        try:
            # A command (tipweek feed, email, send) made the edition already: the tips are read once.
            prepared, self.prepared = self.prepared, None  # for this configuration only
            self.edition: Edition = prepared or load_edition(config, self.config, self.today, preview=self.preview)
        except LibraryError as exc:
            self.library_failed, self.library_errors = True, tuple(exc.errors)
            raise LibraryProblems(exc.errors) from None
        except TodayError as exc:
            raise PluginError(f"tipweek: {exc}") from None
        self.view = SiteView(self.edition)
        # MkDocs' warnings about a tip's links name the tip's file and line, not its page.
        root = Path(config.config_file_path).resolve().parent
        docs = Path(config.docs_dir).resolve()
        self.link_problems = PageProblems.install(self.edition.library, root,
                                                  docs.relative_to(root).as_posix() if docs.is_relative_to(root)
                                                  else str(docs), self.edition.today)
        self.pages: dict[str, tuple[str, object]] = {}  # src_uri -> (kind, record)
        if self.incremental:
            self.incremental.begin(self.view, config)
            self.incremental.theme(config)
        # Our templates sit under docs/overrides (custom_dir) and above Material's.
        dirs = config.theme.dirs
        if str(TEMPLATES) not in dirs:
            dirs.insert(1 if config.theme.custom_dir else 0, str(TEMPLATES))
        if STYLESHEET not in config.extra_css:
            config.extra_css.insert(0, STYLESHEET)
        return config

    # ------------------------------------------------------------------ files
    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        view = self.view

        def add(src_uri: str, content: str, kind: str, record: object = None, in_nav: bool = True) -> None:
            if files.get_file_from_path(src_uri) is not None:
                if kind == "home":
                    return
                raise PluginError(f"tipweek: docs/{src_uri} clashes with the page tipweek generates there; "
                                  "rename or remove it")
            inclusion = InclusionLevel.UNDEFINED if in_nav else InclusionLevel.NOT_IN_NAV
            kept = self.incremental and self.incremental.kept_listing(src_uri, content, config, inclusion)
            if kept:  # its page from the last build lists the same tips
                files.append(kept)
                return
            files.append(File.generated(config, src_uri, content=content, inclusion=inclusion))
            self.pages[src_uri] = (kind, record)

        files.append(File.generated(config, STYLESHEET, abs_src_path=str(PACKAGE / STYLESHEET)))
        files.append(File.generated(config, huddle.STYLESHEET, abs_src_path=str(PACKAGE / huddle.STYLESHEET)))
        for dest, source in PRINT_EDITION.items():
            files.append(File.generated(config, dest, abs_src_path=str(PACKAGE / source)))
        # Placeholders for what on_post_build writes, so pages may link to them.
        for path in [*urls.feeds(view.library.principles), urls.EMAIL_LATEST]:
            files.append(File.generated(config, path, content=""))
        add("index.md", _front_matter(title=config.site_name), "home")
        for tip in view.visible:
            source = self._tip_source(tip)
            kept = self.incremental and self.incremental.kept_page(tip, source, view, config, self.edition)
            if kept:  # its page from the last build shows just this
                if kept is not KEPT_UNLINKED:
                    files.append(kept)
                continue
            add(urls.tip_source(tip.slug), source, "tip", tip, in_nav=False)
        add("principles/index.md", _front_matter(title="Principles", template="tipweek/principles.html",
                                                 description="Every principle of service recovery, "
                                                             "what it means and its tips.")
            + "Each principle is one habit of putting things right for a customer. "
              "Open one for its longer explanation and all its tips.\n", "principles")
        for pc in view.principles:
            p = pc.principle
            add(urls.principle_source(p.slug),
                _front_matter(title=html.escape(p.name), description=html.escape(p.definition),
                              template="tipweek/principle.html")
                + f'<p class="tw-summary">{html.escape(p.definition)}</p>\n\n{html.escape(p.description)}\n',
                "principle", pc, in_nav=False)
        add("archive.md", _front_matter(title="Archive", template="tipweek/archive.html",
                                        description="Every tip published so far, by year and month."),
            "archive")
        add("handbook.md", _front_matter(title="Handbook", template="tipweek/handbook.html",
                                         description="All the tips on one printable page, by principle."),
            "handbook")
        if self.incremental:
            self.incremental.planned(files, list(self.pages))
        return files

    def _tip_source(self, tip: Tip) -> str:
        meta = {"title": html.escape(tip.title), "description": html.escape(tip.summary),
                "author": html.escape(self.edition.site.author_of(tip)), "template": "tipweek/tip.html"}
        return _front_matter(**meta) + tip.body

    # ------------------------------------------------------------------ pages
    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        if page.is_homepage and "template" not in page.meta:
            page.meta["template"] = "tipweek/home.html"
            page.meta.setdefault("hide", ["navigation"])
        list_url = self.list_url or self.config.list_url
        if list_url:
            from .signup_form import with_signup_form
            markdown = with_signup_form(markdown, list_url, self.config.allowed_domains)
        return markdown

    def on_page_content(self, html_: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        kind, tip = self.pages.get(page.file.src_uri, (None, None))
        if kind != "tip":
            return html_
        # Under the page's title (<h1>): a body's '##' stays <h2>; a '#' would
        # have been a second <h1>, which also drops the title (Material adds
        # it only to a page without one). Stored so: every page nests from here.
        html_ = nest_headings(html_, under=1)
        self.edition.bodies.store(tip, html_)
        if self.incremental:
            self.incremental.body(tip, html_)
        # The date, summary and principles go into the content so search finds them.
        header = self._env(config).get_template("tipweek/tip-header.html").render(
            page=page, config=config, tip=tip, tw=self.view, base_url=_base_url(page))
        return header + html_

    def _env(self, config: MkDocsConfig):
        # MkDocs makes its Jinja environment after pages are rendered; this one
        # only renders the tip header, with the same loader and filters.
        if getattr(self, "_jinja", None) is None:
            self._jinja = self.on_env(config.theme.get_env(), config=config, files=None)
        return self._jinja

    def on_env(self, env, *, config: MkDocsConfig, files: Files):
        self._jinja = None
        if self.incremental:
            env.bytecode_cache = self.incremental.templates
        return _with_globals(env)

    def on_page_context(self, context: dict, *, page: Page, config: MkDocsConfig, nav) -> dict:
        kind, record = self.pages.get(page.file.src_uri, (None, None))
        bodies = self.edition.bodies
        context["tw"] = self.view
        # under: the level of the heading the body is shown below (the tip's title there).
        context["tw_body"] = lambda tip, under=1: nest_headings(
            rebase_urls(bodies.html(tip), urls.tip(tip.slug), page.url), under)
        if kind == "tip":
            context["tip"] = record
        elif kind == "principle":
            context["principle"] = record
        return context

    # ------------------------------------------------------------------ outputs
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        # Imported here: a command that only loads the project (feed, email, send) skips them.
        from ..outputs.email import write_web_versions
        from ..outputs.feeds import write_feeds
        from ..outputs.search import write_search_index

        written = write_feeds(self.edition, Path(config.site_dir))
        written += write_web_versions(self.edition, Path(config.site_dir))
        written += huddle.write_cards(self._env(config), self.view, config.site_name, Path(config.site_dir),
                                      kept=self.incremental and self.incremental.kept_output)
        if self.incremental:
            self.incremental.finish(config.site_dir, written)
        if self.incremental and self.incremental.index_in_background:
            # serve: the page first, search just after
            self.incremental.index_after(write_search_index, config, self.config.search_part_size)
        else:
            write_search_index(config, self.config.search_part_size)

    # ------------------------------------------------------------------ serve
    def on_serve(self, server, *, config: MkDocsConfig, builder):
        root = Path(config.config_file_path).parent
        server.watch(str(root / self.config.tips))
        server.watch(str(root / self.config.principles))
        return server


def _with_globals(env):
    env.filters["long_date"] = long_date
    env.globals["tw_urls"] = urls
    return env


def _base_url(page: Page) -> str:
    from mkdocs.utils import get_relative_url
    return get_relative_url(".", page.url)
