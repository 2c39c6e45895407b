"""A post's HTML to the Markdown of a tip: sanitised first (nh3), so nothing
that could run script in a reader's browser comes in, then converted
(markdownify). Links and images stay on the old site, made absolute."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

import nh3
from markdownify import ATX, MarkdownConverter

from ..library.body_rules import CONTROL  # (what a tip may not hold: the import takes it out)

# What a tip may keep of a blog post's HTML; everything else is unwrapped to its text.
TAGS = {"p", "br", "a", "em", "strong", "b", "i", "u", "s", "del", "code", "pre", "blockquote", "ul", "ol", "li",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "table", "thead", "tbody", "tr", "th", "td",
        "figure", "figcaption", "dl", "dt", "dd", "sub", "sup"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}
SCHEMES = {"http", "https", "mailto"}
# Tags whose content is dropped with them: code and styling, never text a reader should see.
DROPPED_WITH_CONTENT = {"script", "style", "noscript", "template", "iframe", "object", "embed", "frameset"}
HOSTILE = (
    (re.compile(r"<\s*(script|iframe|object|embed|frame|applet|base|meta|form)\b", re.I), "<{0}>"),
    (re.compile(r"<[a-z][^>]*?\s(on[a-z]+)\s*=", re.I), "the {0}= handler"),
    (re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*(javascript|vbscript)\s*:""", re.I), "a {0}: link"),
    (re.compile(r"""(?:href|action)\s*=\s*["']?\s*(data)\s*:""", re.I), "a {0}: link"),
)
# Text that would open an HTML tag (or comment) once it is Markdown.
TAG_OPENING = re.compile(r"<(?=[A-Za-z/!?])")
SCRIPT_SCHEME = re.compile(r"\b(javascript|vbscript)(\s*):", re.I)


@dataclass(frozen=True, slots=True)
class Converted:
    markdown: str
    removed: tuple[str, ...]  # hostile things taken out, e.g. "<script>", "the onclick= handler"


class _TipMarkdown(MarkdownConverter):
    """markdownify, plus: text never becomes raw HTML in the Markdown."""

    def escape(self, text: str, parent_tags) -> str:
        return TAG_OPENING.sub("&lt;", super().escape(text, parent_tags))


def hostile_parts(source_html: str) -> tuple[str, ...]:
    """What in ``source_html`` could run script, each named once, in order of appearance."""
    found: dict[str, int] = {}
    for pattern, label in HOSTILE:
        for match in pattern.finditer(source_html):
            found.setdefault(label.format(match.group(1).lower()), match.start())
    return tuple(sorted(found, key=found.get))


def sanitise(source_html: str, base_url: str | None) -> str:
    """Only harmless tags and attributes; relative links and images made
    absolute against ``base_url`` (the post's address on the old site)."""
    return nh3.clean(
        source_html, tags=TAGS, attributes=ATTRIBUTES, url_schemes=SCHEMES,
        clean_content_tags=DROPPED_WITH_CONTENT, link_rel=None, strip_comments=True,
        url_relative=("rewrite_with_base", base_url) if base_url else None)


def to_markdown(source_html: str, base_url: str | None = None) -> Converted:
    clean = sanitise(CONTROL.sub("", source_html), base_url)
    markdown = _TipMarkdown(heading_style=ATX, bullets="-", strong_em_symbol="*", escape_underscores=False) \
        .convert(clean)
    # Two trailing spaces are a line break (<br>); any other trailing space is noise.
    lines = [line.rstrip() + ("  " if re.search(r"\S {2,}$", line) else "")
             for line in markdown.replace("\r\n", "\n").splitlines()]
    markdown = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    markdown = re.sub(r" +(\n\n|\n?$)", r"\1", markdown).strip("\n")  # a break that ends a paragraph is none
    # A post may mention a script scheme in its text; written as an entity it reads the same and links nowhere.
    markdown = SCRIPT_SCHEME.sub(r"\1\2&#58;", markdown)
    return Converted(markdown + "\n" if markdown else "", hostile_parts(source_html))


def plain_text(source_html: str) -> str:
    """The text of an HTML fragment on one line: for summaries and titles."""
    text = html.unescape(nh3.clean(source_html, tags=set(), clean_content_tags=DROPPED_WITH_CONTENT))
    text = CONTROL.sub("", text).replace("\u2028", " ").replace("\u2029", " ")
    return re.sub(r"\s+", " ", text).strip()
