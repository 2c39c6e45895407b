"""What an imported post's title and summary become: plain text that fits the
checker's limits, from the post's own excerpt when it has one, else its first
sentence; and what the editor should know about it."""

from __future__ import annotations

import re

from ..library.rules import MAX_SUMMARY, MAX_TITLE
from .convert import plain_text
from .posts import Post

# What blogs append to a feed's excerpt; not part of what the post says.
EXCERPT_TAIL = re.compile(r"\s*(\[(…|\.\.\.|&hellip;)\]|…|(continue reading|read more)\b.*)\s*$", re.I)
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>])")
FIRST_SENTENCE = re.compile(r"(.+?[.!?][\"'”’)]*)(?=\s|$)")


def title_of(post: Post) -> tuple[str, tuple[str, str] | None]:
    """The title as plain text that fits, and what the editor should know about it."""
    title = plain_text(post.title)
    if not title:
        title = f"Untitled post of {post.date.isoformat()}" if post.date else "Untitled post"
        return title, ("had no title; named by its date", "give it a title")
    if len(title) > MAX_TITLE:
        return shorten(title, MAX_TITLE), (f"title was {len(title)} characters; shortened to at most {MAX_TITLE}",
                                            "check it still reads well")
    return title, None


def summary_of(post: Post, markdown: str, title: str) -> tuple[str, str]:
    """The post's own excerpt, else the first sentence of its body (else its
    title), and which it was: "excerpt", "body" or "title"."""
    for text, source in ((EXCERPT_TAIL.sub("", plain_text(post.excerpt or "")), "excerpt"),
                         (first_sentence(markdown), "body"), (title, "title")):
        if text.strip():
            return shorten(text.strip(), MAX_SUMMARY), source
    return title, "title"


def first_sentence(markdown: str) -> str:
    for paragraph in markdown.split("\n\n"):
        if paragraph.lstrip().startswith("#"):  # a heading is not where the post starts saying something
            continue
        text = LINK.sub(r"\1", IMAGE.sub("", paragraph))
        text = re.sub(r"^\s*(?:[-+>]|\d+[.)])\s+", "", text, flags=re.M)  # list markers and quotes
        text = ESCAPED.sub(r"\1", re.sub(r"(?<!\\)[*`]+", "", text))  # our emphasis is *, so _ is literal
        text = plain_text(text)
        if text:
            match = FIRST_SENTENCE.match(text)
            return match.group(1) if match else text
    return ""


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:- ")
    return cut + "…"
