"""``tipweek build`` and ``tipweek serve``: MkDocs, called in-process with the
configuration already loaded and the user's MkDocs options passed through
unchanged (parsed by MkDocs' own commands, so they mean what they mean there).
"""

from __future__ import annotations

import datetime as dt
import errno
import logging
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from ..project import Project, ProjectError


@contextmanager
def mkdocs_options(command: str, args: tuple[str, ...]) -> Iterator[dict]:
    """The options of ``mkdocs <command>`` in ``args``, as MkDocs parses them.
    While the block runs, MkDocs' log output is set up as its command line
    sets it up (-q and -v included)."""
    from mkdocs.__main__ import cli as mkdocs_cli

    with mkdocs_cli.commands[command].make_context(f"tipweek {command}", list(args)) as ctx:
        params = dict(ctx.params)
        if params.pop("config_file", None) is not None:
            raise click.UsageError("give the configuration file with -f before other options")
        _plain_unless_terminal()
        yield params


class _Plain(logging.Formatter):
    """MkDocs' own format without its colour codes (which it writes even into a pipe or a CI log)."""

    def __init__(self, coloured: logging.Formatter):
        super().__init__()
        self.coloured = coloured

    def format(self, record: logging.LogRecord) -> str:
        return click.unstyle(self.coloured.format(record))


def _plain_unless_terminal() -> None:
    """No colour in MkDocs' log lines unless they go to a terminal (nor with NO_COLOR set)."""
    for handler in logging.getLogger("mkdocs").handlers:
        stream = getattr(handler, "stream", None)
        if handler.name != "MkDocsStreamHandler" or stream is None or isinstance(handler.formatter, _Plain):
            continue
        try:
            terminal = stream.isatty()
        except (AttributeError, ValueError):
            terminal = False
        if not terminal or os.environ.get("NO_COLOR"):
            handler.setFormatter(_Plain(handler.formatter or logging.Formatter()))


_PROBLEM_LINE = re.compile(r"^(\S[^:\n]*):\d+: ", re.M)  # path:line: message, as the checker prints it


class _Problems(logging.Handler):
    """What MkDocs logged at WARNING or above during a build, for the last line's count."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.count, self.files = 0, set()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        named = _PROBLEM_LINE.findall(message)  # (a library's problems come as one record, a line each)
        self.count += max(1, len(named))
        self.files.update(named)

    def summary(self, site_dir: Path, failed: bool) -> str | None:
        if not self.count:
            return None
        said = f"{self.count} problem{'s' * (self.count != 1)}"
        if self.files:
            said += f" in {len(self.files)} file{'s' * (len(self.files) != 1)}"
        if failed:
            return f"{said}: the site was not built ({_shown(site_dir)} is as it was)"
        return f"{said}: the site was built into {_shown(site_dir)} (tipweek build --strict refuses it)"


def _shown(folder: Path) -> str:
    try:
        return os.path.relpath(folder) + os.sep
    except ValueError:
        return str(folder)


class _Renamed(logging.Filter):
    """MkDocs names the folder it builds into: the reader should see the site's
    folder, not the temporary one the build is swapped in from."""

    def __init__(self, partial: Path, site_dir: Path):
        super().__init__()
        self.partial, self.site_dir = str(partial), str(site_dir)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and self.partial in record.msg:
            record.msg = record.msg.replace(self.partial, self.site_dir)
        return True


class BuildFailed(Exception):
    """MkDocs stopped; it has already said why, and the message is the last
    line to show: how many problems."""


def build(config_file: str | None, today: dt.date | None, args: tuple[str, ...],
          load=Project.load) -> Path:
    """Build the site into its folder, swapping it in only when the build
    succeeded: MkDocs empties the folder before building, so a failed or
    killed build would otherwise leave no site at all."""
    with mkdocs_options("build", args) as options:
        clean = options.pop("clean")
        project = load(config_file, **options)
        site_dir = Path(project.mkdocs.site_dir).resolve()
        partial = site_dir.with_name(f".{site_dir.name}.partial")
        problems, renamed = _Problems(), _Renamed(partial, site_dir)
        logging.getLogger("mkdocs").addHandler(problems)
        logging.getLogger("mkdocs.commands.build").addFilter(renamed)
        try:
            _build_into(project, partial, today, clean)
        except BuildFailed as exc:
            raise BuildFailed(problems.summary(site_dir, failed=True) or str(exc)) from None
        finally:
            logging.getLogger("mkdocs").removeHandler(problems)
            logging.getLogger("mkdocs.commands.build").removeFilter(renamed)
    previous = site_dir.with_name(f".{site_dir.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if site_dir.exists():
        site_dir.rename(previous)
    partial.rename(site_dir)
    shutil.rmtree(previous, ignore_errors=True)
    summary = problems.summary(site_dir, failed=False)
    if summary:
        click.echo(summary, err=True)
    return site_dir


def _build_into(project: Project, folder: Path, today: dt.date | None, clean: bool) -> None:
    from mkdocs import exceptions
    from mkdocs.commands.build import build as mkdocs_build

    shutil.rmtree(folder, ignore_errors=True)
    config = project.mkdocs
    config.site_dir = str(folder)
    config.plugins.on_startup(command="build", dirty=not clean)
    project.plugin.today = today
    try:
        mkdocs_build(config, dirty=not clean)
    except exceptions.Abort as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise BuildFailed(str(exc)) from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        config.plugins.on_shutdown()


def serve(config_file: str | None, today: dt.date | None, args: tuple[str, ...], load=Project.load,
          list_url: str | None = None) -> None:
    """The live preview: MkDocs' server, with scheduled tips and drafts shown.
    MkDocs reloads mkdocs.yml on each rebuild (so an edit of it shows); the
    plugin instance, and so ``today``, lasts the whole session."""
    from .preview_server import serve as preview_serve

    with mkdocs_options("serve", args) as options:
        overrides = {k: options.pop(k) for k in ("strict", "theme", "use_directory_urls", "dev_addr")}
        project = load(config_file, **overrides)  # a bad mkdocs.yml stops here, with its line
        project.plugin.today, project.plugin.list_url = today, list_url
        address = project.mkdocs.dev_addr
        try:
            preview_serve(config_file=project.mkdocs.config_file_path, **options, **overrides)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ProjectError(f"{address.host}:{address.port} is already in use (another preview?); "
                                   f"pick another port with -a {address.host}:{address.port + 1}") from None
            raise
