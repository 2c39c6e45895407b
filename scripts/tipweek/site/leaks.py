"""Where a scheduled or draft tip shows in a built file: its URL (``tips/<slug>/``,
or ``../<slug>/`` from a sibling tip's page), else its title as a whole text or
value (``>Title<``, ``"Title"``), in any of the ways HTML, XML and JSON write it.
``built_site`` asks it of every file of a site."""

from __future__ import annotations

import html
import json
import re

import markupsafe

from ..edition import urls
from ..edition.edition import Edition
from ..library.model import Tip


def hidden_tips(edition: Edition) -> list[Tip]:
    """The tips that must be nowhere in the site on ``today``: drafts and scheduled ones."""
    return [tip for tip in edition.library.tips if edition.status(tip)]


# --------------------------------------------------------------------- the check


class HiddenTips:
    """The scheduled tips and drafts, and where one shows in a file: its URL
    (``tips/<slug>/``, or ``../<slug>/`` from a sibling tip's page), else its
    title as a whole text or value. All are looked for with one pattern of
    each kind, so a file is read a few times however many tips are hidden."""

    def __init__(self, edition: Edition):
        self.tips = hidden_tips(edition)
        self._status = {tip.slug: edition.status(tip) for tip in self.tips}
        self._by_slug = {tip.slug.encode(): tip for tip in self.tips}
        published_titles = {tip.title for tip in edition.published}  # a shared title is no sign
        self._by_title: dict[bytes, Tip] = {}
        for tip in self.tips:
            if tip.title not in published_titles:
                for form in _title_forms(tip.title):
                    self._by_title.setdefault(form, tip)
        slugs = _alternatives(self._by_slug)
        self._url = re.compile(rb"tips/(" + slugs + rb")/") if slugs else None
        self._sibling = re.compile(rb'"\.\./(' + slugs + rb")/") if slugs else None
        titles = _alternatives(self._by_title)
        self._title = re.compile(titles) if titles else None

    def label(self, tip: Tip) -> str:
        return f"{self._status[tip.slug]} tip '{tip.title}'"

    def hint(self, tip: Tip) -> str:
        when = ("a draft is never published" if self._status[tip.slug] == "draft"
                else f"it is out on {tip.date.isoformat()}")
        return f"{tip.path}: {when}; the build must leave it out"

    def find(self, data: bytes, *, in_tip_page: bool, titles: bool = True) -> list[tuple[Tip, int, str]]:
        """Each hidden tip in ``data`` with the line of its first sign and what
        that sign is (its URL before its title), in line order; its title
        only with ``titles`` (a file tipweek writes)."""
        if self._url is None:
            return []
        first: dict[str, tuple[int, Tip, str]] = {}
        for pattern in (self._url, self._sibling) if in_tip_page else (self._url,):
            for match in pattern.finditer(data):
                tip = self._by_slug[match.group(1)]
                if tip.slug not in first or match.start() < first[tip.slug][0]:
                    first[tip.slug] = (match.start(), tip, f"its URL {urls.tip(tip.slug)}")
        if self._title is not None and titles:
            for match in self._title.finditer(data):
                tip = self._by_title[match.group()]
                if tip.slug not in first and _stands_alone(data, match.start(), match.end()):
                    first[tip.slug] = (match.start(), tip, "its title")
        return [(tip, _line(data, at), what) for at, tip, what in sorted(first.values(), key=lambda f: f[0])]


def _alternatives(texts) -> bytes:
    """A pattern matching any of ``texts``, the longest first (so a title is not cut at a shorter one)."""
    return b"|".join(re.escape(text) for text in sorted(texts, key=lambda t: (-len(t), t)))


def _stands_alone(data: bytes, start: int, end: int) -> bool:
    """Whether the text at start:end is a whole element text or value
    (`>Title<`, `"Title"`, spaces aside), not words inside a sentence."""
    before = data[max(0, start - 200):start].rstrip()[-1:]
    after = data[end:end + 200].lstrip()[:1]
    return before in (b">", b'"') and after in (b"<", b'"')


def _title_forms(title: str) -> set[bytes]:
    """The title as it can be written in HTML, XML and JSON."""
    json_text = json.dumps(title, ensure_ascii=False)[1:-1]
    forms = {title, html.escape(title), html.escape(title, quote=False), str(markupsafe.escape(title)), json_text,
             json_text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")}
    return {form.encode("utf-8") for form in forms if form}


def _line(data: bytes, at: int) -> int:
    return data.count(b"\n", 0, at) + 1
