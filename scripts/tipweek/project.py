"""A tipweek project: its mkdocs.yml (loaded once per run, and only when
needed: see configcache), the plugin's options, and the edition every
output reads. The commands and the plugin both start here."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

from . import configcache
from .library import dates
from .edition.edition import Edition, Site
from .library.loader import load_library, scan_library
from .library.model import Library, TipError
from .library.tip_cache import TipCache

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

    from .site.options import TipweekConfig


class ProjectError(Exception):
    """The project itself (mkdocs.yml, the plugin options) is unusable."""


def site_of(config: MkDocsConfig, options: TipweekConfig) -> Site:
    """The site's identity, and the one author rule."""
    url = config.site_url or "http://127.0.0.1:8000/"
    return Site(name=config.site_name, url=url if url.endswith("/") else url + "/",
                description=config.site_description or config.site_name,
                author=options.author or config.site_author or config.site_name,
                language=config.theme.get("language") or "en", timezone=options.timezone)


def load_edition(config: MkDocsConfig, options: TipweekConfig, today: str | dt.date | None = None, *,
                 preview: bool = False) -> Edition:
    """Read and validate the library (raises LibraryError) and make the edition of ``today``."""
    return _edition(Path(config.config_file_path).resolve().parent, site_of(config, options), options, today,
                    preview=preview)


def _edition(root: Path, site: Site, options, today: str | dt.date | None, *, preview: bool = False) -> Edition:
    day = dates.resolve_today(today, options.timezone)
    tips, principles = root / options.tips, root / options.principles
    cache = TipCache.for_project(root, tips, principles, publishing=(options.weekday, day))
    library = load_library(tips, principles, root, weekday=options.weekday, today=day, cache=cache)
    return Edition(site, library, day, options, preview=preview)


class Project:
    """A project's root, site and plugin options; MkDocs' own configuration
    (``mkdocs``) and the plugin instance MkDocs made (``plugin``) are loaded
    the first time they are asked for."""

    def __init__(self, config_file: Path, site: Site, options, docs_dir: str, *,
                 mkdocs: MkDocsConfig | None = None, plugin: object = None, overrides: dict | None = None):
        self.config_file = Path(config_file)
        self.root = self.config_file.resolve().parent
        self.site = site
        self.options = options  # TipweekConfig, or the same values remembered by configcache
        self.docs_dir = docs_dir
        self._mkdocs, self._plugin, self._overrides = mkdocs, plugin, overrides or {}

    @staticmethod
    def find(config_file: str | Path | None = None) -> Path:
        """``config_file``, else mkdocs.yml in this folder or the nearest one
        above it (as git finds its repository), so commands work from any
        folder of the project."""
        if config_file:
            return Path(config_file)
        here = Path.cwd()
        for folder in (here, *here.parents):
            if (folder / "mkdocs.yml").is_file():
                return folder / "mkdocs.yml"
        raise ProjectError("no mkdocs.yml here or in any folder above; run tipweek inside the project "
                           "or pass -f path/to/mkdocs.yml")

    @classmethod
    def load(cls, config_file: str | Path | None = None, **overrides) -> "Project":
        """Read mkdocs.yml (or ``config_file``) the way ``mkdocs`` does, with
        the options of ``mkdocs build``/``serve`` as ``overrides``. Without
        overrides, what configcache remembers of an unchanged mkdocs.yml
        stands in until MkDocs' configuration is needed."""
        path = cls.find(config_file)
        if not path.is_file():
            raise ProjectError(f"{path}: not found; run tipweek in the project folder or pass -f mkdocs.yml")
        if not overrides:
            remembered = configcache.read(path)
            if remembered is not None:
                return cls(path, remembered.site, remembered.options, remembered.docs_dir)
        text = path.read_bytes()
        config, plugin = _load_mkdocs(path, overrides)
        project = cls(path, site_of(config, plugin.config), plugin.config, config.docs_dir, mkdocs=config,
                      plugin=plugin, overrides=overrides)
        if not overrides and path.read_bytes() == text:  # (not if it changed while MkDocs read it)
            configcache.write(path, text, project.site, plugin.config, config.docs_dir,
                              config.theme.custom_dir)
        return project

    @property
    def mkdocs(self) -> MkDocsConfig:
        if self._mkdocs is None:
            self._mkdocs, self._plugin = _load_mkdocs(self.config_file, self._overrides)
            self.options = self._plugin.config
        return self._mkdocs

    @property
    def plugin(self):
        """The TipweekPlugin instance MkDocs made for this configuration."""
        if self._plugin is None:
            self.mkdocs  # noqa: B018 (loads it)
        return self._plugin

    @property
    def tips_dir(self) -> Path:
        return self.root / self.options.tips

    @property
    def principles_file(self) -> Path:
        return self.root / self.options.principles

    def today(self, override: str | dt.date | None = None) -> dt.date:
        return dates.resolve_today(override, self.options.timezone)

    def scan(self, today: dt.date | None = None) -> tuple[Library, list[TipError]]:
        """Every tip that is valid, and every problem found (with ``today``,
        also a scheduled tip off the publishing weekday)."""
        return scan_library(self.tips_dir, self.principles_file, self.root, weekday=self.options.weekday,
                            today=today, cache=self._cache(today))

    def library(self, today: dt.date | None = None) -> Library:
        """The library, read and validated; raises LibraryError. The weekday
        rule uses ``today`` (default: the project's today; skipped when that
        cannot be read: the command says what is wrong with it)."""
        if today is None:
            try:
                today = self.today()
            except dates.TodayError:
                today = None
        return load_library(self.tips_dir, self.principles_file, self.root, weekday=self.options.weekday,
                            today=today, cache=self._cache(today))

    def _cache(self, today: dt.date | None) -> TipCache:
        return TipCache.for_project(self.root, self.tips_dir, self.principles_file,
                                    publishing=(self.options.weekday, today))

    def edition(self, today: dt.date) -> Edition:
        """The edition of ``today`` for a command, as the build makes it
        (raises LibraryError); tip bodies are rendered on demand by
        MkDocs' own page machinery, so they match the built site's, and
        kept in .tipweek/cache/bodies so the next command need not start it."""
        from .edition.body_cache import cached_renderer, cached_text

        edition = _edition(self.root, self.site, self.options, today)
        edition.bodies.renderer = cached_renderer(self.root, self.config_file, self.docs_dir, edition,
                                                  lambda: self._mkdocs_bodies(edition))
        edition.bodies.text_of = cached_text(self.root)
        return edition

    def _mkdocs_bodies(self, edition: Edition):
        """MkDocs' page machinery, set up as in the build around ``edition``
        (the plugin takes it instead of reading the tips again): the Bodies
        its pages render into."""
        from mkdocs.structure.files import get_files

        from .edition.render import PageRenderer

        self.plugin.today = edition.today
        twin = self.plugin.prepared = edition.with_bodies_of_its_own()
        config = self.mkdocs.plugins.on_config(self.mkdocs)
        files = config.plugins.on_files(get_files(config), config=config)
        bodies = twin.bodies
        bodies.renderer = PageRenderer(config, files)
        return bodies


def _load_mkdocs(path: Path, overrides: dict):
    """MkDocs' configuration and the tipweek plugin it made; ProjectError if MkDocs refuses it."""
    import logging  # (with MkDocs: a command that does not load it does without)

    from mkdocs import exceptions
    from mkdocs.config import load_config

    # MkDocs logs what is wrong and raises a bare "Aborted"; keep the log lines.
    messages: list[str] = []
    captured = logging.Handler(logging.ERROR)
    captured.emit = lambda record: messages.append(record.getMessage())
    logger = logging.getLogger("mkdocs.config")
    logger.addHandler(captured)
    try:
        config = load_config(str(path), **overrides)
    except (exceptions.ConfigurationError, exceptions.Abort) as exc:
        problems = messages or [str(exc)]
        raise ProjectError("\n".join(_place_config_error(path, m) for m in problems)) from None
    finally:
        logger.removeHandler(captured)
    plugin = config.plugins.get("tipweek")
    if plugin is None:
        raise ProjectError(f"{path}:1: the 'tipweek' plugin is not enabled (add '- tipweek' under plugins:)")
    plugin.on_shutdown()  # MkDocs keeps the instance across loads: start from its defaults
    return config, plugin


def _place_config_error(path: Path, message: str) -> str:
    """Point a configuration error at the line of mkdocs.yml that holds the option."""
    line = 1
    match = re.search(r"option '([\w-]+)'", message) or re.search(r"Config value '([\w-]+)'", message)
    if match:
        for number, text in enumerate(path.read_text("utf-8", "replace").splitlines(), start=1):
            if re.match(rf"\s*{re.escape(match.group(1))}\s*:", text):
                line = number
                break
    return f"{path}:{line}: {message.strip()}"
