"""Turning a tip's Markdown into HTML, and HTML into what other pages, feeds
and the email's text part need.

There is one Markdown-to-HTML path: MkDocs' own page rendering, with the
site's Markdown extensions and MkDocs' resolution of relative links
(``../about.md`` becomes the about page's URL). In the build MkDocs runs it
for every page; :class:`PageRenderer` runs the same steps for the few tips a
command needs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urljoin

from . import urls

_URL_ATTR = re.compile(r'(\s(?:href|src)=")([^"]*)(")')


class PageRenderer:
    """Render a tip's page the way ``mkdocs build`` does (the plugin events
    ``pre_page``, ``page_markdown``, ``page_content`` included, so the
    tipweek plugin stores the body exactly as in the build)."""

    def __init__(self, config, files):
        self.config, self.files = config, files

    def __call__(self, tip) -> None:
        from mkdocs.structure.pages import Page

        config, files = self.config, self.files
        file = files.get_file_from_path(urls.tip_source(tip.slug))
        page = Page(None, file, config)
        config._current_page = page
        try:
            page = config.plugins.on_pre_page(page, config=config, files=files)
            page.read_source(config)
            page.markdown = config.plugins.on_page_markdown(page.markdown, page=page, config=config, files=files)
            page.render(config, files)
            config.plugins.on_page_content(page.content, page=page, config=config, files=files)
        finally:
            config._current_page = None


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


_HEADING_TAG = re.compile(r"<(/?)h([1-6])(?=[\s>])", re.I)


def nest_headings(html: str, under: int) -> str:
    """A tip body's headings moved below a heading of level ``under`` (the
    tip's title where the body is shown): the body's top level becomes
    ``under + 1``, the levels beneath it keep their steps, and none goes past
    ``<h6>``. So a body is the same on every page, its headings in the page's
    outline under its title, and sized (by the theme) below it.

    Markdown escapes a '<' in text and in code, so a match is a heading's
    tag (one an editor wrote as raw HTML, too)."""
    levels = [int(m.group(2)) for m in _HEADING_TAG.finditer(html) if not m.group(1)]
    if not levels:
        return html
    shift = under + 1 - min(levels)
    if shift == 0:
        return html
    return _HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(6, max(1, int(m.group(2)) + shift))}", html)


def absolute_urls(html: str, base: str) -> str:
    """Make every href and src absolute against ``base`` (for feeds and email,
    which are read away from the site)."""
    return _URL_ATTR.sub(lambda m: m.group(1) + urljoin(base, m.group(2)) + m.group(3), html)


@lru_cache(maxsize=1)
def _text_converter():
    # Imported when a text part is made: markdownify (and Beautiful Soup) take
    # a fifth of a second to import, which every other command would pay.
    from markdownify import MarkdownConverter

    class TextConverter(MarkdownConverter):
        """Plain text as people write it in a mail: a link is its words and the
        address in angle brackets; an image is its description."""

        def convert_a(self, el, text, *args, **kwargs):
            href = el.get("href")
            text = (text or "").strip()
            if not href or href.startswith("#"):
                return "" if text == "\u00b6" else text  # a heading's permalink is no use in a mail
            if text in (href, href.removeprefix("mailto:")):
                return f"<{href}>"
            return f"{text} <{href}>"

        def convert_img(self, el, text, *args, **kwargs):
            alt = el.get("alt") or ""
            return f"[{alt}]" if alt else ""

    return TextConverter(heading_style="ATX", bullets="-", escape_asterisks=False, escape_underscores=False,
                         escape_misc=False)


def text_from_html(html: str) -> str:
    """The text part of a body from its HTML (already absolute and sanitised)."""
    text = _text_converter().convert(html)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
