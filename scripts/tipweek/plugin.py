"""The tipweek MkDocs plugin: turns the Library into pages, feeds and the
email's web version. Hooks stay thin; what they show comes from ``views``,
``feeds`` and ``email`` so the CLI shares it."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from .config import TipweekConfig
from .email import write_web_versions
from .feeds import feed_paths, write_feeds
from .model import LibraryError, Tip
from .project import Project
from .render import rebase_urls
from .schedule import TodayError
from .search import write_search_index
from .views import SiteView, long_date

PACKAGE = Path(__file__).parent
TEMPLATES = PACKAGE / "templates"
STYLESHEET = "assets/tipweek.css"


def _front_matter(**meta: object) -> str:
    # JSON is YAML, and json.dumps quotes anything an editor typed.
    lines = "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in meta.items())
    return f"---\n{lines}---\n"


class TipweekPlugin(BasePlugin[TipweekConfig]):
    supports_multiple_instances = False

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        if not config.use_directory_urls:
            raise PluginError("tipweek: use_directory_urls must stay true (tip URLs are /tips/<slug>/ "
                              "and never change)")
        self.project = Project.from_mkdocs(config, self.config)
        try:
            library = self.project.library()
            today = self.project.today()
        except LibraryError as exc:
            raise PluginError(f"tipweek check found {len(exc.errors)} problem(s):\n{exc}") from None
        except TodayError as exc:
            raise PluginError(f"tipweek: {exc}") from None
        preview = self.config.preview or os.environ.get("TIPWEEK_PREVIEW") == "1"
        self.view = SiteView(library, today, preview=preview, recent=self.config.recent)
        self.bodies: dict[str, str] = {}  # tip slug -> its body rendered by MkDocs, once
        self.pages: dict[str, tuple[str, object]] = {}  # src_uri -> (kind, record)
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
            existing = files.get_file_from_path(src_uri)
            if existing is not None:
                if kind == "home":
                    return
                raise PluginError(f"tipweek: docs/{src_uri} clashes with the page tipweek generates there; "
                                  "rename or remove it")
            inclusion = InclusionLevel.UNDEFINED if in_nav else InclusionLevel.NOT_IN_NAV
            files.append(File.generated(config, src_uri, content=content, inclusion=inclusion))
            self.pages[src_uri] = (kind, record)

        files.append(File.generated(config, STYLESHEET, abs_src_path=str(PACKAGE / STYLESHEET)))
        # Placeholders for what on_post_build writes, so pages may link to them.
        for path in [*feed_paths(view.library.principles), "email/latest.html"]:
            files.append(File.generated(config, path, content=""))
        add("index.md", _front_matter(title=config.site_name), "home")
        for tip in view.visible:
            add(f"tips/{tip.slug}.md", self._tip_source(tip), "tip", tip, in_nav=False)
        add("principles/index.md", _front_matter(title="Principles", template="tipweek/principles.html",
                                                 description="Every principle of service recovery, "
                                                             "what it means and its tips.")
            + "Each principle is one habit of putting things right for a customer. "
              "Open one for its longer explanation and all its tips.\n", "principles")
        for pc in view.principles:
            p = pc.principle
            add(f"principles/{p.slug}.md",
                _front_matter(title=html.escape(p.name), description=html.escape(p.definition),
                              template="tipweek/principle.html")
                + f'<p class="tw-summary">{html.escape(p.definition)}</p>\n\n{html.escape(p.description)}\n',
                "principle", pc, in_nav=False)
        add("archive.md", _front_matter(title="Archive", template="tipweek/archive.html",
                                        description="Every tip published so far, by year and month."),
            "archive")
        add("handbook.md", _front_matter(title="Handbook", template="tipweek/handbook.html",
                                         description="All the tips on one printable page, by principle.",
                                         search={"exclude": True}),
            "handbook")
        return files

    def _tip_source(self, tip: Tip) -> str:
        meta = {"title": html.escape(tip.title), "description": html.escape(tip.summary),
                "template": "tipweek/tip.html"}
        author = tip.author or self.config.author
        if author:
            meta["author"] = html.escape(author)
        return _front_matter(**meta) + tip.body

    # ------------------------------------------------------------------ pages
    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        if page.is_homepage and "template" not in page.meta:
            page.meta["template"] = "tipweek/home.html"
            page.meta.setdefault("hide", ["navigation"])
        return markdown

    def on_page_content(self, html_: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        kind, tip = self.pages.get(page.file.src_uri, (None, None))
        if kind != "tip":
            return html_
        self.bodies[tip.slug] = html_
        # The date, summary and principles go into the content so search finds them.
        header = self._env(config).get_template("tipweek/tip-header.html").render(
            page=page, config=config, tip=tip, tw=self.view, base_url=_base_url(page))
        return header + html_

    def _env(self, config: MkDocsConfig):
        # MkDocs makes its Jinja environment after pages are rendered; this one
        # only renders the tip header, with the same loader and filters.
        if getattr(self, "_jinja", None) is None:
            self._jinja = _with_filters(config.theme.get_env())
        return self._jinja

    def on_env(self, env, *, config: MkDocsConfig, files: Files):
        self._jinja = None
        return _with_filters(env)

    def on_page_context(self, context: dict, *, page: Page, config: MkDocsConfig, nav) -> dict:
        kind, record = self.pages.get(page.file.src_uri, (None, None))
        context["tw"] = self.view
        context["tw_body"] = lambda tip: rebase_urls(self.bodies[tip.slug], tip.url, page.url)
        if kind == "tip":
            context["tip"] = record
        elif kind == "principle":
            context["principle"] = record
        return context

    # ------------------------------------------------------------------ outputs
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        view = self.view
        site, channel, body = Path(config.site_dir), self.project.channel(), self.bodies.__getitem__
        principles = view.library.principles
        write_feeds(site, channel, view.published, principles, lambda tip: body(tip.slug), self.config.feed_length)
        write_web_versions(site, view.published, channel, principles, lambda tip: body(tip.slug),
                           self.config.feed_length)
        write_search_index(config)

    # ------------------------------------------------------------------ serve
    def on_serve(self, server, *, config: MkDocsConfig, builder):
        server.watch(str(self.project.tips_dir))
        server.watch(str(self.project.principles_file))
        return server


def _with_filters(env):
    env.filters["long_date"] = long_date
    return env


def _base_url(page: Page) -> str:
    from mkdocs.utils import get_relative_url
    return get_relative_url(".", page.url)
