"""What every ``tipweek`` command does first, in one place for ``cli`` and
the command modules it loads on demand (send, import, list): the ``-f`` and
``--today`` options, finding the project (its mkdocs.yml), working out
today, and reading the library or the edition, with whatever goes wrong
turned into click's one-line error or the checker's listing."""

from __future__ import annotations

import datetime as dt
import sys

import click

from . import gc_freeze
from ..library import problems, dates
from ..library.model import LibraryError, TipError
from ..project import Project, ProjectError

config_option = click.option(
    "-f", "--config-file", type=click.Path(dir_okay=False), default=None,
    help="The project's mkdocs.yml (default: mkdocs.yml in this folder, else in the nearest folder above it).")
today_option = click.option(
    "--today", metavar="YYYY-MM-DD", default=None,
    help="Act as if today were this date (default: $TIPWEEK_TODAY, else the date in the configured time zone).")


def load_project(config_file: str | None, **overrides) -> Project:
    try:
        return Project.load(config_file, **overrides)
    except ProjectError as exc:
        raise click.ClickException(str(exc)) from None


def parse_today(override: str | None) -> dt.date | None:
    """--today, checked before anything is loaded; None means the default."""
    try:
        return dates.parse_date(override, "--today") if override else None
    except dates.TodayError as exc:
        raise click.BadParameter(str(exc), param_hint="--today") from None


def today_of(project: Project, override: str | None) -> dt.date:
    try:
        return project.today(parse_today(override))
    except dates.TodayError as exc:
        raise click.BadParameter(str(exc), param_hint="--today") from None


def scan(project: Project, today: str | None):
    """Every tip and every problem, as `tipweek check` reports them: the
    links and images of each tip too, as the build will find them on the
    day it builds the tip (link_check)."""
    from ..site.link_check import link_problems

    day = today_of(project, today)
    with gc_freeze.made_to_last():
        library, errors = project.scan(day)
    found = link_problems(project, library, day)
    if found:  # in with the others, file by file (principles.yml's problems stay first)
        vocabulary = _display(project.principles_file, project.root)
        errors = sorted(errors + found, key=lambda e: (e.path != vocabulary, e.path, e.line, e.message))
    return library, errors


def _display(path, root) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def library_or_exit(project: Project):
    try:
        with gc_freeze.made_to_last():
            return project.library()
    except LibraryError as exc:
        print_errors(exc.errors, "text")
        sys.exit(1)


def edition_or_exit(project: Project, today: str | None):
    """The edition of the day, made as the build makes it; the tips' problems
    are printed as `tipweek check` prints them."""
    try:
        with gc_freeze.made_to_last():
            return project.edition(today_of(project, today))
    except LibraryError as exc:
        print_errors(exc.errors, "text")
        sys.exit(1)
    except Exception as exc:
        # A plugin's error while MkDocs renders a body (MkDocs is imported only then).
        errors = sys.modules.get("mkdocs.exceptions")
        if errors and isinstance(exc, errors.PluginError):
            raise click.ClickException(str(exc)) from None
        raise


def week_tip(project: Project, today: str | None):
    """The edition and what its week features: its own tip or a re-run (reruns.Featured)."""
    edition = edition_or_exit(project, today)
    if edition.featured is None:
        raise click.ClickException(f"no tip is published on {edition.today.isoformat()}; nothing to write")
    return edition, edition.featured


def print_errors(errors: list[TipError], fmt: str, warnings: list[TipError] = ()) -> None:
    problems.show(errors, fmt, click.echo, warnings)
