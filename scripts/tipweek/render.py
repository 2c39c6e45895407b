"""Markdown to HTML with the site's own extensions, so a tip reads the same on
the web, in a feed reader and in the inbox."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import markdown
from mkdocs.config.defaults import MkDocsConfig

from .model import Tip


class Renderer:
    def __init__(self, config: MkDocsConfig):
        self._md = markdown.Markdown(extensions=config.markdown_extensions,
                                     extension_configs=config.mdx_configs or {})
        self._cache: dict[str, str] = {}

    def html(self, tip: Tip) -> str:
        """The tip's body as HTML; rendered once per tip."""
        if tip.slug not in self._cache:
            self._md.reset()
            self._cache[tip.slug] = self._md.convert(tip.body)
        return self._cache[tip.slug]


_URL_ATTR = re.compile(r'(\s(?:href|src)=")([^"]*)(")')


def _is_relative(url: str) -> bool:
    return not (url.startswith(("#", "/", "//")) or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url))


def rebase_urls(html: str, from_url: str, to_url: str) -> str:
    """Move a tip body written for ``from_url`` to a page at ``to_url``
    (both site-relative, like 'tips/own-the-mistake/'), keeping its relative
    links pointing where the editor meant."""
    if from_url == to_url:
        return html
    from mkdocs.utils import get_relative_url

    def fix(m: re.Match) -> str:
        url = m.group(2)
        if not _is_relative(url):
            return m.group(0)
        target = urljoin("http://x/" + from_url, url)[len("http://x/"):]
        return m.group(1) + (get_relative_url(target, to_url) if target else get_relative_url(".", to_url)) + m.group(3)

    return _URL_ATTR.sub(fix, html)


def absolute_urls(html: str, base: str) -> str:
    """Make every href and src absolute against ``base`` (for feeds and email,
    which are read away from the site)."""
    return _URL_ATTR.sub(lambda m: m.group(1) + urljoin(base, m.group(2)) + m.group(3), html)
