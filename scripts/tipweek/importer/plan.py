"""Decide what each post of an archive becomes: a tip file (its name, front
matter and body), a draft, or nothing, and for each what the editor should
know. Nothing here writes; ``commands`` writes the plan."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..loader import tip_files
from ..model import Library
from ..rules import FILE_NAME, MAX_SUMMARY, MAX_TITLE
from ..scaffold import slugify
from .convert import plain_text, to_markdown
from .mapping import TagMap
from .sources import Archive, Post

# What blogs append to a feed's excerpt; not part of what the post says.
EXCERPT_TAIL = re.compile(r"\s*(\[(…|\.\.\.|&hellip;)\]|…|(continue reading|read more)\b.*)\s*$", re.I)
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>])")
FIRST_SENTENCE = re.compile(r"(.+?[.!?][\"'”’)]*)(?=\s|$)")


@dataclass(frozen=True, slots=True)
class Notice:
    """Something about one post the editor has to look at."""

    title: str
    problem: str
    action: str

    def __str__(self) -> str:
        return f"\"{self.title}\": {self.problem}; {self.action}"


@dataclass(frozen=True, slots=True)
class NewTip:
    path: Path
    text: str
    title: str
    draft: bool


@dataclass(frozen=True, slots=True)
class Unmapped:
    name: str
    titles: tuple[str, ...]
    suggestion: str | None


@dataclass(frozen=True, slots=True)
class Plan:
    tips: tuple[NewTip, ...]
    already: int  # posts the library already has (same source:)
    notices: tuple[Notice, ...]
    unmapped: tuple[Unmapped, ...]

    @property
    def attention(self) -> int:
        """Posts that need an editor's look: each named in a notice."""
        return len({n.title for n in self.notices})


@dataclass(frozen=True, slots=True)
class Existing:
    """What the library already holds that an import must not repeat."""

    sources: frozenset[str]
    slugs: frozenset[str]
    keys: frozenset[tuple[dt.date, str]]  # (date, title) of tips, for posts without an address
    weeks: dict[tuple[int, int], str]  # ISO week -> path of the published tip in it

    @classmethod
    def read(cls, tips_dir: Path, library: Library) -> "Existing":
        # Slugs from every file name (a broken tip still holds its slug); sources from the valid tips.
        names = (FILE_NAME.match(path.name) for path in (tip_files(tips_dir) if tips_dir.is_dir() else ()))
        slugs = {name["slug"] for name in names if name}
        sources = {same_address(tip.source) for tip in library.tips if tip.source}
        weeks = {tip.week: tip.path for tip in library.tips if not tip.draft}
        return cls(frozenset(sources), frozenset(slugs), frozenset((t.date, t.title) for t in library.tips), weeks)


def same_address(url: str) -> str:
    """A URL as compared for duplicates: no fragment, no trailing slash, host in lower case."""
    url = url.strip().split("#", 1)[0].rstrip("/")
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}"


def make_plan(archive: Archive, tags: TagMap, existing: Existing, tips_dir: Path) -> Plan:
    planner = _Planner(archive.site_url, tags, existing, tips_dir)
    for post in sorted(archive.posts, key=lambda p: (p.date is None, p.date or dt.date.min)):
        planner.take(post)
    found = [Unmapped(name, tuple(titles), tags.suggestion(name)) for name, titles in sorted(planner.unmapped.items())]
    return Plan(tuple(planner.tips), planner.already, tuple(planner.notices), tuple(found))


class _Planner:
    """Takes the posts oldest first, so of two in one week the later becomes the draft."""

    def __init__(self, site_url: str | None, tags: TagMap, existing: Existing, tips_dir: Path):
        self.site_url, self.tags, self.existing, self.tips_dir = site_url, tags, existing, tips_dir
        self.sources, self.slugs, self.weeks = set(existing.sources), set(existing.slugs), dict(existing.weeks)
        self.tips: list[NewTip] = []
        self.notices: list[Notice] = []
        self.unmapped: dict[str, list[str]] = defaultdict(list)
        self.already = 0

    def take(self, post: Post) -> None:
        title, title_notice = _title(post)
        source = same_address(post.url) if post.url else None
        if (source and source in self.sources) or (post.date, title) in self.existing.keys:
            self.already += 1
            return
        note = self.notices.append
        if title_notice:
            note(Notice(title, *title_notice))
        if post.date is None:
            note(Notice(title, "has no date; not imported",
                        "give it a date on the old blog and import again, or write it with tipweek new"))
            return
        converted = to_markdown(post.html, post.url or self.site_url)
        if not converted.markdown.strip():
            note(Notice(title, "has an empty body; not imported",
                        "nothing to bring in: write it with tipweek new if it is worth keeping"))
            return
        principles = self._principles(post)
        if not principles:
            listed = ", ".join(f'"{c}"' for c in post.categories) or "no categories"
            note(Notice(title, f"maps to no principle ({listed}); not imported",
                        "map one of its categories with --map \"NAME=PRINCIPLE\" and import again"))
            return
        if converted.removed:
            note(Notice(title, f"had HTML that could run script: removed {', '.join(converted.removed)}",
                        "read the tip and check nothing it needs went with it"))
        self.notices.extend(Notice(title, problem, action) for problem, action in post.notes)
        # "Don't" makes a better slug as dont than as don-t.
        slug = _free_slug(slugify(re.sub(r"['’]", "", title)) or "tip", self.slugs)
        path = self.tips_dir / str(post.date.year) / f"{post.date.isoformat()}-{slug}.md"
        if path.exists():
            note(Notice(title, f"{path.name} already exists; not overwritten", "compare the two by hand"))
            return
        draft = post.draft or self._week_taken(post.date, title)
        if not draft:
            self.weeks[_week(post.date)] = f"{self.tips_dir.name}/{post.date.year}/{path.name}"
        self.slugs.add(slug)
        if source:
            self.sources.add(source)
        summary = _summary(post, converted.markdown, title)
        text = _front_matter(title, post.date, principles, summary, post.author, draft, post.url)
        self.tips.append(NewTip(path, text + converted.markdown, title, draft))

    def _principles(self, post: Post) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for category in post.categories:
            slugs = self.tags.principles_for(category)
            if slugs is None:
                self.unmapped[category].append(plain_text(post.title) or "untitled")
            else:
                found.update(dict.fromkeys(slugs))
        return tuple(found)

    def _week_taken(self, date: dt.date, title: str) -> bool:
        week = _week(date)
        if week not in self.weeks:
            return False
        self.notices.append(Notice(title, f"falls in week {week[0]}-W{week[1]:02d}, which already has "
                                   f"{self.weeks[week]}; imported as a draft",
                                   "move it to a free week (tipweek schedule shows them) or leave it a draft"))
        return True


def _week(date: dt.date) -> tuple[int, int]:
    year, week, _ = date.isocalendar()
    return year, week


def _title(post: Post) -> tuple[str, tuple[str, str] | None]:
    """The title as plain text that fits, and what the editor should know about it."""
    title = plain_text(post.title)
    if not title:
        title = f"Untitled post of {post.date.isoformat()}" if post.date else "Untitled post"
        return title, ("had no title; named by its date", "give it a title")
    if len(title) > MAX_TITLE:
        return _shorten(title, MAX_TITLE), (f"title was {len(title)} characters; shortened to at most {MAX_TITLE}",
                                            "check it still reads well")
    return title, None


def _summary(post: Post, markdown: str, title: str) -> str:
    """The post's own excerpt, else the first sentence of its body (else its title)."""
    text = EXCERPT_TAIL.sub("", plain_text(post.excerpt or "")) or _first_sentence(markdown) or title
    return _shorten(text.strip(), MAX_SUMMARY)


def _first_sentence(markdown: str) -> str:
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


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(",;:- ")
    return cut + "…"


def _free_slug(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def _front_matter(title: str, date: dt.date, tags: tuple[str, ...], summary: str, author: str | None,
                  draft: bool, source: str | None) -> str:
    # JSON strings are YAML strings: whatever the post's title says reads back exactly.
    lines = [f"title: {json.dumps(title, ensure_ascii=False)}", f"date: {date.isoformat()}",
             f"tags: [{', '.join(tags)}]", f"summary: {json.dumps(summary, ensure_ascii=False)}"]
    if author:
        lines.append(f"author: {json.dumps(plain_text(author), ensure_ascii=False)}")
    if draft:
        lines.append("draft: true")
    if source:
        lines.append(f"source: {json.dumps(source, ensure_ascii=False)}")
    return "---\n" + "\n".join(lines) + "\n---\n"
