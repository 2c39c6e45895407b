"""The tipweek MkDocs plugin (filled in by the site work)."""

from __future__ import annotations

from mkdocs.plugins import BasePlugin

from .config import TipweekConfig


class TipweekPlugin(BasePlugin[TipweekConfig]):
    pass
