"""A tipweek project: its mkdocs.yml, the plugin's options and the library they
point at. The CLI and the plugin both start from here."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig

from . import schedule
from .config import TipweekConfig
from .loader import load_library
from .model import Library


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class ProjectError(Exception):
    """The project itself (mkdocs.yml, the plugin options) is unusable."""


@dataclass
class Project:
    root: Path
    mkdocs: MkDocsConfig
    options: TipweekConfig
    _library: Library | None = field(default=None, repr=False)

    @classmethod
    def from_mkdocs(cls, config: MkDocsConfig, options: TipweekConfig) -> "Project":
        return cls(Path(config.config_file_path).resolve().parent, config, options)

    @classmethod
    def load(cls, config_file: str | Path | None = None) -> "Project":
        """Read mkdocs.yml (or ``config_file``) the way ``mkdocs`` does."""
        from mkdocs import exceptions
        from mkdocs.config import load_config

        path = Path(config_file or "mkdocs.yml")
        if not path.is_file():
            raise ProjectError(f"{path}: not found; run tipweek in the project folder or pass -f mkdocs.yml")
        # MkDocs logs what is wrong and raises a bare "Aborted"; keep the log lines.
        captured = _Capture()
        logger = logging.getLogger("mkdocs.config")
        logger.addHandler(captured)
        try:
            config = load_config(str(path))
        except (exceptions.ConfigurationError, exceptions.Abort) as exc:
            problems = captured.messages or [str(exc)]
            raise ProjectError("\n".join(_place_config_error(path, m) for m in problems)) from None
        finally:
            logger.removeHandler(captured)
        plugin = config.plugins.get("tipweek")
        if plugin is None:
            raise ProjectError(f"{path}:1: the 'tipweek' plugin is not enabled (add '- tipweek' under plugins:)")
        return cls.from_mkdocs(config, plugin.config)

    @property
    def tips_dir(self) -> Path:
        return self.root / self.options.tips

    @property
    def principles_file(self) -> Path:
        return self.root / self.options.principles

    @property
    def site_url(self) -> str:
        url = self.mkdocs.site_url or "http://127.0.0.1:8000/"
        return url if url.endswith("/") else url + "/"

    def channel(self):
        """What the feeds and the email say about the site."""
        from .feeds import Channel

        author = self.options.author or self.mkdocs.site_author or self.mkdocs.site_name
        return Channel(title=self.mkdocs.site_name, site_url=self.site_url,
                       description=self.mkdocs.site_description or self.mkdocs.site_name,
                       author=author, timezone=self.options.timezone,
                       language=self.mkdocs.theme.get("language") or "en")

    def list_options(self):
        from .email import ListOptions

        o = self.options
        return ListOptions(sender=o.email_from, reply_to=o.reply_to, list_id=o.list_id,
                           unsubscribe_url=o.unsubscribe_url, unsubscribe_mailto=o.unsubscribe_mailto)

    def library(self) -> Library:
        """The library, read and validated once; raises LibraryError."""
        if self._library is None:
            try:
                today = self.today()
            except schedule.TodayError:
                today = None  # the command says what is wrong with it; the weekday rule waits
            self._library = load_library(self.tips_dir, self.principles_file, self.root,
                                         weekday=self.options.weekday, today=today)
        return self._library

    def today(self, override: str | dt.date | None = None) -> dt.date:
        return schedule.resolve_today(override, self.options.timezone)


def _place_config_error(path: Path, message: str) -> str:
    """Point a configuration error at the line of mkdocs.yml that holds the option."""
    import re

    line = 1
    match = re.search(r"option '([\w-]+)'", message) or re.search(r"Config value '([\w-]+)'", message)
    if match:
        for number, text in enumerate(path.read_text("utf-8", "replace").splitlines(), start=1):
            if re.match(rf"\s*{re.escape(match.group(1))}\s*:", text):
                line = number
                break
    return f"{path}:{line}: {message.strip()}"
