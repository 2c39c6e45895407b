"""Decide what each post of an archive becomes: a tip file (its name, front
matter and body), a draft, or nothing, and for each what the editor should
know. Nothing here writes; ``commands`` writes the plan."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from ..library.tip_files import tip_files
from ..library.model import Library
from ..library.rules import FILE_NAME
from ..calendar.scaffold import slugify
from .convert import plain_text, to_markdown
from .wording import summary_of, title_of
from .mapping import TagMap
from .posts import Archive, Post

# A Markdown link's target (not an image's), as markdownify writes it: [text](address "title").
LINK_TARGET = re.compile(r"(?<!!)(\[(?:[^\]\\]|\\.)*\]\()(https?://[^\s)]+)((?:\s+\"[^\"]*\")?\))")


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
    summary_from: str = "excerpt"  # where its summary came from: "excerpt", "body" (its first sentence), "title"
    links: int = 0  # links to other posts of the import, now to their tips


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
    def links(self) -> int:
        """Links between posts of the archive that now point at the new tips."""
        return sum(tip.links for tip in self.tips)

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
    tips_by_source: dict[str, str]  # link_key(source:) -> slug, of the tips that are not drafts

    @classmethod
    def read(cls, tips_dir: Path, library: Library) -> "Existing":
        # Slugs from every file name (a broken tip still holds its slug); sources from the valid tips.
        names = (FILE_NAME.match(path.name) for path in (tip_files(tips_dir) if tips_dir.is_dir() else ()))
        slugs = {name["slug"] for name in names if name}
        sources = {same_address(tip.source) for tip in library.tips if tip.source}
        weeks = {tip.week: tip.path for tip in library.tips if not tip.draft}
        by_source = {link_key(tip.source): tip.slug for tip in library.tips if tip.source and not tip.draft}
        return cls(frozenset(sources), frozenset(slugs), frozenset((t.date, t.title) for t in library.tips), weeks,
                   by_source)


def same_address(url: str) -> str:
    """A URL as compared for duplicates: no fragment, no trailing slash, host in lower case."""
    url = url.strip().split("#", 1)[0].rstrip("/")
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}"


def link_key(url: str) -> str:
    """A post's address as a link to it is matched: as same_address, and http or https alike."""
    return same_address(url).partition("://")[2]


def make_plan(archive: Archive, tags: TagMap, existing: Existing, tips_dir: Path) -> Plan:
    planner = _Planner(archive.site_url, tags, existing, tips_dir)
    for post in sorted(archive.posts, key=lambda p: (p.date is None, p.date or dt.date.min)):
        planner.take(post)
    planner.link_tips()
    found = [Unmapped(name, tuple(titles), tags.suggestion(name)) for name, titles in sorted(planner.unmapped.items())]
    return Plan(tuple(planner.tips), planner.already, tuple(planner.notices), tuple(found))


class _Planner:
    """Takes the posts oldest first, so of two in one week the later becomes the draft."""

    def __init__(self, site_url: str | None, tags: TagMap, existing: Existing, tips_dir: Path):
        self.site_url, self.tags, self.existing, self.tips_dir = site_url, tags, existing, tips_dir
        self.sources, self.slugs, self.weeks = set(existing.sources), set(existing.slugs), dict(existing.weeks)
        self.tips: list[NewTip] = []
        self.bodies: list[str] = []  # each tip's Markdown body, as in its text
        self.notices: list[Notice] = []
        self.unmapped: dict[str, list[str]] = defaultdict(list)
        self.already = 0
        # link_key of every address of a post -> (slug, title, draft) of its tip; the library's tips first
        self.addresses: dict[str, tuple[str, str, bool]] = {
            key: (slug, "", False) for key, slug in existing.tips_by_source.items()}

    def take(self, post: Post) -> None:
        title, title_notice = title_of(post)
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
        # The blog's own slug where it has one (the title's first words otherwise); "Don't" makes a
        # better slug as dont than as don-t.
        own = slugify(post.slug, words=None) if post.slug else ""
        slug = _free_slug(own or slugify(re.sub(r"['’]", "", title)) or "tip", self.slugs)
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
        summary, summary_from = summary_of(post, converted.markdown, title)
        text = _front_matter(title, post.date, principles, summary, post.author, draft, post.url)
        for address in (post.url, *post.aliases):
            if address:
                self.addresses.setdefault(link_key(address), (slug, title, draft))
        self.tips.append(NewTip(path, text + converted.markdown, title, draft, summary_from))
        self.bodies.append(converted.markdown)

    def link_tips(self) -> None:
        """Links in a tip to another post of the archive point at that post's tip
        (``slug.md``, as tips link to each other), unless that tip is a draft,
        which the site never shows."""
        for n, tip in enumerate(self.tips):
            count = 0

            def relink(match: re.Match) -> str:
                nonlocal count
                address, _, fragment = match.group(2).partition("#")
                target = self.addresses.get(link_key(address))
                if target is None:
                    return match.group(0)
                slug, title, draft = target
                if draft:
                    notice = Notice(tip.title, f"links to \"{title}\", which comes in as a draft; the link still "
                                    "goes to the old blog", f"point it at {slug}.md once that tip is published")
                    if notice not in self.notices:
                        self.notices.append(notice)
                    return match.group(0)
                count += 1
                return f"{match.group(1)}{slug}.md{'#' + fragment if fragment else ''}{match.group(3)}"

            body = self.bodies[n]
            linked = LINK_TARGET.sub(relink, body)
            if count:
                self.tips[n] = replace(tip, text=tip.text.removesuffix(body) + linked, links=count)

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
