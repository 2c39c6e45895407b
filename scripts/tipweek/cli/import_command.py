"""The ``tipweek import`` command: read an archive, write its posts as tips,
say what needs an editor's look, then run the checker."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import config_option, load_project
from ..library.model import TipError
from ..outputs.atomic import write_atomic
from ..importer.fetch import SourceError, fetch
from ..importer.mapping import MappingError, build_map
from ..importer.plan import Existing, Plan, make_plan
from ..importer.sources import read_archive


@click.command("import")
@click.argument("source")
@click.option("--map", "maps", multiple=True, metavar="'CATEGORY=PRINCIPLE'",
              help="Tag posts of this category (or tag) with this principle; repeat for more. "
                   "Several principles: =a,b. Ignore the category: CATEGORY=")
@click.option("--map-file", type=click.Path(dir_okay=False), default=None,
              help="A YAML file of 'category: principle' lines (--map wins over it).")
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait when SOURCE is a URL.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
@config_option
def import_command(source: str, maps: tuple[str, ...], map_file: str | None, dry_run: bool, timeout: float,
                   as_json: bool, config_file: str | None) -> None:
    """Bring in the posts of a blog: an RSS or Atom feed, a WordPress export
    (WXR) or a Blogger export, from a file or an http(s) URL.

    Each post becomes tips/YYYY/YYYY-MM-DD-slug.md (the blog's own slug
    where it has one) with its own date, its author, its body as Markdown
    (anything that could run script removed; links to other posts of the
    archive pointed at their tips), a summary, its categories mapped to
    principles, and its address as source:. Running it again brings in
    only what is new; it never overwrites a file. Exit 0 when the library then passes tipweek check,
    1 when something is left to fix or the source cannot be read.

    \b
    Example:
        tipweek import blog.wordpress.2024-05-01.xml --dry-run
        tipweek import blog.xml --map "customer recovery=ownership" --map "news="
        tipweek import https://blog.example.org/feed/ --map-file categories.yml
    """
    project = load_project(config_file)
    library, _ = project.scan()
    if not library.principles:
        raise click.ClickException(f"{project.principles_file}: no usable principles to map categories to; "
                                   "run tipweek check")
    try:
        tags = build_map(maps, map_file, library.principles)
        archive = read_archive(fetch(source, timeout), source)
    except (MappingError, SourceError) as exc:
        raise click.ClickException(str(exc)) from None
    for warning in archive.warnings:
        click.echo(f"warning: {warning}", err=True)
    plan = make_plan(archive, tags, Existing.read(project.tips_dir, library), project.tips_dir)
    if not dry_run:
        for tip in plan.tips:
            write_atomic(tip.path, tip.text)
    errors = None if dry_run else project.scan()[1]
    report = _Report(project.root, source, archive.kind, len(archive.posts), plan, dry_run, errors, archive.warnings)
    click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False) if as_json else report.text())
    if errors:
        sys.exit(1)


# The summaries the report names: not the post's own excerpt, so an editor should read them.
SUMMARY_FROM = {"body": "summary taken from the body", "title": "summary taken from the title"}


class _Report:
    def __init__(self, root: Path, source: str, kind: str, posts: int, plan: Plan, dry_run: bool,
                 errors: list[TipError] | None, warnings: tuple[str, ...] = ()):
        self.root, self.source, self.kind, self.posts = root, source, kind, posts
        self.plan, self.dry_run, self.errors, self.warnings = plan, dry_run, errors, warnings

    def path(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix() if path.is_relative_to(self.root) else str(path)

    def text(self) -> str:
        plan, lines = self.plan, [f"{self.source}: {self.kind}, {self.posts} post{'s' * (self.posts != 1)}"]
        verb = "would write" if self.dry_run else "wrote"
        for tip in plan.tips:
            marks = ["draft"] if tip.draft else []
            if tip.summary_from in SUMMARY_FROM:
                marks.append(SUMMARY_FROM[tip.summary_from])
            note = f"  ({'; '.join(marks)})" if marks else ""
            lines.append(f"{verb} {self.path(tip.path)}{note}")
        if plan.links:
            lines.append(f"{'would point' if self.dry_run else 'pointed'} {plan.links} link{'s' * (plan.links != 1)} "
                         "between the archive's posts at their new tips")
        if plan.notices:
            lines.append(f"needs attention ({plan.attention} post{'s' * (plan.attention != 1)}):")
            lines.extend(f"  {notice}" for notice in plan.notices)
        for item in plan.unmapped:
            titles = ", ".join(f'"{t}"' for t in item.titles[:3]) + (", ..." if len(item.titles) > 3 else "")
            guess = f"did you mean '{item.suggestion}'? " if item.suggestion else ""
            count = f"{len(item.titles)} post{'s' * (len(item.titles) != 1)}"
            lines.append(f"unmapped category or tag \"{item.name}\" ({count}: {titles}): {guess}"
                         f"add --map \"{item.name}={item.suggestion or 'PRINCIPLE'}\", "
                         f"or --map \"{item.name}=\" to ignore it")
        drafts = sum(tip.draft for tip in plan.tips)
        lines.append(f"{'would import' if self.dry_run else 'imported'} {len(plan.tips)} of {self.posts} posts "
                     f"({drafts} as drafts); {plan.already} already in the library; "
                     f"{plan.attention} need{'s' * (plan.attention == 1)} attention")
        if self.dry_run:
            lines.append("dry run: nothing written")
        elif self.errors:
            lines.extend(str(error) for error in self.errors)
            files = len({e.path for e in self.errors})
            lines.append(f"check: {len(self.errors)} problem{'s' * (len(self.errors) != 1)} in {files} "
                         f"file{'s' * (files != 1)}; fix them, then run tipweek check")
        else:
            lines.append("check: ok")
        return "\n".join(lines)

    def as_dict(self) -> dict:
        plan = self.plan
        return {
            "source": self.source, "format": self.kind, "posts": self.posts, "dry_run": self.dry_run,
            "warnings": list(self.warnings),
            "tips": [{"path": self.path(t.path), "title": t.title, "draft": t.draft, "summary_from": t.summary_from,
                      "links_to_new_tips": t.links} for t in plan.tips],
            "links_to_new_tips": plan.links,
            "already": plan.already,
            "notices": [{"title": n.title, "problem": n.problem, "action": n.action} for n in plan.notices],
            "unmapped": [{"name": u.name, "posts": list(u.titles), "suggestion": u.suggestion}
                         for u in plan.unmapped],
            "check": None if self.errors is None else {"ok": not self.errors,
                                                       "errors": [e.as_dict() for e in self.errors]},
        }
