"""The ``tipweek`` command: scaffold, check and schedule tips; build, preview,
write feeds and the weekly email, and send it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import gc_freeze as collector
from ..library import dates
from .common import config_option, edition_or_exit, load_project, parse_today, print_errors, scan, today_of, today_option, week_tip
from ..library.tip_files import dated_files
from ..project import ProjectError
from ..calendar.scaffold import ScaffoldError, new_tip, pick_day


class _Commands(click.Group):
    """The commands; those in their own modules are imported when run (or
    listed by --help), so `tipweek feed` does not pay for the importer's and
    the list's libraries."""

    elsewhere = {"send": "tipweek.cli.send_command:send", "list": "tipweek.cli.list_commands:list_group",
                 "import": "tipweek.cli.import_command:import_command", "post": "tipweek.cli.post_command:post",
                 "doctor": "tipweek.cli.doctor_command:doctor"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.elsewhere})

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ProjectError as exc:  # mkdocs.yml loaded late (a body to render) and refused
            raise click.ClickException(str(exc)) from None

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.elsewhere and name not in self.commands:
            import importlib

            module, attr = self.elsewhere[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tipweek")
def main() -> None:
    """tipweek: one customer-service tip a week, as a site, feeds and an email.

    Run it in the project folder (the one with mkdocs.yml), or pass -f.
    """


@main.command()
@config_option
@today_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text",
              show_default=True, help="text for people, json for scripts, github for CI annotations.")
@click.option("--site", "site_dir", type=click.Path(exists=True, file_okay=False), default=None, metavar="DIR",
              help="Also check a built site: every page, feed, email web version and the search index "
                   "there, and no scheduled or draft tip in any of them.")
def check(config_file: str | None, today: str | None, fmt: str, site_dir: str | None) -> None:
    """Validate every tip and the principles; exit 1 if anything is wrong.

    Prints one line per problem as path:line: message (hint). A tip dated
    after --today must fall on the publishing weekday. With --site, also
    checks a site built for the same --today (after tipweek build).

    \b
    Example:
        tipweek check
        tipweek check --format github     # in a GitHub Actions step
        tipweek check --today 2027-01-01  # as the check will judge it on that day
        tipweek check --site site/        # after tipweek build: nothing missing, nothing scheduled
    """
    project = load_project(config_file)
    library, errors = scan(project, today)
    from ..library.advice import heading_warnings, unloaded_heading_warnings

    # Advice: printed, but the check passes; shown beside the errors, a tip that did not load included.
    loaded = {tip.path for tip in library.tips}
    unloaded = sorted({e.path for e in errors if e.path.endswith(".md") and e.path not in loaded})
    warnings = sorted(heading_warnings(library.tips, project.root) +
                      unloaded_heading_warnings(unloaded, project.root), key=lambda w: (w.path, w.line))
    site = None
    if site_dir and not errors:
        from ..site.built_site import check_site

        errors, site = check_site(project.edition(today_of(project, today)), Path(site_dir))
    print_errors(errors, fmt, warnings)
    if errors:
        sys.exit(1)
    if fmt == "text":
        advice = f", {len(warnings)} warning{'s' * (len(warnings) != 1)}" if warnings else ""
        click.echo(f"ok: {len(library)} tips, {len(library.principles)} principles{advice}")
        if site:
            click.echo(f"ok: {site_dir} has {site.tips} published tips, {site.principles} principles, "
                       f"{site.feeds} feeds, {site.emails} email web versions and {site.indexed} pages in "
                       f"its search index; none of the {site.hidden} scheduled or draft tips is in it")


@main.command()
@click.argument("title")
@click.option("--tag", "tags", multiple=True, required=True, metavar="PRINCIPLE",
              help="A principle the tip teaches; repeat for more.")
@click.option("--date", "date", default=None, metavar="YYYY-MM-DD",
              help="Publish date (default: the publishing weekday of the next week without a tip).")
@config_option
@today_option
def new(title: str, tags: tuple[str, ...], date: str | None, config_file: str | None, today: str | None) -> None:
    """Scaffold a tip on the next free week and print its path.

    \b
    Example:
        tipweek new "Own the mistake" --tag ownership --tag empathy
        tipweek new "Call back when you said you would" --tag follow-through --date 2027-02-02
    """
    project = load_project(config_file)
    library, _ = project.scan()
    try:
        requested = dates.parse_date(date, "--date") if date else None
    except dates.TodayError as exc:
        raise click.BadParameter(str(exc), param_hint="--date") from None
    try:
        day = pick_day(library, dated_files(project.tips_dir), today_of(project, today), project.options.weekday,
                       requested)
        path = new_tip(library, project.tips_dir, title, tags, day)
    except ScaffoldError as exc:
        if exc.param:
            raise click.BadParameter(str(exc), param_hint=exc.param) from None
        raise click.ClickException(str(exc)) from None
    click.echo(_rel(path))


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@main.command("schedule")
@click.option("--weeks", default=12, show_default=True, help="How many weeks ahead to look for gaps.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@config_option
@today_option
def schedule_command(weeks: int, as_json: bool, config_file: str | None, today: str | None) -> None:
    """Show the calendar: published, scheduled, empty weeks, when the queue runs dry.

    A tip with a problem is left out: the problems are printed to standard
    error, the calendar of the tips that loaded is still shown, and the exit
    status is 1 (two tips in one week are both shown, in their week).

    \b
    Example:
        tipweek schedule
        tipweek schedule --weeks 26 --json
    """
    project = load_project(config_file)
    day = today_of(project, today)
    with collector.made_to_last():
        library, errors = project.scan(day)
    import json

    from ..calendar import report

    print_errors(errors, "text")
    found = report.Agenda.of(library, day, weeks, project.options.weekday)
    click.echo(json.dumps(found.as_dict(), indent=2) if as_json else "\n".join(found.lines()))
    if errors:
        sys.exit(1)


mkdocs_passthrough = click.argument("mkdocs_args", nargs=-1, type=click.UNPROCESSED)
_PASSTHROUGH = {"ignore_unknown_options": True}


@main.command(context_settings=_PASSTHROUGH)
@config_option
@today_option
@mkdocs_passthrough
def build(config_file: str | None, today: str | None, mkdocs_args: tuple[str, ...]) -> None:
    """Build the site, feeds and email web version into site/ (mkdocs build, in-process).

    Other options are mkdocs build's own (--strict, --site-dir, --dirty, ...).
    The new site replaces the old one only when the build succeeded.

    \b
    Example:
        tipweek build --strict
        tipweek build --today 2026-12-01 --site-dir /tmp/preview
    """
    from ..site import build as building

    day = parse_today(today)
    try:
        building.build(config_file, day, mkdocs_args, load=load_project)
    except building.BuildFailed as exc:
        click.echo(str(exc), err=True)  # (the last line: how many problems)
        sys.exit(1)


@main.command(context_settings=_PASSTHROUGH)
@config_option
@today_option
@click.option("--list-url", default=None, metavar="URL",
              help="Point the Subscribe page's form at this list service (e.g. a local `tipweek list serve`).")
@mkdocs_passthrough
def serve(config_file: str | None, today: str | None, list_url: str | None, mkdocs_args: tuple[str, ...]) -> None:
    """Preview the site at http://127.0.0.1:8000, scheduled tips and drafts included
    and marked, reloading when a tip changes (mkdocs serve, in-process).

    \b
    Example:
        tipweek serve
        tipweek serve -a 127.0.0.1:8001
        tipweek serve --list-url http://127.0.0.1:8025   # sign up through a local list service
    """
    from ..site import build as building

    day = parse_today(today)
    try:
        building.serve(config_file, day, mkdocs_args, load=load_project, list_url=list_url)
    except ProjectError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True,
              help="Folder to write feed.xml, atom.xml, feed.json and principles/*/feed.xml into.")
@config_option
@today_option
def feed(out_dir: str, config_file: str | None, today: str | None) -> None:
    """Write the RSS, Atom and JSON feeds without building the site.

    \b
    Example:
        tipweek feed --out site/
    """
    from ..outputs.feeds import write_feeds

    edition = edition_or_exit(load_project(config_file), today)
    try:
        paths = write_feeds(edition, Path(out_dir))
    except OSError as exc:
        raise click.ClickException(f"cannot write the feeds to {out_dir}: {exc.strerror or exc}") from None
    click.echo(f"wrote {len(paths)} feeds to {out_dir} ({len(edition.feed_tips())} "
               f"of {len(edition.published)} published tips)")


@main.command()
@click.option("--out", "out_file", type=click.Path(dir_okay=False), required=True, help="The .eml file to write.")
@click.option("--to", "to", default=None, metavar="ADDRESS",
              help="Address the copy to someone (default: reader@example.org, an example reader).")
@config_option
@today_option
def email(out_file: str, to: str | None, config_file: str | None, today: str | None) -> None:
    """Write this week's email (the tip of the week on --today, or a re-run "From the archive"
    when the week has no tip of its own) as a .eml file.

    \b
    Example:
        tipweek email --out week.eml
        tipweek email --today 2026-12-01 --out /tmp/next.eml --to me@example.org
    """
    from ..outputs.email import GMAIL_CLIP_BYTES, as_bytes, render_email
    from ..outputs.atomic import write_atomic

    edition, week = week_tip(load_project(config_file), today)
    msg = render_email(edition, week.tip, recipient=to, rerun_on=week.rerun_on)
    try:
        write_atomic(out_file, as_bytes(msg))
    except OSError as exc:
        raise click.ClickException(f"cannot write {out_file}: {exc.strerror or exc}") from None
    html_size = len(msg.get_body(("html",)).get_content().encode("utf-8"))
    click.echo(f"wrote {out_file}: {msg['Subject']} (HTML {html_size / 1024:.1f} KB"
               f"{'; over the 102 KB where Gmail clips it!' if html_size > GMAIL_CLIP_BYTES else ''})")


if __name__ == "__main__":  # pragma: no cover
    main()
