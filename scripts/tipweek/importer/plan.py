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

import frontmatter
import yaml

from ..model import Library
from ..rules import FILE_NAME, MAX_SUMMARY, MAX_TITLE
from ..scaffold import slugify
from .convert import plain_text, to_markdown
from .mapping import TagMap
from .sources import Archive, Post

# What blogs append to a feed's excerpt; not part of what the post says.
EXCERPT_TAIL = re.compile(r"\s*(\[(…|\.\.\.|&hellip;)\]|…|(continue reading|read more)\b.*)\s*$", re.I)
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
        sources, slugs = set(), set()
        # The Tip record does not carry source:, so its value is read here from each file's front matter.
        for path in sorted(tips_dir.rglob("*.md")) if tips_dir.is_dir() else ():
            name = FILE_NAME.match(path.name)
            if name:
                slugs.add(name["slug"])
            try:
                source = frontmatter.load(path).get("source")
            except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
                continue  # the checker reports a broken file; it has no source to match
            if isinstance(source, str):
                sources.add(same_address(source))
        weeks = {tip.week: tip.path for tip in library.tips if not tip.draft}
        return cls(frozenset(sources), frozenset(slugs), frozenset((t.date, t.title) for t in library.tips), weeks)


def same_address(url: str) -> str:
    """A URL as compared for duplicates: no fragment, no trailing slash, host in lower case."""
    url = url.strip().split("#", 1)[0].rstrip("/")
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}"


def make_plan(archive: Archive, tags: TagMap, existing: Existing, tips_dir: Path) -> Plan:
    notices: list[Notice] = []
    unmapped: dict[str, list[str]] = defaultdict(list)
    tips: list[NewTip] = []
    already = 0
    seen_sources = set(existing.sources)
    slugs, weeks = set(existing.slugs), dict(existing.weeks)
    for post in sorted(archive.posts, key=lambda p: (p.date is None, p.date or dt.date.min)):
        title = _title(post, notices)
        source = same_address(post.url) if post.url else None
        if (source and source in seen_sources) or (post.date, title) in existing.keys:
            already += 1
            continue
        if post.date is None:
            notices.append(Notice(title, "has no date; not imported",
                                  "give it a date on the old blog and import again, or write it with tipweek new"))
            continue
        converted = to_markdown(post.html, post.url or archive.site_url)
        if not converted.markdown.strip():
            notices.append(Notice(title, "has an empty body; not imported",
                                  "nothing to bring in: write it with tipweek new if it is worth keeping"))
            continue
        principles = _principles(post, tags, unmapped)
        if not principles:
            listed = ", ".join(f'"{c}"' for c in post.categories) or "no categories"
            notices.append(Notice(title, f"maps to no principle ({listed}); not imported",
                                  "map one of its categories with --map \"NAME=PRINCIPLE\" and import again"))
            continue
        if converted.removed:
            notices.append(Notice(title, f"had HTML that could run script: removed {', '.join(converted.removed)}",
                                  "read the tip and check nothing it needs went with it"))
        notices.extend(Notice(title, problem, action) for problem, action in post.notes)
        draft = post.draft
        week = tuple(post.date.isocalendar())[:2]
        if not draft and week in weeks:
            draft = True
            notices.append(Notice(title, f"falls in week {week[0]}-W{week[1]:02d}, which already has "
                                  f"{weeks[week]}; imported as a draft",
                                  "move it to a free week (tipweek schedule shows them) or leave it a draft"))
        slug = _free_slug(slugify(re.sub(r"['’]", "", title)) or "tip", slugs)  # "don't" reads better as dont than don-t
        path = tips_dir / str(post.date.year) / f"{post.date.isoformat()}-{slug}.md"
        if path.exists():
            notices.append(Notice(title, f"{path.name} already exists; not overwritten", "compare the two by hand"))
            continue
        slugs.add(slug)
        if source:
            seen_sources.add(source)
        relative = f"{tips_dir.name}/{post.date.year}/{path.name}"
        if not draft:
            weeks[week] = relative
        text = _front_matter(title, post.date, principles, _summary(post, converted.markdown), post.author,
                             draft, post.url) + converted.markdown
        tips.append(NewTip(path, text, title, draft))
    found = [Unmapped(name, tuple(titles), tags.suggestion(name)) for name, titles in sorted(unmapped.items())]
    return Plan(tuple(tips), already, tuple(notices), tuple(found))


def _title(post: Post, notices: list[Notice]) -> str:
    title = plain_text(post.title)
    if not title:
        title = f"Untitled post of {post.date.isoformat()}" if post.date else "Untitled post"
        notices.append(Notice(title, "had no title; named by its date", "give it a title"))
    elif len(title) > MAX_TITLE:
        short = _shorten(title, MAX_TITLE)
        notices.append(Notice(short, f"title was {len(title)} characters; shortened to at most {MAX_TITLE}",
                              "check it still reads well"))
        title = short
    return title


def _principles(post: Post, tags: TagMap, unmapped: dict[str, list[str]]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for category in post.categories:
        slugs = tags.principles_for(category)
        if slugs is None:
            unmapped[category].append(plain_text(post.title) or "untitled")
        else:
            found.update(dict.fromkeys(slugs))
    return tuple(found)


def _summary(post: Post, markdown: str) -> str:
    """The post's own excerpt, else the first sentence of its body."""
    text = EXCERPT_TAIL.sub("", plain_text(post.excerpt or ""))
    if not text:
        body = plain_text(to_markdown(post.html).markdown.replace("\n", " "))
        body = re.sub(r"[#*_`>]+|!?\[([^\]]*)\]\([^)]*\)", r"\1", body)
        match = FIRST_SENTENCE.match(body)
        text = match.group(1) if match else body
    return _shorten(text.strip(), MAX_SUMMARY)


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
